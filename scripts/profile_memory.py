"""Peak memory of one pipeline run, stage by stage and step by step, and print a table.

Usage:
    python scripts/profile_memory.py --minutes 60 [--size small] [--work-dir bench-out]

Same synthetic consultation and random-weight models as ``scripts/bench.py`` (its functions are
reused), same settings, same 20 s warm-up run. Then the real run is cut into labelled spans: the
pipeline's stages (its progress callback) and, inside them, the steps that hold large arrays
(Silero VAD, Whisper features, the speech witnesses, pyannote's segmentation, embeddings,
clustering, scipy's linkage, VBx, reconstruction), wrapped in place for this process only.

Peaks are exact, not sampled: at every span boundary the script reads the kernel's high-water mark
of resident memory (``VmHWM``) and resets it (``/proc/self/clear_refs``, Linux), so each row's peak
belongs to that span alone. Rows are "stage > step"; time in a stage outside every listed step is
the row with the stage alone.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import logging
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

logger = logging.getLogger("profile_memory")

# (module, attribute path, label): the steps wrapped inside the stages.
STEPS = [
    ("faster_whisper.transcribe", "get_speech_timestamps", "silero vad (faster-whisper)"),
    ("faster_whisper.vad", "get_speech_timestamps", "silero vad (ours)"),
    ("audio_pipeline.whisper_features", "BlockFeatureExtractor.__call__", "whisper features"),
    ("audio_pipeline.pipeline", "combined_speech_map", "speech witnesses"),
    ("audio_pipeline.pipeline", "guard", "guards"),
    ("pyannote.audio.pipelines.speaker_diarization", "SpeakerDiarization.get_segmentations", "segmentation"),
    ("audio_pipeline.diarize_fast", "OneTrunkPassDiarization.get_embeddings", "embeddings"),
    ("pyannote.audio.pipelines.clustering", "VBxClustering.__call__", "clustering"),
    ("pyannote.audio.pipelines.clustering", "linkage", "linkage"),
    ("pyannote.audio.pipelines.clustering", "cluster_vbx", "vbx"),
    ("pyannote.audio.pipelines.speaker_diarization", "SpeakerDiarization.reconstruct", "reconstruct"),
]


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


@dataclass
class Span:
    entry_mb: float
    peak_mb: float
    seconds: float


class Recorder:
    """Peak resident memory per label path, from the kernel's high-water mark reset at each boundary."""

    def __init__(self) -> None:
        self.path: list[str] = []
        self.spans: dict[str, Span] = {}
        self._since = time.perf_counter()
        self._reset()

    def _reset(self) -> None:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # VmHWM := current RSS

    def _close_span(self) -> None:
        key = " > ".join(self.path) or "(outside stages)"
        now = time.perf_counter()
        peak_mb, rss_mb = _status_kb("VmHWM") / 1024, _status_kb("VmRSS") / 1024
        span = self.spans.get(key)
        if span is None:
            self.spans[key] = Span(self._entry_mb, peak_mb, now - self._since)
        else:
            span.peak_mb = max(span.peak_mb, peak_mb)
            span.seconds += now - self._since
        self._since, self._entry_mb = now, rss_mb
        self._reset()

    _entry_mb = 0.0

    @contextlib.contextmanager
    def label(self, name: str) -> Iterator[None]:
        self._close_span()
        self.path.append(name)
        try:
            yield
        finally:
            self._close_span()
            self.path.pop()

    def progress(self, stage: str, fraction: float) -> None:
        """The pipeline's progress callback: a stage's span lasts until the next stage reports."""
        if not self.path or self.path[0] != stage:
            self._close_span()
            self.path[:] = [stage]


def instrument(recorder: Recorder) -> None:
    """Wrap each listed step so its calls open a labelled span."""
    for module_name, attribute, label in STEPS:
        owner: Any = importlib.import_module(module_name)
        *parents, name = attribute.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        original = getattr(owner, name)
        setattr(owner, name, _wrapped(recorder, original, label))


def _wrapped(recorder: Recorder, original: Callable[..., Any], label: str) -> Callable[..., Any]:
    @functools.wraps(original)
    def call(*args: Any, **kwargs: Any) -> Any:
        with recorder.label(label):
            return original(*args, **kwargs)

    return call


def _save_clustering_inputs(path: Path) -> None:
    """Keep what pyannote's clustering is given, to replay it alone ."""
    import numpy as np
    from pyannote.audio.pipelines.clustering import VBxClustering

    original = VBxClustering.__call__

    def call(self: Any, embeddings: Any, segmentations: Any = None, **kwargs: Any) -> Any:
        np.savez(path, embeddings=embeddings, segmentations=segmentations.data)
        return original(self, embeddings, segmentations=segmentations, **kwargs)

    VBxClustering.__call__ = call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--size", default="small", choices=["tiny", "small", "large-v3-turbo"])
    parser.add_argument("--work-dir", type=Path, default=ROOT / "bench-out")
    parser.add_argument("--save-clustering", type=Path, help="write the clustering inputs (embeddings, segmentations) to a .npz")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    logging.getLogger("audio_pipeline").setLevel(logging.WARNING)

    import soundfile as sf
    from rich.console import Console
    from rich.table import Table

    from audio_pipeline.pipeline import TranscriptionPipeline
    from audio_pipeline.request import RunRequest
    from audio_pipeline.settings import Settings
    from scripts.bench import consultation
    from scripts.make_test_models import build_diarization, build_whisper

    models_dir = args.work_dir / "models"
    args.work_dir.mkdir(parents=True, exist_ok=True)
    if not (models_dir / "pyannote").exists():
        build_diarization(models_dir)
    asr_name = f"bench-{args.size}"
    if not (models_dir / "whisper" / asr_name / "model.bin").exists():
        build_whisper(models_dir, args.size, asr_name)
    audio_path = consultation(args.work_dir, args.minutes)

    # As scripts/bench.py's worker: no temperature fallback on random weights, a 20 s warm-up first.
    pipeline = TranscriptionPipeline(Settings(models_dir=models_dir, device="cpu", asr_temperature_fallback=False))
    options = RunRequest(asr_model=asr_name, device="cpu", num_speakers=2)
    head = audio_path.with_suffix(".warmup.wav")
    sf.write(head, sf.read(audio_path, frames=20 * 16000, dtype="float32")[0], 16000)
    pipeline.run(head, options)

    recorder = Recorder()
    instrument(recorder)
    if args.save_clustering:
        _save_clustering_inputs(args.save_clustering)
    logger.info("profiling %s on %g min", args.size, args.minutes)
    pipeline.run(audio_path, options, progress=recorder.progress)
    recorder.progress("after the run", 0.0)  # closes the last stage's span

    table = Table(title=f"peak resident memory per step, {args.size}, {args.minutes:g} min (MB)")
    for column in ("stage > step", "RSS at entry", "peak", "peak - entry", "seconds"):
        table.add_column(column, justify="right" if column != "stage > step" else "left")
    for key, span in recorder.spans.items():
        table.add_row(
            key,
            f"{span.entry_mb:.0f}",
            f"{span.peak_mb:.0f}",
            f"{span.peak_mb - span.entry_mb:+.0f}",
            f"{span.seconds:.1f}",
        )
    Console(width=200).print(table)
    logger.info("peak of the run: %.0f MB", max(span.peak_mb for span in recorder.spans.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
