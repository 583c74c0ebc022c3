"""The deployments the server-level tests run against: each module's servers start once per deployment."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from tests.servers import PostgresServer, RedisServer

# The two deployments the README documents: one machine (SQLite, embedded workers), and scaled out
# (PostgreSQL, Celery workers on Redis; the server helper starts an `alliance worker` beside the API).
DEPLOYMENTS = ("sqlite", "postgresql+celery")
_REDIS_DATABASES = itertools.cycle(range(1, 16))  # each server its own Redis database: no message crosses over


@dataclass(frozen=True)
class Deployment:
    name: str
    postgres: PostgresServer | None = None
    redis: RedisServer | None = None

    def env(self) -> dict[str, str]:
        """The ALLIANCE_ settings for one new server: nothing for SQLite (the default, a file in its data folder),
        a fresh PostgreSQL database for PostgreSQL, migrated as an operator would ('alliance db upgrade'), and
        the Celery queue on its own Redis database when the deployment has Redis."""
        if self.postgres is None:
            return {}
        from service.migrate import upgrade
        from service.store import Store

        url = self.postgres.new_database("srv")
        store = Store(url)
        upgrade(store)
        store.engine.dispose()
        env = {"ALLIANCE_DATABASE_URL": url}
        if self.redis is not None:
            broker = self.redis.url.rsplit("/", 1)[0] + f"/{next(_REDIS_DATABASES)}"
            env |= {"ALLIANCE_QUEUE": "celery", "ALLIANCE_BROKER_URL": broker}
        return env


@pytest.fixture(scope="module", params=DEPLOYMENTS)
def deployment(request: pytest.FixtureRequest) -> Deployment:
    if request.param == "sqlite":
        return Deployment("sqlite")
    redis = request.getfixturevalue("redis_server") if request.param.endswith("+celery") else None
    return Deployment(request.param, request.getfixturevalue("postgres_server"), redis)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``default_deployment_only`` are skipped (and say so) on every deployment but the default.

    They drive what is the same on every database (process supervision, the batch client) and are the slowest
    server tests; the PostgreSQL+Celery run keeps the rest, which cover every database and queue path the server takes.
    """
    for item in items:
        callspec = getattr(item, "callspec", None)
        name = callspec.params.get("deployment") if callspec is not None else None
        if name not in (None, DEPLOYMENTS[0]) and item.get_closest_marker("default_deployment_only"):
            item.add_marker(pytest.mark.skip(reason=f"runs on {DEPLOYMENTS[0]} only, to keep the suite's time"))
