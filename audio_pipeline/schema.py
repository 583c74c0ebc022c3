"""The transcript contract: pydantic models every stage after attribution reads and writes.

Change a model here and bump SCHEMA_VERSION, then regenerate the committed JSON Schema with
``python scripts/generate_schema.py`` (a test fails while the two disagree).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0.0"
UNKNOWN_SPEAKER = "unknown"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordingInfo(_Model):
    """What the source file was. No file name: names of recordings often carry PHI."""

    sha256: str = Field(description="SHA-256 of the file's bytes, hex.")
    size_bytes: int = Field(ge=0)
    container: str = Field(description="Container format as the decoder names it, e.g. 'wav', 'mov,mp4,m4a'.")
    codec: str
    sample_rate_hz: int = Field(description="Sample rate of the source audio track.")
    channels: int = Field(description="Channel count of the source audio track.")
    duration_s: float = Field(ge=0, description="Decoded duration.")
    bandwidth: Literal["telephone", "wideband", "unknown"] = Field(
        description="'telephone' for 8 kHz or 300-3400 Hz band-limited audio; 'unknown' when there is no signal."
    )
    channel_layout: Literal["mono", "multichannel", "dual_identical", "dual_mixed", "dual_party"] = Field(
        description="'dual_party': two channels that carry different parties (call recorders); used as a diarization hint."
    )


class ModelInfo(_Model):
    name: str
    repo_id: str | None = None
    revision: str | None = None
    synthetic: bool = Field(False, description="True for random-weight test models: the text is nonsense.")


class Provenance(_Model):
    package: str = "alliance"
    package_version: str
    created_at: datetime
    device: str
    asr_model: ModelInfo
    asr_compute_type: str
    diarization_model: ModelInfo | None
    engine_versions: dict[str, str]
    parameters: dict[str, Any] = Field(description="Every option the run used.")
    timings_s: dict[str, float] = Field(default_factory=dict, description="Wall seconds per stage.")


class Word(_Model):
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    text: str
    probability: float = Field(ge=0, le=1)
    speaker: str


class Segment(_Model):
    id: str
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    speaker: str = Field(description=f"Speaker id (S1, S2...) or '{UNKNOWN_SPEAKER}'.")
    text: str
    words: list[Word]
    overlap: bool = Field(description="Another speaker talks during part of this segment.")
    asr_confidence: float = Field(ge=0, le=1, description="Mean word probability.")
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


class Speaker(_Model):
    id: str
    talk_time_s: float = Field(ge=0, description="Time this speaker holds the floor in the diarization.")
    turn_count: int = Field(ge=0, description="Runs of consecutive segments by this speaker.")
    word_count: int = Field(ge=0)


class TranscriptWarning(_Model):
    code: str
    message: str


class Transcript(_Model):
    schema_version: Literal["1.0.0"] = "1.0.0"
    recording: RecordingInfo
    provenance: Provenance
    language: str
    language_probability: float | None = None
    speakers: list[Speaker]
    segments: list[Segment]
    warnings: list[TranscriptWarning]

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


def json_schema() -> dict[str, Any]:
    schema = Transcript.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://alliance.invalid/schema/transcript-{SCHEMA_VERSION}.json"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
