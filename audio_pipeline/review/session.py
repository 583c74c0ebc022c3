"""One coder's review of one transcript: decisions, corrections with re-analysis, undo, every change saved.

The recording is decoded and measured once (AnalysisInputs), so re-analysis after each correction
reads the cached speech map and pitch instead of running Silero over the whole recording again.
Every method takes the revision the caller's view started from and returns the saved transcript;
a stale revision raises ReviewConflictError before anything is changed.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..analysis.inputs import AnalysisInputs, speaker_spans
from ..analysis.roles import SessionHints
from ..errors import RecordingNotFoundError, ReviewConflictError, ReviewInputError
from ..pipeline import TranscriptionPipeline
from ..schema import UNKNOWN_SPEAKER, Review, ReviewCorrection, ReviewDecision, Transcript
from .corrections import Correction, RoleChange, apply_correction, kept_labels, restore_labels
from .decisions import link_decisions
from .store import ReviewStore

logger = logging.getLogger(__name__)
_MAX_NOTE = 2000
Target = Literal["silence", "suggestion"]
DecisionValue = Literal["confirmed", "rejected", "unsure"]


def session_hints(transcript: Transcript) -> SessionHints | None:
    """The session hints the transcript was made (or last analysed) with, so re-analysis keeps them.

    Supplied names are never stored in a transcript (PHI), so they cannot come back from it.
    """
    options = transcript.provenance.options
    if options is not None:
        stored = options.session_hints
        if stored is None:
            return None
        return SessionHints(attendees=dict(stored.attendees), patient_age=stored.patient_age, setting=stored.setting)
    raw = transcript.provenance.parameters.get("session_hints")  # transcripts before 1.5.0
    if not isinstance(raw, dict):
        return None
    attendees = raw.get("attendees") or {}
    return SessionHints(
        attendees={str(k): int(v) for k, v in attendees.items()} if isinstance(attendees, dict) else {},
        patient_age=raw.get("patient_age") if isinstance(raw.get("patient_age"), int) else None,
        setting=raw.get("setting") if isinstance(raw.get("setting"), str) else None,
    )


class ReviewSession:
    """Holds the transcript under review, its store, and the recording's analysis inputs (measured once)."""

    def __init__(self, store: ReviewStore, recording: Path | None, pipeline: TranscriptionPipeline, coder: str) -> None:
        if not coder.strip():
            raise ReviewInputError("coder: give the coder's name or initials")
        if recording is not None and not Path(recording).is_file():
            raise RecordingNotFoundError("the recording file does not exist; check the path")
        self.store = store
        self.recording = Path(recording) if recording is not None else None
        self.pipeline = pipeline
        self.coder = coder.strip()
        self._transcript = store.load()
        self._inputs: AnalysisInputs | None = None
        # Two locks: measuring the inputs takes seconds on a long recording and must not hold up
        # decisions, which only need the transcript's lock.
        self._lock = threading.RLock()
        self._inputs_lock = threading.Lock()

    # -- state -----------------------------------------------------------------------------
    @property
    def transcript(self) -> Transcript:
        return self._transcript

    @property
    def revision(self) -> int:
        return self._transcript.review.revision if self._transcript.review else 0

    @property
    def can_correct(self) -> bool:
        """Corrections re-analyse against the recording: impossible without it, or on a de-identified copy."""
        return self.recording is not None and self._transcript.deidentification is None

    def reload(self) -> Transcript:
        """Read the stored transcript again (after another tab or process saved)."""
        with self._lock:
            self._transcript = self.store.load()
            return self._transcript

    def prepare(self) -> None:
        """Decode the recording and measure its analysis inputs now (a server may call this at start-up,
        in a background thread, so the first correction does not wait for it). A no-op when corrections
        are impossible (no recording, or a de-identified copy)."""
        if self.can_correct:
            self._analysis_inputs()

    def _analysis_inputs(self) -> AnalysisInputs:
        with self._inputs_lock:
            if self._inputs is None:
                if not self.can_correct or self.recording is None:
                    raise ReviewInputError("re-analysis needs the recording the transcript came from")
                transcript = self._transcript
                inputs = self.pipeline.analysis_inputs(self.recording, transcript)
                # Pitch of every automatically-roled speaker as the transcript stands: a text edit
                # keeps these spans, so later re-analyses find them measured.
                automatic = {s.id for s in transcript.speakers if s.role_source == "automatic"}
                for speaker, spans in speaker_spans(transcript.segments).items():
                    if speaker in automatic and speaker != UNKNOWN_SPEAKER:
                        inputs.pitch(spans)
                self._inputs = inputs
            return self._inputs

    def _check(self, base_revision: int) -> None:
        try:
            self.store.check(base_revision)
        except ReviewConflictError:
            self.reload()  # so the caller's next attempt, from the stored revision, can succeed
            raise
        if base_revision != self.revision:  # another session saved and the caller has already seen it
            self.reload()

    def _save(self, transcript: Transcript, base_revision: int) -> Transcript:
        try:
            self._transcript = self.store.save(transcript, base_revision)
        except ReviewConflictError:
            self.reload()
            raise
        return self._transcript

    def _review(self) -> Review:
        return self._transcript.review or Review()

    # -- decisions -------------------------------------------------------------------------
    def decide(
        self,
        base_revision: int,
        *,
        target: Target,
        start_s: float,
        end_s: float,
        decision: DecisionValue,
        note: str = "",
        code: str | None = None,
        text: str | None = None,
        added_by_coder: bool = False,
    ) -> Transcript:
        """Record a decision on a pause (Silence or not) or a code suggestion, found by its time.

        A second decision on the same pause or suggestion replaces the first and keeps its id. A pause
        the detector did not flag is always recorded as added by the coder.
        """
        with self._lock:
            self._check(base_revision)
            if target not in ("silence", "suggestion"):
                raise ReviewInputError("target: must be silence or suggestion")
            if decision not in ("confirmed", "rejected", "unsure"):
                raise ReviewInputError("decision: must be confirmed, rejected or unsure")
            if not 0 <= start_s < end_s:
                raise ReviewInputError("start_s: must be at least 0 and before end_s")
            if len(note) > _MAX_NOTE:
                raise ReviewInputError(f"note: at most {_MAX_NOTE} characters")
            if target == "suggestion" and (not code or text is None):
                raise ReviewInputError("code: a decision on a suggestion needs its code and text")
            review = self._review()
            made = ReviewDecision(
                id=_next_id(review),
                target=target,
                decision=decision,
                start_s=start_s,
                end_s=end_s,
                code=code if target == "suggestion" else None,
                text=text if target == "suggestion" else None,
                added_by_coder=added_by_coder,
                note=note.strip(),
                coder=self.coder,
                decided_at=datetime.now(UTC),
            )
            made = self._linked(made)
            earlier = next((d for d in review.decisions if _same_target(d, made)), None)
            if earlier is not None:
                made = made.model_copy(update={"id": earlier.id})
                decisions = [made if d.id == earlier.id else d for d in review.decisions]
            else:
                decisions = [*review.decisions, made]
            updated = self._transcript.model_copy(update={"review": review.model_copy(update={"decisions": decisions})})
            return self._save(link_decisions(updated), base_revision)

    def _linked(self, made: ReviewDecision) -> ReviewDecision:
        """The decision attached to the pause or suggestion at its time; a ReviewInputError if there is none."""
        alone = self._transcript.model_copy(update={"review": Review(decisions=[made])})
        linked = link_decisions(alone)
        assert linked.review is not None
        found = linked.review.decisions[0]
        if found.orphaned:
            what = "pause" if made.target == "silence" else "code suggestion"
            raise ReviewInputError(f"start_s: no {what} of this transcript lies at this time")
        if made.target == "silence":
            flagged = {c.pause_id for c in self._transcript.silence_candidates}
            pause = next(p for p in self._transcript.pauses if p.id == found.pause_id)
            minimum = self.pipeline.analysis_options().min_silence_s
            if pause.id not in flagged and pause.duration_s < minimum:
                raise ReviewInputError(f"start_s: the pause there is shorter than a Silence ({minimum:g} s)")
            found = found.model_copy(update={"added_by_coder": found.added_by_coder or pause.id not in flagged})
        return found

    def undecide(self, base_revision: int, decision_id: str) -> Transcript:
        """Clear a decision: the pause or suggestion is unreviewed again."""
        with self._lock:
            self._check(base_revision)
            review = self._review()
            if not any(d.id == decision_id for d in review.decisions):
                raise ReviewInputError("decision_id: no decision of this transcript has this id")
            decisions = [d for d in review.decisions if d.id != decision_id]
            updated = self._transcript.model_copy(update={"review": review.model_copy(update={"decisions": decisions})})
            return self._save(updated, base_revision)

    # -- corrections -----------------------------------------------------------------------
    def correct(self, base_revision: int, correction: Correction) -> Transcript:
        """Apply a correction, re-analyse (roles of the others, pauses, emotion, candidates), re-attach
        decisions by time (orphaning, never dropping, those whose pause went), record it and save."""
        self._check(base_revision)
        if not self.can_correct:
            raise ReviewInputError("re-analysis needs the recording the transcript came from")
        inputs = self._analysis_inputs()  # seconds the first time: outside the lock decisions need
        with self._lock:
            self._check(base_revision)
            corrected = apply_correction(self._transcript, correction)
            review = self._review()
            now = datetime.now(UTC)
            segment_id = getattr(correction, "segment_id", None)
            speaker_id = getattr(correction, "speaker_id", None)
            records = [
                ReviewCorrection(kind=correction.kind, segment_id=segment_id, speaker_id=speaker_id, coder=self.coder, at=now)
            ]
            if isinstance(correction, RoleChange) and correction.label is not None:
                # Recorded as a label correction too, so the label the coder chose survives re-analysis.
                records.append(ReviewCorrection(kind="label", speaker_id=speaker_id, coder=self.coder, at=now))
            corrected = corrected.model_copy(
                update={"review": review.model_copy(update={"corrections": [*review.corrections, *records]})}
            )
            labels = kept_labels(corrected)
            assert self.recording is not None
            analysed = self.pipeline.reanalyze(self.recording, corrected, session=session_hints(corrected), inputs=inputs)
            return self._save(link_decisions(restore_labels(analysed, labels)), base_revision)

    def undo(self, base_revision: int) -> Transcript:
        """Restore the revision before the current one, saved as a new revision.

        Undoing an undo therefore brings the undone change back; ``store.restore`` reaches any revision.
        """
        with self._lock:
            self._check(base_revision)
            earlier = [r for r in self.store.revisions() if r < base_revision]
            if not earlier:
                raise ReviewInputError("revision: there is no earlier revision to go back to")
            try:
                self._transcript = self.store.restore(earlier[-1], base_revision)
            except ReviewConflictError:
                self.reload()
                raise
            return self._transcript


def _next_id(review: Review) -> str:
    numbers = [int(d.id[1:]) for d in review.decisions if d.id[:1] == "d" and d.id[1:].isdigit()]
    return f"d{max(numbers, default=0) + 1}"


def _same_target(existing: ReviewDecision, made: ReviewDecision) -> bool:
    if existing.orphaned or existing.target != made.target:
        return False
    if made.target == "silence":
        return existing.pause_id is not None and existing.pause_id == made.pause_id
    return existing.suggestion_id is not None and existing.suggestion_id == made.suggestion_id
