"""A copy of a recording with each replaced word silenced or covered by a tone, for sharing with collaborators.

The copy is 16 kHz mono WAV (what the pipeline decodes to), so it lines up sample for sample with the
transcript's times. Each span is widened by a little on both sides, because word times are only as exact as the
recognizer's alignment and a clipped syllable of a name can still identify someone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

from ..audio import SAMPLE_RATE_HZ, AudioLimits, load

RedactionMode = Literal["tone", "mute"]
_MARGIN_S = 0.15
_TONE_HZ = 1000.0
_TONE_LEVEL = 0.1


def redact_audio(
    recording: Path,
    spans_s: Sequence[tuple[float, float]],
    target: Path,
    limits: AudioLimits,
    mode: RedactionMode = "tone",
) -> float:
    """Write the redacted copy to TARGET (a .wav path, written whole or not at all); returns the seconds covered."""
    waveform = load(recording, limits).waveform.copy()
    covered = np.zeros(len(waveform), dtype=bool)
    for start_s, end_s in spans_s:
        start = max(0, int((start_s - _MARGIN_S) * SAMPLE_RATE_HZ))
        end = min(len(waveform), int(np.ceil((end_s + _MARGIN_S) * SAMPLE_RATE_HZ)))
        covered[start:end] = True
    if mode == "tone":
        t = np.arange(len(waveform), dtype=np.float32) / SAMPLE_RATE_HZ
        waveform[covered] = (_TONE_LEVEL * np.sin(2 * np.pi * _TONE_HZ * t[covered])).astype(np.float32)
    else:
        waveform[covered] = 0.0
    partial = target.with_name(target.name + ".part")
    sf.write(partial, waveform, SAMPLE_RATE_HZ, format="WAV", subtype="PCM_16")
    os.chmod(partial, 0o600)  # the voices are still there: owner-only, like the recording
    partial.replace(target)
    return float(covered.sum()) / SAMPLE_RATE_HZ
