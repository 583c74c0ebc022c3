"""``alliance enroll``: voiceprints of recurring clinicians."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audio_pipeline.errors import InputError

from .app import app, user_errors


@app.command()
def enroll(
    samples: Annotated[list[Path] | None, typer.Argument(help="Recordings in which the clinician is the main speaker.")] = None,
    clinician_id: Annotated[str | None, typer.Option("--id", help="Pseudonymous id, e.g. ONC-03 (never a name).")] = None,
    role: Annotated[str, typer.Option(help="oncologist or other_clinician.")] = "oncologist",
    list_all: Annotated[bool, typer.Option("--list", help="List enrolled clinicians.")] = False,
    delete: Annotated[str | None, typer.Option(help="Delete the voiceprint with this id.")] = None,
) -> None:
    """Enroll a recurring clinician's voice, so later recordings name them with their role."""
    from audio_pipeline.pipeline import TranscriptionPipeline
    from audio_pipeline.voiceprints import VoiceprintRegistry

    pipeline = TranscriptionPipeline()
    registry = VoiceprintRegistry(pipeline.settings.data_dir)
    with user_errors():
        if list_all:
            for voiceprint in registry.list():
                typer.echo(f"{voiceprint.id}\t{voiceprint.role}\t{voiceprint.samples} sample(s)\t{voiceprint.created_at[:10]}")
            return
        if delete:
            if not registry.delete(delete):
                raise InputError(f"no voiceprint is enrolled under {delete}; see alliance enroll --list")
            typer.echo(f"deleted {delete}", err=True)
            return
        if not clinician_id or not samples:
            raise InputError("give --id and at least one sample recording (or --list, or --delete ID)")
        voiceprint = pipeline.enroll(clinician_id, role, list(samples))
    typer.echo(f"enrolled {voiceprint.id} as {voiceprint.role} from {voiceprint.samples} sample(s)", err=True)
