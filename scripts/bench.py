"""Benchmark the pipeline against the raw engines on a synthetic consultation, and print a table.

Usage:
    python scripts/bench.py --minutes 10 [--sizes small large-v3-turbo] [--work-dir bench-out]
        [--device cpu|cuda] [--asr-batch-sizes 0 16] [--compare-minutes 10] [--json-out runs.jsonl]
        [--diarization-only]

For each model size the script builds an architecture-faithful random-weight Whisper (real
layer counts, widths, mel bins and vocabulary; a realistic token count per 30 s window) and the
random-weight pyannote pipeline (temperature fallback off: random weights would trigger it on every
window), then, in a fresh process per size and length:
  1. runs the whole pipeline (decode, ASR, diarization, attribution) and reads peak RSS;
  2. runs faster-whisper alone and pyannote alone on the same waveform with the same options.
  3. runs stock pyannote (ALLIANCE_DIARIZATION_RUNTIME=stock) on the same weights and waveform,
     so our diarization path (one trunk pass per chunk, ONNX Runtime) and stock sit side by side,
     step by step (segmentation, embeddings, total), with the pipeline's RTF had it used stock.
Orchestration overhead = transcript-path time (decode, ASR, diarization, attribution; model loading
excluded) minus the two raw engine times. The analysis stage (pauses, emotion) is its own column.
Peak RSS is read after the pipeline run, before stock pyannote is loaded.

Targets (issues #2, #22): overhead <= 10 % of pipeline time; peak RSS for 60 min <= 3 GB with the
small size on CPU; RTF at 60 min within 15 % of RTF at 10 min; diarization RTF <= 0.20 and the
whole pipeline <= 0.55 with small on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

logger = logging.getLogger("bench")

LINES = [
    ("en-us+m3", "Thanks for coming in today. I have the results of the scan from Tuesday."),
    ("en-us+f3", "Okay. We have been waiting all week. Is it good news?"),
    ("en-us+m3", "I'm afraid it isn't. The tumor in her chest has grown, and there are two new spots."),
    ("en-us+f3", "I don't understand. The last chemo was supposed to work."),
    ("en-us+m3", "I know. I am so sorry. This is not what any of us hoped for."),
    ("en-us+f3", "What happens now? Is there another trial she can try?"),
    ("en-us+m3", "There is a trial we can talk about, and we will be with you the whole way."),
    ("en-us+f3", "Mm-hmm. Okay. Can you explain what the trial would involve?"),
]


def synthesize(minutes: float, path: Path) -> Path:
    """A two-voice consultation of the given length from espeak-ng lines and varied pauses.

    Lines already synthesized in the folder (``line<i>.16k.wav``) are reused, so a machine without
    espeak-ng (a lent GPU machine) can build the same consultation from lines made elsewhere.
    """
    import soundfile as sf

    rng = np.random.default_rng(7)
    clips = []
    for i, (voice, text) in enumerate(LINES):
        raw = path.parent / f"line{i}.wav"
        resampled = path.parent / f"line{i}.16k.wav"
        if not resampled.exists():
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True, capture_output=True)
            subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", str(resampled)], check=True, capture_output=True)
        clips.append(sf.read(resampled, dtype="float32")[0])
    target = int(minutes * 60 * 16000)
    out = np.zeros(target, dtype=np.float32)
    pos, i = 0, 0
    while pos < target:
        clip = clips[i % len(clips)]
        end = min(pos + len(clip), target)
        out[pos:end] = clip[: end - pos]
        pos = end + int(rng.uniform(0.3, 6.0) * 16000)
        i += 1
    out += rng.normal(0, 0.002, target).astype(np.float32)  # room noise floor
    sf.write(path, out, 16000)
    return path


def consultation(work_dir: Path, minutes: float) -> Path:
    """The benchmark consultation of this length in ``work_dir``, synthesized the first time it is asked for."""
    audio_path = work_dir / f"consult-{minutes:g}min.wav"
    if not audio_path.exists():
        synthesize(minutes, audio_path)
    return audio_path


def append_record(path: Path | None, record: dict[str, Any]) -> None:
    """One run's raw measurements as a JSON line, when ``--json-out`` asked for them."""
    if path is not None:
        with path.open("a") as sink:
            sink.write(json.dumps(record) + "\n")


