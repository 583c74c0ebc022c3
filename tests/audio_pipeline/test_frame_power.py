"""Frame power a block at a time is bit-identical to the whole-recording expression it replaced."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline import frame_power as module
from audio_pipeline.frame_power import frame_db, frame_power


@pytest.mark.parametrize("hop", [160, 512])
@pytest.mark.parametrize("size", [0, 159, 160, 16_000 * 7 + 37])
def test_blocks_give_the_same_bits_as_one_pass(monkeypatch: pytest.MonkeyPatch, hop: int, size: int) -> None:
    monkeypatch.setattr(module, "BLOCK_FRAMES", 97)  # many blocks, the last one short
    waveform = np.random.default_rng(5).normal(0, 0.1, size).astype(np.float32)
    n = size // hop
    whole = (waveform[: n * hop].reshape(n, hop).astype(np.float64) ** 2).mean(axis=1)
    got = frame_power(waveform, hop)
    assert got.dtype == np.float64
    assert np.array_equal(got, whole)


@pytest.mark.parametrize("size", [0, 159, 16_000 * 3 + 11])
def test_frame_db_is_the_guards_and_channels_former_expression(size: int) -> None:
    waveform = np.random.default_rng(6).normal(0, 0.1, size).astype(np.float32)
    n = size // 160
    frames = waveform[: n * 160].reshape(n, 160).astype(np.float64)
    assert np.array_equal(frame_db(waveform, 160), 10 * np.log10((frames**2).mean(axis=1) + 1e-12))
