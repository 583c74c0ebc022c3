"""Reading a transcript the user named, and the output names the CLI writes beside it."""

from __future__ import annotations

from pathlib import Path

from audio_pipeline.errors import InputError
from audio_pipeline.files import check_input_file
from audio_pipeline.schema import Transcript, load_transcript

from ..naming import export_file_name


def read_transcript(path: Path) -> Transcript:
    check_input_file(path, "transcript")  # a FIFO would block the read forever
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("the transcript file does not exist; check its path") from None
    except (OSError, UnicodeDecodeError):
        raise InputError("the transcript file cannot be read as UTF-8 text") from None
    return load_transcript(text)


def export_targets(transcript_path: Path, formats: list[tuple[str, str]], output: Path | None, deid: bool = False) -> list[Path]:
    """Where each (format, extension) goes: OUTPUT for one format, else a folder (default: beside the transcript)."""
    if len(formats) == 1 and output is not None and not output.is_dir():
        return [output]
    folder = output if output is not None else transcript_path.parent
    if not folder.is_dir():
        raise InputError("with several formats, --output must be an existing folder")
    stem = transcript_path.name.removesuffix(".json")
    # json is named '.export.json', so exporting it beside the transcript never overwrites the transcript itself.
    return [folder / export_file_name(stem, fmt, ext, deid, beside_transcript=True) for fmt, ext in formats]
