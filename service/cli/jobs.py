"""``alliance jobs list``: the service's queue for an operator, read from the database alone.

Ids, owners (the names keys were created for), states, stages, workers and error codes: never file names,
error messages or options, so the table can be pasted into a ticket.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from ..store import JOB_STATES
from .app import app, user_errors

jobs_app = typer.Typer(help="The HTTP service's jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

_DEFAULT_STATES = ("queued", "running", "failed")


@jobs_app.command("list")
def jobs_list(
    state: Annotated[
        list[str] | None,
        typer.Option(help=f"Only jobs in this state (repeatable): {', '.join(JOB_STATES)}. Default: queued, running, failed."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many jobs, oldest first.")] = 200,
) -> None:
    """Show queued, running (on which worker) and failed (with their codes) jobs."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from audio_pipeline.errors import InputError

    from ..server import open_state
    from ..settings import ServiceSettings
    from ..store import Job, utcnow

    with user_errors():
        states = tuple(state or _DEFAULT_STATES)
        unknown = sorted(set(states) - set(JOB_STATES))
        if unknown:
            raise InputError(f"--state must be one of {', '.join(JOB_STATES)} (got {', '.join(unknown)})")
        store = open_state(ServiceSettings()).store
        with store.session() as session:
            query = select(Job).where(Job.state.in_(states)).order_by(Job.created_at, Job.id).limit(limit)
            jobs = list(session.scalars(query))
    now = utcnow()
    table = Table("job", "owner", "state", "stage", "%", "attempts", "worker", "error", "queued", "running for")
    for job in jobs:
        running = _age(job.started_at, now) if job.state == "running" else ""
        table.add_row(
            job.id, job.owner, job.state, job.stage or "", str(job.percent), str(job.attempts),
            job.worker or "", job.error_code or "", _age(job.created_at, now) + " ago", running,
        )  # fmt: skip
    console = Console(width=200) if not Console().is_terminal else Console()
    console.print(table)
    typer.echo(f"{len(jobs)} job(s) in state {', '.join(states)}", err=True)


def _age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
