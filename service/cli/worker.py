"""``alliance worker``: a Celery worker for ALLIANCE_QUEUE=celery deployments (service/jobs/celery_worker.py)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from audio_pipeline.errors import InvalidOptionError

from .app import app, user_errors


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=64, help="Jobs at once (default one per GPU, or per two CPU cores).")
    ] = None,
) -> None:
    """Run jobs from the Celery queue (ALLIANCE_QUEUE=celery): models load once; SIGTERM hands the job back."""
    from ..jobs.celery_worker import default_concurrency, run_worker
    from ..settings import ServiceSettings

    with user_errors():
        settings = ServiceSettings()
        if settings.queue != "celery":
            raise InvalidOptionError("alliance worker needs ALLIANCE_QUEUE=celery (the embedded queue runs in alliance serve)")
        run_worker(settings, concurrency or default_concurrency(), logging.getLogger().getEffectiveLevel())
