"""What coders decided, resolved against the transcript as it is now.

Exporters, the batch report and the review workspace all read decisions through these functions,
so a confirmed Silence means the same thing everywhere. Decisions are matched by time, not by list
position or id: a correction followed by re-analysis renumbers pauses and segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..schema import CodeSuggestion, Pause, ReviewDecision, Segment, SilenceCandidate, Transcript

SilenceState = Literal["confirmed", "rejected", "unsure", "unreviewed"]
# Share of the shorter interval two must overlap to be "the same pause" (or segment) after re-analysis:
# corrections move pause edges by word-timing amounts, not by half a pause.
_MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class SilenceStatus:
    """A pause that is, or may be, the codebook's Silence, with what the detector and the coder said."""

    pause: Pause
    candidate: SilenceCandidate | None
    decision: ReviewDecision | None

    @property
    def state(self) -> SilenceState:
        return self.decision.decision if self.decision else "unreviewed"

    @property
    def is_silence(self) -> bool:
        """Coded as Silence: a coder confirmed it (a candidate, or a pause the detector missed)."""
        return self.state == "confirmed"

    @property
    def is_open_candidate(self) -> bool:
        """Still a candidate for coders to decide: flagged and not decided (or marked unsure)."""
        return self.candidate is not None and self.state in ("unreviewed", "unsure")


def _overlap_share(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    shorter = min(a_end - a_start, b_end - b_start)
    if shorter <= 0:
        return 1.0 if a_start == b_start and a_end == b_end else 0.0
    return max(0.0, min(a_end, b_end) - max(a_start, b_start)) / shorter


def _best_pause(decision: ReviewDecision, pauses: list[Pause], taken: set[str]) -> Pause | None:
    best: tuple[float, Pause] | None = None
    for pause in pauses:
        if pause.id in taken:
            continue
        share = _overlap_share(decision.start_s, decision.end_s, pause.start_s, pause.end_s)
        if share >= _MIN_OVERLAP and (best is None or share > best[0]):
            best = (share, pause)
    return best[1] if best else None


def _best_suggestion(
    decision: ReviewDecision, suggestions: list[CodeSuggestion], segments: dict[str, Segment], taken: set[str]
) -> CodeSuggestion | None:
    best: tuple[float, CodeSuggestion] | None = None
    for sug in suggestions:
        seg = segments.get(sug.segment_id)
        if sug.id in taken or seg is None or sug.code != decision.code or sug.text != decision.text:
            continue
        share = _overlap_share(decision.start_s, decision.end_s, seg.start_s, seg.end_s)
        if share > 0 and (best is None or share > best[0]):
            best = (share, sug)
    return best[1] if best else None


def link_decisions(transcript: Transcript) -> Transcript:
    """Re-attach every decision to the pause or suggestion it was made on; mark the rest orphaned.

    Run after every re-analysis. Nothing is dropped: an orphaned decision stays in the review.
    """
    if transcript.review is None or not transcript.review.decisions:
        return transcript
    segments = {s.id: s for s in transcript.segments}
    taken_pauses: set[str] = set()
    taken_suggestions: set[str] = set()
    linked: list[ReviewDecision] = []
    # Latest decisions first, so that when two claim one pause the newer one keeps it.
    for decision in sorted(transcript.review.decisions, key=lambda d: d.decided_at, reverse=True):
        update: dict[str, object]
        if decision.target == "silence":
            pause = _best_pause(decision, transcript.pauses, taken_pauses)
            if pause is not None:
                taken_pauses.add(pause.id)
            update = {"pause_id": pause.id if pause else None, "orphaned": pause is None}
            if pause is not None:
                update |= {"start_s": pause.start_s, "end_s": pause.end_s}
        else:
            sug = _best_suggestion(decision, transcript.code_suggestions, segments, taken_suggestions)
            if sug is not None:
                taken_suggestions.add(sug.id)
                seg = segments[sug.segment_id]
                update = {"suggestion_id": sug.id, "orphaned": False, "start_s": seg.start_s, "end_s": seg.end_s}
            else:
                update = {"suggestion_id": None, "orphaned": True}
        linked.append(decision.model_copy(update=update))
    order = {d.id: i for i, d in enumerate(transcript.review.decisions)}
    linked.sort(key=lambda d: order[d.id])
    review = transcript.review.model_copy(update={"decisions": linked})
    return transcript.model_copy(update={"review": review})


def silence_statuses(transcript: Transcript) -> list[SilenceStatus]:
    """Every Silence candidate and every pause a coder decided on, in time order.

    Decisions are read as linked (``link_decisions``); an orphaned decision has no pause and is not listed.
    """
    pauses = {p.id: p for p in transcript.pauses}
    candidates = {c.pause_id: c for c in transcript.silence_candidates}
    decisions: dict[str, ReviewDecision] = {}
    if transcript.review is not None:
        for d in transcript.review.decisions:
            if d.target == "silence" and not d.orphaned and d.pause_id in pauses:
                decisions[d.pause_id] = d
    ids = [p.id for p in transcript.pauses if p.id in candidates or p.id in decisions]
    return [SilenceStatus(pauses[i], candidates.get(i), decisions.get(i)) for i in ids]


def coded_suggestions(transcript: Transcript) -> list[tuple[CodeSuggestion, bool]]:
    """Code suggestions that still stand, each with whether a coder accepted it (then it is a coding).

    Rejected suggestions are left out: a coder said the code does not apply.
    """
    decided: dict[str, ReviewDecision] = {}
    if transcript.review is not None:
        for d in transcript.review.decisions:
            if d.target == "suggestion" and not d.orphaned and d.suggestion_id is not None:
                decided[d.suggestion_id] = d
    kept = []
    for sug in transcript.code_suggestions:
        found = decided.get(sug.id)
        if found is not None and found.decision == "rejected":
            continue
        kept.append((sug, found is not None and found.decision == "confirmed"))
    return kept
