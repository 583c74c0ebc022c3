"""The typer app, logging, and how errors reach the person at the terminal.

User errors print one line and exit non-zero (2 bad input, 3 models, 4 engine failure);
tracebacks appear only with --debug. Nothing is written unless the whole run succeeds.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Annotated

import typer

from audio_pipeline.errors import AllianceError

from ..logs import FORMAT, configure
from ..processes import quiet_engines

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn recorded clinical conversations into diarized, word-timestamped transcripts.",
    pretty_exceptions_enable=False,
)
logger = logging.getLogger("alliance")

EXIT_INTERRUPTED = 130
_EXIT_INTERNAL = 70
_STATE: dict[str, bool] = {"debug": False}


def _setup_logging(verbose: bool, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    if debug:
        # Asked for at the terminal: full tracebacks, which may quote content. The service ignores this (serve.py).
        logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr)
        return
    configure(level)
    quiet_engines(level)


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Our errors and Ctrl-C become one line and an exit code; nothing was written before this point."""
    try:
        yield
    except AllianceError as exc:
        if _STATE["debug"]:
            logger.exception("failed")
        raise fail(exc.message, exc.exit_code) from None
    except KeyboardInterrupt:
        raise fail("interrupted; nothing was written", EXIT_INTERRUPTED) from None


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks and engine logs.")] = False,
) -> None:
    _setup_logging(verbose, debug)
    _STATE["debug"] = debug


def run() -> None:
    """Console entry point: turn unexpected crashes into one line too."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        if _STATE["debug"]:
            raise
        typer.echo(f"error: internal error ({type(exc).__name__}); rerun with --debug and report it", err=True)
        raise SystemExit(_EXIT_INTERNAL) from None
