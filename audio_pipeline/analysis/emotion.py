"""Emotional content per segment: editable rules (data/emotion_lexicon.yaml), VADER's
sentence-level negative affect, and a learned witness (emotion_classifier.py) for sentences neither
explained.

Each cue keeps its exact character span, the rule family and the resource that produced it, so a
coder sees why a segment was flagged. Rules are data, not code: sites can add their own phrasing
without a release. Before the rules run, words a recognizer commonly mishears ("she's cared"), and
words or split word pairs ("terra fied") that are not English but close to an emotion word (rapidfuzz),
are read as that word, so one mangled word does not hide a turn; the cue still points at the words
as heard.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from ..datafiles import data_file
from ..deid.participants import english_words
from ..schema import Emotion, EmotionCue
from .emotion_classifier import CLASSIFIER_RESOURCE, DEFAULT_TRAINING, ClassifierSettings, trained

DEFAULT_LEXICON = Path(__file__).with_name("data") / "emotion_lexicon.yaml"
LEXICON_RESOURCE = "alliance emotion lexicon"
VADER_RESOURCE = f"VADER {version('vaderSentiment')} (vaderSentiment, MIT)"
_WORD = re.compile(r"[\w']+")
_ALPHA_WORD = re.compile(r"\b[a-zA-Z]+\b")
_SENTENCE = re.compile(r"[^.?!]+[.?!]*")
# A negator reaches over the words of its own clause only: "I don't know, I'm scared" and "I can't
# tell you how scared I am" are not negated, "I don't think he was frightened" is.
_CLAUSE_BREAK = re.compile(r"[,;:.?!]|\b(but|and|because|how|what|why|when|if)\b", re.IGNORECASE)
_NEGATION_WINDOW = 4
# "can't stop crying", "couldn't help worrying": the negator is on the verb, not on the emotion.
_UNNEGATING = frozenset({"stop", "help", "hold", "keep", "believe"})


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    category: str
    weight: float
    pattern: re.Pattern[str]
    negatable: bool
    unless: re.Pattern[str] | None = None  # the rule does not fire in a sentence this matches


@dataclass(frozen=True)
class VaderSettings:
    threshold: float
    weight: float
    neutral: frozenset[str]
    ignore_sentences: re.Pattern[str] | None


@dataclass(frozen=True)
class Lexicon:
    rules: tuple[Rule, ...]
    negators: frozenset[str]
    suppressors: tuple[re.Pattern[str], ...] = ()
    sound_alikes: tuple[tuple[re.Pattern[str], str], ...] = ()
    fuzzy_vocabulary: tuple[str, ...] = ()
    fuzzy_ordinary: frozenset[str] = frozenset()
    fuzzy_min_length: int = 5
    fuzzy_cutoff: float = 0.86
    vader: VaderSettings | None = None
    classifier: ClassifierSettings | None = None


def _classifier_settings(section: Any) -> ClassifierSettings | None:
    if not section:
        return None
    training = Path(str(section.get("training", DEFAULT_TRAINING.name)))
    return ClassifierSettings(
        # A bare file name is looked up beside the packaged lexicon; a site can point at its own file.
        training=training if training.is_absolute() else DEFAULT_LEXICON.parent / training,
        threshold=float(section["threshold"]),
        weight=float(section["weight"]),
        strength=float(section.get("strength", 8.0)),
        top_terms=int(section.get("top_terms", 3)),
    )


@data_file("the emotion lexicon", DEFAULT_LEXICON)
def load_lexicon(data: Any) -> Lexicon:
    rules = tuple(
        Rule(
            r["id"],
            str(r.get("family", "emotion_lexicon")),
            r["category"],
            float(r["weight"]),
            re.compile(r["pattern"], re.IGNORECASE),
            bool(r["negatable"]),
            re.compile(r["unless"], re.IGNORECASE) if r.get("unless") else None,
        )
        for r in data["rules"]
    )
    fuzzy = data.get("fuzzy") or {}
    vader = data.get("vader")
    return Lexicon(
        rules=rules,
        negators=frozenset(str(n).lower() for n in data.get("negators", [])),
        suppressors=tuple(re.compile(s["pattern"], re.IGNORECASE) for s in data.get("suppressors", [])),
        sound_alikes=tuple((re.compile(s["heard"], re.IGNORECASE), str(s["meant"])) for s in data.get("sound_alikes", [])),
        fuzzy_vocabulary=tuple(str(w).lower() for w in fuzzy.get("vocabulary", [])),
        fuzzy_ordinary=frozenset(str(w).lower() for w in fuzzy.get("ordinary", [])),
        fuzzy_min_length=int(fuzzy.get("min_length", 5)),
        fuzzy_cutoff=float(fuzzy.get("cutoff", 0.86)),
        vader=None
        if vader is None
        else VaderSettings(
            threshold=float(vader["threshold"]),
            weight=float(vader["weight"]),
            neutral=frozenset(str(w).lower() for w in vader.get("neutral", [])),
            ignore_sentences=re.compile(vader["ignore_sentences"], re.IGNORECASE) if vader.get("ignore_sentences") else None,
        ),
        classifier=_classifier_settings(data.get("classifier")),
    )


@functools.lru_cache(maxsize=4)
def _analyzer(neutral: frozenset[str]) -> SentimentIntensityAnalyzer:
    """VADER with the clinical topic words removed from its lexicon (they are topic, not affect, here)."""
    analyzer = SentimentIntensityAnalyzer()
    for word in neutral:
        analyzer.lexicon.pop(word, None)
    return analyzer


@dataclass(frozen=True)
class _Reading:
    """The text as the rules read it, with each read character's span in the original text."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    heard_as: dict[int, str]  # original start of a rewritten word -> the word it was read as

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[max(start, end - 1)]


