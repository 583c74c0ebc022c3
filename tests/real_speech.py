"""Recordings for the real-recognizer tests: espeak-ng lines with chosen gaps, noise and telephone band.

TrueSpeakers (from scripts/real_asr_eval.py) reports the true speakers: the recognizer is under test, not diarization."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from audio_pipeline.diarize import SpeakerTurn
from scripts.real_asr_eval import TrueSpeakers
from tests.conftest import _require, read_mono, speak

__all__ = ["Built", "Line", "TrueSpeakers", "build"]

RATE = 16_000


@dataclass(frozen=True)
class Line:
    speaker: str
    text: str
    gap_after_s: float = 0.8


@dataclass(frozen=True)
class Built:
    path: Path
    turns: list[SpeakerTurn]
    gaps: list[tuple[float, float]]  # (start, end) of each gap after a line


VOICES = {"S1": "en-us+m3", "S2": "en-us+f3"}


def build(lines: list[Line], folder: Path, name: str, condition: str = "clean", lead_s: float = 0.5) -> Built:
    """Lines spoken in turn with digital silence between; then noise added or the band limited."""
    rng = np.random.default_rng(len(name))
    parts = [np.zeros(int(lead_s * RATE), dtype=np.float32)]
    turns, gaps = [], []
    t = lead_s
    for i, line in enumerate(lines):
        clip = read_mono(speak(line.text, folder / f"{name}-{i}.wav", voice=VOICES[line.speaker]))
        nonzero = np.flatnonzero(np.abs(clip) > 1e-3)
        clip = clip[nonzero[0] : nonzero[-1] + 1] if len(nonzero) else clip
        parts.append(clip)
        turns.append(SpeakerTurn(round(t, 3), round(t + len(clip) / RATE, 3), line.speaker))
        t += len(clip) / RATE
        parts.append(np.zeros(int(line.gap_after_s * RATE), dtype=np.float32))
        gaps.append((round(t, 3), round(t + line.gap_after_s, 3)))
        t += line.gap_after_s
    audio = np.concatenate(parts)
    if condition.startswith("snr"):
        speech_power = float(np.mean(np.concatenate([p for p in parts if p.any()]) ** 2))
        noise = rng.normal(0, np.sqrt(speech_power / 10 ** (float(condition[3:]) / 10)), len(audio))
        audio = (audio + noise).astype(np.float32)
    path = folder / f"{name}.wav"
    sf.write(path, audio, RATE)
    if condition == "telephone":
        phone = folder / f"{name}-8k.wav"
        command = [_require("sox"), str(path), "-r", "8000", str(phone), "sinc", "300-3400"]
        subprocess.run(command, check=True, capture_output=True)
        path = phone
    return Built(path, turns, gaps)
