"""alliance transcribe carries the analysis; alliance analyze recomputes it from a hand-corrected transcript."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from scripts.eval_silences import reference_transcript
from scripts.make_synthetic_consults import build
from tests.service.cli.test_commands import SCHEMA, alliance, error_lines


@pytest.fixture(scope="module")
def consult(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("consult")
    wav = build(0, out, {}, out)
    return wav, json.loads(wav.with_suffix(".json").read_text())


@pytest.fixture(scope="module")
def transcribed(consult: tuple[Path, dict], tiny_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("t") / "t.json"
    result = alliance("transcribe", str(consult[0]), "-o", str(out), models=tiny_models)
    assert result.returncode == 0, result.stderr
    return out


def test_transcribe_output_carries_pauses_emotion_and_candidates(transcribed: Path, consult: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    data = json.loads(transcribed.read_text())
    jsonschema.validate(data, SCHEMA)
    assert {"pauses", "untranscribed_speech", "silence_candidates", "long_pauses"} <= set(data)
    truth_long = [p for p in consult[1]["pauses"] if p["duration_s"] >= 5.0]
    found_long = [p for p in data["pauses"] if p["duration_s"] >= 5.0]
    # The random model's words land anywhere, so speech it "missed" may split pauses; the speech map still
    # finds each long gap in the audio, as a pause or bounded by untranscribed speech.
    assert found_long or data["untranscribed_speech"]
    assert truth_long
    assert all("emotion" in s for s in data["segments"])
    assert all(s["role"] and s["label"] and isinstance(s["evidence"], list) for s in data["speakers"])
    assert all(s["role"] for s in data["segments"])


def corrected(transcribed: Path, consult: tuple[Path, dict], tmp: Path) -> tuple[Path, dict]:  # type: ignore[type-arg]
    """What a coder does: fix the text, speakers and timings, keeping the recording and provenance."""
    from audio_pipeline import audio
    from audio_pipeline.schema import load_transcript

    machine = load_transcript(transcribed.read_text())
    decoded = audio.load(consult[0], audio.AudioLimits(14400, 32, 4000, 384_000))
    fixed = machine.model_copy(update={"segments": reference_transcript(consult[1], decoded).segments})
    data = json.loads(fixed.to_json())
    path = tmp / "corrected.json"
    path.write_text(json.dumps(data))
    return path, data


def test_analyze_follows_hand_corrections(transcribed: Path, consult: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    path, data = corrected(transcribed, consult, tmp_path)
    out = tmp_path / "analyzed.json"
    result = alliance("analyze", str(consult[0]), "--transcript", str(path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    first = json.loads(out.read_text())
    jsonschema.validate(first, SCHEMA)
    truth_candidates = [p for p in consult[1]["pauses"] if round(p["duration_s"], 1) >= 5.0 and p["follows_emotion"]]
    assert len(first["silence_candidates"]) == len(truth_candidates)
    target = first["silence_candidates"][0]
    trigger = target["trigger_segment"]

    # Edit one word of the trigger so it is no longer emotional, and give the next speaker another id.
    for segment in data["segments"]:
        if segment["id"] == trigger:
            segment["text"] = "Okay."
            segment["words"] = segment["words"][:1]
            segment["words"][0]["text"] = "Okay."
            segment["end_s"] = segment["words"][0]["end_s"]
    after = next(s for s in data["segments"] if s["start_s"] >= target["end_s"] - 0.3)
    after["speaker"] = "S9"
    for word in after["words"]:
        word["speaker"] = "S9"
    path.write_text(json.dumps(data))
    result = alliance("analyze", str(consult[0]), "--transcript", str(path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    second = json.loads(out.read_text())
    assert all(c["trigger_segment"] != trigger for c in second["silence_candidates"])
    assert "S9" in {s["id"] for s in second["speakers"]}
    moved = [c for c in second["silence_candidates"] if c["pause_id"] == target["pause_id"]]
    long_ids = {p["pause_id"] for p in second["long_pauses"]}
    assert target["pause_id"] in long_ids or (moved and moved[0]["trigger_segment"] != trigger)
    assert any(p["speaker_after"] == "S9" for p in second["pauses"])


def test_session_hints_on_the_command_line(transcribed: Path, consult: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    path, _ = corrected(transcribed, consult, tmp_path)
    out = tmp_path / "hinted.json"
    result = alliance(
        "analyze", str(consult[0]), "--transcript", str(path), "-o", str(out), "--attendees", "oncologist=1,parent=1,patient=1"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert sorted(s["role"] for s in data["speakers"]) == ["oncologist", "parent", "patient"]
    assert data["provenance"]["options"]["session_hints"]["attendees"]["parent"] == 1
    bad = alliance("analyze", str(consult[0]), "--transcript", str(path), "--attendees", "surgeon=1")
    assert bad.returncode == 2 and "--attendees takes ROLE=COUNT" in error_lines(bad.stderr)[0]


def test_analyze_refuses_a_transcript_of_another_recording(transcribed: Path, two_voice_wav: Path, tmp_path: Path) -> None:
    result = alliance("analyze", str(two_voice_wav), "--transcript", str(transcribed), "-o", str(tmp_path / "x.json"))
    assert result.returncode == 2
    assert "different recording" in error_lines(result.stderr)[0]
    assert not (tmp_path / "x.json").exists()


def test_analyze_refuses_broken_transcripts(consult: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = alliance("analyze", str(consult[0]), "--transcript", str(bad), "-o", str(tmp_path / "x.json"))
    assert result.returncode == 2 and "not valid JSON" in error_lines(result.stderr)[0]
    bad.write_text(json.dumps({"schema_version": "9.9.9"}))
    result = alliance("analyze", str(consult[0]), "--transcript", str(bad), "-o", str(tmp_path / "x.json"))
    assert result.returncode == 2 and "schema version" in error_lines(result.stderr)[0]
    result = alliance("analyze", str(consult[0]), "--transcript", str(tmp_path / "none.json"))
    assert result.returncode == 2 and "does not exist" in error_lines(result.stderr)[0]
