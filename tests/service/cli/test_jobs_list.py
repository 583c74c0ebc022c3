"""``alliance jobs list``: the queue as an operator sees it, from the database alone, with no PHI."""

from __future__ import annotations

from service.jobs.queue import SqlJobQueue
from service.store import Recording, Store
from tests.service.cli.test_commands import alliance

SENTINEL = "Emma-Thompson-consult.m4a"  # what must never be printed: a name, a file name, a message


def test_queued_running_and_failed_jobs_with_workers_and_codes(store: Store, database_url: str) -> None:
    with store.session() as session:
        session.add(Recording(id="rec_1", owner="site-a", sha256="0" * 64, size_bytes=1, duration_s=1.0))
    queue = SqlJobQueue(store)
    jobs = {queue.enqueue("site-a", "rec_1", {"names": f"parent={SENTINEL}"}).id for _ in range(4)}
    done, failed, running = (queue.claim("worker-7") for _ in range(3))
    assert done is not None and failed is not None and running is not None
    (queued,) = jobs - {done.id, failed.id, running.id}
    queue.succeed(done.id)
    queue.fail(failed.id, "engine_failed", f"could not read {SENTINEL}")

    env = {"ALLIANCE_DATABASE_URL": database_url, "COLUMNS": "250"}
    listed = alliance("jobs", "list", extra_env=env)
    assert listed.returncode == 0, listed.stderr
    lines = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines() if "│ job_" in line}
    assert set(lines) == {queued, running.id, failed.id}, "succeeded jobs are not listed by default"
    assert "running" in lines[running.id] and "worker-7" in lines[running.id]
    assert "failed" in lines[failed.id] and "engine_failed" in lines[failed.id]
    assert SENTINEL not in listed.stdout + listed.stderr and "Emma" not in listed.stdout

    only = alliance("jobs", "list", "--state", "succeeded", "--state", "failed", extra_env=env)
    assert sorted(line.split("│")[1].strip() for line in only.stdout.splitlines() if "│ job_" in line) == sorted(
        [done.id, failed.id]
    )
    wrong = alliance("jobs", "list", "--state", "stuck", extra_env=env)
    assert wrong.returncode == 2 and "--state must be one of" in wrong.stderr
