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
