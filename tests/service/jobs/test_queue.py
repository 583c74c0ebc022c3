"""The durable queue and retention, against real SQLite and PostgreSQL databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from service.crud import purge_expired
from service.jobs.queue import SqlJobQueue
from service.settings import ServiceSettings
from service.storage import SharedFolderStorage
from service.store import Job, Recording, Store, utcnow


def setup(store: Store) -> tuple[Store, SqlJobQueue, str]:
    with store.session() as session:
        session.add(Recording(id="rec_1", owner="a", sha256="0" * 64, size_bytes=1, duration_s=1.0))
    return store, SqlJobQueue(store), "rec_1"


def test_a_job_is_claimed_once_and_closed_once(store: Store, tmp_path: Path) -> None:
    _, queue, rec = setup(store)
    job = queue.enqueue("a", rec, {})
    claimed = queue.claim("w1")
    assert claimed is not None and claimed.id == job.id and claimed.attempt == 1
    assert queue.claim("w2") is None, "nobody else gets it"
    assert queue.report(job.id, "transcribe", 40)
    assert queue.succeed(job.id)
    assert not queue.succeed(job.id), "closed jobs stay closed"
    if store.engine.dialect.name == "sqlite":
        assert (tmp_path / "alliance.db").stat().st_mode & 0o077 == 0


def test_crashed_jobs_are_requeued_a_bounded_number_of_times(store: Store) -> None:
    store, queue, rec = setup(store)
    job = queue.enqueue("a", rec, {})
    for attempt in (1, 2):
        claimed = queue.claim("w1")
        assert claimed is not None and claimed.attempt == attempt
        assert queue.recover("w1", max_attempts=3) == 1
    assert queue.claim("w1") is not None
    queue.recover(None, max_attempts=3)
    with store.session() as session:
        failed = session.get(Job, job.id)
        assert failed is not None and failed.state == "failed" and failed.error_code == "worker_crashed"


def test_cancelling_a_running_job_stops_it_at_its_next_report(store: Store) -> None:
    _, queue, rec = setup(store)
    job = queue.enqueue("a", rec, {})
    queue.claim("w1")
    assert queue.cancel(job.id)
    assert not queue.report(job.id, "diarize", 10), "the worker learns it must stop"
    assert not queue.succeed(job.id), "a late result of a cancelled job is dropped"


def test_retention_purges_old_recordings_and_their_results(store: Store, tmp_path: Path) -> None:
    store, queue, rec = setup(store)
    storage = SharedFolderStorage(tmp_path / "files")
    storage.audio(rec).write_bytes(b"audio")
    job = queue.enqueue("a", rec, {})
    queue.claim("w1")
    storage.write_transcript(job.id, "{}")
    queue.succeed(job.id)
    settings = ServiceSettings(retention_days=30)
    assert purge_expired(store, storage, settings) == 0, "young data stays"
    with store.session() as session:
        row = session.get(Recording, rec)
        assert row is not None
        row.created_at = utcnow() - timedelta(days=31)
    assert purge_expired(store, storage, settings) == 1
    assert not storage.audio(rec).exists() and not storage.transcript(job.id).exists()
    with store.session() as session:
        assert session.get(Recording, rec) is None and session.get(Job, job.id) is None
