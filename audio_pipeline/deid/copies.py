"""De-identified copies beside the canonical files: their names, and writing them (CLI, batch and the service)."""

from __future__ import annotations

from pathlib import Path

from ..files import atomic_write_text
from ..schema import Transcript
from ..settings import Settings
from .audio import redact_audio
from .participants import parse_names
from .transcript import deidentify


def deid_path(path: Path) -> Path:
    """consult.transcript.json -> consult.transcript.deid.json; never the canonical file's own name."""
    name = path.name.removesuffix(".json")
    return path.with_name(f"{name}.deid.json")


def redacted_audio_path(folder: Path, recording: Path) -> Path:
    return folder / f"{recording.name}.deid.wav"


def deidentified(transcript: Transcript, names: str | None, settings: Settings) -> Transcript:
    """The de-identified copy of a transcript (itself when it already is one)."""
    if transcript.deidentification is not None:
        return transcript
    return deidentify(transcript, parse_names(names), settings.deid_date_policy).transcript


def write_deidentified(
    target: Path, transcript: Transcript, names: str | None, recording: Path | None, settings: Settings
) -> list[Path]:
    """The de-identified copy of TARGET's transcript beside it, and with RECORDING a redacted copy of the audio."""
    result = deidentify(transcript, parse_names(names), settings.deid_date_policy)
    copy = result.transcript
    written: list[Path] = []
    if recording is not None:
        wav = redacted_audio_path(target.parent, recording)
        redact_audio(recording, result.spans_s, wav, settings.audio_limits(), settings.deid_audio_mode)
        assert copy.deidentification is not None
        copy = copy.model_copy(update={"deidentification": copy.deidentification.model_copy(update={"audio_redacted": True})})
        written.append(wav)
    atomic_write_text(deid_path(target), copy.to_json())
    return [deid_path(target), *written]
