"""``alliance review``: the review workspace for one transcript, on 127.0.0.1, in the browser."""

from __future__ import annotations

import getpass
import socket
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..cli.app import app, user_errors

if TYPE_CHECKING:
    from fastapi import FastAPI


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _default_coder() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "coder"


@app.command()
def review(
    transcript: Annotated[Path, typer.Argument(help="A transcript JSON written by alliance (or its .deid.json copy).")],
    audio: Annotated[
        Path | None,
        typer.Option(help="The recording it came from (for a de-identified copy: only the redacted .deid.wav)."),
    ] = None,
    coder: Annotated[str | None, typer.Option(help="Your name or initials, saved with each decision.")] = None,
    port: Annotated[int | None, typer.Option(help="Port on 127.0.0.1 (default: a free one).")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the URL only; do not open a browser.")] = False,
) -> None:
    """Review a transcript in the browser: listen, correct, and decide Silence candidates. Every change is saved as it is made."""
    import uvicorn

    with user_errors():
        port = port or _free_port()
        server, url = _prepare(transcript, audio, (coder or _default_coder()).strip()[:60] or "coder", port)
    typer.echo(f"Review workspace: {url}")
    typer.echo("Every change is saved as it is made. Press Ctrl-C to stop.", err=True)
    if not no_browser:
        webbrowser.open(url)
    # No access log: URLs carry the token, and request lines are nobody's business.
    uvicorn.run(server, host="127.0.0.1", port=port, access_log=False, log_level="warning")
    typer.echo("stopped; every change was already saved", err=True)


def _prepare(transcript: Path, audio: Path | None, coder: str, port: int) -> tuple[FastAPI, str]:
    from audio_pipeline.errors import InputError
    from audio_pipeline.schema import load_transcript
    from audio_pipeline.settings import Settings

    from .backend import open_session
    from .local import create_local_app
    from .security import LocalGate
    from .workspace import Workspace, check_audio

    try:
        loaded = load_transcript(transcript.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("the transcript file does not exist; check its path") from None
    except (OSError, UnicodeDecodeError):
        raise InputError("the transcript file cannot be read as UTF-8 text") from None
    if audio is not None:
        if not audio.is_file():
            raise InputError("the --audio file does not exist; check its path")
        check_audio(loaded, audio)
    deidentified = loaded.deidentification is not None
    # A de-identified copy is reviewed without re-analysis: that would need the original voices.
    session = open_session(transcript, None if deidentified else audio, coder, Settings())
    if deidentified:
        note = "Corrections need the canonical transcript and its recording; this de-identified copy takes decisions only."
    else:
        note = "" if audio is not None else "Corrections re-run the analysis, which needs the recording: start with --audio."
    workspace = Workspace(
        session=session,
        audio=audio,
        coder=coder,
        deidentified=deidentified,
        audio_note="" if audio else "No recording was given (--audio): playback and re-analysis need it.",
        can_correct=not note,
        correct_note=note,
    )
    gate = LocalGate(port)
    return create_local_app(workspace, gate), f"http://127.0.0.1:{port}/?token={gate.token}"
