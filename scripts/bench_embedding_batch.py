"""Seconds for the embedding step on our diarization path per chunks-per-batch, and a table.

Usage:
    python scripts/bench_embedding_batch.py --minutes 1 [--batches 1 4 8 16] [--runtime onnx|torch]

The random-weight pipeline of scripts/make_test_models.py on the espeak-ng consultation of
scripts/bench.py; the segmentation runs once and only ``get_embeddings`` is timed per batch size.
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

logger = logging.getLogger("bench_embedding_batch")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--runtime", choices=["onnx", "torch"], default="onnx")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "bench-out")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    import soundfile as sf
    import torch
    from rich.console import Console
    from rich.table import Table

    from audio_pipeline.diarize import _load_pipeline
    from scripts.bench import consultation
    from scripts.make_test_models import build_diarization

    models = args.work_dir / "models"
    if not (models / "pyannote").exists():
        build_diarization(models)
    audio_path = consultation(args.work_dir, args.minutes)
    waveform = torch.from_numpy(sf.read(audio_path, dtype="float32")[0])[None]
    pipeline = _load_pipeline(
        str(models / "pyannote" / "speaker-diarization-community-1"), "cpu", args.runtime, str(args.work_dir)
    )
    file = {"waveform": waveform, "sample_rate": 16000}
    table = Table(title=f"embedding step, {args.runtime}, {args.minutes:g} min")
    for column in ("chunks per batch", "seconds", "RTF", "peak RSS MB"):
        table.add_column(column, justify="right")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        segmentations = pipeline.get_segmentations(file)
        for batch in args.batches:
            pipeline.chunks_per_batch = batch
            clock = time.perf_counter()
            pipeline.get_embeddings(file, segmentations, exclude_overlap=pipeline.embedding_exclude_overlap)
            seconds = time.perf_counter() - clock
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            table.add_row(str(batch), f"{seconds:.1f}", f"{seconds / (args.minutes * 60):.3f}", f"{rss:.0f}")
    Console(width=120).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
