"""Held-out split for the emotion detector's learned witness: train on some labelled sets, score others.

Usage:
    python scripts/emotion_split.py [--hold-out emotion_utterances_blind4.csv ...] [--threshold 0.7 ...]

For each held-out set the classifier is retrained on the shipped training rows
(audio_pipeline/analysis/data/emotion_training.csv) minus that set's rows, and the set is scored with
the rules alone and with the rules plus the classifier at each threshold. The rules themselves were
tuned on sets 1-3, so only a held-out set the rules were never tuned on (set 4 for the round-3 rules)
gives a clean figure for the combination; the others show the classifier's own generalisation on top
of fitted rules. Blind set 5 is not in the training rows and must never be passed here before it is
scored once.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio_pipeline.analysis.emotion import detect, load_lexicon  # noqa: E402
from audio_pipeline.analysis.emotion_classifier import DEFAULT_TRAINING  # noqa: E402


def _score(predicted: list[bool], gold: list[bool]) -> str:
    tp = sum(p and g for p, g in zip(predicted, gold, strict=True))
    fp = sum(p and not g for p, g in zip(predicted, gold, strict=True))
    recall = tp / max(1, sum(gold))
    precision = tp / max(1, tp + fp)
    return f"{recall:.3f} / {precision:.3f} ({tp}/{sum(gold)}, {fp} false)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold-out", nargs="+", default=["emotion_utterances_blind4.csv"])
    parser.add_argument("--threshold", nargs="+", type=float, default=[0.6, 0.7, 0.8])
    args = parser.parse_args()
    with DEFAULT_TRAINING.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    base = load_lexicon()
    table = Table(title="Emotional turns on a held-out set: recall / precision")
    table.add_column("held out")
    table.add_column("rules alone")
    for threshold in args.threshold:
        table.add_column(f"rules + classifier >= {threshold}")
    for name in args.hold_out:
        held = [r for r in rows if r["set"] == name]
        if not held:
            raise SystemExit(f"no training rows come from {name}")
        with tempfile.TemporaryDirectory() as tmp:
            training = Path(tmp) / "training.csv"
            with training.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=["text", "emotional", "set"], lineterminator="\n")
                writer.writeheader()
                writer.writerows(r for r in rows if r["set"] != name)
            gold = [r["emotional"] == "1" for r in held]
            rules = dataclasses.replace(base, classifier=None)
            cells = [_score([detect(r["text"], rules) is not None for r in held], gold)]
            assert base.classifier is not None
            for threshold in args.threshold:
                settings = dataclasses.replace(base.classifier, training=training, threshold=threshold)
                lexicon = dataclasses.replace(base, classifier=settings)
                cells.append(_score([detect(r["text"], lexicon) is not None for r in held], gold))
        table.add_row(f"{name} ({len(held)})", *cells)
    Console().print(table)


if __name__ == "__main__":
    main()