def worker(
    audio_path: Path, models_dir: Path, asr_name: str, compare: bool = True, device: str = "cpu", asr_batch_size: int = 0
) -> dict[str, float]:
    """One measurement in a fresh process, so peak RSS belongs to this run alone."""
    import soundfile as sf

    from audio_pipeline import audio
    from audio_pipeline.diarize import PyannoteDiarizer
    from audio_pipeline.pipeline import TranscriptionPipeline
    from audio_pipeline.request import RunRequest
    from audio_pipeline.settings import Settings
    from audio_pipeline.transcribe import WhisperTranscriber

    # Random weights fail Whisper's quality checks on every window, so fallback would re-decode each
    # window up to six times, which a real model rarely does; the bench times one decode per window.
    settings = Settings(models_dir=models_dir, device=device, asr_temperature_fallback=False, asr_batch_size=asr_batch_size)
    pipeline = TranscriptionPipeline(settings)
    options = RunRequest(asr_model=asr_name, device=device, num_speakers=2)
    gpu = GpuMemory(device)
    # Warm both engines on a short clip first, so neither timed run pays one-off start-up costs.
    head = audio_path.with_suffix(".warmup.wav")
    sf.write(head, sf.read(audio_path, frames=20 * 16000, dtype="float32")[0], 16000)
    pipeline.run(head, options)
    transcript = pipeline.run(audio_path, options)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timings = transcript.provenance.timings_s
    measured = {
        "duration_s": transcript.recording.duration_s,
        **{f"stage_{k}": v for k, v in timings.items()},
        "peak_rss_mb": peak_rss_mb,
        "peak_gpu_mb": gpu.stop(),
        "segments": len(transcript.segments),
        "words": sum(len(s.words) for s in transcript.segments),
    }
    if not compare:
        return measured

    # The same engines, already loaded, timed alone on the same waveform with the same options.
    transcriber, diarizer = pipeline.engines(device, *pipeline.resolve_models(asr_name, device))
    assert isinstance(transcriber, WhisperTranscriber) and isinstance(diarizer, PyannoteDiarizer)
    waveform = audio.load(audio_path, pipeline.limits()).waveform
    kwargs = transcriber.engine_kwargs(pipeline.asr_options(transcriber.model, "en"))
    clock = time.perf_counter()
    segments, _ = transcriber.engine.transcribe(waveform, **kwargs)
    for _ in segments:
        pass
    raw_asr_s = time.perf_counter() - clock
    ours = time_diarization(diarizer.engine, waveform)
    # Stock pyannote on the same weights, in the same process, for the side-by-side columns.
    stock = PyannoteDiarizer(diarizer.model, device, runtime="stock")
    time_diarization(stock.engine, waveform[: 20 * 16000])  # warm-up, as the pipeline had
    stock_steps = time_diarization(stock.engine, waveform)

    return {
        **measured,
        "raw_asr_s": raw_asr_s,
        "raw_diarization_s": ours["total"],
        **{f"ours_{k}": v for k, v in ours.items()},
        **{f"stock_{k}": v for k, v in stock_steps.items()},
    }


class GpuMemory:
    """Peak memory the GPU driver reports in use while a run lasts (CTranslate2 and PyTorch together).

    PyTorch's own counters miss CTranslate2's allocations, so the driver's figure (NVML, sampled
    every 0.1 s) is the honest one; it includes the CUDA contexts. Nothing on a CPU run.
    """

    def __init__(self, device: str) -> None:
        import threading

        self.peak_mb = 0.0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        if device != "cuda":
            return
        try:
            import pynvml  # nvidia-ml-py, where a CUDA machine has it

            pynvml.nvmlInit()
            handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        except Exception:  # noqa: BLE001 - a missing reading is reported as 0, never a failed bench
            return

        def sample() -> None:
            while not self._done.wait(0.1):
                self.peak_mb = max(self.peak_mb, pynvml.nvmlDeviceGetMemoryInfo(handle).used / 2**20)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        return self.peak_mb


def time_diarization(engine: Any, waveform: np.ndarray) -> dict[str, float]:
    """Seconds per pyannote step (segmentation, embeddings, the rest) from its own progress hook."""
    import torch

    marks: dict[str, float] = {}
    start = time.perf_counter()

    def hook(step: str, *_args: Any, **_kwargs: Any) -> None:
        marks[step] = time.perf_counter()  # the last call of a step is its end

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine({"waveform": torch.from_numpy(waveform)[None], "sample_rate": 16000}, num_speakers=2, hook=hook)
    end = time.perf_counter()
    seg_end = marks.get("segmentation", start)
    emb_end = marks.get("embeddings", seg_end)
    return {"total": end - start, "segmentation": seg_end - start, "embeddings": emb_end - marks.get("speaker_counting", seg_end)}


