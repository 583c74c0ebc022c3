"""ALLIANCE_QUEUE=celery as a site runs it: a real API, real `alliance worker` processes, a real redis-server.

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

from service.store import Job, Store
from tests.conftest import speak
from tests.service.api.test_server import Server, auth, make_server, upload, wait_for
from tests.service.cli.test_commands import ALLIANCE, ROOT
from tests.service.redis_server import RedisServer



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

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()

    def started_anywhere(self, job_id: str, workers: list[Worker]) -> int:
        return sum(w.started().count(job_id) for w in workers)


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, tiny_models: Path, redis_server: RedisServer
) -> Iterator[Deployment]:
    redis_server.client().flushdb()
    server = make_server(
        tmp_path_factory.mktemp("celery"),
        tiny_models,
        ALLIANCE_QUEUE="celery",
        ALLIANCE_BROKER_URL=redis_server.url,
        ALLIANCE_MAX_JOBS_PER_OWNER="50",
        ALLIANCE_WORKER_LOST_S="3",
        ALLIANCE_REPUBLISH_AFTER_S="2",
    )
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
    workers = [deployment.worker(), deployment.worker()]
    for worker in workers:
        worker.wait_ready()
    ids = deployment.submit(6)
    for job in deployment.finish(ids):
        assert job["attempts"] == 1, job
    for job_id in ids:
        assert deployment.started_anywhere(job_id, workers) == 1, "each job ran exactly once"
    assert all(w.started() for w in workers), "both workers took jobs"
    assert not list((deployment.server.data_dir / "service" / "recordings").iterdir()), "audio released after success"
    deployment.stop_workers()


def test_kill_9_of_a_worker_mid_job_redelivers_it_to_the_other(deployment: Deployment) -> None:
    workers = [deployment.worker(), deployment.worker()]
    for worker in workers:
        worker.wait_ready()
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
    deployment.stop_workers()


def test_sigterm_hands_the_job_in_flight_back(deployment: Deployment) -> None:
    first = deployment.worker()
    first.wait_ready()
    [job_id] = deployment.submit(1)
    wait_for(deployment.server, deployment.key, job_id, ("running",))
    first.process.terminate()
    assert first.process.wait(timeout=60) == 0, first.text()
    second = deployment.worker()
    second.wait_ready()
    [done] = deployment.finish([job_id])
    if "handed back" in first.text():
        assert job_id in second.started() and done["attempts"] == 1, "a drained run does not count as an attempt"
    else:  # the job finished before its next progress report: nothing to hand back
        assert job_id not in second.started()
    deployment.stop_workers()


def test_kill_9_of_the_api_while_jobs_are_queued_loses_nothing(deployment: Deployment) -> None:
    ids = deployment.submit(3)  # no worker runs: they wait in the broker
    deployment.server.kill_hard()
    deployment.server.start()
    worker = deployment.worker()
    worker.wait_ready()
    deployment.finish(ids)
    for job_id in ids:
        assert worker.started().count(job_id) == 1
    deployment.stop_workers()


def test_a_redis_restart_mid_run_loses_no_queued_job(deployment: Deployment) -> None:
    worker = deployment.worker()
    worker.wait_ready()
    ids = deployment.submit(3)
    wait_for(deployment.server, deployment.key, ids[0], ("running", "succeeded"))
    deployment.redis.restart()  # no persistence: every waiting message is gone
    assert deployment.redis.client().llen("alliance") == 0
    deployment.finish(ids)
    for job_id in ids:
        assert worker.started().count(job_id) == 1, "republished, yet run once"
    store = Store(f"sqlite:///{deployment.server.data_dir / 'service' / 'alliance.db'}")
    with store.session() as session:
        assert all(session.get(Job, job_id) is not None for job_id in ids)
    deployment.stop_workers()
