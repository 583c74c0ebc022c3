"""`alliance worker`: a Celery worker that runs jobs named by messages, with job state kept in the database.

Each process loads the models once. A message is only a job id: the job runs if this worker wins the row's
conditional claim, so redelivered or republished messages never run a job twice to success. SIGTERM drains:
the job in flight stops at its next progress report, its row goes back to queued and its message back to
the broker, then the worker exits.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass
from types import FrameType
from typing import Any

from celery import Celery, signals
from celery.exceptions import Reject

from ..settings import ServiceSettings
from ..storage import Storage, open_storage
from ..store import Store
from .celery_queue import QUEUE_NAME, TASK, CeleryJobQueue, make_celery
from .worker import WorkerStopping, run_job

logger = logging.getLogger(__name__)
_STOPPING = threading.Event()
_SWEEP_MIN_S, _SWEEP_MAX_S = 0.5, 30.0


@dataclass
class _Process:
    """What one worker process holds for its whole life: the models above all."""

    name: str
    settings: ServiceSettings
    queue: CeleryJobQueue
    storage: Storage
    pipeline: object


_CURRENT: dict[str, _Process] = {}
_SETTINGS: dict[str, ServiceSettings] = {}


def _process() -> _Process:
    found = _CURRENT.get("process")
    if found is None:
        from audio_pipeline.pipeline import TranscriptionPipeline

        settings = _SETTINGS["settings"]
        store = Store(settings.database())
        # The job column holds at most 40 characters; host and pid say which machine and process to look at.
        name = f"{socket.gethostname()[:30]}:{os.getpid()}"[:40]
        queue = CeleryJobQueue(store, settings)
        found = _Process(name, settings, queue, open_storage(settings.service_path()), TranscriptionPipeline(settings))
        _CURRENT["process"] = found
    return found


class _Heartbeat:
    """Keeps the running job's heartbeat fresh, so the sweep can tell a long stage from a vanished worker."""

    def __init__(self, queue: CeleryJobQueue, job_id: str, worker: str, every_s: float) -> None:
        self.queue, self.job_id, self.worker, self.every_s = queue, job_id, worker, every_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="job-heartbeat", daemon=True)

    def _beat(self) -> None:
        while not self._done.wait(self.every_s):
            try:
                if not self.queue.heartbeat(self.job_id, self.worker):
                    return  # closed, or taken over: the job stops at its next progress report
            except Exception as exc:  # noqa: BLE001  (a database hiccup: the next beat tries again)
                logger.warning("heartbeat failed (%s)", type(exc).__name__)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()


def run_message(job_id: object) -> None:
    """The task body: claim the named job through the database, run it, or drop a message that is not needed."""
    if not isinstance(job_id, str) or len(job_id) > 40:
        logger.warning("dropped a message that names no job")
        return
    process = _process()
    claimed = process.queue.claim(process.name, job_id)
    if claimed is None:
        logger.info("job %s is not queued (taken, finished or deleted); its message is dropped", job_id)
        return
    logger.info("job %s started (attempt %d)", job_id, claimed.attempt)
    every_s = max(0.2, min(process.settings.worker_lost_s / 4, 30.0))
    try:
        with _Heartbeat(process.queue, job_id, process.name, every_s):
            run_job(claimed, process.pipeline, process.queue, process.storage, process.settings, _STOPPING.is_set)
    except WorkerStopping:
        logger.warning("job %s handed back: the worker is stopping", job_id)
        raise Reject("worker stopping", requeue=True) from None
    logger.info("job %s ended", job_id)


def build_app(settings: ServiceSettings) -> Celery:
    app = make_celery(settings)
    app.task(name=TASK, acks_late=True, reject_on_worker_lost=True)(run_message)
    return app


def _sweeper(queue: CeleryJobQueue, every_s: float) -> None:
    while not _STOPPING.wait(every_s):
        try:
            requeued, _ = queue.sweep()
        except Exception as exc:  # noqa: BLE001  (database or broker away for now: try again next round)
            logger.warning("queue sweep failed (%s)", type(exc).__name__)
            continue
        if requeued:
            logger.warning("%d job(s) whose worker vanished were queued again or failed", requeued)


def _on_stop_signal(_signum: int, _frame: FrameType | None) -> None:
    _STOPPING.set()


def _on_shutting_down(**_: Any) -> None:
    """SIGTERM reached the main process: stop the job in flight here, and in every pool child."""
    _STOPPING.set()
    import psutil

    for child in psutil.Process().children():
        try:
            os.kill(child.pid, signal.SIGUSR2)
        except ProcessLookupError:
            continue


def _on_ready(**_: Any) -> None:
    logger.info("worker ready: taking jobs from the queue")


def _on_child_start(**_: Any) -> None:
    signal.signal(signal.SIGUSR2, _on_stop_signal)
    _process()  # prefork: each child loads the models once, before its first job


def default_concurrency() -> int:
    """One job per GPU, or per two CPU cores."""
    try:
        import torch

        if torch.cuda.is_available():
            return max(1, int(torch.cuda.device_count()))
    except Exception:  # noqa: BLE001  (no usable torch CUDA: count cores)
        pass
    return max(1, (os.cpu_count() or 2) // 2)


def run_worker(settings: ServiceSettings, concurrency: int, log_level: int) -> None:
    """Start a Celery worker in this process: solo for one job at a time, prefork for more."""
    from ..logs import configure
    from ..migrate import ensure_migrated
    from ..processes import quiet_engines

    configure(log_level)  # even under --debug, as serve: a worker's log never quotes request content
    quiet_engines(log_level)

    store = ensure_migrated(settings, Store(settings.database()))  # one line naming 'alliance db upgrade' if not
    _SETTINGS["settings"] = settings
    app = build_app(settings)
    signals.worker_shutting_down.connect(_on_shutting_down, weak=False)
    signals.worker_ready.connect(_on_ready, weak=False)
    pool = "solo" if concurrency == 1 else "prefork"
    if pool == "prefork":
        signals.worker_process_init.connect(_on_child_start, weak=False)
    else:
        _process()  # load the models before taking the first message
    probe = CeleryJobQueue(store, settings, app)
    every_s = max(_SWEEP_MIN_S, min(settings.worker_lost_s, settings.republish_after_s, _SWEEP_MAX_S * 2) / 2)
    threading.Thread(target=_sweeper, args=(probe, every_s), name="queue-sweep", daemon=True).start()
    worker = app.Worker(
        hostname=f"alliance@{socket.gethostname()}.{os.getpid()}",
        pool=pool,
        concurrency=concurrency,
        queues=[QUEUE_NAME],
        loglevel=logging.getLevelName(max(log_level, logging.INFO)),
        without_gossip=True,
        without_mingle=True,
        optimization="fair",
        quiet=True,
    )
    worker.start()
    raise SystemExit(worker.exitcode or 0)