def diarization_only(audio_path: Path, models_dir: Path, device: str) -> dict[str, float]:
    """Our diarization against stock pyannote alone, for a machine where recognition cannot run."""
    from audio_pipeline import audio
    from audio_pipeline.diarize import PyannoteDiarizer
    from audio_pipeline.models import resolve_diarization
    from audio_pipeline.settings import Settings

    settings = Settings(models_dir=models_dir, device=device)
    model = resolve_diarization(settings.diarization_model, settings)
    waveform = audio.load(audio_path, settings.audio_limits()).waveform
    measured: dict[str, float] = {"duration_s": len(waveform) / 16000}
    for name, runtime in (("ours", "auto"), ("stock", "stock")):
        engine = PyannoteDiarizer(model, device, runtime=runtime).engine  # type: ignore[arg-type]
        time_diarization(engine, waveform[: 20 * 16000])  # warm-up
        measured |= {f"{name}_{k}": v for k, v in time_diarization(engine, waveform).items()}
    return measured


def row(size: str, minutes: float, m: dict[str, float], device: str = "cpu", batch: int = 0) -> dict[str, str]:
    # The transcript path (decode, ASR, diarization, attribution) against the raw engines; model
    # loading happens once per process and the analysis stage (speech map, rules) is reported apart.
    # On a GPU, diarization may run beside recognition: the overlapped section's wall time then
    # stands for both stages.
    overlapped = "stage_transcribe_and_diarize" in m
    skip = {"stage_load_models", "stage_analyze"} | ({"stage_transcribe", "stage_diarize"} if overlapped else set())
    pipeline_s = sum(v for k, v in m.items() if k.startswith("stage_") and k not in skip)
    duration = m["duration_s"]
    compared = "stock_total" in m
    if compared:
        overhead_s = pipeline_s - m["raw_asr_s"] - m["raw_diarization_s"]
        # What the whole path would take with stock pyannote in place of ours (same process, same
        # audio), stage after stage as stock pyannote users run it.
        in_turn_s = (
            pipeline_s - m["stage_transcribe_and_diarize"] + m["stage_transcribe"] + m["stage_diarize"]
            if overlapped
            else pipeline_s
        )
        stock_pipeline_s = in_turn_s - m["stage_diarize"] + m["stock_total"]
    skipped = "(not run)"
    return {
        "size": size,
        "device": device,
        "asr batch": f"{batch}" if batch else "seq",
        "audio min": f"{minutes:g}",
        "decode s": f"{m['stage_decode']:.1f}",
        "asr s": f"{m['stage_transcribe']:.1f}",
        "diarize s": f"{m['stage_diarize']:.1f}",
        "asr+diar overlapped s": f"{m['stage_transcribe_and_diarize']:.1f}" if overlapped else "no",
        "attribute s": f"{m['stage_attribute']:.2f}",
        "pipeline s": f"{pipeline_s:.1f}",
        "RTF": f"{pipeline_s / duration:.3f}",
        "RTF w/ stock": f"{stock_pipeline_s / duration:.3f}" if compared else skipped,
        "stock seg/emb/all s": (
            f"{m['stock_segmentation']:.1f}/{m['stock_embeddings']:.1f}/{m['stock_total']:.1f}" if compared else skipped
        ),
        "ours seg/emb/all s": (
            f"{m['ours_segmentation']:.1f}/{m['ours_embeddings']:.1f}/{m['ours_total']:.1f}" if compared else skipped
        ),
        "diar RTF stock/ours": f"{m['stock_total'] / duration:.3f}/{m['ours_total'] / duration:.3f}" if compared else skipped,
        "raw asr s": f"{m['raw_asr_s']:.1f}" if compared else skipped,
        "raw diar s": f"{m['raw_diarization_s']:.1f}" if compared else skipped,
        "overhead": f"{overhead_s:+.1f} s ({100 * overhead_s / pipeline_s:+.1f} %)" if compared else skipped,
        "analyze s": f"{m.get('stage_analyze', 0.0):.1f}",
        "end-to-end s": f"{pipeline_s + m.get('stage_analyze', 0.0):.1f}",
        "words": f"{m['words']:.0f}",
        "peak RSS MB": f"{m['peak_rss_mb']:.0f}",
        "peak GPU MB": f"{m['peak_gpu_mb']:.0f}" if device == "cuda" else "-",
        "model load s": f"{m['stage_load_models']:.1f}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0])
    parser.add_argument("--sizes", nargs="+", default=["small", "large-v3-turbo"], choices=["tiny", "small", "large-v3-turbo"])
    parser.add_argument(
        "--compare-minutes",
        type=float,
        nargs="*",
        help="lengths on which the raw engines and stock pyannote are also timed (default: every length); "
        "stock pyannote on an hour takes about as long as the hour on 2 cores",
    )
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument(
        "--asr-batch-sizes",
        type=int,
        nargs="+",
        default=[0],
        help="0: sequential recognition (the default path); N: faster-whisper's batched pipeline, N windows at once",
    )
    parser.add_argument("--work-dir", type=Path, default=ROOT / "bench-out")
    parser.add_argument(
        "--diarization-only", action="store_true", help="time our diarization against stock pyannote alone (no recognition)"
    )
    parser.add_argument("--json-out", type=Path, help="also append each run's raw measurements here, one JSON line per run")
    parser.add_argument(
        "--worker", nargs=6, metavar=("AUDIO", "MODELS", "ASR_NAME", "COMPARE", "DEVICE", "BATCH"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    logging.getLogger("audio_pipeline").setLevel(logging.WARNING)

    if args.worker:
        audio_path, models_dir, asr_name, compare, device, batch = args.worker
        measured = worker(Path(audio_path), Path(models_dir), asr_name, compare == "1", device, int(batch))
        sys.stdout.write(json.dumps(measured) + "\n")
        return 0

    from rich.console import Console
    from rich.table import Table

    from scripts.make_test_models import build_diarization, build_whisper

    work = args.work_dir
    models_dir = work / "models"
    work.mkdir(parents=True, exist_ok=True)
    if not (models_dir / "pyannote").exists():
        build_diarization(models_dir)
    if args.diarization_only:
        for minutes in args.minutes:
            m = diarization_only(consultation(work, minutes), models_dir, args.device)
            steps = {k: round(v, 2) for k, v in m.items()}
            rtf = {name: round(m[f"{name}_total"] / m["duration_s"], 4) for name in ("ours", "stock")}
            logger.info("diarization only, %g min on %s: %s, RTF %s", minutes, args.device, json.dumps(steps), json.dumps(rtf))
            append_record(args.json_out, {"minutes": minutes, "device": args.device, "diarization_only": True, **m})
        return 0
    compare_minutes = args.minutes if args.compare_minutes is None else args.compare_minutes
    rows = []
    for size in args.sizes:
        asr_name = f"bench-{size}"
        if not (models_dir / "whisper" / asr_name / "model.bin").exists():
            logger.info("building random-weight Whisper %s (once; large sizes take minutes)", size)
            # float16 on disk for a GPU: half the bytes to write and load, the same weights it runs.
            build_whisper(models_dir, size, asr_name, quantization="float16" if args.device == "cuda" else None)
        for minutes in args.minutes:
            audio_path = consultation(work, minutes)
            for batch in args.asr_batch_sizes:
                logger.info("measuring %s on %g min (%s, asr batch %d)", size, minutes, args.device, batch)
                compare = "1" if minutes in compare_minutes else "0"
                worker_args = [str(audio_path), str(models_dir), asr_name, compare, args.device, str(batch)]
                out = subprocess.run([sys.executable, __file__, "--worker", *worker_args], capture_output=True, text=True)
                if out.returncode != 0:
                    logger.error("the measurement failed:\n%s", out.stderr[-4000:])
                    return 1
                measured = json.loads(out.stdout.strip().splitlines()[-1])
                run = {"size": size, "minutes": minutes, "device": args.device, "batch": batch}
                append_record(args.json_out, {**run, **measured})
                r = row(size, minutes, measured, args.device, batch)
                logger.info("%s", json.dumps(r))
                rows.append(r)

    title = f"alliance pipeline vs raw engines, our diarization vs stock pyannote ({args.device}, random weights)"
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(*r.values())
    # Wide enough that no header or cell wraps: the table is read (and tested) by its column names.
    width = sum(max(len(column), *(len(r[column]) for r in rows)) + 3 for column in rows[0]) + 1
    Console(width=max(width, len(title))).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
