"""Code suggestions: codebook codes whose lexical signature appears in clinician speech.

Rules live in data/suggestion_rules.yaml so sites can tune them without a release. Every match is
labelled a suggestion with the rule that fired and the exact span, for a coder to accept or reject;
nothing here codes a transcript.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..codebook import load_codebook
from ..datafiles import data_file
from ..errors import InvalidOptionError
from ..schema import CodeSuggestion, Segment

DEFAULT_RULES = Path(__file__).with_name("data") / "suggestion_rules.yaml"
# A clinician behaviour is only suggested for clinicians, or for speakers whose role is not known yet.
_CLINICIAN_ROLES = frozenset({"oncologist", "other_clinician", "unknown", None})
_SENTENCE_END = re.compile(r"[.?!]+(\s|$)")


@dataclass(frozen=True)
class SuggestionRule:
    id: str
    code: str
    confidence: float
    pattern: re.Pattern[str]
    unless: tuple[re.Pattern[str], ...]
    clinician_only: bool


@data_file("the suggestion rules", DEFAULT_RULES)
def load_rules(data: Any) -> tuple[SuggestionRule, ...]:
    codes = load_codebook().paths
    rules = tuple(
        SuggestionRule(
            id=r["id"],
            code=r["code"],
            confidence=float(r["confidence"]),
            pattern=re.compile(r["pattern"], re.IGNORECASE),
            unless=tuple(re.compile(p, re.IGNORECASE) for p in r.get("unless", [])),
            clinician_only=r.get("speakers", "clinician") == "clinician",
        )
        for r in data["rules"]
    )
    unknown = sorted({r.code for r in rules} - codes)
    if unknown:
        raise InvalidOptionError(f"suggestion rules name codes that are not in the codebook: {', '.join(unknown)}")
    return rules


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence holding text[start:end], so an 'unless' pattern only looks at its own context."""
    begin = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        begin = match.end()
    after = _SENTENCE_END.search(text, end)
    return text[begin : after.start() if after else len(text)]


@dataclass(frozen=True)
class Match:
    code: str
    start_char: int
    end_char: int
    text: str
    confidence: float
    rule: str


def match_text(text: str, role: str | None, rules: Sequence[SuggestionRule] | None = None) -> list[Match]:
    """Suggestions for one utterance: at most one span per code and rule stretch of text."""
    found: list[Match] = []
    for rule in rules if rules is not None else load_rules():
        if rule.clinician_only and role not in _CLINICIAN_ROLES:
            continue
        for hit in rule.pattern.finditer(text):
            start, end = hit.span()
            if start == end:
                continue
            sentence = _sentence(text, start, end)
            if any(p.search(sentence) for p in rule.unless):
                continue
            if any(m.code == rule.code and m.start_char < end and start < m.end_char for m in found):
                continue
            found.append(Match(rule.code, start, end, hit.group(0), rule.confidence, rule.id))
    return sorted(found, key=lambda m: (m.start_char, m.code))


def suggest(segments: Sequence[Segment], rules_path: Path = DEFAULT_RULES) -> list[CodeSuggestion]:
    rules = load_rules(rules_path)
    suggestions: list[CodeSuggestion] = []
    for seg in segments:
        for m in match_text(seg.text, seg.role, rules):
            suggestions.append(
                CodeSuggestion(
                    id=f"sug-{len(suggestions) + 1:04d}",
                    code=m.code,
                    segment_id=seg.id,
                    start_char=m.start_char,
                    end_char=m.end_char,
                    text=m.text,
                    confidence=m.confidence,
                    rule=m.rule,
                )
            )
    return suggestions
