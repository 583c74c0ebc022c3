"""ALLIANCE_QUEUE=celery as a site runs it: a real API, real `alliance worker` processes, real redis-server and
PostgreSQL servers.

Workers are killed with SIGKILL, the API is killed with SIGKILL, Redis restarts and forgets every message;
each time every job still ends exactly once in success. Tiny real models keep a job to a few seconds.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import speak
from tests.servers import RedisServer
from tests.service.api.test_server import Server, auth, make_server, upload, wait_for
from tests.service.cli.test_commands import ALLIANCE, ROOT


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def started(self) -> list[str]:
        return re.findall(r"job (job_\w+) started", self.text())

    def wait_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.text()
            if "worker ready" in self.text():
                return
            time.sleep(0.2)
        pytest.fail(f"the worker did not start:\n{self.text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Deployment:
    server: Server
    redis: RedisServer
    key: str
    recording: bytes
    workers: list[Worker]

    def worker(self) -> Worker:
        log = self.server.data_dir / f"worker-{len(self.workers) + 1}.log"
        with log.open("ab") as out:
            process = subprocess.Popen([*ALLIANCE, "-v", "worker", "--concurrency", "1"], env=self.server.env, cwd=ROOT,
                                       stdout=out, stderr=out)  # fmt: skip
        started = Worker(process, log)
        self.workers.append(started)
        return started

    def submit(self, count: int) -> list[str]:
        ids = []
        for _ in range(count):
            rec = upload(self.server, self.key, self.recording).json()
            job = httpx.post(f"{self.server.url}/v1/jobs", json={"recording_id": rec["id"]}, headers=auth(self.key))
            assert job.status_code == 202, job.text
            ids.append(job.json()["id"])
        return ids

    def finish(self, ids: list[str]) -> list[dict[str, object]]:
        done = [wait_for(self.server, self.key, job_id, ("succeeded", "failed", "cancelled"), 240) for job_id in ids]
        assert all(job["state"] == "succeeded" for job in done), done
        for job_id in ids:
            assert (self.server.data_dir / "service" / "results" / job_id / "transcript.json").exists()
        return done

    def alive(self) -> list[Worker]:
        self.workers = [w for w in self.workers if w.process.poll() is None]
        return self.workers

    def ensure_workers(self, count: int) -> list[Worker]:
        """Workers are slow to start (models load): tests share them, and start only what is missing."""
        while len(self.alive()) < count:
            self.worker()
        for worker in self.workers:
            worker.wait_ready()
        return list(self.workers[:count])

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()

    def started_anywhere(self, job_id: str, workers: list[Worker]) -> int:
        return sum(w.started().count(job_id) for w in workers)


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, tiny_models: Path, redis_server: RedisServer, postgres_database: str
) -> Iterator[Deployment]:
    redis_server.client().flushdb()
    server = make_server(
        tmp_path_factory.mktemp("celery"),
        tiny_models,
        ALLIANCE_DATABASE_URL=postgres_database,
        ALLIANCE_QUEUE="celery",
        ALLIANCE_BROKER_URL=redis_server.url,
        ALLIANCE_MAX_JOBS_PER_OWNER="50",
        # Short enough for the kill -9 test, long enough that a worker starved of CPU here is not taken for dead.
        ALLIANCE_WORKER_LOST_S="15",
        ALLIANCE_REPUBLISH_AFTER_S="2",
    )
    server.start_workers = False  # the tests start, count and kill their own
    upgraded = subprocess.run([*ALLIANCE, "db", "upgrade"], env=server.env, cwd=ROOT, capture_output=True, text=True)
    assert upgraded.returncode == 0, upgraded.stderr
    key = server.key("site-a")
    server.start()
    recording = speak("We talked about the plan for next week and how the new medicine works.",
                      server.data_dir / "r.wav").read_bytes()  # fmt: skip
    running = Deployment(server, redis_server, key, recording, [])
    yield running
    running.stop_workers()
    server.stop()


def test_ready_names_database_and_broker(deployment: Deployment) -> None:
    ready = httpx.get(f"{deployment.server.url}/readyz").json()
    assert ready == {"status": "ready", "checks": {"storage": True, "database": True, "broker": True}}


def test_two_workers_drain_six_jobs_each_run_once(deployment: Deployment) -> None:
    workers = deployment.ensure_workers(2)
    ids = deployment.submit(6)
    for job in deployment.finish(ids):
        assert job["attempts"] == 1, job
    for job_id in ids:
        assert deployment.started_anywhere(job_id, workers) == 1, "each job ran exactly once"
    assert all(w.started() for w in workers), "both workers took jobs"
    assert not list((deployment.server.data_dir / "service" / "recordings").iterdir()), "audio released after success"


def test_kill_9_of_a_worker_mid_job_redelivers_it_to_the_other(deployment: Deployment) -> None:
    workers = deployment.ensure_workers(2)
    [job_id] = deployment.submit(1)
    wait_for(deployment.server, deployment.key, job_id, ("running",))
    victim = next(w for w in workers if job_id in w.started())
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait()
    [done] = deployment.finish([job_id])
    assert done["attempts"] == 2, done
    survivor = next(w for w in workers if w is not victim)
    assert job_id in survivor.started(), "the other worker ran it"
    assert [p.name for p in (deployment.server.data_dir / "service" / "results" / job_id).iterdir()] == ["transcript.json"]


def test_sigterm_hands_the_job_in_flight_back(deployment: Deployment) -> None:
    [first] = deployment.ensure_workers(1)
    for extra in deployment.workers[1:]:
        extra.stop()
    [job_id] = deployment.submit(1)
    wait_for(deployment.server, deployment.key, job_id, ("running",))
    first.process.terminate()
    assert first.process.wait(timeout=60) == 0, first.text()
    [second] = deployment.ensure_workers(1)
    [done] = deployment.finish([job_id])
    if "handed back" in first.text():
        assert job_id in second.started() and done["attempts"] == 1, "a drained run does not count as an attempt"
    else:  # the job finished before its next progress report: nothing to hand back
        assert job_id not in second.started()


def test_kill_9_of_the_api_while_jobs_are_queued_loses_nothing(deployment: Deployment) -> None:
    [worker] = deployment.ensure_workers(1)
    ids = deployment.submit(3)  # one runs, two wait in the broker
    deployment.server.kill_hard()
    deployment.server.start()
    deployment.finish(ids)
    for job_id in ids:
        assert worker.started().count(job_id) == 1


def test_a_redis_restart_mid_run_loses_no_queued_job(deployment: Deployment) -> None:
    [worker] = deployment.ensure_workers(1)
    ids = deployment.submit(3)
    wait_for(deployment.server, deployment.key, ids[0], ("running", "succeeded"))
    deployment.redis.restart()  # no persistence: every waiting message is gone
    assert deployment.redis.client().llen("alliance") == 0
    deployment.finish(ids)
    for job_id in ids:
        assert worker.started().count(job_id) == 1, "republished, yet run once"
    assert worker.process.poll() is None, "the worker outlived the broker's restart"
