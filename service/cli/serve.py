"""``alliance serve``, ``alliance keys`` and ``alliance audit``: the HTTP service and its operator commands."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from audio_pipeline.errors import InputError
from audio_pipeline.files import atomic_write_text, check_output_path

from .app import app, user_errors

if TYPE_CHECKING:
    from ..store import Store


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default ALLIANCE_SERVICE_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ALLIANCE_SERVICE_PORT, 8000).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Job worker processes (default ALLIANCE_SERVICE_WORKERS).")] = None,
) -> None:
    """Run the HTTP API with its job workers (closed by default: loopback, API keys required)."""
    from ..migrate import ensure_migrated
    from ..server import serve as run_server
    from ..settings import ServiceSettings

    with user_errors():
        overrides = {"service_host": host, "service_port": port, "service_workers": workers}
        settings = ServiceSettings.with_overrides({k: v for k, v in overrides.items() if v is not None})
        settings.service_path().mkdir(parents=True, exist_ok=True, mode=0o700)
        ensure_migrated(settings)  # before anything is printed: an out-of-date database is the one line shown
        typer.echo(f"alliance API on http://{settings.service_host}:{settings.service_port} (docs at /docs)", err=True)
        run_server(settings, logging.getLogger().getEffectiveLevel())


keys_app = typer.Typer(help="API keys for the HTTP service.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(owner: Annotated[str, typer.Option(help="Who the key is for (a team or site, not a patient).")]) -> None:
    """Create a key; it is shown once and stored only as a hash."""
    from ..keys import create_key

    with user_errors():
        if not owner.strip() or len(owner) > 100:
            raise InputError("--owner must be 1 to 100 characters")
        key_id, key = create_key(_service_store(), owner.strip())
    typer.echo(key)
    typer.echo(f"created {key_id} for {owner.strip()}; store the key now, it cannot be shown again", err=True)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (ids and owners; never the keys)."""
    from ..keys import list_keys

    with user_errors():
        keys = list_keys(_service_store())
    for key in keys:
        revoked = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        typer.echo(f"{key.id}\t{key.owner}\t{key.created_at:%Y-%m-%d}\t{revoked}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id, from alliance keys list.")]) -> None:
    """Revoke a key at once."""
    from ..keys import revoke_key

    with user_errors():
        if not revoke_key(_service_store(), key_id):
            raise InputError("no active key has this id; see alliance keys list")
    typer.echo(f"revoked {key_id}", err=True)


@app.command()
def audit(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write CSV here instead of printing.")] = None,
    since: Annotated[str | None, typer.Option(help="Only events on or after this date (YYYY-MM-DD).")] = None,
) -> None:
    """Print or export the service's audit trail (who, what, when, which resource, from where)."""
    from .. import crud

    with user_errors():
        try:
            start = dt.datetime.fromisoformat(since).replace(tzinfo=dt.UTC) if since else None
        except ValueError:
            raise InputError("--since must be a date, YYYY-MM-DD") from None
        if output is not None:
            check_output_path(output)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["at", "owner", "action", "resource_type", "resource_id", "client", "outcome"])
        for e in crud.audit_events(_service_store(), start):
            row = [e.at.isoformat(), e.owner, e.action, e.resource_type, e.resource_id, e.client, e.outcome]
            writer.writerow(["" if value is None else value for value in row])
        if output is None:
            typer.echo(buffer.getvalue(), nl=False)
        else:
            atomic_write_text(output, buffer.getvalue())


def _service_store() -> Store:
    from ..server import open_state
    from ..settings import ServiceSettings

    return open_state(ServiceSettings()).store
