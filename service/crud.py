"""Persistence in one home: the reads and deletions that routes, the CLI, workers and retention share.

Deleting is written once here, so a route, the retention purge and a worker's audio release
remove exactly the same things in the same order (results and audio first, rows last: a crash
in between leaves a row pointing at nothing, never a file that nothing points at).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from .jobs.queue import JobQueue
from .settings import ServiceSettings
from .storage import Storage
from .store import AuditEvent, Job, Recording, Store, utcnow

logger = logging.getLogger(__name__)


def audit_events(store: Store, since: datetime | None = None) -> list[AuditEvent]:
    with store.session() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if since is not None:
            query = query.where(AuditEvent.at >= since)
        return list(session.scalars(query))


def jobs_of(store: Store, recording_id: str) -> list[Job]:
    with store.session() as session:
        return list(session.scalars(select(Job).where(Job.recording_id == recording_id)))


def _remove_job(store: Store, storage: Storage, job_id: str) -> None:
    storage.delete_results(job_id)
    with store.session() as session:
        found = session.get(Job, job_id)
        if found is not None:
            session.delete(found)


def delete_job(store: Store, storage: Storage, queue: JobQueue, job_id: str) -> None:
    """Cancel a job if it runs, then remove its results and its row."""
    queue.cancel(job_id)
    _remove_job(store, storage, job_id)


def delete_recording(store: Store, storage: Storage, queue: JobQueue, recording_id: str) -> None:
    """A recording, its audio, and every job and result made from it."""
    for job in jobs_of(store, recording_id):
        delete_job(store, storage, queue, job.id)
    storage.delete_audio(recording_id)
    with store.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is not None:
            session.delete(recording)


def purge_expired(store: Store, storage: Storage, settings: ServiceSettings) -> int:
    """Recordings older than the retention age go with their audio, their jobs and every result.

    A job still running is asked to stop and its recording is purged on a later pass.
    """
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    with store.session() as session:
        old = [(r.id, r.owner) for r in session.scalars(select(Recording).where(Recording.created_at < cutoff))]
    purged = 0
    for recording_id, owner in old:
        running = False
        for job in jobs_of(store, recording_id):
            if job.state == "running":
                with store.session() as session:
                    found = session.get(Job, job.id)
                    if found is not None:
                        found.cancel_requested = True
                running = True
                continue
            _remove_job(store, storage, job.id)
        storage.delete_audio(recording_id)
        purged += 1
        if not running:
            with store.session() as session:
                row = session.get(Recording, recording_id)
                if row is not None:
                    session.delete(row)
        store.audit("recording_purged", owner, ("recording", recording_id))
    purge_orphans(store, storage, settings.orphan_grace_s)
    return purged


def purge_orphans(store: Store, storage: Storage, grace_s: float) -> int:
    """Audio and result folders that no row points at, older than the grace period, are deleted.

    Uploads commit their row and file together, but a crash between the file's move and the commit can
    still leave audio nothing refers to: no API call could ever reach it, so only this sweep removes it.
    The grace period spares an upload or a job that is between its two steps right now.
    """
    cutoff = time.time() - grace_s
    with store.session() as session:
        recordings = set(session.scalars(select(Recording.id)))
        jobs = set(session.scalars(select(Job.id)))
    removed = 0
    for item in storage.stored():
        known = recordings if item.kind == "audio" else jobs
        if item.id in known or item.modified > cutoff:
            continue
        if item.kind == "audio":
            storage.delete_audio(item.id)
        else:
            storage.delete_results(item.id)
        removed += 1
    if removed:
        logger.warning("removed %d stored file(s) that no recording or job referred to", removed)
    return removed
