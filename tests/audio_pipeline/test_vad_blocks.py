"""Silero VAD with its input built a batch at a time gives bit-identical output to faster-whisper's own code.

Real Silero (the ONNX model inside faster-whisper) on espeak-ng speech with room noise, long enough
to cross the 10,000-window session batch twice; no timings here.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from faster_whisper.vad import SileroVADModel, VadOptions, get_speech_timestamps, get_vad_model

from audio_pipeline import vad_blocks
from audio_pipeline.vad import speech_map, speech_probabilities
from tests.conftest import join_with_gaps, read_mono, speak

pytestmark = pytest.mark.engines

WINDOW = 512


@pytest.fixture(scope="module")
def talk(speech_dir: Path) -> np.ndarray:
    """About 11 minutes (over 20,000 windows) of two voices, varied gaps and a noise floor; not a multiple of 512."""
    m = read_mono(speak("The scan results came back this morning.", speech_dir / "vb_m.wav"))
    f = read_mono(speak("Okay. What does that mean for her?", speech_dir / "vb_f.wav", voice="en-us+f3"))
    rng = np.random.default_rng(11)
    parts = [m if i % 2 else f for i in range(160)]
    waveform = join_with_gaps(parts, list(rng.uniform(0.2, 4.0, len(parts) - 1)))
    waveform = np.concatenate([waveform, np.zeros(123, dtype=np.float32)])
    noisy = (waveform + rng.normal(0, 0.003, waveform.size)).astype(np.float32)
    assert noisy.size // WINDOW > 2 * vad_blocks.ENCODER_BATCH and noisy.size % WINDOW
    return noisy


@pytest.fixture
def stock_model() -> Iterator[SileroVADModel]:
    """faster-whisper's shared model as faster-whisper made it; switched back after each test."""
    model = get_vad_model()
    original = type(model)
    model.__class__ = SileroVADModel
    yield model
    model.__class__ = original


def _blocks(model: SileroVADModel) -> vad_blocks.BlockSileroVAD:
    """The same session behind the block-built input."""
    block = copy.copy(model)
    block.__class__ = vad_blocks.BlockSileroVAD
    return block


@pytest.mark.parametrize("windows", [1, 2, 9_999, 10_000, 10_001, 20_001, None])
def test_block_call_is_bit_identical(stock_model: SileroVADModel, talk: np.ndarray, windows: int | None) -> None:
    audio = talk[: (windows or talk.size // WINDOW) * WINDOW]
    stock_input, block_input = audio.copy(), audio.copy()
    expected = SileroVADModel.__call__(stock_model, stock_input)
    got = _blocks(stock_model)(block_input)
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected)
    assert np.array_equal(block_input, audio)  # faster-whisper zeroes its input's last 64 samples; we do not


def test_probabilities_pad_the_last_window_without_a_copy(stock_model: SileroVADModel, talk: np.ndarray) -> None:
    for size in (1, 511, 513, vad_blocks.ENCODER_BATCH * WINDOW + 5, talk.size):
        audio = talk[:size]
        expected = SileroVADModel.__call__(stock_model, np.pad(audio, (0, (-size) % WINDOW)))
        assert np.array_equal(_blocks(stock_model).probabilities(audio), expected)


def test_speech_map_and_probabilities_unchanged_on_real_audio(stock_model: SileroVADModel, talk: np.ndarray) -> None:
    options = VadOptions(threshold=0.5, min_silence_duration_ms=300, min_speech_duration_ms=100, speech_pad_ms=0)
    stock_stamps = get_speech_timestamps(talk, options, sampling_rate=16_000)
    stock_probs = SileroVADModel.__call__(stock_model, np.pad(talk, (0, (-talk.size) % WINDOW)))
    regions = speech_map(talk)  # switches the shared model to block-built input
    assert type(get_vad_model()) is vad_blocks.BlockSileroVAD
    assert len(stock_stamps) > 50
    assert [(round(s["start"] / 16_000, 3), round(s["end"] / 16_000, 3)) for s in stock_stamps] == [
        (r.start_s, r.end_s) for r in regions
    ]
    assert np.array_equal(speech_probabilities(talk), stock_probs)


def test_other_faster_whisper_versions_keep_their_own_code(
    stock_model: SileroVADModel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(vad_blocks, "supported", lambda: False)
    vad_blocks._warn_unsupported.cache_clear()
    with caplog.at_level(logging.WARNING):
        vad_blocks.use_block_vad()
    assert type(get_vad_model()) is SileroVADModel
    assert "1.2.1" in caplog.text
