"""Measure the real `alliance serve` on loopback with tiny models; prints a table.

Usage:
    .venv/bin/python scripts/bench_service.py [--clients 50] [--seconds 10] [--upload-mb 1024] [--models DIR]

1. Status polling: CLIENTS concurrent clients poll GET /v1/jobs/{id} for SECONDS while a job runs;
   reports requests/s and latency percentiles (targets: >= 500 req/s, p99 < 50 ms on 2 cores).
2. Upload memory: streams an UPLOAD_MB body to POST /v1/recordings and samples the server's RSS
   every 20 ms; reports the growth over the idle server (target: < 100 MB).
The load generator runs on the same machine, so on 2 cores it competes with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import psutil
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.make_synthetic_consults import build  # noqa: E402
from scripts.make_test_models import models_for_bench  # noqa: E402

logger = logging.getLogger("bench_service")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, tmp: Path, models: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")}
        self.env |= {
            "ALLIANCE_MODELS_DIR": str(models),
            "ALLIANCE_DATA_DIR": str(tmp / "data"),
            "ALLIANCE_SERVICE_PORT": str(self.port),
            "ALLIANCE_MAX_UPLOAD_BYTES": str(4 * 1024**3),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        command = [sys.executable, "-m", "service.cli", *args]
        return subprocess.run(command, env=self.env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    def start(self) -> None:
        command = [sys.executable, "-m", "service.cli", "serve"]
        self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


async def _poll(url: str, headers: dict[str, str], until: float, latencies: list[float], errors: list[int]) -> None:
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        while time.perf_counter() < until:
            started = time.perf_counter()
            response = await client.get(url)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(response.status_code)


def status_polling(server: Server, key: str, job_id: str, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[int] = []
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{server.url}/v1/jobs/{job_id}"

    async def main() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(_poll(url, headers, until, latencies, errors) for _ in range(clients)))

    started = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {"requests": len(ordered), "rps": len(ordered) / elapsed, "p50": pct(0.5), "p99": pct(0.99), "errors": len(errors)}


def upload_memory(server: Server, key: str, megabytes: int) -> dict[str, float]:
    assert server.process is not None
    process = psutil.Process(server.process.pid)  # the API process; job workers are separate processes
    idle = process.memory_info().rss
    peak = [idle]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.02)

    async def body() -> AsyncIterator[bytes]:
        chunk = b"\0" * (1024 * 1024)
        for _ in range(megabytes):
            yield chunk

    async def send() -> int:
        async with httpx.AsyncClient(timeout=600) as client:
            headers = {"Authorization": f"Bearer {key}"}
            response = await client.post(f"{server.url}/v1/recordings", content=body(), headers=headers)
            return response.status_code

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    status = asyncio.run(send())
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    # The body is zeros, so it streams in completely and is then refused as not audio (422): the whole path runs.
    return {"status": status, "seconds": elapsed, "mb_s": megabytes / elapsed, "growth_mb": (peak[0] - idle) / 1024**2}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--upload-mb", type=int, default=1024)
    parser.add_argument("--models", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request would load the client
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp_name:
        tmp = Path(tmp_name)
        models = models_for_bench(args.models, tmp)
        recording = build(0, tmp, {}, tmp)
        server = Server(tmp, models)
        key = server.cli("keys", "create", "--owner", "bench")
        server.start()
        try:
            headers = {"Authorization": f"Bearer {key}"}
            rec = httpx.post(f"{server.url}/v1/recordings", content=recording.read_bytes(), headers=headers).json()
            job = httpx.post(f"{server.url}/v1/jobs", json={"recording_id": rec["id"]}, headers=headers).json()
            logger.info("polling with %d clients for %.0f s while a job runs", args.clients, args.seconds)
            polling = status_polling(server, key, job["id"], args.clients, args.seconds)
            state = httpx.get(f"{server.url}/v1/jobs/{job['id']}", headers=headers).json()["state"]
            logger.info("streaming a %d MB upload", args.upload_mb)
            upload = upload_memory(server, key, args.upload_mb)
        finally:
            server.stop()
    table = Table(title="alliance serve on loopback (tiny models)")
    for column in ("measure", "value", "target"):
        table.add_column(column)
    table.add_row("status polls", f"{polling['requests']:.0f} in {args.seconds:.0f} s, {polling['errors']:.0f} errors", "")
    table.add_row("throughput", f"{polling['rps']:.0f} req/s ({args.clients} clients, job {state} meanwhile)", ">= 500 req/s")
    table.add_row("latency p50 / p99", f"{polling['p50']:.1f} / {polling['p99']:.1f} ms", "p99 < 50 ms")
    streamed = f"{upload['seconds']:.1f} s, {upload['mb_s']:.0f} MB/s, HTTP {upload['status']:.0f}"
    table.add_row(f"{args.upload_mb} MB upload", streamed, "")
    table.add_row("server RSS growth", f"{upload['growth_mb']:.1f} MB", "< 100 MB")
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
