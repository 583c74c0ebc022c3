"""A small finished study on disk, built from our own hand-made transcripts (no engines): for the report tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from audio_pipeline.schema import Transcript, TranscriptWarning
from service.batch.manifest import SessionSpec
from service.batch.state import BatchState
from service.batch.summary import SessionResult, stats_of
from service.naming import export_file_name
from tests.audio_pipeline.export.transcripts import reviewed_transcript, sample_transcript

SYNTHETIC = TranscriptWarning(code="synthetic_models", message="Random-weight test models were used: the text is meaningless.")


def synthetic_and_unsure() -> Transcript:
    """Made with random-weight models, and the parent's role is below the review threshold."""
    t = sample_transcript()
    provenance = t.provenance.model_copy(update={"asr_model": t.provenance.asr_model.model_copy(update={"synthetic": True})})
    speakers = [s.model_copy(update={"needs_review": True, "role_confidence": 0.42}) if s.id == "S2" else s for s in t.speakers]
    return t.model_copy(update={"provenance": provenance, "speakers": speakers, "warnings": [SYNTHETIC]})


def write_study(out: Path, synthetic: bool = True) -> tuple[BatchState, list[SessionResult]]:
    """S01 reviewed (candidate confirmed, a missed one added), S02 unreviewed (synthetic if asked),
    S03 failed, S04 reviewed (candidate rejected)."""
    state = BatchState(out)
    transcripts = {
        "S01": reviewed_transcript("confirmed"),
        "S02": synthetic_and_unsure() if synthetic else sample_transcript(),
        "S04": reviewed_transcript("rejected", add_missed=False),
    }
    dates = {"S01": dt.date(2026, 1, 5), "S02": dt.date(2026, 3, 2), "S03": dt.date(2026, 2, 10), "S04": dt.date(2026, 4, 1)}
    results = []
    for session_id in ("S01", "S02", "S03", "S04"):
        spec = SessionSpec(session_id, out / f"{session_id}.wav", dyad_id="D01", date=dates[session_id], setting="clinic")
        transcript = transcripts.get(session_id)
        if transcript is None:
            results.append(SessionResult(spec, "failed", error_code="unsupported_audio", error="not audio"))
            continue
        state.write_outputs(session_id, {export_file_name(session_id, "json", "json"): transcript.to_json().encode()})
        results.append(SessionResult(spec, "done", stats=stats_of(transcript)))
    return state, results
