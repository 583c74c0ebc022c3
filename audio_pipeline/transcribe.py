"""Speech recognition with faster-whisper: word timestamps, Silero VAD on, streamed segment by segment."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .errors import ModelLoadError, engine_errors
from .models import ResolvedModel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AsrWord:
    start_s: float
    end_s: float
    text: str
    probability: float


@dataclass(frozen=True)
class AsrSegment:
    start_s: float
    end_s: float
    text: str
    words: tuple[AsrWord, ...]
    avg_logprob: float | None
    no_speech_prob: float | None


@dataclass(frozen=True)
class AsrOptions:
    language: str | None  # None: detect
    beam_size: int
    initial_prompt: str | None
    max_new_tokens: int | None
    keep_non_speech_tags: bool
    temperature_fallback: bool = True


@dataclass(frozen=True)
class AsrRun:
    language: str
    language_probability: float | None
    segments: Iterator[AsrSegment]


class Transcriber(Protocol):
    """A speech recognizer: the pipeline reads which model it runs and at what precision, for provenance."""

    model: ResolvedModel
    compute_type: str

    def transcribe(self, waveform: np.ndarray, options: AsrOptions, progress: Callable[[float], None]) -> AsrRun: ...


def build_prompt(prompt: str, vocabulary: list[str]) -> str | None:
    """Whisper takes vocabulary best as preceding text, so the terms follow the style prompt."""
    parts = [prompt.strip()] if prompt.strip() else []
    if vocabulary:
        parts.append(", ".join(term.strip() for term in vocabulary if term.strip()) + ".")
    return " ".join(parts) or None


class WordOrderer:
    """Keeps word times inside [0, duration] and in order.

    faster-whisper's word alignment can put a word a few milliseconds before the previous one,
    or past the end of the audio on the last window; downstream stages and coders rely on
    monotonic times, so each adjustment is counted and reported as a warning.
    """

    def __init__(self, duration_s: float) -> None:
        self.duration_s = duration_s
        self.last_start_s = 0.0
        self.adjusted = 0

    def place(self, start_s: float, end_s: float) -> tuple[float, float]:
        new_start = min(max(start_s, self.last_start_s, 0.0), self.duration_s)
        new_end = min(max(end_s, new_start), self.duration_s)
        if abs(new_start - start_s) > 1e-3 or abs(new_end - end_s) > 1e-3:
            self.adjusted += 1
        self.last_start_s = new_start
        return round(new_start, 3), round(new_end, 3)


@functools.lru_cache(maxsize=4)
def _load_whisper(path: str, device: str, compute_type: str, cpu_threads: int) -> object:
    from faster_whisper import WhisperModel

    from .vad_blocks import use_block_vad
    from .whisper_features import use_block_features

    try:
        whisper = WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=cpu_threads)
        use_block_features(whisper)  # peak memory must not grow with the recording's length
        use_block_vad()  # nor in its VAD pass (vad_blocks.py)
        return whisper
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelLoadError(
            f"the ASR model could not be loaded on {device} with {compute_type} ({exc.__class__.__name__}); "
            "check the model folder, or try --device cpu"
        ) from exc


class WhisperTranscriber:
    """faster-whisper behind the Transcriber interface; the model loads once per process."""

    def __init__(self, model: ResolvedModel, device: str, compute_type: str, cpu_threads: int = 0, batch_size: int = 0) -> None:
        self.model = model
        self.device = device
        self.compute_type = compute_type
        self.batch_size = batch_size
        self._whisper = _load_whisper(str(model.path), device, compute_type, cpu_threads)
        self._batched: Any = None
        if batch_size > 0:
            from faster_whisper import BatchedInferencePipeline

            # Decodes several VAD-cut windows at once: same VAD, word timestamps on, but each window
            # without the previous window's text as context (see README, Benchmarks, for where it wins).
            self._batched = BatchedInferencePipeline(self._whisper)

    @property
    def engine(self) -> Any:
        """The faster-whisper model itself, for benchmarks that time the engine alone."""
        return self._whisper

    @staticmethod
    def engine_kwargs(options: AsrOptions) -> dict[str, Any]:
        return {
            "language": options.language,
            "beam_size": options.beam_size,
            "word_timestamps": True,
            "vad_filter": True,
            "initial_prompt": options.initial_prompt,
            "max_new_tokens": options.max_new_tokens,
            # faster-whisper's default ladder; a single 0.0 turns fallback off.
            "temperature": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] if options.temperature_fallback else [0.0],
            # -1 would suppress symbol tokens and with them tags such as "(crying)".
            "suppress_tokens": [] if options.keep_non_speech_tags else [-1],
        }

    def transcribe(self, waveform: np.ndarray, options: AsrOptions, progress: Callable[[float], None]) -> AsrRun:
        duration_s = len(waveform) / 16_000
        with engine_errors("transcription"):
            if self._batched is not None:
                kwargs = self.engine_kwargs(options)
                segments, info = self._batched.transcribe(waveform, batch_size=self.batch_size, **kwargs)
            else:
                segments, info = self.engine.transcribe(waveform, **self.engine_kwargs(options))
        return AsrRun(
            language=info.language,
            language_probability=info.language_probability,
            segments=self._stream(segments, duration_s, progress),
        )

    @staticmethod
    def _stream(segments: Iterator[object], duration_s: float, progress: Callable[[float], None]) -> Iterator[AsrSegment]:
        with engine_errors("transcription"):
            for seg in segments:
                words = tuple(
                    AsrWord(float(w.start), float(w.end), w.word, float(w.probability))  # type: ignore[attr-defined]
                    for w in (seg.words or ())  # type: ignore[attr-defined]
                )
                yield AsrSegment(
                    start_s=float(seg.start),  # type: ignore[attr-defined]
                    end_s=float(seg.end),  # type: ignore[attr-defined]
                    text=seg.text,  # type: ignore[attr-defined]
                    words=words,
                    avg_logprob=float(seg.avg_logprob),  # type: ignore[attr-defined]
                    no_speech_prob=float(seg.no_speech_prob),  # type: ignore[attr-defined]
                )
                if duration_s > 0:
                    progress(min(float(seg.end) / duration_s, 1.0))  # type: ignore[attr-defined]
