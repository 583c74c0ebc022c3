"""The segment CSV, read back with the csv module."""

from __future__ import annotations

import csv
import io

from audio_pipeline.export import export
from audio_pipeline.export.table import COLUMNS
from audio_pipeline.schema import Transcript

from .transcripts import CODER, reviewed_transcript, sample_transcript


def test_csv_round_trips_segments() -> None:
    transcript = sample_transcript()
    data = export(transcript, "csv").content
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    assert [r["segment_id"] for r in rows] == [s.id for s in transcript.segments]
    assert rows[6]["text"] == transcript.segments[6].text  # unicode survives
    assert rows[0]["label"] == "Oncologist" and rows[0]["suggested_codes"] == "Honesty / Warning shot"
    assert float(rows[2]["emotion_score"]) > 0.5


def test_cells_that_look_like_formulas_stay_text() -> None:
    transcript = sample_transcript()
    seg = transcript.segments[0].model_copy(update={"text": "=HYPERLINK(1)"})
    edited = transcript.model_copy(update={"segments": [seg, *transcript.segments[1:]]})
    rows = list(csv.DictReader(io.StringIO(export(edited, "csv").content.decode("utf-8-sig"))))
    assert rows[0]["text"] == "'=HYPERLINK(1)"


def rows_of(transcript: Transcript) -> dict[str, dict[str, str]]:
    data = export(transcript, "csv").content.decode("utf-8-sig")
    return {r["segment_id"]: r for r in csv.DictReader(io.StringIO(data))}


def test_an_unreviewed_candidate_shows_on_the_row_it_follows() -> None:
    rows = rows_of(sample_transcript())
    after = rows["seg-00003"]
    assert (after["silence_after_s"], after["silence_state"], after["silence_coder"]) == ("6.2", "unreviewed", "")
    assert rows["seg-00006"]["silence_state"] == "", "a long pause no one decided on is not a candidate"


def test_each_decision_shows_and_suggestions_follow_them() -> None:
    rows = rows_of(reviewed_transcript("confirmed", note="=gave space"))
    assert [rows["seg-00003"][c] for c in ("silence_after_s", "silence_state", "silence_coder", "silence_note")] == [
        "6.2", "confirmed", CODER, "'=gave space",
    ]  # fmt: skip
    assert rows["seg-00006"]["silence_state"] == "confirmed"  # added by the coder
    assert rows["seg-00001"]["suggested_codes"] == "", "rejected: gone"
    assert rows["seg-00004"]["coded_codes"] == "Empathy / Saying sorry"
    assert rows["seg-00004"]["suggested_codes"] == "Partnering / Non-abandonment"
    rejected = rows_of(reviewed_transcript("rejected", add_missed=False))
    assert rejected["seg-00003"]["silence_state"] == "rejected"
