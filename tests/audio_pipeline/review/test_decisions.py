"""Decisions resolved against the transcript: matched by time, kept when orphaned, read the same everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from audio_pipeline.review import coded_suggestions, link_decisions, silence_statuses
from audio_pipeline.schema import Review, ReviewDecision, Transcript
from tests.audio_pipeline.export.transcripts import sample_transcript


def _decision(n: int, start: float, end: float, decision: str = "confirmed", **extra: object) -> ReviewDecision:
    return ReviewDecision(
        id=f"d{n}",
        target=extra.pop("target", "silence"),  # type: ignore[arg-type]
        decision=decision,  # type: ignore[arg-type]
        start_s=start,
        end_s=end,
        coder="RA-1",
        decided_at=datetime(2026, 11, 28, 9, n, tzinfo=UTC),
        **extra,  # type: ignore[arg-type]
    )


def _with(transcript: Transcript, *decisions: ReviewDecision) -> Transcript:
    return link_decisions(transcript.model_copy(update={"review": Review(revision=1, decisions=list(decisions))}))


def test_without_review_every_candidate_is_unreviewed() -> None:
    statuses = silence_statuses(sample_transcript())
    assert [(s.pause.id, s.state, s.is_open_candidate) for s in statuses] == [("pause-0001", "unreviewed", True)]


def test_decisions_match_pauses_by_time_after_renumbering() -> None:
    t = sample_transcript()
    # The coder confirmed the candidate and added the long pause at 32.0-37.5 as a missed Silence.
    reviewed = _with(t, _decision(1, 11.0, 17.2), _decision(2, 32.0, 37.5, added_by_coder=True))
    # Re-analysis renumbered the pauses and moved an edge by a word's worth.
    renumbered = [
        p.model_copy(update={"id": {"pause-0001": "pause-0009", "pause-0003": "pause-0001"}.get(p.id, p.id)})
        for p in reviewed.pauses
    ]
    renumbered = [p.model_copy(update={"start_s": 11.3}) if p.id == "pause-0009" else p for p in renumbered]
    candidate = reviewed.silence_candidates[0].model_copy(update={"pause_id": "pause-0009", "start_s": 11.3})
    again = link_decisions(reviewed.model_copy(update={"pauses": renumbered, "silence_candidates": [candidate]}))
    states = {s.pause.id: (s.state, s.is_silence, s.candidate is not None) for s in silence_statuses(again)}
    assert states == {"pause-0009": ("confirmed", True, True), "pause-0001": ("confirmed", True, False)}
    assert again.review is not None and again.review.decisions[0].start_s == 11.3


def test_a_decision_whose_pause_disappeared_is_kept_as_orphaned() -> None:
    t = sample_transcript()
    reviewed = _with(t, _decision(1, 11.0, 17.2, "rejected", note="looking at the scan"))
    gone = link_decisions(reviewed.model_copy(update={"pauses": [p for p in reviewed.pauses if p.id != "pause-0001"]}))
    assert gone.review is not None
    [decision] = gone.review.decisions
    assert decision.orphaned and decision.pause_id is None and decision.note == "looking at the scan"
    assert silence_statuses(gone) == []


def test_rejected_suggestions_disappear_and_confirmed_ones_become_codings() -> None:
    t = sample_transcript()
    first, second = t.code_suggestions[0], t.code_suggestions[1]
    seg = {s.id: s for s in t.segments}
    decisions = [
        _decision(1, seg[first.segment_id].start_s, seg[first.segment_id].end_s, "confirmed", target="suggestion",
                  code=first.code, text=first.text),
        _decision(2, seg[second.segment_id].start_s, seg[second.segment_id].end_s, "rejected", target="suggestion",
                  code=second.code, text=second.text),
    ]  # fmt: skip
    kept = dict((s.id, accepted) for s, accepted in coded_suggestions(_with(t, *decisions)))
    assert kept[first.id] is True
    assert second.id not in kept
    assert len(kept) == len(t.code_suggestions) - 1
