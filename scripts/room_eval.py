"""Pause figures on the far-field set, per room condition (used by ``eval_silences.py --rooms``).

Each true pause carries its conditions (RT60 band, recording level, distance of the further
talker on either side, whether overlapping talk bounds it). Sensitivity counts true pauses of
5 s or more that were found; precision counts found pauses of 5 s or more that match one, a
false alarm being filed under the conditions of the true pause it overlaps most (else its
conversation's). Boundary error is over every matched pause of 2 s or more, both ends.

The transcript passed to the analysis is the reference one, but the speech map is built from the
audio witnesses only: the reference word times are the truth, and letting them vote would grade
the answer key.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from audio_pipeline import audio
from audio_pipeline.analysis import AnalysisOptions, analyze
from audio_pipeline.analysis.inputs import AnalysisInputs
from scripts.eval_silences import LIMITS, SILENCE_S, _match, _overlap, reference_transcript

DIMENSIONS = ("rt60", "distance", "level", "overlap")


class _Tally:
    def __init__(self) -> None:
        self.true = self.hit_true = self.found = self.hit_found = 0
        self.errors: list[float] = []

    def row(self) -> tuple[str, str, str, str]:
        sens = f"{self.hit_true / self.true:.3f} ({self.hit_true}/{self.true})" if self.true else "n/a"
        prec = f"{self.hit_found / self.found:.3f} ({self.hit_found}/{self.found})" if self.found else "n/a"
        med = f"{np.median(self.errors):.3f}" if self.errors else "n/a"
        p95 = f"{np.percentile(self.errors, 95):.3f}" if self.errors else "n/a"
        return sens, prec, med, p95


def evaluate_rooms(consult_dir: Path) -> dict[str, object]:
    """Figures overall and per condition value, plus the mistakes (one line each)."""
    tallies: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    mistakes: list[str] = []
    files = sorted(consult_dir.glob("room-*.json"))
    for truth_path in files:
        truth = json.loads(truth_path.read_text())
        decoded = audio.load(truth_path.with_suffix(".wav"), LIMITS)
        inputs = AnalysisInputs.measure(decoded.waveform)
        result = analyze(reference_transcript(truth, decoded), inputs, AnalysisOptions())
        true_all = truth["pauses"]
        spans = [(p["start_s"], p["end_s"]) for p in true_all]
        found_all = [(p.start_s, p.end_s) for p in result.pauses]
        keys_of = [[("all", "all")] + [(d, p["conditions"][d]) for d in DIMENSIONS] for p in true_all]
        for i, j in _match(spans, found_all):
            err = [abs(spans[i][0] - found_all[j][0]), abs(spans[i][1] - found_all[j][1])]
            for key in keys_of[i]:
                tallies[key].errors += err
        long_true = [k for k, p in enumerate(true_all) if round(p["duration_s"], 1) >= SILENCE_S]
        long_found = [k for k, p in enumerate(result.pauses) if p.duration_s >= SILENCE_S]
        hits = _match([spans[k] for k in long_true], [found_all[k] for k in long_found])
        hit_true = {long_true[i] for i, _ in hits}
        hit_found = {long_found[j] for _, j in hits}
        for k in long_true:
            for key in keys_of[k]:
                tallies[key].true += 1
                tallies[key].hit_true += k in hit_true
            if k not in hit_true:
                mistakes.append(f"{truth['name']}: missed {spans[k][1] - spans[k][0]:.2f} s pause at {spans[k][0]:.2f}")
        for k in long_found:
            f = found_all[k]
            under = [i for i, t in enumerate(spans) if _overlap(t, f) > 0]
            if under:
                keys = keys_of[max(under, key=lambda i: _overlap(spans[i], f))]
            else:
                keys = [("all", "all")] + [(d, true_all[0]["conditions"][d]) for d in ("rt60", "level")]
            for key in keys:
                tallies[key].found += 1
                tallies[key].hit_found += k in hit_found
            if k not in hit_found:
                truly = ", ".join(f"{spans[i][1] - spans[i][0]:.2f} s" for i in under) or "no pause"
                mistakes.append(f"{truth['name']}: reported {f[1] - f[0]:.2f} s pause at {f[0]:.2f}, truly {truly} there")
    return {"conversations": len(files), "tallies": dict(tallies), "mistakes": mistakes}


def print_rooms(console: object, figures: dict[str, object], close_talk: dict[str, object] | None) -> None:
    from rich.table import Table

    table = Table(title=f"Pauses >= 5 s in simulated rooms ({figures['conversations']} conversations), by condition")
    for column in ("condition", "sensitivity", "precision", "boundary median (s)", "boundary p95 (s)"):
        table.add_column(column, justify="left" if column == "condition" else "right")
    tallies: dict[tuple[str, str], _Tally] = figures["tallies"]  # type: ignore[assignment]
    table.add_row("all far-field pauses", *tallies[("all", "all")].row() if ("all", "all") in tallies else ("n/a",) * 4)
    for dimension in DIMENSIONS:
        for key in sorted(k for k in tallies if k[0] == dimension):
            table.add_row(f"  {key[1]}", *tallies[key].row())
    if close_talk is not None:
        table.add_row(
            f"close talk ({close_talk['conversations']} conversations)",
            str(close_talk["long_sensitivity"]),
            str(close_talk["long_precision"]),
            f"{close_talk['boundary_median_s']:.3f}",
            f"{close_talk['boundary_p95_s']:.3f}",
        )
    table.add_row("target", ">= 0.95", ">= 0.95", "<= 0.15", "")
    console.print(table)  # type: ignore[attr-defined]
    for mistake in figures["mistakes"][:30]:  # type: ignore[index]
        console.print(f"  {mistake}")  # type: ignore[attr-defined]
