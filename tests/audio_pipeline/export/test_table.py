"""The segment CSV, read back with the csv module."""

from __future__ import annotations

import csv
import io

from audio_pipeline.export import export
from audio_pipeline.export.table import COLUMNS

from .transcripts import sample_transcript


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
