"""``alliance transcribe`` and ``alliance analyze``: one recording in, one transcript out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audio_pipeline.errors import InputError
from audio_pipeline.export.plural import counted
from audio_pipeline.files import atomic_write_text, check_not_inputs, check_output_path
from audio_pipeline.schema import Transcript

from ..progress import progress_reporter
from .app import app, user_errors
from .files import read_transcript
from .options import (
    AttendeesOption,
    DeidentifyAudioOption,
    DeidentifyOption,
    NamesOption,
    PatientAgeOption,
    SettingOption,
    check_deid_options,
    cli_request,
)


@app.command()
def transcribe(
    recording: Annotated[Path, typer.Argument(help="Audio or video file (WAV, FLAC, MP3, M4A, OGG, WMA, AMR, MP4, MOV).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write the JSON (default: RECORDING.transcript.json)."),
    ] = None,
    num_speakers: Annotated[int | None, typer.Option(help="Exact number of speakers, if known.")] = None,
    min_speakers: Annotated[int | None, typer.Option(help="At least this many speakers.")] = None,
    max_speakers: Annotated[int | None, typer.Option(help="At most this many speakers.")] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda or auto (default: ALLIANCE_DEVICE, else auto).")] = None,
    asr_model: Annotated[
        str | None, typer.Option(help="ASR model name (small.en, large-v3-turbo, tiny.en for a quick preview) or folder.")
    ] = None,
    language: Annotated[str | None, typer.Option(help="Language code, or 'auto' to detect (default en).")] = None,
    speakers_from: Annotated[
        str | None,
        typer.Option(help="Speakers from the diarization 'model', the 'channels' of a two-party call, or 'auto' (default)."),
    ] = None,
    attendees: AttendeesOption = None,
    patient_age: PatientAgeOption = None,
    setting: SettingOption = None,
    deidentify: DeidentifyOption = False,
    names: NamesOption = None,
    deidentify_audio: DeidentifyAudioOption = False,
) -> None:
    """Transcribe and diarize one recording into a JSON transcript."""
    from audio_pipeline.pipeline import TranscriptionPipeline

    target = output or recording.with_name(recording.name + ".transcript.json")
    with user_errors():
        check_output_path(target)
        check_not_inputs(_written(target, recording, deidentify, deidentify_audio), [recording])
        request = cli_request(
            num_speakers=num_speakers,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            device=device,
            asr_model=asr_model,
            language=language,
            speakers_from=speakers_from,
            attendees=attendees,
            patient_age=patient_age,
            setting=setting,
            names=names,
        )
        check_deid_options(deidentify, names, deidentify_audio, names_alone=True)
        _probe(recording)
        with progress_reporter() as report:
            transcript = TranscriptionPipeline().run(recording, request, report)
        atomic_write_text(target, transcript.to_json())
        copies = _deidentified_copies(deidentify, target, transcript, names, recording if deidentify_audio else None)
    _summary(target, transcript, copies)


@app.command()
def analyze(
    recording: Annotated[Path, typer.Argument(help="The recording the transcript was made from.")],
    transcript_path: Annotated[Path, typer.Option("--transcript", "-t", help="Transcript JSON (ours; may be hand-corrected).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write (default: replace the transcript file).")
    ] = None,
    attendees: AttendeesOption = None,
    patient_age: PatientAgeOption = None,
    setting: SettingOption = None,
    deidentify: DeidentifyOption = False,
    names: NamesOption = None,
    deidentify_audio: DeidentifyAudioOption = False,
) -> None:
    """Recompute pauses, emotional content and Silence candidates from a corrected transcript."""
    from audio_pipeline.pipeline import TranscriptionPipeline

    target = output or transcript_path
    with user_errors():
        check_output_path(target)
        # Replacing the transcript itself is the default and intended; the recording and the copies' sources are not.
        written = _written(target, recording, deidentify, deidentify_audio)
        check_not_inputs(written, [recording])
        check_not_inputs(written[1:], [transcript_path])
        request = cli_request(attendees=attendees, patient_age=patient_age, setting=setting, names=names)
        check_deid_options(deidentify, names, deidentify_audio, names_alone=True)
        transcript = read_transcript(transcript_path)
        _probe(recording)
        if transcript.deidentification is not None:
            raise InputError("this is a de-identified copy; analyze the canonical transcript it was made from")
        with progress_reporter() as report:
            result = TranscriptionPipeline().reanalyze(recording, transcript, report, request.session_hints())
        atomic_write_text(target, result.to_json())
        copies = _deidentified_copies(deidentify, target, result, names, recording if deidentify_audio else None)
    _summary(target, result, copies)


def _probe(recording: Path) -> None:
    """A recording that is missing, unreadable or not audio fails here, in one line, before any model loads."""
    from audio_pipeline.audio import probe
    from audio_pipeline.settings import Settings

    probe(recording, Settings().audio_limits())


def _written(target: Path, recording: Path, deidentify: bool, deidentify_audio: bool) -> list[Path]:
    """Every file the command will write: the transcript first, then any de-identified copies."""
    from audio_pipeline.deid.copies import deid_path, redacted_audio_path

    written = [target]
    if deidentify:
        written.append(deid_path(target))
        if deidentify_audio:
            written.append(redacted_audio_path(target.parent, recording))
    return written


def _deidentified_copies(
    deidentify: bool, target: Path, transcript: Transcript, names: str | None, recording: Path | None
) -> list[Path]:
    from audio_pipeline.deid import write_deidentified
    from audio_pipeline.settings import Settings

    return write_deidentified(target, transcript, names, recording, Settings()) if deidentify else []


def _summary(target: Path, transcript: Transcript, copies: list[Path]) -> None:
    for copy in copies:
        typer.echo(f"wrote {copy} (de-identified)", err=True)
    counts = ", ".join(
        (
            counted(len(transcript.segments), "segment"),
            counted(len(transcript.speakers), "speaker"),
            counted(len(transcript.pauses), "pause"),
            counted(len(transcript.silence_candidates), "silence candidate"),
            counted(len(transcript.long_pauses), "other long pause"),
        )
    )
    typer.echo(f"wrote {target} ({counts})", err=True)
    for speaker in transcript.speakers:
        flag = " (please review)" if speaker.needs_review else ""
        typer.echo(f"  {speaker.id}: {speaker.label or speaker.role} {speaker.role_confidence:.2f}{flag}", err=True)
    for warning in transcript.warnings:
        typer.echo(f"warning: {warning.message}", err=True)
