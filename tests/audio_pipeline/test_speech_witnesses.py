"""The combined speech map's parts: level normalisation, the energy witness, and rule 1 (close talk unchanged)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import signal

from audio_pipeline.speech_witnesses import combined_speech_map, energy_activity, normalise_level
from audio_pipeline.vad import speech_map
from tests.conftest import join_with_gaps, read_mono, speak

RATE = 16000


def _tone(seconds: float, freq: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_close_talk_speech_map_is_plain_silero(speech_dir: Path) -> None:
    first = read_mono(speak("The scan results came back this morning.", speech_dir / "w1.wav"))
    second = read_mono(speak("Okay. What does that mean for her?", speech_dir / "w2.wav", voice="en-us+f3"))
    waveform = join_with_gaps([first, second], [5.3])
    assert combined_speech_map(waveform) == speech_map(waveform)


def test_quiet_audio_is_raised_and_loud_audio_left_alone() -> None:
    quiet = _tone(1.0, 440, 0.01)
    raised = normalise_level(quiet)
    assert 5 < float(np.abs(raised).max()) / 0.01 < 20
    loud = _tone(1.0, 440, 0.5)
    assert normalise_level(loud) is loud


def test_a_tone_is_not_speech_band_energy_but_a_noise_burst_in_the_band_is() -> None:
    rng = np.random.default_rng(1)
    floor = rng.normal(0, 1e-4, 3 * RATE).astype(np.float32)
    beep = floor.copy()
    beep[RATE : 2 * RATE] += _tone(1.0, 950, 0.05)
    burst = floor.copy()
    b, a = signal.butter(4, [400, 3000], btype="band", fs=RATE)  # noise in the speech band
    burst[RATE : 2 * RATE] += signal.lfilter(b, a, rng.normal(0, 0.05, RATE)).astype(np.float32)
    assert not energy_activity(beep).any()
    assert energy_activity(burst)[35:60].all()


def test_silence_has_no_speech() -> None:
    assert combined_speech_map(np.zeros(RATE * 3, dtype=np.float32)) == []
