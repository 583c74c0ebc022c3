"""De-identified review: only the de-identified text, only redacted audio (never the original voices)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from audio_pipeline.deid import write_deidentified
from audio_pipeline.schema import load_transcript
from audio_pipeline.settings import Settings
from tests.service.cli.test_commands import alliance, cli_env, error_lines

from .browser import start_review

pytestmark = pytest.mark.engines


@pytest.fixture
def copies(pipeline_transcript: Path, consultation: tuple[Path, list[dict[str, object]]], tmp_path: Path) -> tuple[Path, Path]:
    # The parent is thanked by name, so the copy replaces it and its redacted audio differs from the original.
    data = json.loads(pipeline_transcript.read_text())
    last = data["segments"][-1]
    word = last["words"][-1]
    middle = round((word["start_s"] + word["end_s"]) / 2, 3)
    last["words"][-1] = {**word, "end_s": middle, "text": "you,"}
    last["words"].append({**word, "start_s": middle, "text": "Sarah."})
    last["text"] = "Thank you, Sarah."
    canonical = tmp_path / "consult.transcript.json"
    canonical.write_text(json.dumps(data))
    written = write_deidentified(canonical, load_transcript(canonical.read_text()), "parent=Sarah", consultation[0], Settings())
    deid = next(p for p in written if p.suffix == ".json")
    audio = next(p for p in written if p.suffix == ".wav")
    return deid, audio


def test_the_original_recording_is_refused_for_a_deidentified_copy(
    copies: tuple[Path, Path], consultation: tuple[Path, list[dict[str, object]]]
) -> None:
    deid, _ = copies
    result = alliance("review", str(deid), "--audio", str(consultation[0]), "--no-browser")
    assert result.returncode == 2
    assert "original recording" in error_lines(result.stderr)[0]


def test_the_deidentified_copy_plays_only_redacted_audio_and_takes_decisions(copies: tuple[Path, Path], tmp_path: Path) -> None:
    deid, redacted = copies
    review = start_review(str(deid), "--audio", str(redacted), env=cli_env(), log=tmp_path / "review.log")
    try:
        client = httpx.Client(base_url=review.origin, timeout=30)
        client.get(review.url.replace(review.origin, ""))
        payload = client.get("/api/transcript").json()
        assert payload["meta"]["deidentified"] is True and payload["meta"]["audio"] is True
        assert payload["meta"]["can_correct"] is False
        assert payload["transcript"]["deidentification"] is not None
        assert "Sarah" not in json.dumps(payload["transcript"])
        assert client.get("/audio", headers={"Range": "bytes=0-99"}).status_code == 206
        pause = payload["transcript"]["silence_candidates"][0]["pause_id"]
        headers = {"X-Alliance-Review": "1"}
        body = {"base_revision": payload["meta"]["revision"], "target": "silence", "pause_id": pause, "decision": "confirmed"}
        assert client.post("/api/decisions", json=body, headers=headers).status_code == 200
        refused = client.post("/api/corrections", json={"base_revision": 1, "correction": {"kind": "text"}}, headers=headers)
        assert refused.status_code == 422
        saved = load_transcript(deid.read_text())
        assert saved.review is not None and saved.review.decisions[0].decision == "confirmed"
    finally:
        assert review.stop() == 0
