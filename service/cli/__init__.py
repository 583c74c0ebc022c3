"""The ``alliance`` command: one module per command group, registered on one typer app."""

from ..review import cli as review  # noqa: F401  (alliance review: service/review/cli.py)
from . import batch, db, enroll, export, jobs, serve, transcribe, worker  # noqa: F401  (each registers its commands)
from .app import app, run

__all__ = ["app", "run"]
