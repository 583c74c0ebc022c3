"""The far-field set: its truth is consistent with its audio, and eval_silences --rooms prints per condition."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_a_room_conversation_has_overlap_edges_and_a_realistic_level(tmp_path: Path) -> None:
    result = run("scripts/make_synthetic_consults.py", str(tmp_path), "--rooms", "--count", "1", "--first", "0")
    assert result.returncode == 0, result.stderr
    truth = json.loads((tmp_path / "room-000.json").read_text())
    audio, rate = sf.read(tmp_path / "room-000.wav", dtype="float32")
    assert rate == 16000
    assert -31.0 <= 20 * np.log10(np.abs(audio).max()) <= -11.0  # speech peaks -30..-12 dBFS, plus noise
    assert 0.2 <= truth["room"]["rt60_s"] <= 0.8
    assert truth["distances_m"]["patient"] == max(truth["distances_m"].values())
    assert any(u["overlapped"] for u in truth["utterances"])
    pauses = truth["pauses"]
    assert pauses[0]["edge"] == "start" and pauses[0]["start_s"] == 0.0  # index 0 starts with a long silence
    turns = sorted((u["start_s"], u["end_s"]) for u in truth["utterances"])
    for p in pauses:  # nobody speaks inside a true pause
        assert not any(s < p["end_s"] - 1e-6 and e > p["start_s"] + 1e-6 for s, e in turns)


def test_eval_silences_rooms_prints_figures_per_condition() -> None:
    result = run("scripts/eval_silences.py", "--count", "1", "--rooms", "--room-count", "1", "--room-first", "1")
    assert result.returncode == 0, result.stderr
    for line in ("Pauses >= 5 s in simulated rooms", "all far-field pauses", "RT60 ", "talker ", "peak ", "close talk"):
        assert line in result.stdout
