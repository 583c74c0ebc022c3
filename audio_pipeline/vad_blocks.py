"""Silero VAD's input built one session batch at a time, so an hour never needs a second copy of itself.

faster-whisper 1.2.1's ``SileroVADModel.__call__`` reshapes the recording into 512-sample windows,
prepends to each the previous window's last 64 samples (zeros for the first) and so builds a
(windows, 576) copy of the whole recording, then runs the session on 10,000 windows at a time,
carrying the LSTM state from one run to the next. At an hour that copy and its temporaries are
about 0.6 GB on top of the waveform, and both our speech map and faster-whisper's own VAD pass
call it. ``BlockSileroVAD`` builds each 10,000-window input only when it runs: the session gets the
same inputs in the same order, so the probabilities are bit-identical (``tests/audio_pipeline/test_vad_blocks.py``).

One quirk is kept on purpose: 1.2.1 writes zeros over the last window's final 64 samples while it
builds the context (it zeroes a view of the audio), so the last window is run with them zeroed
here too; the caller's array is left untouched. Another faster-whisper version keeps its own code.
"""

from __future__ import annotations

import functools
import logging
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from faster_whisper.vad import SileroVADModel, get_vad_model

logger = logging.getLogger(__name__)

PINNED_FASTER_WHISPER = "1.2.1"
ENCODER_BATCH = 10_000  # windows per session run, as in 1.2.1: the same batches give the same numbers


class BlockSileroVAD(SileroVADModel):  # type: ignore[misc]
    """faster-whisper's Silero model whose per-window input is built a session batch at a time."""

    def __call__(self, audio: np.ndarray, num_samples: int = 512, context_size_samples: int = 64) -> np.ndarray:
        if audio.ndim != 1 or audio.shape[0] % num_samples or audio.shape[0] == 0:
            return np.asarray(super().__call__(audio, num_samples, context_size_samples))
        return self.probabilities(audio, num_samples, context_size_samples)

    def probabilities(self, audio: np.ndarray, num_samples: int = 512, context_size_samples: int = 64) -> np.ndarray:
        """What ``__call__`` gives for ``audio`` zero-padded to whole windows, without that padded copy."""
        windows = -(-audio.shape[0] // num_samples)
        h = np.zeros((1, 1, 128), dtype="float32")
        c = np.zeros((1, 1, 128), dtype="float32")
        outputs = []
        for first in range(0, windows, ENCODER_BATCH):
            last = min(first + ENCODER_BATCH, windows)
            piece = audio[first * num_samples : last * num_samples]
            body = np.zeros((last - first) * num_samples, dtype=audio.dtype)  # a short last window is zero-padded
            body[: piece.shape[0]] = piece
            batch = np.empty((last - first, context_size_samples + num_samples), dtype=audio.dtype)
            batch[:, context_size_samples:] = body.reshape(-1, num_samples)
            # Each window's context is the previous window's last samples; the first window's is zeros.
            batch[1:, :context_size_samples] = batch[:-1, -context_size_samples:]
            start = first * num_samples
            batch[0, :context_size_samples] = audio[start - context_size_samples : start] if first else 0
            if last == windows:
                batch[-1, -context_size_samples:] = 0  # 1.2.1's quirk (module docstring)
            output, h, c = self.session.run(None, {"input": batch, "h": h, "c": c})
            outputs.append(output)
        return np.concatenate(outputs, axis=0) if outputs else np.zeros(0, dtype=np.float32)


def supported() -> bool:
    try:
        return version("faster-whisper") == PINNED_FASTER_WHISPER
    except PackageNotFoundError:
        return False


def use_block_vad() -> None:
    """Switch faster-whisper's shared Silero model (its ``get_vad_model`` cache) to block-built input.

    Both faster-whisper's VAD pass and ours reach the model through that cache, so one switch
    covers both. Idempotent; another faster-whisper version keeps its own code, with a warning.
    """
    model = get_vad_model()
    if type(model) is not SileroVADModel:
        return
    if not supported():
        _warn_unsupported()
        return
    model.__class__ = BlockSileroVAD


@functools.cache
def _warn_unsupported() -> None:
    """Once per process: the speech map asks on every call."""
    logger.warning("faster-whisper is not %s: Silero VAD builds its input for the whole recording", PINNED_FASTER_WHISPER)
