"""Measure the real `alliance serve` on loopback with tiny models; prints a table.

Usage:
    .venv/bin/python scripts/bench_service.py [--clients 50] [--rate 500] [--seconds 10] [--upload-mb 1024] [--models DIR]

1. Status polling at the target rate: CLIENTS concurrent clients together poll GET /v1/jobs/{id} RATE times a
   second for SECONDS while a job runs; reports the answered requests/s and latency percentiles, timed from when
   each poll was due (targets: >= 500 req/s and p99 < 50 ms on 2 cores).
2. Saturation: CLIENTS connections poll back to back for SECONDS (wrk, if installed): the most the server answers,
   and the latency that queueing behind 49 other clients adds.
3. Upload memory: streams an UPLOAD_MB body to POST /v1/recordings and samples the server's RSS
   every 20 ms; reports the growth over the idle server (target: < 100 MB).
The load generators run on the same machine, so on 2 cores they compete with the server and its job worker.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(tmp: Path, models: Path, port: int) -> dict[str, str]:
    """The environment of a benchmarked server on loopback: the caller's own ALLIANCE_* settings never leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")}
    return env | {
        "ALLIANCE_MODELS_DIR": str(models),
        "ALLIANCE_DATA_DIR": str(tmp / "data"),
        "ALLIANCE_SERVICE_PORT": str(port),
    }


class Server:
    def __init__(self, tmp: Path, models: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = server_env(tmp, models, self.port) | {"ALLIANCE_MAX_UPLOAD_BYTES": str(4 * 1024**3)}
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


async def _open(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One keep-alive GET over a raw stream: a few microseconds of client CPU, so the server is what gets measured."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return status


def _request(server: Server, key: str, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\r\n".encode()


def _percentiles(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {"requests": len(ordered), "rps": len(ordered) / elapsed, "p50": pct(0.5), "p99": pct(0.99), "errors": errors}


def paced_polling(server: Server, key: str, path: str, clients: int, rate: float, seconds: float) -> dict[str, float]:
    """CLIENTS clients, each polling at RATE/CLIENTS per second, staggered. Latency runs from when a poll was due,
    not from when it was sent, so a slow answer that delays the next poll counts against the server (no
    coordinated omission, as in wrk2)."""
    request = _request(server, key, path)
    latencies: list[float] = []
    errors = [0]

    async def client(index: int, start: float) -> None:
        reader, writer = await _open(server.port)
        interval = clients / rate
        due = start + index / rate
        while due < start + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if await _get(reader, writer, request) != 200:
                errors[0] += 1
            latencies.append(time.perf_counter() - due)
            due += interval
        writer.close()

    async def main() -> float:
        start = time.perf_counter() + 0.5  # connections are opened first, as pollers hold them
        await asyncio.gather(*(client(i, start) for i in range(clients)))
        return time.perf_counter() - start

    elapsed = asyncio.run(main())
    return _percentiles(latencies, errors[0], elapsed)


def saturated_polling(server: Server, key: str, path: str, clients: int, seconds: float) -> dict[str, float] | None:
    """CLIENTS connections, each sending its next poll as soon as the last is answered: the most the server
    answers. Uses wrk (Debian package) when present; a Python load generator would be measured instead."""
    if shutil.which("wrk") is None:
        logger.warning("wrk is not installed (apt-get install wrk); the saturation row is skipped")
        return None
    auth = f"Authorization: Bearer {key}"
    command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds:.0f}s", "--latency", "-H", auth, server.url + path]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        value = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert value is not None, out
        return float(value[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[value[2]]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert rps is not None, out
    return {"rps": float(rps[1]), "p50": ms("50%"), "p99": ms("99%"), "errors": float(errors[1]) if errors else 0.0}


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
    parser.add_argument("--rate", type=float, default=500.0, help="polls per second, all clients together")
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
            path = f"/v1/jobs/{job['id']}"
            logger.info("%d clients poll %.0f times a second for %.0f s while a job runs", args.clients, args.rate, args.seconds)
            paced = paced_polling(server, key, path, args.clients, args.rate, args.seconds)
            paced_state = httpx.get(server.url + path, headers=headers).json()["state"]
            logger.info("%d clients poll back to back for %.0f s", args.clients, args.seconds)
            saturated = saturated_polling(server, key, path, args.clients, args.seconds)
            saturated_state = httpx.get(server.url + path, headers=headers).json()["state"]
            logger.info("streaming a %d MB upload", args.upload_mb)
            upload = upload_memory(server, key, args.upload_mb)
        finally:
            server.stop()
    table = Table(title="alliance serve on loopback (tiny models)")
    for column in ("measure", "value", "target"):
        table.add_column(column)
    clients = f"{args.clients} clients, job {paced_state} meanwhile"
    polls = f"{paced['requests']:.0f} in {args.seconds:.0f} s, {paced['errors']:.0f} errors"
    table.add_row("status polls at target rate", polls, "")
    table.add_row("  throughput", f"{paced['rps']:.0f} req/s ({clients})", ">= 500 req/s")
    table.add_row("  latency p50 / p99", f"{paced['p50']:.1f} / {paced['p99']:.1f} ms", "p99 < 50 ms")
    if saturated is not None:
        clients = f"{args.clients} clients back to back, job {saturated_state} meanwhile"
        answered = f"{saturated['rps']:.0f} req/s ({clients}), {saturated['errors']:.0f} errors"
        table.add_row("status polls saturated (wrk)", answered, "")
        table.add_row("  latency p50 / p99", f"{saturated['p50']:.1f} / {saturated['p99']:.1f} ms", "")
    streamed = f"{upload['seconds']:.1f} s, {upload['mb_s']:.0f} MB/s, HTTP {upload['status']:.0f}"
    table.add_row(f"{args.upload_mb} MB upload", streamed, "")
    table.add_row("server RSS growth", f"{upload['growth_mb']:.1f} MB", "< 100 MB")
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
