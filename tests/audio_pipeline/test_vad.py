"""Silero VAD (shipped inside faster-whisper) on espeak-ng speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.vad import gaps, speech_map
from tests.conftest import join_with_gaps, read_mono, speak


@pytest.fixture(scope="module")
def utterances(speech_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    first = read_mono(speak("The scan results came back this morning.", speech_dir / "v1.wav"))
    second = read_mono(speak("Okay. What does that mean for her?", speech_dir / "v2.wav", voice="en-us+f3"))
    return first, second


def test_speech_is_found_and_a_long_gap_is_measured(utterances: tuple[np.ndarray, np.ndarray]) -> None:
    waveform = join_with_gaps(list(utterances), [5.3])
    regions = speech_map(waveform)
    assert len(regions) >= 2
    assert regions[0].start_s < 0.5
    assert regions[-1].end_s > len(waveform) / 16000 - 0.8
    longest = max(gaps(regions), key=lambda g: g.duration_s)
    # espeak-ng adds its own leading and trailing silence, so the gap reads a little longer.
    assert 5.3 <= longest.duration_s <= 6.0


def test_noise_in_the_gap_is_not_speech(utterances: tuple[np.ndarray, np.ndarray]) -> None:
    waveform = join_with_gaps(list(utterances), [5.3])
    noisy = waveform + np.random.default_rng(1).normal(0, 0.003, len(waveform)).astype(np.float32)
    longest = max(gaps(speech_map(noisy)), key=lambda g: g.duration_s)
    assert 5.3 <= longest.duration_s <= 6.0


def test_silence_has_no_speech() -> None:
    assert speech_map(np.zeros(16000 * 5, dtype=np.float32)) == []
