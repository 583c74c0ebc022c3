"""Speaker roles (oncologist, other clinician, parent, patient, other family) with confidence and evidence.

Evidence per speaker, each turned into a score per role:
- lexical: what the speaker says (data/roles_lexicon.yaml), and how others address them;
- conversational: share of talk time, question rate, who opens the conversation;
- acoustic: median fundamental frequency (librosa pyin), which separates young children from
  adults; an adolescent's voice lands in between and stays uncertain rather than wrong.
Session hints (who attended) are hard constraints. The assignment is solved jointly over all
speakers: every feasible assignment is scored and a speaker's confidence is the probability mass
of the assignments that give it its role, so two speakers are not both "the patient" unless hinted.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from ..errors import InvalidOptionError
from ..schema import ROLES, UNKNOWN_SPEAKER, Segment, Speaker

logger = logging.getLogger(__name__)
LEXICON = Path(__file__).with_name("data") / "roles_lexicon.yaml"
LABELS = {
    "oncologist": "Oncologist",
    "other_clinician": "Clinician",
    "parent": "Parent",
    "patient": "Patient",
    "other_family": "Family",
    "unknown": "Speaker",
}
# Without hints: how many speakers may hold each role at most.
DEFAULT_MAX = {"oncologist": 1, "other_clinician": 3, "parent": 2, "patient": 1, "other_family": 3}
_MAX_JOINT = 7  # speakers solved jointly; any beyond (the least talkative) are assigned alone


SETTINGS = ("clinic", "inpatient", "telephone")


@dataclass(frozen=True)
class SessionHints:
    """Who attended, as exact counts per role, plus facts that shift the evidence."""

    attendees: Mapping[str, int] = field(default_factory=dict)
    patient_age: int | None = None
    setting: str | None = None  # clinic, inpatient, telephone

    @classmethod
    def parse(cls, attendees: str | None, patient_age: int | None = None, setting: str | None = None) -> SessionHints:
        """From 'oncologist=1,parent=2,patient=1' and friends; a bad value is one clear InvalidOptionError."""
        counts: dict[str, int] = {}
        for part in (attendees or "").split(","):
            if not part.strip():
                continue
            role, _, number = part.partition("=")
            role = role.strip().lower().replace("-", "_").replace(" ", "_")
            if role not in ROLES or not number.strip().isdigit():
                raise InvalidOptionError(f"--attendees takes ROLE=COUNT pairs separated by commas, with roles {', '.join(ROLES)}")
            counts[role] = int(number)
        if patient_age is not None and not 0 <= patient_age <= 40:
            raise InvalidOptionError("--patient-age must be between 0 and 40")
        if setting is not None and setting not in SETTINGS:
            raise InvalidOptionError(f"--setting must be one of {', '.join(SETTINGS)}")
        return cls(counts, patient_age, setting)

    def describe(self) -> dict[str, object]:
        return {"attendees": dict(self.attendees), "patient_age": self.patient_age, "setting": self.setting}


@dataclass(frozen=True)
class _Rule:
    id: str
    role: str
    weight: float
    describe: str
    pattern: re.Pattern[str]


@functools.lru_cache(maxsize=2)
def _lexicon(path: Path = LEXICON) -> tuple[tuple[_Rule, ...], tuple[_Rule, ...]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def rules(kind: str) -> tuple[_Rule, ...]:
        return tuple(
            _Rule(r["id"], r["role"], float(r["weight"]), r["describe"], re.compile(r["pattern"], re.IGNORECASE))
            for r in data[kind]
        )

    return rules("speaker"), rules("address")


@dataclass
class _Evidence:
    scores: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ROLES, 0.0))
    reasons: list[str] = field(default_factory=list)

    def add(self, role: str, amount: float, reason: str) -> None:
        self.scores[role] += amount
        self.reasons.append(reason)


def median_f0_hz(
    waveform: np.ndarray, spans: Sequence[tuple[float, float]], max_seconds: float = 8.0
) -> tuple[float, float] | None:
    """Median F0 and its 10-90 % range over up to max_seconds of a speaker's speech."""
    import librosa

    pieces, total = [], 0.0
    for start_s, end_s in sorted(spans, key=lambda s: s[0] - s[1]):  # longest first
        take = min(end_s - start_s, max_seconds - total)
        if take <= 0.3:
            continue
        pieces.append(waveform[int(start_s * 16000) : int((start_s + take) * 16000)])
        total += take
        if total >= max_seconds:
            break
    if not pieces:
        return None
    # A 32 ms hop halves pyin's cost and is plenty for a median over seconds of speech.
    f0, _, _ = librosa.pyin(np.concatenate(pieces), fmin=65, fmax=500, sr=16000, frame_length=1024, hop_length=512)
    voiced = f0[~np.isnan(f0)]
    if len(voiced) < 10:
        return None
    return float(np.median(voiced)), float(np.percentile(voiced, 90) - np.percentile(voiced, 10))


