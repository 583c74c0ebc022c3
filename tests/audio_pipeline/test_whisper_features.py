"""The block-wise Whisper features equal faster-whisper's own, and the recognizer uses them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from faster_whisper.feature_extractor import FeatureExtractor

from audio_pipeline.whisper_features import BLOCK_FRAMES, BlockFeatureExtractor, _centre_padded, use_block_features


def speech_like(seconds: float, seed: int = 0) -> np.ndarray:
    """Noise shaped into bursts and gaps, so the features span loud, quiet and silent frames."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 16_000)
    envelope = np.repeat(rng.uniform(0, 1, n // 8000 + 1) > 0.4, 8000)[:n]
    return (rng.normal(0, 0.1, n) * envelope).astype(np.float32)


@pytest.mark.parametrize("length", [41, 199, 200, 201, 4000])
def test_centre_padding_is_numpys_reflect_padding(length: int) -> None:
    waveform = np.random.default_rng(length).normal(size=length).astype(np.float32)
    expected = np.pad(np.pad(waveform, (0, 160)), 200, mode="reflect")
    assert np.array_equal(_centre_padded(waveform, 160, 200), expected)


@pytest.mark.parametrize("seconds", [125.0, 200.3])
def test_long_audio_gives_the_same_features_as_faster_whisper(seconds: float) -> None:
    waveform = speech_like(seconds)
    assert len(waveform) > 4 * BLOCK_FRAMES * 160  # the block path, not the fallback
    stock = FeatureExtractor(feature_size=80)(waveform, chunk_length=30)
    ours = BlockFeatureExtractor(feature_size=80)(waveform, chunk_length=30)
    assert ours.shape == stock.shape and ours.dtype == stock.dtype
    assert float(np.abs(ours - stock).max()) < 1e-5


def test_short_audio_is_faster_whispers_own_code() -> None:
    waveform = speech_like(30.0)
    assert np.array_equal(BlockFeatureExtractor()(waveform), FeatureExtractor()(waveform))


def test_the_recognizer_loads_with_the_block_extractor() -> None:
    loaded = SimpleNamespace(feat_kwargs={"feature_size": 80}, feature_extractor=FeatureExtractor())
    use_block_features(loaded)
    assert isinstance(loaded.feature_extractor, BlockFeatureExtractor)


@pytest.mark.engines
def test_real_tiny_en_runs_on_the_block_extractor() -> None:
    from audio_pipeline.models import resolve_asr
    from audio_pipeline.settings import Settings
    from audio_pipeline.transcribe import WhisperTranscriber

    transcriber = WhisperTranscriber(resolve_asr("tiny.en", Settings()), "cpu", "int8")
    assert isinstance(transcriber.engine.feature_extractor, BlockFeatureExtractor)
