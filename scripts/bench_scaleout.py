"""Scale-out on one machine: the embedded queue against Celery workers on Redis; prints a table.

Usage:
    .venv/bin/python scripts/bench_scaleout.py [--recordings 20] [--workers 1 2 4] [--seconds 6] [--models DIR]

For each backend (embedded: `alliance serve` with N worker processes; celery: `alliance serve` plus N
`alliance worker` processes and a redis-server this script starts) and each N:
  1. throughput: RECORDINGS short recordings (SECONDS of two-voice synthetic speech each, tiny models) are
     submitted at once after one warm-up job per worker; jobs per minute from the first submission to the
     last success, and the speed-up over one worker of the same backend;
  2. status-poll latency while the workers are busy: one client polls a job every 50 ms meanwhile (p50 / p99);
  3. queueing overhead on an idle queue (N = 1 only, five single jobs): submission to start (the job row's
     created_at to started_at) and finish to visible (the row's finished_at to the first poll, every 5 ms,
     that answers succeeded; the 5 ms polling step is part of it).
Both backends use a SQLite database (the queue backends are what differs); the load generator runs on the
same machine. Targets (issue 23): celery overhead per job under 100 ms; 2 workers >= 1.8x one where cores allow.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import soundfile as sf
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.bench_service import free_port, server_env  # noqa: E402
from scripts.make_synthetic_consults import build  # noqa: E402
from scripts.make_test_models import models_for_bench  # noqa: E402

logger = logging.getLogger("bench_scaleout")
ALLIANCE = (sys.executable, "-m", "service.cli")


def _wait(check: Any, what: str, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.TransportError, OSError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not happen in {timeout_s:.0f} s")


class Deployment:
    """One API and its workers, embedded or celery, in a fresh data folder."""

    def __init__(self, tmp: Path, models: Path, backend: str, workers: int, broker: str | None) -> None:
        self.tmp, self.backend, self.count = tmp, backend, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = server_env(tmp, models, self.port) | {
            "ALLIANCE_ASR_BEAM_SIZE": "1",
            "ALLIANCE_MAX_JOBS_PER_OWNER": "500",
            "ALLIANCE_MAX_JOBS_TOTAL": "1000",
            "ALLIANCE_SERVICE_WORKERS": str(workers),
            "ALLIANCE_QUEUE": backend,
        }
        if broker:
            self.env["ALLIANCE_BROKER_URL"] = broker
        self.processes: list[subprocess.Popen[bytes]] = []
        self.key = ""

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{args[0]}-{len(self.processes)}.log").open("ab")
        process = subprocess.Popen([*ALLIANCE, *args], env=self.env, cwd=ROOT, stdout=log, stderr=log)
        self.processes.append(process)
        return process

    def start(self) -> None:
        made = subprocess.run([*ALLIANCE, "keys", "create", "--owner", "bench"], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, check=True)  # fmt: skip
        self.key = made.stdout.strip()
        self._spawn("serve")
        _wait(lambda: httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200, "the API start")
        if self.backend == "celery":
            for _ in range(self.count):
                self._spawn("worker", "--concurrency", "1")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def submit(self, audio: bytes) -> str:
        rec = httpx.post(f"{self.url}/v1/recordings", content=audio, headers=self.headers, timeout=60).json()
        job = httpx.post(f"{self.url}/v1/jobs", json={"recording_id": rec["id"]}, headers=self.headers, timeout=60)
        job.raise_for_status()
        return str(job.json()["id"])

    def job(self, job_id: str) -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(f"{self.url}/v1/jobs/{job_id}", headers=self.headers, timeout=30).json()
        return found

    def wait_all(self, ids: list[str], timeout_s: float = 1800) -> None:
        pending = set(ids)
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            for job_id in list(pending):
                state = self.job(job_id)["state"]
                if state == "succeeded":
                    pending.discard(job_id)
                elif state in ("failed", "cancelled"):
                    raise SystemExit(f"a benchmark job ended {state}; see the logs in {self.tmp}")
            time.sleep(0.2)
        if pending:
            raise SystemExit(f"{len(pending)} job(s) did not finish; see the logs in {self.tmp}")


def _short_recording(tmp: Path, seconds: float) -> bytes:
    full = build(0, tmp, {}, tmp)
    data, rate = sf.read(full, dtype="float32")
    clipped = tmp / "short.wav"
    sf.write(clipped, np.asarray(data[: int(seconds * rate)]), rate)
    return clipped.read_bytes()


def _poll_latencies(deployment: Deployment, job_id: str, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(headers=deployment.headers, timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get(f"{deployment.url}/v1/jobs/{job_id}")
            out.append((time.perf_counter() - started) * 1000)
            stop.wait(0.05)


def _throughput(deployment: Deployment, audio: bytes, recordings: int) -> dict[str, float]:
    deployment.wait_all([deployment.submit(audio) for _ in range(deployment.count)])  # models loaded, caches warm
    latencies: list[float] = []
    stop = threading.Event()
    started = time.monotonic()
    ids = [deployment.submit(audio) for _ in range(recordings)]
    poller = threading.Thread(target=_poll_latencies, args=(deployment, ids[-1], stop, latencies), daemon=True)
    poller.start()
    deployment.wait_all(ids)
    elapsed = time.monotonic() - started
    stop.set()
    poller.join()
    ordered = sorted(latencies)
    return {
        "jobs_per_min": 60 * recordings / elapsed,
        "elapsed": elapsed,
        "poll_p50": ordered[len(ordered) // 2],
        "poll_p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


def _overhead(deployment: Deployment, audio: bytes, samples: int = 5) -> dict[str, float]:
    to_start: list[float] = []
    to_visible: list[float] = []
    for _ in range(samples):
        job_id = deployment.submit(audio)
        while True:
            job = deployment.job(job_id)
            if job["state"] == "succeeded":
                seen = time.time()
                break
            time.sleep(0.005)
        created, began, ended = (datetime.fromisoformat(job[k]).timestamp() for k in ("created_at", "started_at", "finished_at"))
        to_start.append((began - created) * 1000)
        to_visible.append((seen - ended) * 1000)
    return {"to_start": statistics.median(to_start), "to_visible": statistics.median(to_visible)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recordings", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each recording")
    parser.add_argument("--backends", nargs="+", default=["embedded", "celery"], choices=["embedded", "celery"])
    parser.add_argument("--models", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redis_server = shutil.which("redis-server")
    if "celery" in args.backends and redis_server is None:
        raise SystemExit("redis-server is not installed (scripts/setup.sh installs it)")
    rows: list[tuple[str, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-scaleout-") as tmp_name:
        tmp = Path(tmp_name)
        models = models_for_bench(args.models, tmp)
        audio = _short_recording(tmp, args.seconds)
        redis: subprocess.Popen[bytes] | None = None
        broker = None
        if "celery" in args.backends and redis_server:
            port = free_port()
            redis = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL)  # fmt: skip
            broker = f"redis://127.0.0.1:{port}/0"
        try:
            for backend in args.backends:
                for workers in args.workers:
                    logger.info("%s, %d worker(s): %d recordings of %.0f s", backend, workers, args.recordings, args.seconds)
                    folder = tmp / f"{backend}-{workers}"
                    folder.mkdir()
                    deployment = Deployment(folder, models, backend, workers, broker)
                    deployment.start()
                    try:
                        measured = _throughput(deployment, audio, args.recordings)
                        if workers == 1:
                            measured |= _overhead(deployment, audio)
                    finally:
                        deployment.stop()
                    rows.append((backend, workers, measured))
        finally:
            if redis is not None:
                redis.terminate()
                redis.wait()
    table = Table(
        title=f"Scale-out on one machine ({os.cpu_count()} cores, tiny models, {args.recordings} x {args.seconds:.0f} s)"
    )
    for column in ("backend", "workers", "jobs/min", "speed-up", "poll p50 / p99 (busy)", "submit→start", "finish→visible"):
        table.add_column(column)
    base = {backend: m["jobs_per_min"] for backend, n, m in rows if n == min(args.workers)}
    for backend, workers, m in rows:
        overhead = ("", "")
        if "to_start" in m:
            overhead = (f"{m['to_start']:.0f} ms", f"{m['to_visible']:.0f} ms")
        table.add_row(backend, str(workers), f"{m['jobs_per_min']:.1f}", f"{m['jobs_per_min'] / base[backend]:.2f}x",
                      f"{m['poll_p50']:.1f} / {m['poll_p99']:.1f} ms", *overhead)  # fmt: skip
    Console(width=140).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