def _acoustic(evidence: _Evidence, f0: tuple[float, float] | None, hints: SessionHints) -> None:
    if f0 is None:
        return
    median, spread = f0
    # Children speak well above adults: weight rises smoothly from ~230 Hz, so an adolescent
    # (about 200-260 Hz) gets some weight toward patient rather than a confident label.
    child = 1.0 / (1.0 + math.exp(-(median - 255.0) / 12.0))
    voice = "a child's voice" if child > 0.8 else "an adult voice" if child < 0.2 else "a voice between child and adult"
    reason = f"median F0 {median:.0f} Hz, range {spread:.0f} Hz: {voice}"
    young_patient = hints.patient_age is not None and hints.patient_age < 13
    evidence.scores["patient"] += (3.0 if young_patient else 2.2) * child - 0.8 * (1 - child)
    for role in ("oncologist", "other_clinician", "parent", "other_family"):
        evidence.scores[role] += 1.2 * (1 - child) - 1.5 * child
    evidence.reasons.append(reason)


def _lexical(evidence: dict[str, _Evidence], segments: Sequence[Segment]) -> None:
    speaker_rules, address_rules = _lexicon()
    counts: dict[tuple[str, str], int] = {}
    order = [s for s in segments if s.speaker in evidence]
    for index, seg in enumerate(order):
        for rule in speaker_rules:
            if rule.pattern.search(seg.text):
                counts[(seg.speaker, rule.id)] = counts.get((seg.speaker, rule.id), 0) + 1
        addressee = next((s.speaker for s in order[index + 1 :] if s.speaker != seg.speaker), None)
        for rule in address_rules:
            if addressee and rule.pattern.search(seg.text):
                counts[(addressee, rule.id)] = counts.get((addressee, rule.id), 0) + 1
    every_rule = {r.id: r for r in (*speaker_rules, *address_rules)}
    for (speaker, rule_id), n in sorted(counts.items()):
        rule = every_rule[rule_id]
        times = "once" if n == 1 else f"in {n} turns"
        evidence[speaker].add(rule.role, rule.weight * min(1.0 + math.log(n), 3.0), f"{rule.describe} {times}")


def _conversational(evidence: dict[str, _Evidence], speakers: Sequence[Speaker], segments: Sequence[Segment]) -> None:
    total = sum(s.talk_time_s for s in speakers if s.id in evidence) or 1.0
    most = max((s for s in speakers if s.id in evidence), key=lambda s: s.talk_time_s, default=None)
    for speaker in speakers:
        if speaker.id not in evidence:
            continue
        share = speaker.talk_time_s / total
        if most is not None and speaker.id == most.id and share > 0.35:
            evidence[speaker.id].add("oncologist", 0.8, f"holds the floor most ({100 * share:.0f} % of talk time)")
        own = [s for s in segments if s.speaker == speaker.id]
        questions = sum("?" in s.text for s in own)
        if own and questions / len(own) > 0.5 and share < 0.35:
            evidence[speaker.id].add("parent", 0.3, f"asks questions in {questions} of {len(own)} segments")
    first = next((s.speaker for s in segments if s.speaker in evidence), None)
    if first is not None:
        evidence[first].add("oncologist", 0.4, "opens the conversation")
        evidence[first].scores["other_clinician"] += 0.3


def _feasible(roles: tuple[str, ...], limits: Mapping[str, int]) -> bool:
    return all(roles.count(role) <= limits.get(role, 0) for role in ROLES)


