"""Measure code suggestions on labelled clinician utterances: per-code precision and recall.

Usage:
    python scripts/eval_suggestions.py [--data FILE.csv ...] [--rules FILE] [--errors]

By default it scores two labelled sets: the development set the rules were written against
(scripts/data/suggestion_utterances.csv, 191 utterances) and a second set written after the rules
were first frozen (suggestion_utterances_heldout.csv, 91 utterances). The second set was blind on
its first run; the rules were then corrected on its errors, so it is not blind any more.
Each set (CSV: role, codes separated by ';', text) holds utterances in the style of
disease re-evaluation talks, with look-alike negatives ("we" meaning the clinic team only,
"I think" about the weather, "sorry?" meaning "pardon?"). An utterance counts once per code:
a true positive when the code is labelled and suggested. Targets: precision >= 0.85, recall >= 0.7.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio_pipeline.analysis.suggestions import DEFAULT_RULES, load_rules, match_text  # noqa: E402

logger = logging.getLogger("eval_suggestions")
DEFAULT_DATA = (
    ROOT / "scripts" / "data" / "suggestion_utterances.csv",
    ROOT / "scripts" / "data" / "suggestion_utterances_heldout.csv",
)
PRECISION_TARGET, RECALL_TARGET = 0.85, 0.7


@dataclass(frozen=True)
class Utterance:
    role: str
    codes: frozenset[str]
    text: str


def load(path: Path) -> list[Utterance]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Utterance(row["role"], frozenset(c for c in row["codes"].split(";") if c), row["text"])
            for row in csv.DictReader(handle)
        ]


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def evaluate(utterances: list[Utterance], rules_path: Path = DEFAULT_RULES) -> tuple[dict[str, Tally], list[str]]:
    rules = load_rules(rules_path)
    codes = sorted({r.code for r in rules})
    tallies = {code: Tally() for code in codes}
    errors: list[str] = []
    for utt in utterances:
        suggested = {m.code for m in match_text(utt.text, utt.role, rules)}
        for code in codes:
            if code in suggested and code in utt.codes:
                tallies[code].tp += 1
            elif code in suggested:
                tallies[code].fp += 1
                errors.append(f"FP {code}: {utt.text}")
            elif code in utt.codes:
                tallies[code].fn += 1
                errors.append(f"FN {code}: {utt.text}")
    return tallies, errors


def table(tallies: dict[str, Tally], n_utterances: int, name: str) -> str:
    lines = [
        f"Code suggestions on {n_utterances} labelled utterances ({name})",
        f"{'code':<36} {'labelled':>8} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}  target",
    ]
    for code, t in tallies.items():
        ok = t.precision >= PRECISION_TARGET and t.recall >= RECALL_TARGET
        lines.append(
            f"{code:<36} {t.tp + t.fn:>8} {t.tp:>4} {t.fp:>4} {t.fn:>4} {t.precision:>9.3f} {t.recall:>7.3f}  "
            + ("met" if ok else "MISSED")
        )
    total = Tally(sum(t.tp for t in tallies.values()), sum(t.fp for t in tallies.values()), sum(t.fn for t in tallies.values()))
    lines.append(f"{'all codes (micro)':<36} {total.tp + total.fn:>8} {total.tp:>4} {total.fp:>4} {total.fn:>4} "
                 f"{total.precision:>9.3f} {total.recall:>7.3f}")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=list(DEFAULT_DATA))
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES)
    parser.add_argument("--errors", action="store_true", help="list every false positive and false negative")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    for path in args.data:
        utterances = load(path)
        tallies, errors = evaluate(utterances, args.rules)
        logger.info("%s\n", table(tallies, len(utterances), path.name))
        if args.errors:
            for line in errors:
                logger.info("%s", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
