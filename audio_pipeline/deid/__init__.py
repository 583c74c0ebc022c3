"""De-identified copies of transcripts (names and identifiers replaced by role tags) and of recordings."""

from .identifiers import DATE_POLICIES, DatePolicy
from .participants import Participant, parse_names
from .transcript import Deidentified, Deidentifier, deidentify

__all__ = ["DATE_POLICIES", "DatePolicy", "Deidentified", "Deidentifier", "Participant", "deidentify", "parse_names"]
