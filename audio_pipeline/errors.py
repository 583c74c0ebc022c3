"""One exception tree for everything alliance reports, and the one place third-party errors map into it.

Messages are written for the person running the tool: what went wrong and what to do.
They never contain file names, transcript text or other content of a recording (PHI).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

logger = logging.getLogger(__name__)


class AllianceError(Exception):
    """Base of every error alliance raises on purpose."""

    code = "alliance_error"
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(AllianceError):
    """The recording, an option or a path given by the user cannot be used."""

    code = "invalid_input"
    exit_code = 2


class RecordingNotFoundError(InputError):
    code = "recording_not_found"


class EmptyRecordingError(InputError):
    code = "empty_recording"


class UnsupportedAudioError(InputError):
    """Not audio, an unsupported format, or damaged beyond decoding."""

    code = "unsupported_audio"


class TruncatedAudioError(InputError):
    code = "truncated_audio"


class AudioLimitError(InputError):
    """Duration, channel count or sample rate outside what we accept."""

    code = "audio_limit"


class InvalidOptionError(InputError):
    code = "invalid_option"


class OutputPathError(InputError):
    code = "output_path"


class TranscriptFormatError(InputError):
    code = "invalid_transcript"


class ReviewInputError(InputError):
    """A review action (a decision or a correction) that cannot be applied; the message names the field."""

    code = "invalid_review_input"


class ReviewConflictError(AllianceError):
    """A save started from a revision that is no longer the stored one (another tab or coder saved first)."""

    code = "review_conflict"
    exit_code = 2

    def __init__(self, current_revision: int, base_revision: int) -> None:
        super().__init__(
            f"the transcript was saved elsewhere since this change began (it is now at revision {current_revision}, "
            f"this change started from revision {base_revision}); reload it and make the change again"
        )
        self.current_revision = current_revision
        self.base_revision = base_revision


class ModelError(AllianceError):
    code = "model_error"
    exit_code = 3


class ModelNotFoundError(ModelError):
    code = "model_not_found"


class ModelLoadError(ModelError):
    code = "model_load_failed"


class EngineError(AllianceError):
    """A speech engine failed while processing a recording that had decoded cleanly."""

    code = "engine_failed"
    exit_code = 4


class DatabaseError(AllianceError):
    """The service's database cannot be used as it is: unreachable, or not at this release's schema."""

    code = "database_error"
    exit_code = 5


class DatabaseNotMigratedError(DatabaseError):
    """The schema is missing, from an older release, or newer than this code; the message names the fix."""

    code = "database_not_migrated"


def decode_error(exc: BaseException) -> AllianceError:
    """Map a decoder's exception (PyAV/FFmpeg, soundfile) to ours."""
    import av

    if isinstance(exc, av.error.FileNotFoundError):
        return RecordingNotFoundError("the recording file does not exist; check the path")
    if isinstance(exc, av.error.PermissionError):
        return InputError("the recording file cannot be read (permission denied)")
    if isinstance(exc, av.error.FFmpegError | ValueError | OSError):
        return UnsupportedAudioError(
            "the file is not a recording we can decode (not audio, an unsupported format, or damaged); "
            "convert it to WAV, FLAC, MP3 or M4A and try again"
        )
    return AllianceError("the recording could not be read")


@contextlib.contextmanager
def data_file_errors(what: str) -> Iterator[None]:
    """Reading an editable data file (lexicon, rules, codebook): any fault becomes one clear InvalidOptionError."""
    import re

    import yaml

    try:
        yield
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, re.error) as exc:
        raise InvalidOptionError(f"{what} could not be read ({type(exc).__name__}: {exc})") from exc


@contextlib.contextmanager
def engine_errors(stage: str) -> Iterator[None]:
    """Turn an unexpected failure inside a speech engine into an EngineError naming the stage."""
    try:
        yield
    except AllianceError:
        raise
    except MemoryError as exc:
        raise EngineError(
            f"{stage} ran out of memory; try a smaller model (--asr-model small.en) or a shorter recording"
        ) from exc
    except (RuntimeError, ValueError, OSError, IndexError, KeyError, TypeError) as exc:
        # The engine's own message may quote audio-derived values but never file names or text;
        # it goes to the debug log, the user gets the stage and a stable code.
        logger.debug("%s failed: %s: %s", stage, type(exc).__name__, exc)
        raise EngineError(f"{stage} failed ({type(exc).__name__}); run with --debug for details") from exc
