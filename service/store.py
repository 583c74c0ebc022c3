"""The service's durable state: API keys, recordings, jobs and the audit trail, through SQLAlchemy.

SQLite by default (one file under the service data folder); PostgreSQL 15+ through psycopg 3
(``postgresql+psycopg://``). Alembic migrations (service/migrations) own the schema: this module
describes the tables, ``service.migrate`` creates and upgrades them.
Rows hold ids, hashes, sizes, states and stable error codes: never file names or transcript text.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
CLOSED_STATES = ("succeeded", "failed", "cancelled")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


class UtcDateTime(TypeDecorator[datetime]):
    """SQLite forgets time zones; every stored time is UTC, so give it back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None and value.tzinfo is not None else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        # PostgreSQL answers in the session's zone; the service's connections ask for UTC, and this holds either way.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Recording(Base):
    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("owner", "idempotency_key"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    # 64-bit: uploads reach 2 GiB, one past PostgreSQL's INTEGER (SQLite's INTEGER is 64-bit already; migration 0002).
    size_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    duration_s: Mapped[float | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    audio_deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100), index=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True, default="queued")
    stage: Mapped[str | None] = mapped_column(String(40), nullable=True)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    worker: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class AuditEvent(Base):
    """Append-only: who did what to which resource, when, from where. Never content."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    action: Mapped[str] = mapped_column(String(60))
    resource_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    resource_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    client: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[int | None] = mapped_column(Integer, nullable=True)


def database_url(url: str) -> str:
    """``postgresql://`` (and Heroku-style ``postgres://``) mean psycopg 3 here, the one PostgreSQL driver installed."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


class Store:
    """The engine and sessions for one database. It does not create tables: ``service.migrate`` does."""

    def __init__(self, url: str) -> None:
        url = database_url(url)
        sqlite = url.startswith("sqlite")
        # Routes run in a pool of up to 40 threads; a smaller connection pool would open and close a connection
        # (with its pragmas) for every request past the fifth.
        if sqlite:
            pool: dict[str, Any] = {"pool_size": 40, "max_overflow": 10} if ":memory:" not in url else {}
            connect_args: dict[str, Any] = {"timeout": 30}
        else:
            # PostgreSQL counts connections across every API and worker process (100 by default): keep few open,
            # allow bursts, and drop connections the server closed (a restart) instead of failing a request.
            pool = {"pool_size": 5, "max_overflow": 35, "pool_pre_ping": True}
            connect_args = {"options": "-c timezone=UTC", "connect_timeout": 10}
        self.engine: Engine = create_engine(url, connect_args=connect_args, **pool)
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            database = self.engine.url.database
            if database and database != ":memory:":
                with self.engine.connect():
                    pass  # creates the file now, so it is owner-only before any row is written
                os.chmod(database, 0o600)  # SQLite gives its -wal and -shm files the same mode
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def audit(
        self,
        action: str,
        owner: str | None = None,
        resource: tuple[str, str] | None = None,
        client: str | None = None,
        outcome: int | None = None,
    ) -> None:
        with self.session() as session:
            session.add(
                AuditEvent(
                    owner=owner,
                    action=action,
                    resource_type=resource[0] if resource else None,
                    resource_id=resource[1] if resource else None,
                    client=client,
                    outcome=outcome,
                )
            )


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets the API read job status while a worker writes progress.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
