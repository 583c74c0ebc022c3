"""`alliance worker` outside a Celery deployment: one line saying what to set, nothing started."""

from __future__ import annotations

from tests.servers import PostgresServer
from tests.service.cli.test_commands import alliance


def test_the_worker_needs_the_celery_queue() -> None:
    result = alliance("worker")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: alliance worker needs ALLIANCE_QUEUE=celery (the embedded queue runs in alliance serve)"
    )


def test_the_worker_refuses_an_unmigrated_postgresql_database(postgres_server: PostgresServer) -> None:
    env = {"ALLIANCE_QUEUE": "celery", "ALLIANCE_DATABASE_URL": postgres_server.new_database("w")}
    result = alliance("worker", extra_env=env)
    assert result.returncode != 0 and "alliance db upgrade" in result.stderr, result.stderr
