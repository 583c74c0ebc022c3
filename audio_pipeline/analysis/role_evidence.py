"""What the words say about each speaker's role: lexical rules, terms of address, supplied names,
symptom questions and who answers them, talk share.

Evidence is added per speaker as a score per role (see roles.py, which also adds pitch and solves all
speakers jointly). Every rule is a pattern in data/roles_lexicon.yaml or a name supplied for the
session; this module decides *whom* a piece of evidence is about:
- what a speaker says about themself or does (explains results, introduces themself) is theirs;
- a term of address ("sweetie", "Dr. Patel", "Emma") is about the person addressed, who is only clear
  when the addressing question is answered by the next turn or the term closes a reply to the
  previous speaker; otherwise it is ambiguous and keeps a small weight (issue 19, item 11);
- a question about the body makes its asker a clinician, and its answerer the patient when it is put
  in the second person ("does it hurt?") or a parent when it is about the child ("is she eating?").
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..datafiles import data_file
from ..deid.participants import Participant
from ..schema import ROLES, Segment

LEXICON = Path(__file__).with_name("data") / "roles_lexicon.yaml"
# The role a name supplied with --names stands for (its tag in deid.participants).
TAG_ROLES = {
    "patient": "patient",
    "parent": "parent",
    "oncologist": "oncologist",
    "clinician": "other_clinician",
    "family": "other_family",
    "sibling": "other_family",
}
_SENTENCE = re.compile(r"(?<!\bdr\.)(?<!\bmr\.)(?<!\bms\.)(?<!\bmrs\.)(?<=[.!?])\s+", re.IGNORECASE)  # not after "Dr."
_SECOND_PERSON = re.compile(r"\b(you|your|you're|you've|yours)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(i|my|me|i'm|i've)\b", re.IGNORECASE)  # the patient's own questions
_ANSWERS_FOR = re.compile(r"^(?:\w+[,.]\s+)?(she|he)\b", re.IGNORECASE)
_THIRD_PERSON = re.compile(r"\b(she|he|her|his|him|she's|he's)\b", re.IGNORECASE)
# Words that may open a vocative: a greeting addresses whoever answers; a reply ("thank you, doctor")
# addresses the speaker replied to.
_GREETING = r"(?:and|welcome|hi|hey|hello|morning|good morning|good afternoon|good evening)"
_REPLY = r"(?:thanks|thank you|okay|ok|yeah|yes|no|sorry|bye|congratulations|oh)"
# Symptom answers weigh less than what a speaker says of themself: one turn, not a habit of speech.
_ANSWER_WEIGHT = {"patient": 1.1, "parent": 0.6}
_ASK_WEIGHT = 0.8
_NAME_SELF_WEIGHT = 2.5
_NAME_MENTION_WEIGHT = 0.7
_AMBIGUOUS_SHARE = 0.3
_OWN_LIFE = "speaks of their own family's life (not a parent's evidence)"


@dataclass(frozen=True)
class Rule:
    id: str
    role: str
    weight: float
    describe: str
    pattern: re.Pattern[str]
    also: Mapping[str, float] = field(default_factory=dict)
    where: str = "any"  # statement, question or any
    own_life: bool = False
    about_speaker: bool = False  # address rules: evidence about the one who says the term


@dataclass(frozen=True)
class Lexicon:
    speaker: tuple[Rule, ...]
    address: tuple[Rule, ...]
    own_life: re.Pattern[str]
    symptom_question: re.Pattern[str]


@data_file("the speaker-role lexicon", LEXICON)
def load(data: Any) -> Lexicon:
    def rules(kind: str) -> tuple[Rule, ...]:
        return tuple(
            Rule(
                r["id"],
                r["role"],
                float(r["weight"]),
                r["describe"],
                re.compile(r["pattern"], re.IGNORECASE),
                {k: float(v) for k, v in r.get("also", {}).items()},
                r.get("in", "any"),
                bool(r.get("own_life", False)),
                bool(r.get("speaker", False)),
            )
            for r in data[kind]
        )

    return Lexicon(
        rules("speaker"),
        rules("address"),
        re.compile(data["own_life"], re.IGNORECASE),
        re.compile(data["symptom_question"], re.IGNORECASE),
    )


@dataclass
class Evidence:
    scores: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ROLES, 0.0))
    reasons: list[str] = field(default_factory=list)
    strong: bool = False  # a name, a self-introduction or an answered address: enough to be sure of

    def add(self, role: str, amount: float, reason: str) -> None:
        self.scores[role] += amount
        self.reasons.append(reason)


@dataclass(frozen=True)
class _Turn:
    speaker: str
    text: str
    sentences: tuple[str, ...]


class _Tally:
    """Counts per (speaker, rule) so a habit of speech grows with the log of its turns, capped."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], float] = {}
        self.rules: dict[str, tuple[Mapping[str, float], str]] = {}

    def hit(self, speaker: str, key: str, roles: Mapping[str, float], describe: str, share: float = 1.0) -> None:
        self.counts[(speaker, key)] = self.counts.get((speaker, key), 0.0) + share
        self.rules[key] = (roles, describe)

    def apply(self, evidence: dict[str, Evidence]) -> None:
        for (speaker, key), n in sorted(self.counts.items()):
            roles, describe = self.rules[key]
            scale = n if n < 1 else min(1.0 + math.log(n), 3.0)
            times = "once" if n == 1 else "ambiguously" if n < 1 else f"in {n:g} turns"
            first = True
            for role, weight in roles.items():
                if first:
                    evidence[speaker].add(role, weight * scale, f"{describe} {times}")
                    first = False
                else:
                    evidence[speaker].scores[role] += weight * scale


