"""One run request: what a caller may ask of a run, validated once, in one model.

The CLI, a batch manifest row and an HTTP job all build a ``RunRequest``. Its errors carry the
field they are about, never the words of one caller: each caller names the field its own way
(the CLI as ``--max-speakers``, a manifest as ``row 4, column max_speakers``, HTTP as ``/max_speakers``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .analysis.roles import SETTINGS, SessionHints
from .deid import parse_names
from .diarize import SpeakerCountHint
from .errors import InputError, InvalidOptionError
from .schema import ROLES

Setting = Literal["clinic", "inpatient", "telephone"]
Device = Literal["auto", "cpu", "cuda"]
SpeakersFrom = Literal["auto", "model", "channels"]
LANGUAGE_PATTERN = r"^(auto|[a-z]{2,3})$"
MAX_SPEAKERS = 20

assert set(SETTINGS) == {"clinic", "inpatient", "telephone"}  # one list of settings, two spellings of it


class RunHints(BaseModel):
    """What any caller, remote ones included, may say about a recording: speaker counts, who attended, language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    num_speakers: int | None = Field(None, ge=1, le=MAX_SPEAKERS, description="Exact number of speakers, if known.")
    min_speakers: int | None = Field(None, ge=1, le=MAX_SPEAKERS, description="At least this many speakers.")
    max_speakers: int | None = Field(None, ge=1, le=MAX_SPEAKERS, description="At most this many speakers.")
    attendees: dict[str, int] = Field(
        default_factory=dict,
        description="Who attended, as counts per role (roles are then exact).",
        examples=[{"oncologist": 1, "parent": 2, "patient": 1}],
    )
    patient_age: int | None = Field(None, ge=0, le=40, description="The patient's age in years.")
    setting: Setting | None = None
    language: str | None = Field(None, pattern=LANGUAGE_PATTERN, description="Language code, or 'auto' to detect.")
    speakers_from: SpeakersFrom = Field(
        "auto",
        description="Where speakers come from: 'model' (diarization), 'channels' (a two-party call with one party "
        "per channel), or 'auto' (channels when the recording is laid out that way, else the model).",
    )
    names: str | None = Field(
        None,
        max_length=1000,
        repr=False,  # participants' names: never in a repr, a log or an error
        description="Participants' names: for de-identified copies, and as role evidence (who is addressed by a name).",
        examples=["patient=Emma Smith/Em,parent=Sarah,oncologist=Patel"],
    )

    @field_validator("attendees", mode="before")
    @classmethod
    def _counts(cls, value: Any) -> Any:
        """Accept 'oncologist=1,parent=2' (or ';' between pairs, as in a CSV cell) as well as a mapping."""
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            counts: dict[str, Any] = {}
            for part in value.replace(";", ",").split(","):
                if not part.strip():
                    continue
                role, _, number = part.partition("=")
                counts[role] = number.strip()
            value = counts
        if not isinstance(value, Mapping):
            raise ValueError("must be ROLE=COUNT pairs")
        counts = {}
        for role, number in value.items():
            key = str(role).strip().lower().replace("-", "_").replace(" ", "_")
            if key not in ROLES or not str(number).strip().isdigit():
                raise ValueError(f"takes ROLE=COUNT pairs separated by commas, with roles {', '.join(ROLES)}")
            counts[key] = int(number)
        return counts

    @field_validator("max_speakers")
    @classmethod
    def _min_not_above_max(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("min_speakers")
        if value is not None and low is not None and low > value:
            raise ValueError("is smaller than {min_speakers}")
        return value

    @field_validator("names")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        try:
            parse_names(value)
        except InputError:
            raise ValueError("takes ROLE=NAME entries separated by commas, e.g. patient=Emma/Em,parent=Sarah") from None
        return value

    def speaker_hint(self) -> SpeakerCountHint:
        return SpeakerCountHint(self.num_speakers, self.min_speakers, self.max_speakers)

    def session_hints(self) -> SessionHints | None:
        """What the roles stage is told; names included (never written to provenance, see pipeline.py)."""
        if not self.attendees and self.patient_age is None and self.setting is None and not self.names:
            return None
        return SessionHints(dict(self.attendees), self.patient_age, self.setting, parse_names(self.names))


class RunRequest(RunHints):
    """A run on this machine: the hints plus the device and model (which only a local caller chooses)."""

    device: Device | None = None
    asr_model: str | None = Field(None, max_length=200, description="ASR model name or folder.")


R = TypeVar("R", bound=RunHints)


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: ``message`` may name other fields as ``{field}``, for the caller to spell."""

    field: str
    message: str

    def describe(self, name: Callable[[str], str], other: Callable[[str], str] | None = None) -> str:
        """``name`` spells the field itself, ``other`` (default: the same) the fields its message refers to."""
        spell = other or name
        return f"{name(self.field)} {self.message.format(**{f: spell(f) for f in RunRequest.model_fields})}"


class RunRequestError(InvalidOptionError):
    """A run request with invalid fields; ``problems`` says which, for each caller to word."""

    def __init__(self, problems: tuple[FieldProblem, ...]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.describe(cli_flag) for p in problems))

    def describe(self, name: Callable[[str], str], other: Callable[[str], str] | None = None) -> list[str]:
        return [p.describe(name, other) for p in self.problems]


def cli_flag(field: str) -> str:
    return f"--{field.replace('_', '-')}"


def json_pointer(field: str) -> str:
    return f"/{field}"


def field_message(error: Mapping[str, Any]) -> str:
    """Pydantic's error in our words; never the input value (it could be a name)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind == "literal_error":
        return f"must be one of {ctx['expected'].replace(chr(39), '')}"
    if kind == "string_pattern_mismatch":
        return "must be a language code such as en, or auto"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind == "extra_forbidden":
        return "is not an option"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return "is not valid"


def problems_of(exc: ValidationError) -> tuple[FieldProblem, ...]:
    found = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        found.append(FieldProblem(loc[0] if loc else "request", field_message(error)))
    return tuple(found)


def run_request(data: Mapping[str, Any], model: type[R]) -> R:
    """Validate a request (``RunRequest``, ``RunHints`` or a caller's extension); None values mean "not given"."""
    try:
        return model.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        raise RunRequestError(problems_of(exc)) from None
