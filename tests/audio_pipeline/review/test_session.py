"""ReviewSession's own logic on a hand-built transcript (no recording): decisions, replacement, conflicts.

tests/audio_pipeline/review/test_session_engines.py drives corrections and re-analysis on a real recording.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from audio_pipeline.analysis.inputs import AnalysisInputs
from audio_pipeline.analysis.roles import SessionHints
from audio_pipeline.errors import EngineError, RecordingNotFoundError, ReviewConflictError, ReviewInputError
from audio_pipeline.pipeline import TranscriptionPipeline
from audio_pipeline.review.corrections import TextEdit
from audio_pipeline.review.session import ReviewSession, session_hints
from audio_pipeline.review.store import ReviewStore
from audio_pipeline.schema import AnalysisParameters, Deidentification, RunParameters, SessionHintParameters, Transcript
from tests.audio_pipeline.export.transcripts import sample_transcript


@pytest.fixture
def session(tmp_path: Path) -> ReviewSession:
    path = tmp_path / "session.json"
    path.write_text(sample_transcript().to_json())
    return ReviewSession(ReviewStore(path), None, TranscriptionPipeline(), coder="RA-1")


def test_a_second_decision_on_a_pause_replaces_the_first_and_keeps_its_id(session: ReviewSession) -> None:
    assert session.revision == 0
    session.decide(0, target="silence", start_s=11.0, end_s=17.2, decision="unsure")
    t = session.decide(1, target="silence", start_s=11.1, end_s=17.0, decision="confirmed", note="space to process")
    assert t.review is not None and session.revision == 2
    [decision] = t.review.decisions
    assert (decision.id, decision.decision, decision.note, decision.pause_id) == (
        "d1",
        "confirmed",
        "space to process",
        "pause-0001",
    )
    assert (decision.start_s, decision.end_s, decision.added_by_coder, decision.coder) == (11.0, 17.2, False, "RA-1")


def test_a_missed_silence_is_recorded_as_added_by_the_coder(session: ReviewSession) -> None:
    t = session.decide(0, target="silence", start_s=32.0, end_s=37.5, decision="confirmed")
    assert t.review is not None and t.review.decisions[0].added_by_coder
    with pytest.raises(ReviewInputError, match=r"^start_s: the pause there is shorter"):
        session.decide(1, target="silence", start_s=24.4, end_s=27.0, decision="confirmed")  # a 2.6 s pause
    with pytest.raises(ReviewInputError, match=r"^start_s: no pause"):
        session.decide(1, target="silence", start_s=1.0, end_s=2.0, decision="confirmed")


def test_suggestion_decisions_and_undecide(session: ReviewSession) -> None:
    sug = session.transcript.code_suggestions[0]
    seg = next(s for s in session.transcript.segments if s.id == sug.segment_id)
    t = session.decide(
        0, target="suggestion", start_s=seg.start_s, end_s=seg.end_s, decision="confirmed", code=sug.code, text=sug.text
    )
    assert t.review is not None and t.review.decisions[0].suggestion_id == sug.id
    with pytest.raises(ReviewInputError, match=r"^code:"):
        session.decide(1, target="suggestion", start_s=seg.start_s, end_s=seg.end_s, decision="confirmed")
    with pytest.raises(ReviewInputError, match=r"^decision_id:"):
        session.undecide(1, "d9")
    t = session.undecide(1, "d1")
    assert t.review is not None and t.review.decisions == [] and t.review.revision == 2


def test_a_stale_tab_gets_a_conflict_and_the_session_catches_up(session: ReviewSession) -> None:
    session.decide(0, target="silence", start_s=11.0, end_s=17.2, decision="confirmed")
    other = ReviewSession(session.store, None, TranscriptionPipeline(), coder="RA-2")
    other.decide(1, target="silence", start_s=32.0, end_s=37.5, decision="rejected")
    with pytest.raises(ReviewConflictError) as caught:
        session.decide(1, target="silence", start_s=11.0, end_s=17.2, decision="rejected")
    assert caught.value.current_revision == 2
    assert session.revision == 2  # reloaded: nothing of the other coder's decision is lost
    t = session.decide(2, target="silence", start_s=11.0, end_s=17.2, decision="rejected")
    assert t.review is not None and [(d.id, d.decision) for d in t.review.decisions] == [("d1", "rejected"), ("d2", "rejected")]


def test_undo_restores_the_previous_revision(session: ReviewSession) -> None:
    with pytest.raises(ReviewInputError, match=r"^revision:"):
        session.undo(0)
    session.decide(0, target="silence", start_s=11.0, end_s=17.2, decision="confirmed")
    t = session.undo(1)
    assert t.review is not None and t.review.decisions == [] and t.review.revision == 2


def test_corrections_need_the_recording_and_the_identified_transcript(session: ReviewSession, tmp_path: Path) -> None:
    with pytest.raises(ReviewInputError, match="needs the recording"):
        session.correct(0, TextEdit(segment_id="seg-00001", text="Hello."))
    deid = tmp_path / "deid.json"
    copy = sample_transcript().model_copy(
        update={"deidentification": Deidentification(replaced={"person": 1}, date_policy="keep_year", names_supplied=0)}
    )
    deid.write_text(copy.to_json())
    recording = tmp_path / "rec.wav"
    recording.write_bytes(b"RIFF")
    reviewing_copy = ReviewSession(ReviewStore(deid), recording, TranscriptionPipeline(), coder="RA-1")
    assert not reviewing_copy.can_correct
    with pytest.raises(ReviewInputError, match="needs the recording"):
        reviewing_copy.correct(0, TextEdit(segment_id="seg-00001", text="Hello."))
    assert reviewing_copy.decide(0, target="silence", start_s=11.0, end_s=17.2, decision="confirmed").review is not None
    with pytest.raises(RecordingNotFoundError):
        ReviewSession(ReviewStore(deid), tmp_path / "missing.wav", TranscriptionPipeline(), coder="RA-1")


def test_session_hints_come_back_from_provenance() -> None:
    t = sample_transcript()
    assert session_hints(t) is None
    stored = SessionHintParameters(attendees={"parent": 2, "patient": 1}, patient_age=9, setting="clinic")
    analysis = AnalysisParameters(
        min_pause_s=2.0, silence_min_s=5.0, silence_trigger_window_s=10.0, emotion_min_score=0.5, emotion_lexicon="x.yaml"
    )
    options = RunParameters(analysis=analysis, session_hints=stored)
    typed = t.model_copy(update={"provenance": t.provenance.model_copy(update={"options": options})})
    assert session_hints(typed) == SessionHints(attendees={"parent": 2, "patient": 1}, patient_age=9, setting="clinic")
    loose = {"attendees": {"parent": 1}, "patient_age": None, "setting": "telephone"}  # before schema 1.5.0
    old = t.model_copy(update={"provenance": t.provenance.model_copy(update={"parameters": {"session_hints": loose}})})
    assert session_hints(old) == SessionHints(attendees={"parent": 1}, setting="telephone")


def test_decisions_do_not_wait_while_the_recording_is_measured(tmp_path: Path) -> None:
    measuring, release = threading.Event(), threading.Event()

    class SlowPipeline(TranscriptionPipeline):
        def analysis_inputs(self, path: Path, transcript: Transcript) -> AnalysisInputs:
            measuring.set()
            release.wait(10)
            raise EngineError("stopped by the test")

    path, recording = tmp_path / "t.json", tmp_path / "rec.wav"
    path.write_text(sample_transcript().to_json())
    recording.write_bytes(b"RIFF")
    session = ReviewSession(ReviewStore(path), recording, SlowPipeline(), coder="RA-1")
    failures: list[BaseException] = []

    def prepare() -> None:
        try:
            session.prepare()
        except EngineError as exc:
            failures.append(exc)

    worker = threading.Thread(target=prepare)
    worker.start()
    assert measuring.wait(10)
    try:
        t = session.decide(0, target="silence", start_s=11.0, end_s=17.2, decision="confirmed")
        assert t.review is not None and t.review.revision == 1
    finally:
        release.set()
        worker.join(10)
    assert len(failures) == 1
