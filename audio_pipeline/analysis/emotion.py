"""Emotional content per segment, from an editable rule lexicon (data/emotion_lexicon.yaml).

Each rule that fires leaves a cue with its exact character span, so a coder sees why a segment
was flagged. Rules are data, not code: sites can add their own phrasing without a release.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import data_file_errors
from ..schema import Emotion, EmotionCue

DEFAULT_LEXICON = Path(__file__).with_name("data") / "emotion_lexicon.yaml"
_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    weight: float
    pattern: re.Pattern[str]
    negatable: bool


@dataclass(frozen=True)
class Lexicon:
    rules: tuple[Rule, ...]
    negators: frozenset[str]


@functools.lru_cache(maxsize=4)
def load_lexicon(path: Path = DEFAULT_LEXICON) -> Lexicon:
    with data_file_errors("the emotion lexicon"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules = tuple(
            Rule(r["id"], r["category"], float(r["weight"]), re.compile(r["pattern"], re.IGNORECASE), bool(r["negatable"]))
            for r in data["rules"]
        )
    return Lexicon(rules=rules, negators=frozenset(str(n).lower() for n in data.get("negators", [])))


def _negated(text: str, start: int, negators: frozenset[str]) -> bool:
    before = _WORD.findall(text[max(0, start - 40) : start].lower())[-3:]
    return any(w in negators or w.endswith("n't") for w in before)


def detect(text: str, lexicon: Lexicon | None = None) -> Emotion | None:
    """The emotional cues in one segment's text, or None when there are none."""
    lexicon = lexicon or load_lexicon()
    cues: list[EmotionCue] = []
    taken: list[tuple[int, int]] = []
    for rule in lexicon.rules:
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            if rule.negatable and _negated(text, start, lexicon.negators):
                continue
            # One stretch of text counts once, for the first (most specific) rule that claims it.
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            cues.append(EmotionCue(category=rule.category, start_char=start, end_char=end, text=match.group(0), rule=rule.id))
    if not cues:
        return None
    weights = {c.rule: next(r.weight for r in lexicon.rules if r.id == c.rule) for c in cues}
    remaining = 1.0
    for cue in cues:
        remaining *= 1.0 - weights[cue.rule]
    cues.sort(key=lambda c: c.start_char)
    categories = list(dict.fromkeys(c.category for c in cues))
    return Emotion(score=round(1.0 - remaining, 3), categories=categories, cues=cues)
