"""Measure pause, Silence-candidate and emotional-content detection, and print the tables.

Usage:
    python scripts/eval_silences.py [--consults DIR] [--count 48] [--utterances CSV]

Pauses are measured on the audio by the real pipeline (Silero speech map, 10 ms refinement).
The text comes from each conversation's reference transcript (what was said, by whom, when),
passed through the same analysis a hand-corrected transcript gets: without real ASR weights on
this machine, a random-weight recognizer would write nonsense and say nothing about emotion.
Emotional content is also measured on the labelled utterance set (scripts/data/emotion_utterances.csv).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio_pipeline import audio  # noqa: E402
from audio_pipeline.analysis import AnalysisOptions, analyze  # noqa: E402
from audio_pipeline.analysis.emotion import detect  # noqa: E402
from audio_pipeline.schema import ModelInfo, Provenance, Segment, Transcript, Word  # noqa: E402

logger = logging.getLogger("eval_silences")
LIMITS = audio.AudioLimits(4 * 3600, 32, 4000, 384_000)
SILENCE_S = 5.0


def reference_transcript(truth: dict, decoded: audio.DecodedAudio) -> Transcript:
    """The transcript a careful human would produce: true text, speakers and utterance times."""
    segments = []
    for i, utt in enumerate(truth["utterances"], start=1):
        tokens = utt["text"].split()
        span = (utt["end_s"] - utt["start_s"]) / len(tokens)
        words = [
            Word(
                start_s=round(utt["start_s"] + k * span, 3),
                end_s=round(utt["start_s"] + (k + 1) * span, 3),
                text=tok,
                probability=1.0,
                speaker=utt["speaker"],
            )
            for k, tok in enumerate(tokens)
        ]
        segments.append(
            Segment(
                id=f"seg-{i:05d}",
                start_s=utt["start_s"],
                end_s=utt["end_s"],
                speaker=utt["speaker"],
                text=utt["text"],
                words=words,
                overlap=False,
                asr_confidence=1.0,
            )
        )
    reference = ModelInfo(name="reference-transcript")
    return Transcript(
        recording=decoded.info,
        provenance=Provenance(
            package_version="eval",
            created_at=datetime.now(UTC),
            device="cpu",
            asr_model=reference,
            asr_compute_type="n/a",
            diarization_model=reference,
            engine_versions={},
            parameters={},
        ),
        language="en",
        speakers=[],
        segments=segments,
        warnings=[],
    )


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def _match(truth: list[tuple[float, float]], found: list[tuple[float, float]]) -> list[tuple[int, int]]:
    """Greedy one-to-one matching by overlap (each pair must overlap by half the shorter one)."""
    pairs = []
    used: set[int] = set()
    for i, t in enumerate(truth):
        best, best_overlap = None, 0.0
        for j, f in enumerate(found):
            ov = _overlap(t, f)
            if j not in used and ov > best_overlap and ov >= 0.5 * min(t[1] - t[0], f[1] - f[0]):
                best, best_overlap = j, ov
        if best is not None:
            used.add(best)
            pairs.append((i, best))
    return pairs


def _rate(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.3f} ({numerator}/{denominator})" if denominator else "n/a"


def evaluate_consults(consult_dir: Path) -> dict[str, object]:
    totals = {"long_true": 0, "long_found": 0, "long_hit_true": 0, "long_hit_found": 0}
    cand = {"true": 0, "found": 0, "hit_true": 0, "hit_found": 0}
    errors: list[float] = []
    by_condition: dict[str, list[float]] = {}
    mistakes: list[str] = []  # misses and false alarms, one line each
    files = sorted(consult_dir.glob("*.json"))
    for truth_path in files:
        truth = json.loads(truth_path.read_text())
        decoded = audio.load(truth_path.with_suffix(".wav"), LIMITS)
        result = analyze(reference_transcript(truth, decoded), decoded.waveform, AnalysisOptions())
        true_all = [(p["start_s"], p["end_s"]) for p in truth["pauses"]]
        found_all = [(p.start_s, p.end_s) for p in result.pauses]
        for i, j in _match(true_all, found_all):
            err = [abs(true_all[i][0] - found_all[j][0]), abs(true_all[i][1] - found_all[j][1])]
            errors += err
            by_condition.setdefault(truth["condition"], []).extend(err)

        true_long = [(p["start_s"], p["end_s"]) for p in truth["pauses"] if round(p["duration_s"], 1) >= SILENCE_S]
        found_long = [(p.start_s, p.end_s) for p in result.pauses if p.duration_s >= SILENCE_S]
        hits = _match(true_long, found_long)
        totals["long_true"] += len(true_long)
        totals["long_found"] += len(found_long)
        totals["long_hit_true"] += len(hits)
        totals["long_hit_found"] += len(hits)
        hit_true, hit_found = {i for i, _ in hits}, {j for _, j in hits}
        for k, t in enumerate(true_long):
            if k not in hit_true:
                mistakes.append(f"{truth['name']}: missed {t[1] - t[0]:.2f} s pause at {t[0]:.2f}")
        for k, f in enumerate(found_long):
            if k not in hit_found:
                under = [t for t in true_all if _overlap(t, f) > 0]
                truly = f"truly {under[0][1] - under[0][0]:.2f} s" if under else "no pause there"
                mistakes.append(f"{truth['name']}: reported {f[1] - f[0]:.2f} s pause at {f[0]:.2f}, {truly}")

        true_c = [
            (p["start_s"], p["end_s"]) for p in truth["pauses"] if round(p["duration_s"], 1) >= SILENCE_S and p["follows_emotion"]
        ]
        found_c = [(c.start_s, c.end_s) for c in result.silence_candidates]
        chits = _match(true_c, found_c)
        cand["true"] += len(true_c)
        cand["found"] += len(found_c)
        cand["hit_true"] += len(chits)
        cand["hit_found"] += len(chits)
    arr = np.array(errors) if errors else np.array([np.nan])
    return {
        "conversations": len(files),
        "long_sensitivity": _rate(totals["long_hit_true"], totals["long_true"]),
        "long_precision": _rate(totals["long_hit_found"], totals["long_found"]),
        "boundary_median_s": float(np.median(arr)),
        "boundary_p95_s": float(np.percentile(arr, 95)),
        "boundary_by_condition": {k: (float(np.median(v)), float(np.percentile(v, 95))) for k, v in by_condition.items()},
        "candidate_sensitivity": _rate(cand["hit_true"], cand["true"]),
        "candidate_precision": _rate(cand["hit_found"], cand["found"]),
        "mistakes": mistakes,
    }


def evaluate_emotion(csv_path: Path) -> dict[str, object]:
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    tp = fp = fn = 0
    for row in rows:
        emotion = detect(row["text"])
        predicted = emotion is not None and emotion.score >= AnalysisOptions().min_emotion_score
        gold = row["emotional"] == "1"
        tp += predicted and gold
        fp += predicted and not gold
        fn += gold and not predicted
    return {"utterances": len(rows), "recall": _rate(tp, tp + fn), "precision": _rate(tp, tp + fp)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--consults", type=Path, help="folder from make_synthetic_consults.py (default: build one)")
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--utterances", type=Path, default=ROOT / "scripts" / "data" / "emotion_utterances.csv")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from rich.console import Console
    from rich.table import Table

    with tempfile.TemporaryDirectory() as tmp:
        consults = args.consults
        if consults is None:
            from scripts.make_synthetic_consults import main as make

            consults = Path(tmp)
            make([str(consults), "--count", str(args.count)])
        pauses = evaluate_consults(consults)
    emotion = evaluate_emotion(args.utterances)

    console = Console(width=140)
    table = Table(title=f"Pauses >= 5 s and Silence candidates ({pauses['conversations']} synthetic conversations)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row("pauses >= 5 s: sensitivity", str(pauses["long_sensitivity"]), ">= 0.98")
    table.add_row("pauses >= 5 s: precision", str(pauses["long_precision"]), ">= 0.98")
    table.add_row("boundary error, median (s)", f"{pauses['boundary_median_s']:.3f}", "<= 0.10")
    table.add_row("boundary error, 95th percentile (s)", f"{pauses['boundary_p95_s']:.3f}", "<= 0.25")
    for condition, (median, p95) in sorted(pauses["boundary_by_condition"].items()):  # type: ignore[attr-defined]
        table.add_row(f"  boundary error {condition}: median / p95 (s)", f"{median:.3f} / {p95:.3f}", "")
    table.add_row("Silence candidates: sensitivity", str(pauses["candidate_sensitivity"]), ">= 0.95")
    table.add_row("Silence candidates: precision", str(pauses["candidate_precision"]), ">= 0.90")
    table.add_row(f"emotional content: recall ({emotion['utterances']} utterances)", str(emotion["recall"]), ">= 0.90")
    table.add_row("emotional content: precision", str(emotion["precision"]), ">= 0.80")
    console.print(table)
    for mistake in pauses["mistakes"][:20]:  # type: ignore[index]
        console.print(f"  {mistake}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
