"""The durable job queue: job state in the database, claimed by worker processes.

At-least-once, like Celery with late acknowledgement: a job is only closed after its result
is on disk, and a job whose worker died is put back (a bounded number of times). The
``JobQueue`` protocol is all that workers, the supervisor and the API see: ``SqlJobQueue`` is the embedded
backend, ``CeleryJobQueue`` (celery_queue.py) the same rows with a Celery message per job on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select, update

from ..store import CLOSED_STATES, Job, Recording, Store, new_id, utcnow


@dataclass(frozen=True)
class ClaimedJob:
    id: str
    owner: str
    recording_id: str
    options: dict[str, Any]
    attempt: int
    worker: str | None = None  # who holds it: every later write is conditional on still holding it


class JobQueue(Protocol):
    def enqueue(self, owner: str, recording_id: str, options: dict[str, Any]) -> Job: ...
    def claim(self, worker: str, job_id: str | None = None) -> ClaimedJob | None: ...
    # ``worker``: the claimer's name. Given, the write only happens while that worker still holds the job, so a
    # worker wrongly taken for dead (its job requeued and claimed again) can neither report nor close it.
    def report(self, job_id: str, stage: str, percent: int, worker: str | None = None) -> bool: ...
    def heartbeat(self, job_id: str, worker: str | None = None) -> bool: ...
    def succeed(self, job_id: str, worker: str | None = None) -> bool: ...
    def fail(self, job_id: str, code: str, message: str, worker: str | None = None) -> None: ...
    def cancelled(self, job_id: str, worker: str | None = None) -> None: ...
    def release(self, job_id: str, worker: str | None = None) -> bool: ...
    def cancel(self, job_id: str) -> bool: ...
    def recover(self, worker: str | None, max_attempts: int, stale_before: datetime | None = None) -> list[str]: ...
    def release_audio(self, recording_id: str) -> bool: ...
    def open_jobs(self, owner: str | None = None) -> int: ...


class SqlJobQueue:
    def __init__(self, store: Store) -> None:
        self.store = store

    def enqueue(self, owner: str, recording_id: str, options: dict[str, Any]) -> Job:
        job = Job(id=new_id("job"), owner=owner, recording_id=recording_id, options=options, state="queued", percent=0)
        with self.store.session() as session:
            session.add(job)
        return job

    def claim(self, worker: str, job_id: str | None = None) -> ClaimedJob | None:
        """Take this queued job, or the oldest; never the same one as another worker, in this process or any other.

        PostgreSQL locks the row it picks and skips rows other claimers hold (FOR UPDATE SKIP LOCKED), so several
        API or worker processes claim different jobs without waiting on each other. SQLite has no row locks (the
        clause is left out there): it serialises writers, and the conditional update below makes a second claimer
        of the same row update nothing. A Celery message names its job: delivered twice (redelivery, a
        republished message), only one delivery wins that update, so a job never runs twice to success.
        """
        with self.store.session() as session:
            if job_id is None:
                job_id = session.scalars(
                    select(Job.id)
                    .where(Job.state == "queued")
                    .order_by(Job.created_at, Job.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
            if job_id is None:
                return None
            now = utcnow()
            claimed = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == "queued")
                .values(
                    state="running",
                    attempts=Job.attempts + 1,
                    started_at=now,
                    heartbeat_at=now,
                    stage="queued",
                    percent=0,
                    worker=worker,
                )
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            job = session.get(Job, job_id)
            assert job is not None
            return ClaimedJob(job.id, job.owner, job.recording_id, dict(job.options), job.attempts, worker)

    def report(self, job_id: str, stage: str, percent: int, worker: str | None = None) -> bool:
        """Record progress; False when someone asked for the job to be cancelled (or it is no longer this worker's)."""
        with self.store.session() as session:
            job = session.get(Job, job_id)
            if job is None or job.cancel_requested or job.state != "running":
                return False
            if worker is not None and job.worker != worker:
                return False
            job.stage, job.percent, job.heartbeat_at = stage, percent, utcnow()
            return True

    def heartbeat(self, job_id: str, worker: str | None = None) -> bool:
        """A running job's worker is alive; without this, a long stage would look like a vanished worker."""
        with self.store.session() as session:
            beat = session.execute(update(Job).where(*_held(job_id, worker)).values(heartbeat_at=utcnow()))
            return bool(beat.rowcount == 1)  # type: ignore[attr-defined]

    def _close(self, job_id: str, state: str, worker: str | None, **values: Any) -> bool:
        conditions = _held(job_id, worker)
        if state == "succeeded":
            conditions.append(Job.cancel_requested.is_(False))  # a cancelled job's late result is dropped
        with self.store.session() as session:
            closed = session.execute(
                update(Job).where(*conditions).values(state=state, finished_at=utcnow(), worker=None, **values)
            )
            return bool(closed.rowcount == 1)  # type: ignore[attr-defined]

    def succeed(self, job_id: str, worker: str | None = None) -> bool:
        """False when the job was deleted, cancelled or taken over meanwhile: its result must then be dropped."""
        return self._close(job_id, "succeeded", worker, stage="done", percent=100)

    def fail(self, job_id: str, code: str, message: str, worker: str | None = None) -> None:
        self._close(job_id, "failed", worker, error_code=code, error_message=message[:500])

    def cancelled(self, job_id: str, worker: str | None = None) -> None:
        self._close(job_id, "cancelled", worker)

    def release(self, job_id: str, worker: str | None = None) -> bool:
        """A worker that is being stopped hands its job back: queued again, and the run does not count as an attempt."""
        with self.store.session() as session:
            released = session.execute(
                update(Job)
                .where(*_held(job_id, worker))
                .values(state="queued", stage=None, percent=0, worker=None, attempts=Job.attempts - 1)
            )
            return bool(released.rowcount == 1)  # type: ignore[attr-defined]

    def cancel(self, job_id: str) -> bool:
        """A queued job is cancelled at once; a running one when its worker next reports progress."""
        with self.store.session() as session:
            job = session.get(Job, job_id)
            if job is None or job.state in CLOSED_STATES:
                return False
            if job.state == "queued":
                job.state, job.finished_at = "cancelled", utcnow()
            else:
                job.cancel_requested = True
            return True

    def recover(self, worker: str | None, max_attempts: int, stale_before: datetime | None = None) -> list[str]:
        """Running jobs of a dead worker (of every worker at start-up, or of any whose heartbeat stopped before
        ``stale_before``) go back to the queue, or fail with worker_crashed; the ids of the requeued ones."""
        with self.store.session() as session:
            query = select(Job).where(Job.state == "running")
            if worker is not None:
                query = query.where(Job.worker == worker)
            if stale_before is not None:
                query = query.where(Job.heartbeat_at < stale_before).with_for_update(skip_locked=True)
            requeued: list[str] = []
            for job in session.scalars(query):
                job.worker = None
                if job.cancel_requested:
                    job.state, job.finished_at = "cancelled", utcnow()
                elif job.attempts >= max_attempts:
                    job.state, job.finished_at = "failed", utcnow()
                    job.error_code = "worker_crashed"
                    job.error_message = f"the job was interrupted {job.attempts} times (a crash or out of memory)"
                else:
                    job.state, job.stage, job.percent = "queued", None, 0
                    requeued.append(job.id)
            return requeued

    def queued_before(self, before: datetime, limit: int) -> list[str]:
        """Queued jobs older than this, oldest first: the ones a lost broker message may be holding up."""
        with self.store.session() as session:
            query = select(Job.id).where(Job.state == "queued", Job.created_at < before)
            return list(session.scalars(query.order_by(Job.created_at, Job.id).limit(limit)))

    def release_audio(self, recording_id: str) -> bool:
        """Retention: mark the recording's audio gone once no open job needs it; True when the caller deletes it."""
        with self.store.session() as session:
            waiting = session.scalars(
                select(Job.id).where(Job.recording_id == recording_id, Job.state.in_(("queued", "running")))
            ).first()
            recording = session.get(Recording, recording_id)
            if waiting is not None or recording is None:
                return False
            recording.audio_deleted_at = utcnow()
            return True

    def open_queued(self) -> int:
        with self.store.session() as session:
            return int(session.scalar(select(func.count()).select_from(Job).where(Job.state == "queued")) or 0)

    def open_jobs(self, owner: str | None = None) -> int:
        with self.store.session() as session:
            query = select(func.count()).select_from(Job).where(Job.state.in_(("queued", "running")))
            if owner is not None:
                query = query.where(Job.owner == owner)
            return int(session.scalar(query) or 0)


def _held(job_id: str, worker: str | None) -> list[Any]:
    """The job is running, and (when a worker is named) still held by that worker."""
    conditions: list[Any] = [Job.id == job_id, Job.state == "running"]
    if worker is not None:
        conditions.append(Job.worker == worker)
    return conditions
