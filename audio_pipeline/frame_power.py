"""Mean power of fixed-length frames, and its level in dB, computed a block of frames at a time.

The guards, the pause analysis and the channel classifier read the 10 ms frame energy of the whole recording. Done at
once, ``waveform.reshape(n, hop).astype(np.float64) ** 2`` holds two float64 copies of the
recording: about 0.9 GB at an hour, on top of everything else in memory. Each frame's mean is its
own row's reduction, so a block at a time gives bit-identical values for a few megabytes.
"""

from __future__ import annotations

import numpy as np

BLOCK_FRAMES = 60_000  # 10 min of 10 ms frames: under 80 MB of float64 transients per block


def frame_power(waveform: np.ndarray, hop: int) -> np.ndarray:
    """Mean square of each whole ``hop``-sample frame (a short tail is left out), as float64."""
    n = len(waveform) // hop
    power = np.empty(n, dtype=np.float64)
    for first in range(0, n, BLOCK_FRAMES):
        last = min(first + BLOCK_FRAMES, n)
        frames = waveform[first * hop : last * hop].reshape(last - first, hop).astype(np.float64)
        power[first:last] = (frames**2).mean(axis=1)
    return power


def frame_db(waveform: np.ndarray, hop: int) -> np.ndarray:
    """Level of each whole ``hop``-sample frame in dB (silence floors at -120 dB rather than -inf)."""
    return np.asarray(10 * np.log10(frame_power(waveform, hop) + 1e-12))