def _read(text: str, lexicon: Lexicon) -> _Reading:
    edits: list[tuple[int, int, str]] = []
    for pattern, meant in lexicon.sound_alikes:
        # Only the group named w is rewritten when there is one: the rest is context.
        edits += [(*m.span("w" if "w" in pattern.groupindex else 0), meant) for m in pattern.finditer(text)]
    if lexicon.fuzzy_vocabulary:
        edits += _fuzzy_edits(text, lexicon)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    heard_as: dict[int, str] = {}
    cursor = 0
    for start, end, meant in sorted(edits):
        if start < cursor:
            continue  # overlapping rewrites: the first one wins
        for i in range(cursor, start):
            out.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        out.append(meant)
        starts += [start] * len(meant)
        ends += [end] * len(meant)
        heard_as[start] = meant
        cursor = end
    for i in range(cursor, len(text)):
        out.append(text[i])
        starts.append(i)
        ends.append(i + 1)
    return _Reading("".join(out), tuple(starts), tuple(ends), heard_as)


def _fuzzy_edits(text: str, lexicon: Lexicon) -> list[tuple[int, int, str]]:
    """Words (and pairs of words a recognizer split: "terra fied", "over whelmed") that are not English
    but are this close to an emotion word (rapidfuzz's normalized Indel ratio), read as that word."""
    vocabulary = set(lexicon.fuzzy_vocabulary)
    cutoff = lexicon.fuzzy_cutoff * 100

    def closest(word: str) -> str | None:
        if word in vocabulary or word in lexicon.fuzzy_ordinary or word in english_words():
            return None  # a real English word is what was said, not a mishearing ("going" is not "growing")
        match = process.extractOne(word, lexicon.fuzzy_vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
        return None if match is None else str(match[0])

    words = list(_ALPHA_WORD.finditer(text))
    edits: list[tuple[int, int, str]] = []
    taken: set[int] = set()
    for first, second in itertools.pairwise(words):
        a, b = first.group(0).lower(), second.group(0).lower()
        if text[first.end() : second.start()] != " " or a in vocabulary or b in vocabulary:
            continue
        if text[max(0, first.start() - 1) : first.start()] == "'" or text[second.end() : second.end() + 1] == "'":
            continue  # part of a contraction: "she's cared" is not "s" + "cared"
        joined = a + b
        meant = joined if joined in vocabulary else closest(joined) if len(joined) >= max(7, lexicon.fuzzy_min_length) else None
        if meant:
            edits.append((first.start(), second.end(), meant))
            taken |= {first.start(), second.start()}
    for m in words:
        word = m.group(0).lower()
        if m.start() in taken or len(word) < lexicon.fuzzy_min_length:
            continue
        if meant := closest(word):
            edits.append((m.start(), m.end(), meant))
    return edits


def _negated(text: str, start: int, negators: frozenset[str]) -> bool:
    before = text[max(0, start - 60) : start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    words = _WORD.findall(before.lower())[-_NEGATION_WINDOW:]
    for i, word in enumerate(words):
        if (word in negators or word.endswith("n't")) and not _UNNEGATING.intersection(words[i + 1 :]):
            return True
    return False


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around a match: from the last stop before it to the next stop after it."""
    begin = max(text.rfind(stop, 0, start) for stop in ".?!") + 1
    ends = [i for i in (text.find(stop, end) for stop in ".?!") if i >= 0]
    return text[begin : min(ends) + 1 if ends else len(text)]


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < s_end and s_start < end for s_start, s_end in spans)


def _rule_cues(
    reading: _Reading, lexicon: Lexicon, suppressed: list[tuple[int, int]]
) -> tuple[list[EmotionCue], list[tuple[int, int]]]:
    """The rule cues, and the stretches of the read text they claim (a negated emotion word claims its
    stretch too, so VADER does not read "I don't think he was frightened" as fear after all)."""
    cues: list[EmotionCue] = []
    taken: list[tuple[int, int]] = []
    negated: list[tuple[int, int]] = []
    for rule in lexicon.rules:
        for match in rule.pattern.finditer(reading.text):
            start, end = match.span()
            if start == end or _overlaps(start, end, suppressed):
                continue
            if rule.negatable and _negated(reading.text, start, lexicon.negators):
                negated.append((start, end))
                continue
            if rule.unless is not None and rule.unless.search(_sentence(reading.text, start, end)):
                continue
            # One stretch of text counts once, for the first (most specific) rule that claims it.
            if _overlaps(start, end, taken):
                continue
            taken.append((start, end))
            cues.append(_cue(reading, start, end, rule.category, rule.id, rule.family, LEXICON_RESOURCE, rule.weight))
    return cues, taken + negated


def _unexplained_sentences(
    reading: _Reading, suppressed: list[tuple[int, int]], claimed: list[tuple[int, int]]
) -> Iterator[tuple[str, int, int]]:
    """Each sentence with its offsets in the read text, unless a guard suppressed it or a rule claimed it."""
    for match in _SENTENCE.finditer(reading.text):
        sentence = match.group(0).strip()
        if not sentence:
            continue
        start = match.start() + match.group(0).index(sentence)
        end = start + len(sentence)
        if not (_overlaps(start, end, suppressed) or _overlaps(start, end, claimed)):
            yield sentence, start, end


def _vader_cues(
    reading: _Reading, settings: VaderSettings, suppressed: list[tuple[int, int]], claimed: list[tuple[int, int]]
) -> list[EmotionCue]:
    """Sentences no rule explained whose VADER compound score says negative affect."""
    analyzer = _analyzer(settings.neutral)
    cues = []
    for sentence, start, end in _unexplained_sentences(reading, suppressed, claimed):
        if settings.ignore_sentences is not None and settings.ignore_sentences.search(sentence):
            continue
        compound = float(analyzer.polarity_scores(sentence)["compound"])
        if compound <= settings.threshold:
            cue = _cue(reading, start, end, "negative_affect", "vader.negative", "vader", VADER_RESOURCE, settings.weight)
            cues.append(cue.model_copy(update={"vader_compound": round(compound, 3)}))
    return cues


def _classifier_cues(
    reading: _Reading,
    lexicon: Lexicon,
    settings: ClassifierSettings,
    suppressed: list[tuple[int, int]],
    claimed: list[tuple[int, int]],
    cued: list[tuple[int, int]],
) -> list[EmotionCue]:
    """Sentences no rule and no VADER score explained that the learned witness finds emotional with high
    probability. The rules' precision guards still apply: a suppressed stretch (story, idiom, everyday
    complaint), a negated emotion word, or a sentence VADER is told to ignore gets no classifier cue."""
    model = trained(settings)
    cues = []
    for sentence, start, end in _unexplained_sentences(reading, suppressed, claimed):
        if _overlaps(*reading.span(start, end), cued):
            continue  # already explained by a rule or VADER (cued is in the original text's offsets)
        ignore = lexicon.vader.ignore_sentences if lexicon.vader is not None else None
        if ignore is not None and ignore.search(sentence):
            continue
        probability = model.probability(sentence)
        if probability >= settings.threshold:
            cue = _cue(
                reading, start, end, "learned_emotion", "classifier.logreg", "classifier", CLASSIFIER_RESOURCE, settings.weight
            )
            update = {
                "classifier_probability": round(probability, 3),
                "classifier_terms": model.top_terms(sentence, settings.top_terms),
            }
            cues.append(cue.model_copy(update=update))
    return cues


def _cue(
    reading: _Reading, start: int, end: int, category: str, rule: str, family: str, resource: str, weight: float
) -> EmotionCue:
    o_start, o_end = reading.span(start, end)
    heard = [w for s, w in reading.heard_as.items() if o_start <= s < o_end]
    return EmotionCue(
        category=category,
        start_char=o_start,
        end_char=o_end,
        text="",  # filled by the caller from the original text
        rule=rule,
        family=family,
        resource=resource,
        weight=weight,
        heard_as=heard[0] if heard else None,
    )


def detect(text: str, lexicon: Lexicon | None = None) -> Emotion | None:
    """The emotional cues in one segment's text, or None when there are none."""
    lexicon = lexicon or load_lexicon()
    reading = _read(text, lexicon)
    suppressed = [m.span() for p in lexicon.suppressors for m in p.finditer(reading.text) if m.end() > m.start()]
    cues, claimed = _rule_cues(reading, lexicon, suppressed)
    if lexicon.vader is not None:
        cues += _vader_cues(reading, lexicon.vader, suppressed, claimed)
    if lexicon.classifier is not None:
        cues += _classifier_cues(
            reading, lexicon, lexicon.classifier, suppressed, claimed, [(c.start_char, c.end_char) for c in cues]
        )
    if not cues:
        return None
    cues = [c.model_copy(update={"text": text[c.start_char : c.end_char]}) for c in cues]
    remaining = 1.0
    for cue in cues:
        remaining *= 1.0 - (cue.weight or 0.0)
    cues.sort(key=lambda c: c.start_char)
    categories = list(dict.fromkeys(c.category for c in cues))
    return Emotion(score=round(1.0 - remaining, 3), categories=categories, cues=cues)