def _solve(
    ids: list[str], evidence: dict[str, _Evidence], limits: Mapping[str, int], exact: bool
) -> dict[str, tuple[str, float]]:
    """Score every feasible joint assignment; confidence is each speaker's marginal probability.

    limits: the most speakers each role may take; exact: the limits are hinted counts to fill.
    """
    joint = ids[:_MAX_JOINT]
    seats = sum(limits.values()) if exact else len(joint)
    # More speakers than hinted seats (diarization split someone): the extra ones may stay unknown.
    choices = (*ROLES, "unknown") if len(joint) > seats else ROLES
    weights: dict[tuple[str, ...], float] = {}
    for roles in itertools.product(choices, repeat=len(joint)):
        if _feasible(roles, limits):
            weights[roles] = sum(evidence[sid].scores.get(role, -1.0) for sid, role in zip(joint, roles, strict=True))
    if exact:
        # Exact counts: every hinted seat is filled while there are speakers to fill it.
        wanted = min(seats, len(joint))
        filled = {r: w for r, w in weights.items() if sum(role != "unknown" for role in r) == wanted}
        weights = filled or weights
    if not weights:
        return {sid: ("unknown", 0.0) for sid in ids}
    top = max(weights.values())
    mass = {r: math.exp(w - top) for r, w in weights.items()}
    total = sum(mass.values())
    best = max(weights, key=lambda r: weights[r])
    result = {}
    for i, sid in enumerate(joint):
        confidence = sum(m for r, m in mass.items() if r[i] == best[i]) / total
        result[sid] = (best[i], confidence)
    for sid in ids[_MAX_JOINT:]:
        scores = evidence[sid].scores
        role = max(scores, key=lambda r: scores[r])
        exp = {r: math.exp(v - scores[role]) for r, v in scores.items()}
        result[sid] = (role, exp[role] / sum(exp.values()))
    return result


def assign_roles(
    speakers: Sequence[Speaker],
    segments: Sequence[Segment],
    waveform: np.ndarray,
    hints: SessionHints | None = None,
    review_below: float = 0.7,
    f0_hz: Mapping[str, tuple[float, float] | None] | None = None,
) -> list[Speaker]:
    """Speakers with role, confidence, evidence and a display label; manual roles are kept as set.

    f0_hz: pitch already measured per speaker (median, range), to skip measuring it again.
    """
    hints = hints or SessionHints()
    automatic = [s for s in speakers if s.role_source == "automatic" and s.id != UNKNOWN_SPEAKER]
    evidence = {s.id: _Evidence() for s in automatic}
    for item in evidence.values():
        # Priors from the setting: families attend almost every re-evaluation talk, and an adult
        # who is neither the oncologist nor a clinician is most often a parent.
        item.scores.update({"parent": 0.5, "other_clinician": -0.3, "other_family": -0.3})
    spans: dict[str, list[tuple[float, float]]] = {}
    for seg in segments:
        spans.setdefault(seg.speaker, []).append((seg.start_s, seg.end_s))
    for sid in evidence:
        pitch = f0_hz[sid] if f0_hz is not None and sid in f0_hz else median_f0_hz(waveform, spans.get(sid, []))
        _acoustic(evidence[sid], pitch, hints)
    _lexical(evidence, segments)
    _conversational(evidence, speakers, segments)
    # Roles a person set take their seats first; the rest are solved around them.
    manual: list[str] = [s.role for s in speakers if s.role_source != "automatic"]
    base = hints.attendees or DEFAULT_MAX
    limits = {role: max(base.get(role, 0) - manual.count(role), 0) for role in ROLES}
    ordered = sorted(evidence, key=lambda sid: -next(s.talk_time_s for s in speakers if s.id == sid))
    solved = _solve(ordered, evidence, limits, exact=bool(hints.attendees))

    updated = []
    for speaker in speakers:
        if speaker.id not in solved:
            updated.append(speaker)
            continue
        role, confidence = solved[speaker.id]
        reasons = list(evidence[speaker.id].reasons)
        if hints.attendees:
            reasons.append("session hints: " + ", ".join(f"{n} {r}" for r, n in sorted(limits.items()) if n))
        updated.append(
            speaker.model_copy(
                update={
                    "role": role,
                    "role_confidence": round(confidence, 3),
                    "evidence": reasons,
                    "needs_review": confidence < review_below,
                }
            )
        )
    return with_labels(updated)


def with_labels(speakers: Sequence[Speaker]) -> list[Speaker]:
    """Stable readable labels: 'Oncologist', or 'Parent 1', 'Parent 2' when a role is shared."""
    by_role: dict[str, list[Speaker]] = {}
    for speaker in sorted(speakers, key=lambda s: -s.talk_time_s):
        by_role.setdefault(speaker.role, []).append(speaker)
    labels: dict[str, str] = {}
    for role, members in by_role.items():
        for n, speaker in enumerate(sorted(members, key=lambda s: s.id), start=1):
            labels[speaker.id] = LABELS[role] if len(members) == 1 else f"{LABELS[role]} {n}"
    return [s.model_copy(update={"label": labels[s.id]}) for s in speakers]
