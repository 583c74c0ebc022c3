"""Speaker roles (oncologist, other clinician, parent, patient, other family) with confidence and evidence.

Evidence per speaker, each turned into a score per role (role_evidence.py holds the word-level part):
- lexical: what the speaker says (data/roles_lexicon.yaml): explaining results, recommending, clinical
  vocabulary in statements, introducing themself; a parent's "my daughter" only when it is not about
  the speaker's own life (an oncologist's "my daughter has a recital tonight");
- interactional: who asks about symptoms (a clinician) and who answers (the patient when asked in the
  second person, a parent when asked about the child); terms of address and supplied names, credited
  to the person addressed only when the next turn answers or the term closes a reply;
- conversational: share of talk time, question rate, who opens the conversation;
- acoustic: median fundamental frequency (librosa pyin). A child's voice is strong evidence; an adult
  voice is weak evidence against being the patient, since adolescents sound like adults.
Session hints (who attended) are hard constraints; the names supplied for de-identification are
evidence. The assignment is solved jointly over all speakers: every feasible assignment is scored and
a speaker's confidence is the probability mass of the assignments that give it its role, so two
speakers are not both "the patient" unless hinted. A speaker who says almost nothing is flagged for
review whatever its confidence.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..deid.participants import Participant
from ..schema import ROLES, UNKNOWN_SPEAKER, Segment, Speaker
from .role_evidence import Evidence, conversational, lexical, turns_of

logger = logging.getLogger(__name__)
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
_THIN_WORDS = 3  # a speaker who says fewer words than this is always flagged for review


SETTINGS = ("clinic", "inpatient", "telephone")


@dataclass(frozen=True)
class SessionHints:
    """Who attended, as exact counts per role, plus facts that shift the evidence."""

    attendees: Mapping[str, int] = field(default_factory=dict)
    patient_age: int | None = None
    setting: str | None = None  # clinic, inpatient, telephone
    # The people named for de-identification (--names), used as role evidence: who introduces
    # themself or is addressed by a name. Never written to a report (they are PHI).
    names: tuple[Participant, ...] = ()


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


def _acoustic(evidence: Evidence, f0: tuple[float, float] | None, hints: SessionHints) -> None:
    """Pitch as one signal: a child's voice is strong evidence, an adult voice only weak evidence.

    Children speak well above adults, so weight toward patient rises smoothly from ~230 Hz. An adult
    voice says little against being the patient, because adolescent patients (median F0 near 150 Hz)
    sound like adults: the words must decide, and with a hinted age of 12 or more it says nothing.
    """
    if f0 is None:
        return
    median, spread = f0
    child = 1.0 / (1.0 + math.exp(-(median - 255.0) / 12.0))
    voice = "a child's voice" if child > 0.8 else "an adult voice" if child < 0.2 else "a voice between child and adult"
    evidence.reasons.append(f"median F0 {median:.0f} Hz, range {spread:.0f} Hz: {voice}")
    age = hints.patient_age
    young_patient = age is not None and age < 12
    adolescent = age is not None and age >= 12
    against = 0.0 if adolescent else 1.0 if young_patient else 0.4  # an adult voice, against being the patient
    evidence.scores["patient"] += (3.0 if young_patient else 2.2) * child - against * (1 - child)
    for role in ("oncologist", "other_clinician", "parent", "other_family"):
        evidence.scores[role] -= 1.5 * child


def _feasible(roles: tuple[str, ...], limits: Mapping[str, int]) -> bool:
    return all(roles.count(role) <= limits.get(role, 0) for role in ROLES)


def _solve(ids: list[str], evidence: dict[str, Evidence], limits: Mapping[str, int], exact: bool) -> dict[str, tuple[str, float]]:
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
    evidence = {s.id: Evidence() for s in automatic}
    for item in evidence.values():
        # Priors from the setting: families attend almost every re-evaluation talk, and an adult
        # who is neither the oncologist nor a clinician is most often a parent. A telephone call
        # is most often between a clinician and a parent.
        item.scores.update({"parent": 0.5, "other_clinician": -0.3, "other_family": -0.3})
        if hints.setting == "telephone":
            item.scores["patient"] -= 0.6
    spans: dict[str, list[tuple[float, float]]] = {}
    for seg in segments:
        spans.setdefault(seg.speaker, []).append((seg.start_s, seg.end_s))
    for sid in evidence:
        pitch = f0_hz[sid] if f0_hz is not None and sid in f0_hz else median_f0_hz(waveform, spans.get(sid, []))
        _acoustic(evidence[sid], pitch, hints)
    lexical(evidence, segments, hints.names)
    conversational(evidence, {s.id: s.talk_time_s for s in speakers}, turns_of(segments, set(evidence)))
    # Roles a person set take their seats first; the rest are solved around them.
    manual: list[str] = [s.role for s in speakers if s.role_source != "automatic"]
    base = hints.attendees or DEFAULT_MAX
    limits = {role: max(base.get(role, 0) - manual.count(role), 0) for role in ROLES}
    ordered = sorted(evidence, key=lambda sid: -next(s.talk_time_s for s in speakers if s.id == sid))
    solved = _solve(ordered, evidence, limits, exact=bool(hints.attendees))

    spoken: dict[str, int] = {}
    for seg in segments:
        spoken[seg.speaker] = spoken.get(seg.speaker, 0) + len(seg.text.split())
    updated = []
    for speaker in speakers:
        if speaker.id not in solved:
            updated.append(speaker)
            continue
        role, confidence = solved[speaker.id]
        reasons = list(evidence[speaker.id].reasons)
        if hints.attendees:
            reasons.append("session hints: " + ", ".join(f"{n} {r}" for r, n in sorted(limits.items()) if n))
        # Too little said to be sure ("Okay."): flagged whatever the joint solution says, unless a
        # name or an answered address ties the speaker to a role.
        said = spoken.get(speaker.id, 0)
        thin = said < _THIN_WORDS and not evidence[speaker.id].strong
        if thin:
            reasons.append(f"says too little to be sure ({said} word{'' if said == 1 else 's'})")
        updated.append(
            speaker.model_copy(
                update={
                    "role": role,
                    "role_confidence": round(confidence, 3),
                    "evidence": reasons,
                    "needs_review": confidence < review_below or thin,
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
