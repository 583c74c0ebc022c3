"""The committed JSON Schema is what the pydantic models generate."""

from __future__ import annotations

import json
from pathlib import Path

from audio_pipeline.schema import SCHEMA_VERSION, Transcript, json_schema, json_schema_text

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "transcript.schema.json"


def test_committed_schema_is_in_sync() -> None:
    assert SCHEMA_FILE.read_text() == json_schema_text(), "run python scripts/generate_schema.py and commit the result"


def test_schema_carries_version_and_contract_fields() -> None:
    schema = json_schema()
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert {"recording", "provenance", "speakers", "segments", "warnings"} <= set(schema["required"])
    assert json.loads(SCHEMA_FILE.read_text())["$id"].endswith(f"transcript-{SCHEMA_VERSION}.json")


def test_transcript_rejects_unknown_fields() -> None:
    schema_fields = set(Transcript.model_fields)
    assert "schema_version" in schema_fields
    assert Transcript.model_config.get("extra") == "forbid"


def test_an_earlier_transcript_still_loads() -> None:
    from audio_pipeline.schema import load_transcript
    from tests.audio_pipeline.export.transcripts import sample_transcript

    data = json.loads(sample_transcript().to_json())
    data["schema_version"] = "1.4.0"
    data.pop("review")
    data["provenance"].pop("options")
    data["provenance"]["parameters"] = {"num_speakers": 2, "silence_min_s": 5.0}
    loaded = load_transcript(json.dumps(data))
    assert loaded.schema_version == "1.5.0" and loaded.provenance.parameters["num_speakers"] == 2
    assert loaded.review is None and loaded.provenance.options is None