def turns_of(segments: Sequence[Segment], speakers: set[str]) -> list[_Turn]:
    """Consecutive segments of one speaker joined into a turn (ASR splits turns at pauses)."""
    merged: list[tuple[str, str]] = []
    for seg in segments:
        if seg.speaker not in speakers or not seg.text.strip():
            continue
        if merged and merged[-1][0] == seg.speaker:
            merged[-1] = (seg.speaker, f"{merged[-1][1]} {seg.text.strip()}")
        else:
            merged.append((seg.speaker, seg.text.strip()))
    return [_Turn(s, t, tuple(x for x in _SENTENCE.split(t) if x)) for s, t in merged]


def _roles(rule: Rule) -> dict[str, float]:
    return {rule.role: rule.weight, **{r: rule.weight * share for r, share in rule.also.items()}}


def _vocatives(term: str, sentence: str) -> list[str]:
    """Where `term` (a regex) is used to address someone in the sentence: 'start', 'end' or nothing.

    A vocative stands apart: "Emma, how...", "Hi Emma.", "Mom and Dad, ...", "... , sweetie?",
    "Thank you, doctor." A mention is not one: "Emma's scan", "Grandma is her biggest fan".
    """
    found = []
    closing = rf",\s*(?:{term})\s*[.!?]?$|^{_REPLY}[,!]?\s+(?:{term})\s*[.!?]?$"
    lead = rf"^(?:{_GREETING}[,!]?\s+)?(?:{term})(?:\s+and\s+(?:\w+))?\s*[,.!?]|^(?:is this|is that)\s+(?:{term})\?"
    if re.search(closing, sentence, re.IGNORECASE):
        found.append("end")
    elif re.search(lead, sentence, re.IGNORECASE):
        found.append("start")
    return found


def _addressee(turns: list[_Turn], index: int, position: str) -> tuple[str | None, float]:
    """Whom turn `index` addresses, with the share of the rule's weight that is safe to credit."""
    turn = turns[index]
    before = turns[index - 1].speaker if index > 0 else None
    after = turns[index + 1].speaker if index + 1 < len(turns) else None
    asks = "?" in turn.text
    if asks and after is not None:
        return after, 1.0  # a question answered by the next turn: the one who answers was addressed
    if position == "end" and before is not None:
        return before, 1.0  # "in a minute, baby", "thank you, doctor": a reply to the previous speaker
    if before is not None and before == after:
        return before, 1.0  # the conversation goes back and forth with one person
    if after is not None:
        return after, _AMBIGUOUS_SHARE
    return None, 0.0


def _name_term(forms: frozenset[str]) -> str:
    return "(?:(?:dr\\.?|doctor)\\s+)?(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")"


def lexical(evidence: dict[str, Evidence], segments: Sequence[Segment], names: Sequence[Participant] = ()) -> None:
    lexicon = load()
    turns = turns_of(segments, set(evidence))
    tally = _Tally()
    for index, turn in enumerate(turns):
        own_life = bool(lexicon.own_life.search(turn.text))
        for rule in lexicon.speaker:
            if any(_applies(rule, sentence) for sentence in turn.sentences):
                if rule.own_life and own_life:
                    tally.hit(turn.speaker, "own_life", {"parent": 0.0}, _OWN_LIFE)
                else:
                    tally.hit(turn.speaker, rule.id, _roles(rule), rule.describe)
        for rule in lexicon.address:
            _address(tally, turns, index, rule, evidence)
        _symptom_question(tally, turns, index, lexicon.symptom_question)
        _names(tally, turns, index, names, evidence)
    tally.apply(evidence)


def _applies(rule: Rule, sentence: str) -> bool:
    question = sentence.rstrip().endswith("?")
    if (rule.where == "statement" and question) or (rule.where == "question" and not question):
        return False
    return bool(rule.pattern.search(sentence))


