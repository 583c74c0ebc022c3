"""``alliance db``: the service database's schema, upgraded on purpose by an operator (Alembic underneath)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from .app import app, user_errors

if TYPE_CHECKING:
    from ..store import Store

db_app = typer.Typer(help="The service database (SQLite by default, or ALLIANCE_DATABASE_URL).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to this release's; keeps every row (a database from before migrations too)."""
    from ..migrate import upgrade

    with user_errors():
        before, after = upgrade(_store())
    if before == after:
        typer.echo(f"database schema already at revision {after}", err=True)
    else:
        typer.echo(f"database schema upgraded from {before or 'none'} to revision {after}", err=True)


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision the database is at and the one this release needs."""
    from ..migrate import schema_state

    with user_errors():
        state = schema_state(_store())
    if state.release_before_migrations:
        current = "none (tables from the release before migrations; run 'alliance db upgrade')"
    elif state.empty:
        current = "none (no tables yet)"
    else:
        current = str(state.current)
    typer.echo(f"current: {current}\nrequired: {state.head}{'' if state.up_to_date else ' (out of date)'}")


def _store() -> Store:
    from ..settings import ServiceSettings
    from ..store import Store

    settings = ServiceSettings()
    if settings.database_url is None:  # the embedded default: its folder may not exist before the first start
        settings.service_path().mkdir(parents=True, exist_ok=True, mode=0o700)
    return Store(settings.database())
