"""``alliance export`` and ``alliance schema``: a transcript in the formats other software reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audio_pipeline.errors import InputError
from audio_pipeline.files import atomic_write_bytes, atomic_write_text, check_not_inputs, check_output_path
from audio_pipeline.schema import json_schema_text

from .app import app, user_errors
from .files import export_targets, read_transcript
from .options import NamesOption, check_deid_options


@app.command("export")
def export_cmd(
    transcript_path: Annotated[Path, typer.Argument(help="A transcript JSON written by alliance (corrected or not).")],
    formats: Annotated[
        str, typer.Option("--format", "-f", help="maxqda, qdpx, vtt, srt, csv, docx or json; several separated by commas.")
    ] = "maxqda",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output file (one format) or folder (several). Default: beside the transcript."),
    ] = None,
    pause_threshold: Annotated[
        float | None, typer.Option("--pause-threshold", help="Show pauses at least this many seconds long inline.")
    ] = None,
    audio: Annotated[
        Path | None,
        typer.Option("--audio", help="Embed this recording in the REFI-QDA project (needs ALLIANCE_EXPORT_ALLOW_AUDIO=true)."),
    ] = None,
    title: Annotated[str, typer.Option(help="Document and project title (do not use names).")] = "Consultation",
    deidentify: Annotated[
        bool, typer.Option("--deidentify", help="Export a de-identified copy: names and identifiers become tags.")
    ] = False,
    names: NamesOption = None,
) -> None:
    """Write a transcript in the formats QDA tools, media players and word processors read."""
    from audio_pipeline.deid import deidentified
    from audio_pipeline.export import ExportOptions, export, exporter
    from audio_pipeline.settings import Settings

    with user_errors():
        chosen = [exporter(name) for name in dict.fromkeys(f.strip() for f in formats.split(",") if f.strip())]
        if not chosen:
            raise InputError("give at least one --format")
        settings = Settings()
        if audio is not None and not settings.export_allow_audio:
            raise InputError("embedding audio in exports is off; set ALLIANCE_EXPORT_ALLOW_AUDIO=true to allow it")
        check_deid_options(deidentify, names, False)
        if deidentify and audio is not None:
            raise InputError("--audio would embed the original voices and names; share a --deidentify-audio copy instead")
        targets = export_targets(transcript_path, [(e.name, e.extension) for e in chosen], output, deidentify)
        for target in targets:
            check_output_path(target)
        check_not_inputs(targets, [transcript_path, audio])
        transcript = read_transcript(transcript_path)
        if deidentify:
            transcript = deidentified(transcript, names, settings)
        options = ExportOptions(
            pause_threshold_s=settings.export_pause_threshold_s if pause_threshold is None else pause_threshold,
            audio_path=audio,
            title=title,
        )
        results = [export(transcript, e.name, options) for e in chosen]
        for target, result in zip(targets, results, strict=True):
            atomic_write_bytes(target, result.content)
    for target in targets:
        typer.echo(f"wrote {target}", err=True)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")] = None,
) -> None:
    """Print the transcript JSON Schema."""
    text = json_schema_text()
    if output is None:
        typer.echo(text, nl=False)
        return
    with user_errors():
        check_output_path(output)
        atomic_write_text(output, text)