def _address(tally: _Tally, turns: list[_Turn], index: int, rule: Rule, evidence: dict[str, Evidence]) -> None:
    """A term of address, credited to whom it was aimed at (issue 19, item 11): see _addressee."""
    turn = turns[index]
    for sentence in turn.sentences:
        for position in _vocatives(rule.pattern.pattern, sentence):
            if rule.about_speaker:
                tally.hit(turn.speaker, rule.id, _roles(rule), rule.describe)
                return
            who, share = _addressee(turns, index, position)
            if who is not None and who != turn.speaker:
                tally.hit(who, rule.id, _roles(rule), rule.describe, share)
                evidence[who].strong |= share == 1.0
                return


def _symptom_question(tally: _Tally, turns: list[_Turn], index: int, pattern: re.Pattern[str]) -> None:
    turn = turns[index]
    asked = [s for s in turn.sentences if s.rstrip().endswith("?") and pattern.search(s) and not _FIRST_PERSON.search(s)]
    if not asked:
        return
    asker = {"oncologist": _ASK_WEIGHT, "other_clinician": 0.5 * _ASK_WEIGHT}
    tally.hit(turn.speaker, "asks_symptoms", asker, "asks about symptoms")
    if index + 1 >= len(turns) or turns[index + 1].speaker == turn.speaker:
        return
    answerer = turns[index + 1].speaker
    question = asked[-1]
    if _THIRD_PERSON.search(question) or _ANSWERS_FOR.search(turns[index + 1].text):
        # About the child, or answered for the child ("She's been okay"): a parent's answer.
        tally.hit(answerer, "answers_for_child", {"parent": _ANSWER_WEIGHT["parent"]}, "answers about the child's symptoms")
    elif _SECOND_PERSON.search(question) or not re.search(r"\b(we|they|i)\b", question, re.IGNORECASE):
        own = {"patient": _ANSWER_WEIGHT["patient"]}
        tally.hit(answerer, "answers_own_symptoms", own, "answers when asked about their own body")


def _names(tally: _Tally, turns: list[_Turn], index: int, names: Sequence[Participant], evidence: dict[str, Evidence]) -> None:
    """Names supplied for the session: who introduces themself by one, who is addressed by one, who speaks of one."""
    turn = turns[index]
    for person in names:
        role = TAG_ROLES.get(person.tag)
        if role is None or not person.forms:
            continue
        term = _name_term(person.forms)
        label = person.tag
        if re.search(rf"\b(?:it's|it is|this is|i'm|i am|my name is)\s+{term}\b|\b{term}\s+(?:speaking|here)\b", turn.text, re.I):
            tally.hit(turn.speaker, f"name_self_{label}", {role: _NAME_SELF_WEIGHT}, f"introduces themself by the {label}'s name")
            evidence[turn.speaker].strong = True
            continue
        addressed = False
        for sentence in turn.sentences:
            for position in _vocatives(term, sentence):
                who, share = _addressee(turns, index, position)
                if who is not None and who != turn.speaker:
                    weight = {role: _NAME_SELF_WEIGHT * 0.8}
                    tally.hit(who, f"name_addressed_{label}", weight, f"addressed by the {label}'s name", share)
                    evidence[who].strong |= share == 1.0
                    addressed = True
        if not addressed and re.search(rf"\b{term}\b", turn.text, re.IGNORECASE):
            # Speaking of someone by name (or "Emma's scan") says the speaker is someone else.
            tally.hit(turn.speaker, f"name_mentioned_{label}", {role: -_NAME_MENTION_WEIGHT}, f"speaks of the {label} by name")


def conversational(evidence: dict[str, Evidence], talk_time: Mapping[str, float], turns: list[_Turn]) -> None:
    """Talk share and question habits: weak signals, since a family member may talk most on a bad day."""
    total = sum(talk_time.get(sid, 0.0) for sid in evidence) or 1.0
    most = max(evidence, key=lambda sid: talk_time.get(sid, 0.0), default=None)
    for sid in evidence:
        share = talk_time.get(sid, 0.0) / total
        if sid == most and share > 0.35:
            evidence[sid].add("oncologist", 0.6, f"holds the floor most ({100 * share:.0f} % of talk time)")
        own = [t for t in turns if t.speaker == sid]
        questions = sum("?" in t.text for t in own)
        if own and questions / len(own) > 0.5 and share < 0.35:
            evidence[sid].add("parent", 0.3, f"asks questions in {questions} of {len(own)} turns")
    if turns:
        evidence[turns[0].speaker].add("oncologist", 0.3, "opens the conversation")
        evidence[turns[0].speaker].scores["other_clinician"] += 0.3
