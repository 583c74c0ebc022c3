"""The Celery backend of the job queue: the same database rows as embedded, plus one Celery message per job.

The database stays the one record of job state (status, cancellation, attempts, retention, audit); a message
only carries a job id and says "this job may be waiting". So a lost message costs a delay, never a job (the
sweep publishes it again), and a duplicate one costs nothing (the claim is a conditional update on the row).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from kombu import Queue

from ..settings import ServiceSettings
from ..store import Job, Store, utcnow
from .queue import SqlJobQueue

logger = logging.getLogger(__name__)

TASK = "alliance.run_job"
QUEUE_NAME = "alliance"
_REPUBLISH_LIMIT = 500


def make_celery(settings: ServiceSettings) -> Celery:
    """Celery configured for long audio jobs: at-least-once delivery, one job at a time, JSON only."""
    app = Celery("alliance", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],  # never pickle: a message from the broker must not be able to run code
        result_serializer="json",
        result_backend=None,
        task_ignore_result=True,  # results are files and rows; Celery carries nothing back
        task_acks_late=True,  # acknowledged when the job has ended, so a worker's death redelivers it
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker holds only the job it runs; the rest wait for any free worker
        task_default_queue=QUEUE_NAME,
        task_time_limit=int(settings.job_limit_s()),
        broker_transport_options={
            # Redis redelivers an unacknowledged message after this: longer than any job may run.
            "visibility_timeout": settings.visibility_timeout_s(),
            "socket_timeout": 5,
            "socket_connect_timeout": 5,
        },
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker outlives a Redis restart
        # Publishing must not hold an upload request for long when Redis is down: the row is committed first,
        # and the sweep publishes what could not be published now.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
        worker_hijack_root_logger=False,  # our log format, which never quotes content
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return app


class CeleryJobQueue(SqlJobQueue):
    """Job state in the database as embedded; every job that becomes queued is also published to Celery."""

    def __init__(self, store: Store, settings: ServiceSettings, app: Celery | None = None) -> None:
        super().__init__(store)
        self.settings = settings
        self.app = app or make_celery(settings)
        self._queue = Queue(QUEUE_NAME, routing_key=QUEUE_NAME)

    def publish(self, job_id: str) -> bool:
        try:
            # Declared with every message: after a Redis restart the queue's binding is gone, and an undeclared
            # route would drop the message.
            self.app.send_task(TASK, args=[job_id], queue=self._queue, declare=[self._queue], retry=True)
        except Exception as exc:  # noqa: BLE001  (the row is the record; the sweep publishes it again)
            logger.warning("broker unreachable (%s); the job stays queued and is published again later", type(exc).__name__)
            return False
        return True

    def enqueue(self, owner: str, recording_id: str, options: dict[str, Any]) -> Job:
        job = super().enqueue(owner, recording_id, options)  # committed before publishing: a worker finds the row
        self.publish(job.id)
        return job

    def recover(self, worker: str | None, max_attempts: int, stale_before: datetime | None = None) -> list[str]:
        requeued = super().recover(worker, max_attempts, stale_before)
        for job_id in requeued:
            self.publish(job_id)
        return requeued

    def waiting_messages(self) -> int | None:
        """Messages waiting in the broker, or None when it cannot be reached.

        Read as the Redis list's length: a restarted Redis has forgotten the queue's declaration too, so asking
        through Celery would fail exactly when the answer matters.
        """
        import redis

        try:
            client = redis.Redis.from_url(self.settings.broker_url, socket_timeout=2, socket_connect_timeout=2)
            with client:
                return int(client.llen(QUEUE_NAME))  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001  (unreachable now; the next sweep tries again)
            return None

    def broker_reachable(self) -> bool:
        return self.waiting_messages() is not None

    def sweep(self) -> tuple[int, int]:
        """Requeue jobs whose worker vanished; republish queued jobs the broker no longer holds.

        Idempotent and safe from every worker at once: recovery locks the rows it changes, and a duplicate
        message finds its job already taken. Returns (requeued, republished).
        """
        now = utcnow()
        requeued = self.recover(None, self.settings.job_max_attempts, now - timedelta(seconds=self.settings.worker_lost_s))
        waiting = self.waiting_messages()
        if waiting is None:
            return len(requeued), 0
        stuck = self.queued_before(now - timedelta(seconds=self.settings.republish_after_s), _REPUBLISH_LIMIT)
        if not stuck or waiting >= self.open_queued():
            return len(requeued), 0  # every queued job can still have its message waiting
        logger.warning("%d queued job(s) had no message in the broker (it restarted or lost them); publishing again", len(stuck))
        republished = sum(self.publish(job_id) for job_id in stuck)
        return len(requeued), republished
