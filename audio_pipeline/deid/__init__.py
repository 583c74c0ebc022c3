"""De-identified copies of transcripts (names and identifiers replaced by role tags) and of recordings."""

from .copies import deid_path, deidentified, redacted_audio_path, write_deidentified
from .identifiers import DATE_POLICIES, DatePolicy
from .participants import Participant, parse_names
from .transcript import Deidentified, Deidentifier, deidentify

__all__ = [
    "DATE_POLICIES",
    "DatePolicy",
    "Deidentified",
    "Deidentifier",
    "Participant",
    "deid_path",
    "deidentified",
    "deidentify",
    "parse_names",
    "redacted_audio_path",
    "write_deidentified",
]
