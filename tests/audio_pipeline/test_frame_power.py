"""Frame power a block at a time is bit-identical to the whole-recording expression it replaced."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline import frame_power as module
from audio_pipeline.frame_power import frame_power


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
