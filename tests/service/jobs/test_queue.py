"""The job-queue contract: both backends (embedded SQL, Celery on a real Redis) behave the same, on real SQLite and
PostgreSQL databases; plus what only the Celery backend does (publishing, the sweep) and retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from service.crud import purge_expired
from service.jobs.queue import JobQueue, SqlJobQueue
from service.settings import ServiceSettings
from service.storage import SharedFolderStorage
from service.store import Job, Recording, Store, utcnow
from tests.servers import RedisServer


@dataclass
class Setup:
    store: Store
    queue: JobQueue
    rec: str
    redis: RedisServer | None = None


def _with_recording(store: Store) -> Store:
    with store.session() as session:
        session.add(Recording(id="rec_1", owner="a", sha256="0" * 64, size_bytes=1, duration_s=1.0))
    return store


@pytest.fixture(params=["embedded", "celery"])
def setup(request: pytest.FixtureRequest, store: Store) -> Setup:
    _with_recording(store)
    if request.param == "embedded":
        return Setup(store, SqlJobQueue(store), "rec_1")
    from service.jobs.celery_queue import CeleryJobQueue

    redis_server: RedisServer = request.getfixturevalue("redis_server")
    redis_server.client().flushdb()
    settings = ServiceSettings(queue="celery", broker_url=redis_server.url, worker_lost_s=5, republish_after_s=1)
    return Setup(store, CeleryJobQueue(store, settings), "rec_1", redis_server)


def row(store: Store, job_id: str) -> Job:
    with store.session() as session:
        found = session.get(Job, job_id)
        assert found is not None
        return found


def test_a_job_is_claimed_once_and_closed_once(setup: Setup, tmp_path: Path) -> None:
    queue, rec = setup.queue, setup.rec
    job = queue.enqueue("a", rec, {})
    claimed = queue.claim("w1", job.id)
    assert claimed is not None and claimed.id == job.id and claimed.attempt == 1
    assert queue.claim("w2", job.id) is None and queue.claim("w2") is None, "nobody else gets it"
    assert queue.report(job.id, "transcribe", 40) and queue.heartbeat(job.id)
    assert queue.succeed(job.id)
    assert not queue.succeed(job.id), "closed jobs stay closed"
    assert not queue.heartbeat(job.id)
    assert queue.claim("w2", job.id) is None, "a late duplicate message finds the job closed"
    if setup.store.engine.dialect.name == "sqlite":
        assert (tmp_path / "alliance.db").stat().st_mode & 0o077 == 0


def test_crashed_jobs_are_requeued_a_bounded_number_of_times(setup: Setup) -> None:
    queue = setup.queue
    job = queue.enqueue("a", setup.rec, {})
    for attempt in (1, 2):
        claimed = queue.claim("w1")
        assert claimed is not None and claimed.attempt == attempt
        assert queue.recover("w1", max_attempts=3) == [job.id]
    assert queue.claim("w1") is not None
    assert queue.recover(None, max_attempts=3) == []
    failed = row(setup.store, job.id)
    assert failed.state == "failed" and failed.error_code == "worker_crashed"


def test_only_jobs_whose_heartbeat_stopped_are_recovered(setup: Setup) -> None:
    queue = setup.queue
    job = queue.enqueue("a", setup.rec, {})
    queue.claim("w1", job.id)
    assert queue.recover(None, 3, stale_before=utcnow() - timedelta(seconds=60)) == [], "a live worker keeps its job"
    assert queue.recover(None, 3, stale_before=utcnow() + timedelta(seconds=1)) == [job.id]
    assert row(setup.store, job.id).state == "queued"


def test_cancelling_a_running_job_stops_it_at_its_next_report(setup: Setup) -> None:
    queue = setup.queue
    job = queue.enqueue("a", setup.rec, {})
    queue.claim("w1")
    assert queue.cancel(job.id)
    assert not queue.report(job.id, "diarize", 10), "the worker learns it must stop"
    assert not queue.succeed(job.id), "a late result of a cancelled job is dropped"


def test_a_stopping_worker_hands_its_job_back_without_spending_an_attempt(setup: Setup) -> None:
    queue = setup.queue
    job = queue.enqueue("a", setup.rec, {})
    queue.claim("w1")
    assert queue.release(job.id)
    again = queue.claim("w2", job.id)
    assert again is not None and again.attempt == 1
    assert queue.open_jobs("a") == 1 and queue.open_jobs("b") == 0


def test_audio_is_released_only_when_no_open_job_needs_it(setup: Setup) -> None:
    queue = setup.queue
    first, second = queue.enqueue("a", setup.rec, {}), queue.enqueue("a", setup.rec, {})
    queue.claim("w1", first.id)
    queue.succeed(first.id)
    assert not queue.release_audio(setup.rec), "the second job still needs it"
    queue.cancel(second.id)
    assert queue.release_audio(setup.rec)


def test_celery_publishes_each_job_and_republishes_what_the_broker_lost(setup: Setup) -> None:
    from service.jobs.celery_queue import CeleryJobQueue

    if setup.redis is None:
        pytest.skip("the broker half of the contract")
    queue = setup.queue
    assert isinstance(queue, CeleryJobQueue)
    jobs = [queue.enqueue("a", setup.rec, {}) for _ in range(3)]
    assert queue.waiting_messages() == 3 and queue.broker_reachable()
    body = setup.redis.client().lindex("alliance", 0)
    assert body is not None and b'"alliance.run_job"' in body and b"application/json" in body, "JSON, never pickle"
    assert queue.sweep() == (0, 0), "nothing lost, nothing sent twice"
    setup.redis.client().flushdb()  # as a Redis restart without persistence would
    with setup.store.session() as session:
        for job in jobs:
            found = session.get(Job, job.id)
            assert found is not None
            found.created_at = utcnow() - timedelta(seconds=30)
    assert queue.sweep() == (0, 3) and queue.waiting_messages() == 3
    claimed = queue.claim("w1", jobs[0].id)
    assert claimed is not None
    with setup.store.session() as session:
        found = session.get(Job, jobs[0].id)
        assert found is not None
        found.heartbeat_at = utcnow() - timedelta(seconds=60)  # its worker vanished
    assert queue.sweep()[0] == 1 and row(setup.store, jobs[0].id).state == "queued"


def test_an_unreachable_broker_loses_no_job(store: Store) -> None:
    from service.jobs.celery_queue import CeleryJobQueue

    _with_recording(store)
    queue = CeleryJobQueue(store, ServiceSettings(queue="celery", broker_url="redis://127.0.0.1:1/0"))
    job = queue.enqueue("a", "rec_1", {})
    assert row(store, job.id).state == "queued", "the row is the record; the sweep publishes it later"
    assert not queue.broker_reachable() and queue.waiting_messages() is None


def test_retention_purges_old_recordings_and_their_results(store: Store, tmp_path: Path) -> None:
    _with_recording(store)
    queue, rec = SqlJobQueue(store), "rec_1"
    storage = SharedFolderStorage(tmp_path / "files")
    storage.audio(rec).write_bytes(b"audio")
    job = queue.enqueue("a", rec, {})
    queue.claim("w1")
    storage.write_transcript(job.id, "{}")
    queue.succeed(job.id)
    settings = ServiceSettings(retention_days=30)
    assert purge_expired(store, storage, settings) == 0, "young data stays"
    with store.session() as session:
        found = session.get(Recording, rec)
        assert found is not None
        found.created_at = utcnow() - timedelta(days=31)
    assert purge_expired(store, storage, settings) == 1
    assert not storage.audio(rec).exists() and not storage.transcript(job.id).exists()
    with store.session() as session:
        assert session.get(Recording, rec) is None and session.get(Job, job.id) is None


def test_a_worker_taken_for_dead_can_neither_report_nor_close_the_job(setup: Setup) -> None:
    queue = setup.queue
    job = queue.enqueue("a", setup.rec, {})
    first = queue.claim("w1", job.id)
    assert first is not None and first.worker == "w1"
    queue.recover(None, 3, stale_before=utcnow() + timedelta(seconds=1))  # its heartbeat looked stopped
    second = queue.claim("w2", job.id)
    assert second is not None and second.attempt == 2
    assert not queue.report(job.id, "transcribe", 50, "w1") and not queue.heartbeat(job.id, "w1")
    assert not queue.succeed(job.id, "w1"), "the slow first run's result is dropped"
    assert queue.report(job.id, "transcribe", 50, "w2") and queue.succeed(job.id, "w2")
