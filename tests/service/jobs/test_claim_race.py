"""Several processes claim from one queue at once (several API or worker processes): no job is taken twice."""

from __future__ import annotations

import multiprocessing
import threading

from sqlalchemy import func, select

from service.jobs.queue import SqlJobQueue
from service.store import Job, Recording, Store

JOBS = 60
CLAIMERS = 4


def _claim_all(url: str, name: str, start: threading.Barrier) -> list[str]:
    store = Store(url)
    queue = SqlJobQueue(store)
    store.engine.connect().close()  # connected before the race, so no claimer starts late
    start.wait(timeout=120)  # every claimer has started (spawning takes seconds): they begin together
    taken = []
    while True:
        job = queue.claim(name)
        if job is not None:
            taken.append(job.id)
            assert queue.succeed(job.id)
            continue
        with store.session() as session:  # SQLite: a claimer that lost a race gets None while jobs remain
            if not session.scalar(select(func.count()).select_from(Job).where(Job.state == "queued")):
                return taken


def test_concurrent_claimers_never_take_the_same_job(store: Store, database_url: str) -> None:
    with store.session() as session:
        session.add(Recording(id="rec_1", owner="a", sha256="0" * 64, size_bytes=1, duration_s=1.0))
    queue = SqlJobQueue(store)
    queued = {queue.enqueue("a", "rec_1", {}).id for _ in range(JOBS)}
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Barrier(CLAIMERS)
    with context.Pool(CLAIMERS) as pool:
        results = [pool.apply_async(_claim_all, (database_url, f"w{n}", start)) for n in range(CLAIMERS)]
        taken = [result.get(timeout=120) for result in results]
    everything = [job for claimer in taken for job in claimer]
    assert sorted(everything) == sorted(queued), "every job taken exactly once"
    if store.engine.dialect.name == "postgresql":
        assert sum(1 for claimer in taken if claimer) > 1, "the claimers really ran side by side"
    with store.session() as session:
        attempts = set(session.scalars(select(Job.attempts)))
    assert attempts == {1}
