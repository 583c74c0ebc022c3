"""Whisper's log-Mel features computed in blocks, so an hour of audio never holds its whole spectrum.

faster-whisper 1.2's ``FeatureExtractor`` frames, windows and transforms the whole recording at once:
for an hour of speech that is well over a gigabyte of transient arrays (the windowed frames, the
complex spectrum, its magnitudes) on top of the waveform, so peak memory grew with the recording.
Each frame depends only on its own 400 samples, and the one global step (the floor at 8 below the
loudest value) can run once at the end, so transforming blocks of frames into one preallocated Mel
array gives the same features (equal up to float rounding in the Mel product) for a few megabytes
per block. Short inputs (one window, the batched path's chunks) keep faster-whisper's own code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor

BLOCK_FRAMES = 3000  # 30 s of 10 ms frames: about 10 MB of transient arrays per block


class BlockFeatureExtractor(FeatureExtractor):  # type: ignore[misc]
    """faster-whisper's extractor with the whole-recording transform done block by block."""

    def __call__(self, waveform: np.ndarray, padding: int = 160, chunk_length: int | None = None) -> np.ndarray:
        if len(waveform) <= 4 * BLOCK_FRAMES * self.hop_length:
            return np.asarray(super().__call__(waveform, padding=padding, chunk_length=chunk_length))
        if chunk_length is not None:  # as the parent does: later windows are cut to this length
            self.n_samples = chunk_length * self.sampling_rate
            self.nb_max_frames = self.n_samples // self.hop_length
        padded = _centre_padded(np.asarray(waveform, dtype=np.float32), padding, self.n_fft // 2)
        n_frames = 1 + (len(padded) - self.n_fft) // self.hop_length
        frames = np.lib.stride_tricks.as_strided(
            padded, (n_frames, self.n_fft), (self.hop_length * padded.strides[0], padded.strides[0]), writeable=False
        )
        window = np.hanning(self.n_fft + 1)[:-1].astype("float32")
        usable = n_frames - 1  # the parent drops the last frame
        mel = np.empty((self.mel_filters.shape[0], usable), dtype=np.float32)
        for first in range(0, usable, BLOCK_FRAMES):
            last = min(first + BLOCK_FRAMES, usable)
            spectrum = np.fft.rfft(frames[first:last] * window, n=self.n_fft, axis=-1).astype("complex64")
            mel[:, first:last] = self.mel_filters @ (np.abs(spectrum.T) ** 2)
        np.clip(mel, 1e-10, None, out=mel)
        np.log10(mel, out=mel)
        np.maximum(mel, mel.max() - 8.0, out=mel)
        mel += 4.0
        mel /= 4.0
        return mel


def _centre_padded(waveform: np.ndarray, padding: int, half: int) -> np.ndarray:
    """``np.pad(np.pad(w, (0, padding)), half, mode="reflect")`` in one allocation; needs more than ``half`` samples."""
    body = len(waveform) + padding
    out = np.zeros(body + 2 * half, dtype=np.float32)
    out[half : half + len(waveform)] = waveform
    core = out[half : half + body]
    out[:half] = core[half:0:-1]
    out[half + body :] = core[-2 : -half - 2 : -1]
    return out


def use_block_features(whisper: Any) -> None:
    """Give a loaded faster-whisper model the block extractor, with the model's own feature settings."""
    kwargs = getattr(whisper, "feat_kwargs", None)
    if isinstance(kwargs, dict):
        whisper.feature_extractor = BlockFeatureExtractor(**kwargs)
