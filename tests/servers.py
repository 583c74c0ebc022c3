"""Real servers the service tests start: PostgreSQL, and redis-server for the Celery queue.

Each server runs from a temporary folder on a free loopback port and lives for the test session.
PostgreSQL refuses to run as root, and CI runs as root: there the server runs as ``nobody``
(``runuser``), elsewhere as the current user. Databases are cheap: every caller gets a fresh one.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

PG_BIN = Path(os.environ.get("ALLIANCE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
_UNPRIVILEGED = "nobody"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", _UNPRIVILEGED, "--", *command]


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster with trust authentication on 127.0.0.1 only."""

    root: Path
    port: int
    user: str = "alliance"
    _names: itertools.count[int] = field(default_factory=itertools.count)

    @classmethod
    def start(cls) -> PostgresServer:
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL is not installed at {PG_BIN}; run scripts/setup.sh")
        # Not under pytest's tmp_path: that is private to root, and the server user must reach its folder.
        root = Path(tempfile.mkdtemp(prefix="alliance-pg-"))
        if os.geteuid() == 0:
            shutil.chown(root, _UNPRIVILEGED)
        server = cls(root, free_port())
        data = root / "data"
        run = [str(PG_BIN / "initdb"), "-D", str(data), "-U", server.user, "--auth=trust", "-E", "UTF8", "--no-sync"]
        subprocess.run(_as_server_user(run), check=True, capture_output=True, cwd=root)
        # A time zone far from UTC on purpose: a stored time that loses its zone shows up as a 13-hour error.
        options = (
            f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=300 -c TimeZone=Pacific/Auckland"
        )
        start = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-o", options, "-w", "start"]
        result = subprocess.run(_as_server_user(start), capture_output=True, text=True, cwd=root)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {result.stdout}{result.stderr}{server.log()}")
        return server

    def stop(self) -> None:
        stop = [str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_server_user(stop), capture_output=True, cwd=self.root)
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3 driver)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


REDIS_SERVER = Path(shutil.which("redis-server") or "/usr/bin/redis-server")


@dataclass
class RedisServer:
    """A throwaway redis-server on 127.0.0.1 with no persistence: a restart loses every message, the worst case."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls) -> RedisServer:
        if not REDIS_SERVER.exists():
            raise RuntimeError(f"redis-server is not installed at {REDIS_SERVER}; run scripts/setup.sh")
        server = cls(Path(tempfile.mkdtemp(prefix="alliance-redis-")), free_port())
        server.run()
        return server

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def run(self) -> None:
        import redis

        args = [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
                "--save", "", "--appendonly", "no"]  # fmt: skip
        with (self.root / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server did not start: {self.log()}")
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer: {self.log()}")

    def log(self) -> str:
        path = self.root / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def halt(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def restart(self) -> None:
        """Stop and start on the same port; without persistence every waiting message is gone."""
        self.halt()
        self.run()

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)
