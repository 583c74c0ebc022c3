"""The service database's schema, owned by Alembic: upgrade it, read its revision, refuse to run on the wrong one.

Decided for the embedded default ("nothing to install, one machine"): a SQLite database with no tables at all
(a first start) is created and migrated by whoever opens it first (``serve``, ``keys create``). Anything else
is only changed by ``alliance db upgrade``: a PostgreSQL database, an older schema, and the tables of the release
before migrations (no alembic_version table; stamped at revision 0001, which reproduces them, then upgraded).
Every process that uses the database (API, workers) calls ``ensure_migrated`` first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.exc import OperationalError

from audio_pipeline.errors import DatabaseError, DatabaseNotMigratedError

from .settings import ServiceSettings
from .store import Base, Store

logger = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).parent / "migrations"
_RELEASE_BEFORE_MIGRATIONS = "0001"  # the revision whose tables equal what create_all made before Alembic
_FIX = "run 'alliance db upgrade' (back up the database first)"


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # the stored revision; None when there is no alembic_version table
    head: str  # the revision this code expects
    tables: frozenset[str]  # the service's tables that exist

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def empty(self) -> bool:
        return self.current is None and not self.tables

    @property
    def release_before_migrations(self) -> bool:
        return self.current is None and bool(self.tables)


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _where(store: Store) -> str:
    """The database's kind and host, never its password or a file name (which could say whose data it holds)."""
    url = store.engine.url
    return url.get_backend_name() if url.host is None else f"{url.get_backend_name()} at {url.host}:{url.port or ''}"


def schema_state(store: Store) -> SchemaState:
    try:
        with store.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            tables = frozenset(inspect(connection).get_table_names()) & frozenset(Base.metadata.tables)
    except OperationalError as exc:
        raise DatabaseError(f"cannot reach the database ({_where(store)}): {type(exc.orig).__name__}") from None
    return SchemaState(current, head_revision(), tables)


def upgrade(store: Store) -> tuple[str | None, str]:
    """Bring the database to this code's schema; (revision before, revision after). Keeps every row."""
    state = schema_state(store)
    if state.release_before_migrations:
        _check_release_tables(state)
    with store.engine.begin() as connection:
        config = _config(connection)
        if state.release_before_migrations:
            command.stamp(config, _RELEASE_BEFORE_MIGRATIONS)
            logger.warning("database from the release before migrations: stamped at %s", _RELEASE_BEFORE_MIGRATIONS)
        command.upgrade(config, "head")
    return state.current, head_revision()


def _check_release_tables(state: SchemaState) -> None:
    missing = sorted(frozenset(Base.metadata.tables) - state.tables)
    if missing:
        raise DatabaseNotMigratedError(
            f"the database has some of the service's tables but not {', '.join(missing)}, and no migration "
            "history; it was not written by alliance, so 'alliance db upgrade' will not touch it"
        )


def ensure_migrated(settings: ServiceSettings, store: Store | None = None) -> Store:
    """The store, if its schema is this code's; a brand-new embedded SQLite database is created on the spot.

    Otherwise one line that says what to run: the API and the workers must never write to a schema they
    do not know (an older one loses columns' meaning, a newer one was written by a later release).
    """
    store = store or Store(settings.database())
    state = schema_state(store)
    if state.up_to_date:
        return store
    if state.empty and store.engine.dialect.name == "sqlite":
        upgrade(store)
        return store
    raise DatabaseNotMigratedError(_why(state))


def _why(state: SchemaState) -> str:
    if state.empty:
        return f"the database has no tables yet; {_FIX}"
    if state.release_before_migrations:
        return f"the database was written by the release before migrations; {_FIX}"
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if state.current not in known:
        return (
            f"the database is at schema revision {state.current}, which this release does not know "
            "(a newer release wrote it); run that release, or restore a backup made before its upgrade"
        )
    return f"the database is at schema revision {state.current}, this release needs {state.head}; {_FIX}"
