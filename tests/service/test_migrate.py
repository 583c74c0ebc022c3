"""Alembic owns the schema: it builds the models' tables exactly, upgrades the previous release's database
without losing a row, and the service refuses any other schema with one line naming the fix."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

from audio_pipeline.errors import DatabaseNotMigratedError
from service import migrate
from service.jobs.queue import SqlJobQueue
from service.keys import owner_of
from service.settings import ServiceSettings
from service.store import ApiKey, AuditEvent, Base, Job, Recording, Store
from tests.service.cli.test_commands import alliance, error_lines

RELEASE_SCHEMA = Path(__file__).parent / "data" / "release_schema.sql"
T0 = "2026-10-01 09:00:00.000000"  # how that release's SQLAlchemy wrote a UTC time to SQLite
RELEASE_KEY = "alk_a-key-the-previous-release-issued"


def test_the_migrations_build_exactly_the_models_tables(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert differences == []
    assert migrate.schema_state(store).up_to_date
    with store.session() as session:  # a 2 GiB upload: one byte past PostgreSQL's INTEGER (migration 0002)
        session.add(Recording(id="rec_big", owner="a", sha256="0" * 64, size_bytes=2**31, duration_s=None))
    with store.session() as session:
        assert session.get(Recording, "rec_big").size_bytes == 2**31  # type: ignore[union-attr]


def _release_database(path: Path) -> list[tuple[str, ...]]:
    """A database as the previous release wrote it: its DDL, and rows of every kind in every state."""
    db = sqlite3.connect(path)
    db.executescript(RELEASE_SCHEMA.read_text())
    key_hash = hashlib.sha256(RELEASE_KEY.encode()).hexdigest()  # that release stored keys as today's code does
    db.execute("INSERT INTO api_keys VALUES ('key_1', 'site-a', ?, ?, NULL)", (key_hash, T0))
    db.execute("INSERT INTO api_keys VALUES ('key_2', 'site-b', ?, ?, ?)", ("f" * 64, T0, T0))
    db.execute("INSERT INTO recordings VALUES ('rec_1', 'site-a', ?, 2147483647, 12.5, 'idem-1', ?, NULL)", ("a" * 64, T0))
    db.execute("INSERT INTO recordings VALUES ('rec_2', 'site-b', ?, 10, NULL, NULL, ?, ?)", ("b" * 64, T0, T0))
    for n, state in enumerate(("queued", "running", "succeeded", "failed", "cancelled")):
        db.execute(
            "INSERT INTO jobs VALUES (?, 'site-a', 'rec_1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (f"job_{n}", state, "transcribe" if state == "running" else None, 40 if state == "running" else 0,
             '{"language": "en"}', 1 if state != "queued" else 0, "worker_crashed" if state == "failed" else None,
             "interrupted" if state == "failed" else None, state == "cancelled", "w1" if state == "running" else None,
             T0, T0 if state != "queued" else None, None, None),
        )  # fmt: skip
    for n in range(3):
        db.execute(
            "INSERT INTO audit_events (at, owner, action, resource_type, resource_id, client, outcome) "
            "VALUES (?, 'site-a', 'job_submitted', 'job', ?, 'c0ffee', 202)",
            (T0, f"job_{n}"),
        )
    db.commit()
    rows = _all_rows(db)
    db.close()
    return rows


def _all_rows(db: sqlite3.Connection) -> list[tuple[str, ...]]:
    rows = []
    for table in ("api_keys", "recordings", "jobs", "audit_events"):
        rows += [(table, *map(str, row)) for row in db.execute(f"SELECT * FROM {table} ORDER BY 1")]
    return rows


def test_a_database_from_the_previous_release_upgrades_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "alliance.db"
    before = _release_database(path)
    assert len(before) == 2 + 2 + 5 + 3
    settings = ServiceSettings(database_url=f"sqlite:///{path}")
    with pytest.raises(DatabaseNotMigratedError, match="alliance db upgrade"):
        migrate.ensure_migrated(settings)

    store = Store(settings.database())
    assert migrate.upgrade(store) == (None, migrate.head_revision())
    assert migrate.ensure_migrated(settings, store) is store
    with sqlite3.connect(path) as db:
        assert _all_rows(db) == before, "every key, recording, job and audit row is kept as it was"
    # ...and still means what it meant: the rows read back through today's models and queue.
    with store.session() as session:
        jobs = {job.id: job for job in session.scalars(select(Job))}
        assert jobs["job_4"].cancel_requested is True and jobs["job_0"].options == {"language": "en"}
        assert jobs["job_1"].started_at == datetime(2026, 10, 1, 9, tzinfo=UTC)
        assert session.get(Recording, "rec_1").size_bytes == 2**31 - 1  # type: ignore[union-attr]
        assert len(list(session.scalars(select(AuditEvent)))) == 3
        assert session.get(ApiKey, "key_2").revoked_at is not None  # type: ignore[union-attr]
    assert owner_of(store, RELEASE_KEY) == "site-a", "keys issued before the upgrade still work"
    queue = SqlJobQueue(store)
    assert queue.recover(None, max_attempts=3) == ["job_1"], "the job the old release was running goes back to the queue"
    claimed = queue.claim("w2")
    assert claimed is not None and claimed.id == "job_0", "the oldest queued job comes first"
    store.audit("after_upgrade")  # the autoincrement id carries on after the old rows
    assert migrate.upgrade(store) == (migrate.head_revision(), migrate.head_revision()), "a second upgrade is a no-op"


def test_the_cli_upgrades_the_previous_release_and_serve_refuses_until_then(tmp_path: Path) -> None:
    path = tmp_path / "alliance.db"
    _release_database(path)
    env = {"ALLIANCE_DATABASE_URL": f"sqlite:///{path}", "ALLIANCE_SERVICE_PORT": "9"}
    refused = alliance("serve", extra_env=env)
    assert refused.returncode == 5 and error_lines(refused.stderr) == [
        "error: the database was written by the release before migrations; run 'alliance db upgrade' (back up the database first)"
    ]
    assert alliance("keys", "list", extra_env=env).returncode == 5, "no command writes to an unknown schema"
    upgraded = alliance("db", "upgrade", extra_env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded from none to revision" in upgraded.stderr
    current = alliance("db", "current", extra_env=env)
    assert current.stdout.splitlines() == [f"current: {migrate.head_revision()}", f"required: {migrate.head_revision()}"]
    listed = alliance("keys", "list", extra_env=env)
    assert [line.split("\t")[:2] for line in listed.stdout.splitlines()] == [["key_1", "site-a"], ["key_2", "site-b"]]


def test_a_first_start_creates_the_embedded_database_but_nothing_else(database_url: str, tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path, database_url=database_url)
    store = Store(database_url)
    if store.engine.dialect.name == "sqlite":
        assert migrate.ensure_migrated(settings, store) is store, "one machine, nothing to install: it just starts"
        assert migrate.schema_state(store).up_to_date
        return
    with pytest.raises(DatabaseNotMigratedError, match="no tables yet; run 'alliance db upgrade'"):
        migrate.ensure_migrated(settings, store)
    # As an operator meets it: serve refuses with one line, db upgrade fixes it.
    env = {"ALLIANCE_DATABASE_URL": database_url, "ALLIANCE_SERVICE_PORT": "9"}
    refused = alliance("serve", extra_env=env)
    assert refused.returncode == 5 and error_lines(refused.stderr) == [
        "error: the database has no tables yet; run 'alliance db upgrade' (back up the database first)"
    ]
    assert alliance("db", "upgrade", extra_env=env).returncode == 0
    assert alliance("db", "current", extra_env=env).stdout.splitlines()[0] == f"current: {migrate.head_revision()}"
    assert migrate.ensure_migrated(settings, store) is store


def test_an_older_or_newer_schema_is_refused(store: Store, tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path)
    with store.engine.begin() as connection:
        config = migrate._config(connection)
        command.downgrade(config, "0001")
    with pytest.raises(DatabaseNotMigratedError, match="at schema revision 0001, this release needs 0002"):
        migrate.ensure_migrated(settings, store)
    migrate.upgrade(store)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseNotMigratedError, match="revision 9999, which this release does not know"):
        migrate.ensure_migrated(settings, store)
