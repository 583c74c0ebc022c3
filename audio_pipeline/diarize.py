"""Who spoke when, with pyannote.audio 4 fed the in-memory waveform."""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from . import telemetry
from .errors import ModelLoadError, engine_errors
from .models import ResolvedModel
from .settings import Settings

logger = logging.getLogger(__name__)

# Chunks per embedding-trunk batch on our path: 4 was fastest and leaner than 8 or 16
# (scripts/bench_embedding_batch.py, README Benchmark).
CHUNKS_PER_BATCH = 4
# On a GPU, small batches leave it idle; 32 chunks is what stock pyannote's 32 (chunk, speaker) pairs
# would be if every speaker were pooled at once, still a few hundred MB of activations.
CUDA_CHUNKS_PER_BATCH = 32
# Chunks per segmentation batch on our path (community-1's config says 32). On ONNX Runtime a batch
# of 32 kept an arena of about 800 MB for the rest of the run; 8 keeps about 180 MB at the same
# speed per chunk (README, Benchmark). Stock, and CUDA (no arena; a GPU wants big batches), keep the config's value.
SEGMENTATION_BATCH = 8

Runtime = Literal["auto", "onnx", "torch", "stock"]

# Share of the diarization progress bar each pyannote step covers (its hook reports per step).
_STEP_SPAN = {"segmentation": (0.0, 0.4), "speaker_counting": (0.4, 0.45), "embeddings": (0.45, 0.95)}


@dataclass(frozen=True)
class SpeakerTurn:
    start_s: float
    end_s: float
    speaker: str


@dataclass(frozen=True)
class SpeakerCountHint:
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    """Speaker counts for diarization; validated where the run request is (audio_pipeline/request.py)."""


@dataclass(frozen=True)
class Diarization:
    turns: tuple[SpeakerTurn, ...]  # exclusive: at most one speaker at any time, sorted by start
    overlaps: tuple[tuple[float, float], ...]  # regions where two or more speakers talk at once
    embeddings: Mapping[str, np.ndarray] = field(default_factory=dict)  # one centroid per speaker label


class Diarizer(Protocol):
    """A diarization engine: the pipeline reads which model it runs, for provenance and voiceprints."""

    model: ResolvedModel

    def diarize(self, waveform: np.ndarray, hint: SpeakerCountHint, progress: Callable[[float], None]) -> Diarization: ...


@functools.lru_cache(maxsize=4)
def _load_pipeline(path: str, device: str, runtime: Runtime = "stock", data_dir: str = "", threads: int = 0) -> Any:
    """pyannote's pipeline, switched to our faster path unless ``runtime`` is "stock".

    torch: one embedding-trunk pass per chunk (diarize_fast.py); onnx: that plus both networks on
    ONNX Runtime (diarize_onnx.py); auto: onnx on CPU, torch elsewhere. Same weights, same numbers.
    """
    telemetry.disable()
    import torch
    from pyannote.audio import Pipeline

    from .diarize_fast import one_trunk_pass
    from .diarize_onnx import use_onnx

    try:
        pipeline = Pipeline.from_pretrained(path)
    except (RuntimeError, ValueError, OSError, KeyError) as exc:
        raise ModelLoadError(f"the diarization pipeline could not be loaded ({type(exc).__name__})") from exc
    if pipeline is None:
        raise ModelLoadError("the diarization pipeline folder holds no pipeline config")
    pipeline.to(torch.device(device))
    if runtime == "stock":
        return pipeline
    pipeline = one_trunk_pass(pipeline)
    if device == "cpu":
        pipeline.segmentation_batch_size = SEGMENTATION_BATCH
    wants_onnx = runtime == "onnx" or (runtime == "auto" and device == "cpu")
    if wants_onnx and device != "cpu":
        logger.warning("the ONNX diarization runtime runs on CPU only: using PyTorch on %s", device)
    elif wants_onnx and hasattr(pipeline, "trunk"):
        use_onnx(pipeline, Path(path), Path(data_dir), threads)
    return pipeline


class PyannoteDiarizer:
    """pyannote.audio's speaker-diarization pipeline behind the Diarizer interface."""

    def __init__(
        self,
        model: ResolvedModel,
        device: str,
        embedding_batch_size: int | None = None,
        *,
        runtime: Runtime = "auto",
        data_dir: Path | None = None,
        threads: int = 0,
    ) -> None:
        self.model = model
        self.device = device
        cache_root = data_dir or Settings().data_dir  # ONNX exports go here when the models folder is read-only
        self._pipeline = _load_pipeline(str(model.path), device, runtime, str(cache_root), threads)
        if hasattr(self._pipeline, "chunks_per_batch"):
            # One trunk pass per chunk: the batch counts chunks (each pools all its speakers).
            default = CHUNKS_PER_BATCH if device == "cpu" else CUDA_CHUNKS_PER_BATCH
            self._pipeline.chunks_per_batch = embedding_batch_size or default
        else:
            batch = embedding_batch_size or (1 if device == "cpu" else None)
            if batch is not None:
                self._pipeline.embedding_batch_size = batch

    @property
    def engine(self) -> Any:
        """pyannote's pipeline itself, for benchmarks that time the engine alone."""
        return self._pipeline

    def diarize(self, waveform: np.ndarray, hint: SpeakerCountHint, progress: Callable[[float], None]) -> Diarization:
        import torch

        def hook(step: str, _artifact: Any, file: Any = None, total: int | None = None, completed: int | None = None) -> None:
            low, high = _STEP_SPAN.get(step, (0.95, 1.0))
            done = (completed / total) if total and completed is not None else 1.0
            progress(low + (high - low) * done)

        audio = {"waveform": torch.from_numpy(waveform).unsqueeze(0), "sample_rate": 16_000}
        with engine_errors("diarization"), warnings.catch_warnings():
            # Short or silent stretches make pyannote's pooling warn about empty statistics;
            # harmless, and noise to a clinician reading the terminal.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            output = self._pipeline(
                audio,
                num_speakers=hint.num_speakers,
                min_speakers=hint.min_speakers,
                max_speakers=hint.max_speakers,
                hook=hook,
            )
        exclusive = output.exclusive_speaker_diarization
        turns = tuple(
            SpeakerTurn(round(seg.start, 3), round(seg.end, 3), str(label))
            for seg, _, label in exclusive.itertracks(yield_label=True)
        )
        overlaps = tuple((round(s.start, 3), round(s.end, 3)) for s in output.speaker_diarization.get_overlap())
        embeddings: dict[str, np.ndarray] = {}
        if output.speaker_embeddings is not None:
            for label, vector in zip(output.speaker_diarization.labels(), output.speaker_embeddings, strict=False):
                if np.all(np.isfinite(vector)):
                    embeddings[str(label)] = np.asarray(vector, dtype=np.float32)
        progress(1.0)
        return Diarization(turns=tuple(sorted(turns, key=lambda t: t.start_s)), overlaps=overlaps, embeddings=embeddings)
