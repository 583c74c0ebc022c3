"""Wall time of `alliance batch` over synthetic consultations with tiny random-weight models.

Usage:
    .venv/bin/python scripts/bench_batch.py [--recordings 10] [--workers 1 2] [--models DIR]

Builds labelled synthetic consultations (scripts/make_synthetic_consults.py) and, unless --models
is given, tiny test models; then runs the real command once per worker count into a fresh OUT_DIR
and once more to time a rerun where everything is already done. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.make_synthetic_consults import build  # noqa: E402
from scripts.make_test_models import models_for_bench  # noqa: E402

logger = logging.getLogger("bench_batch")


def run_batch(input_dir: Path, out_dir: Path, models: Path, workers: int) -> tuple[float, dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")}
    env |= {"ALLIANCE_MODELS_DIR": str(models), "ALLIANCE_DATA_DIR": str(out_dir.parent / "data")}
    command = [sys.executable, "-m", "service.cli", "batch", str(input_dir), "--out", str(out_dir)]
    command += ["--workers", str(workers), "--log-format", "jsonl", "--formats", "maxqda,qdpx"]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - started
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    finished = next((e for e in events if e["event"] == "batch_finished"), None)
    if finished is None:
        raise SystemExit(f"batch failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return wall_s, finished


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recordings", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--models", type=Path, help="a models folder (default: build tiny random-weight models)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp_name:
        tmp = Path(tmp_name)
        models = models_for_bench(args.models, tmp)
        input_dir = tmp / "in"
        input_dir.mkdir()
        logger.info("synthesizing %d consultations", args.recordings)
        cache: dict[tuple[str, str], object] = {}
        for i in range(args.recordings):
            build(i, input_dir, cache, tmp)  # type: ignore[arg-type]
        for sidecar in input_dir.glob("*.json"):
            sidecar.unlink()  # ground truth, not recordings
        audio_min = sum(_duration_s(p) for p in input_dir.glob("*.wav")) / 60

        table = Table(title=f"alliance batch, {args.recordings} recordings, {audio_min:.1f} min of audio, tiny models")
        for column in ("workers", "run", "wall s", "s per recording", "processed", "already done", "failed"):
            table.add_column(column, justify="right")
        for workers in args.workers:
            out_dir = tmp / f"out-{workers}"
            for run in ("fresh", "rerun"):
                wall_s, finished = run_batch(input_dir, out_dir, models, workers)
                table.add_row(
                    str(workers),
                    run,
                    f"{wall_s:.1f}",
                    f"{wall_s / args.recordings:.1f}",
                    str(finished["processed"]),
                    str(finished["already_done"]),
                    str(finished["failed"]),
                )
        Console().print(table)
    return 0


def _duration_s(path: Path) -> float:
    import soundfile as sf

    return float(sf.info(str(path)).duration)


if __name__ == "__main__":
    raise SystemExit(main())
