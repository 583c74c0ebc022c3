"""Where speech is: Silero VAD (the ONNX model shipped inside faster-whisper), with no padding.

With zero padding the gaps between regions are the pauses, which the silence analysis needs;
faster-whisper's own VAD pass pads regions for recognition and is not reused for that reason.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .errors import engine_errors

SAMPLE_RATE_HZ = 16_000


@dataclass(frozen=True)
class SpeechRegion:
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def speech_map(
    waveform: np.ndarray,
    threshold: float = 0.5,
    min_silence_s: float = 0.3,
    min_speech_s: float = 0.1,
) -> list[SpeechRegion]:
    """Speech regions of a 16 kHz mono waveform, in order, unpadded."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from .vad_blocks import use_block_vad

    use_block_vad()  # Silero's input built a batch at a time (vad_blocks.py): same probabilities
    options = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=int(min_silence_s * 1000),
        min_speech_duration_ms=int(min_speech_s * 1000),
        speech_pad_ms=0,
    )
    with engine_errors("voice activity detection"):
        stamps = get_speech_timestamps(waveform, options, sampling_rate=SAMPLE_RATE_HZ)
    return [SpeechRegion(round(s["start"] / SAMPLE_RATE_HZ, 3), round(s["end"] / SAMPLE_RATE_HZ, 3)) for s in stamps]


def speech_probabilities(waveform: np.ndarray) -> np.ndarray:
    """Silero's speech probability for each 32 ms window (512 samples) of a 16 kHz mono waveform."""
    from faster_whisper.vad import get_vad_model

    from .vad_blocks import BlockSileroVAD, use_block_vad

    window = 512
    if len(waveform) == 0:
        return np.zeros(0, dtype=np.float32)
    use_block_vad()
    model = get_vad_model()
    with engine_errors("voice activity detection"):
        if isinstance(model, BlockSileroVAD):  # zero-pads the last window itself: no copy of the recording
            return np.asarray(model.probabilities(np.asarray(waveform, dtype=np.float32)), dtype=np.float32).reshape(-1)
        padded = np.pad(waveform.astype(np.float32), (0, (-len(waveform)) % window))
        return np.asarray(model(padded), dtype=np.float32).reshape(-1)


def gaps(regions: list[SpeechRegion]) -> list[SpeechRegion]:
    """The stretches between consecutive speech regions."""
    return [SpeechRegion(a.end_s, b.start_s) for a, b in itertools.pairwise(regions) if b.start_s > a.end_s]
