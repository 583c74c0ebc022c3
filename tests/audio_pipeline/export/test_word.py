"""The DOCX transcript, read back with python-docx."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import docx

from audio_pipeline.export import ExportOptions, export
from audio_pipeline.export.plural import counted
from audio_pipeline.schema import Transcript

from .transcripts import CODER, reviewed_transcript, sample_transcript


def read(transcript: Transcript, title: str = "Session 12") -> docx.document.Document:
    return docx.Document(io.BytesIO(export(transcript, "docx", ExportOptions(title=title)).content))


def test_docx_has_speaker_timestamp_and_text_per_turn() -> None:
    document = read(sample_transcript())
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Session 12"
    turns = [p for p in document.paragraphs if p.runs and p.runs[0].bold]
    assert [p.runs[0].text for p in turns] == ["Oncologist", "Parent 1", "Oncologist", "Patient", "Parent 1", "Oncologist"]
    assert "[00:00:09.5]" in turns[1].text and turns[1].text.endswith("Is she going to be okay?")
    assert "(6.2, silence candidate)" in texts and "(5.5)" in texts
    assert texts.index("(6.2, silence candidate)") == texts.index(turns[1].text) + 1
    assert not document.tables, "no decisions, no decisions table"


def test_core_properties_are_this_transcripts_not_the_templates() -> None:
    props = read(sample_transcript()).core_properties
    assert props.title == "Session 12"
    assert props.author == "alliance (automatic)" and props.last_modified_by == "alliance (automatic)"
    assert props.created == datetime(2026, 11, 22, 12, 0, tzinfo=UTC) == props.modified
    assert "python-docx" not in f"{props.author} {props.comments} {props.last_modified_by}"
    assert props.language == "en"
    reviewed = read(reviewed_transcript()).core_properties
    assert reviewed.last_modified_by == CODER and reviewed.modified == datetime(2026, 11, 28, 9, 33, tzinfo=UTC)
    assert reviewed.revision == 4


def test_counts_are_written_with_the_right_plural() -> None:
    info = read(sample_transcript()).paragraphs[1].text
    assert "3 speakers · 1 silence candidate · " in info
    one_speaker = sample_transcript()
    one_speaker = one_speaker.model_copy(update={"speakers": one_speaker.speakers[:1], "silence_candidates": []})
    assert "1 speaker · 0 silence candidates · " in read(one_speaker).paragraphs[1].text
    assert [counted(n, "Silence") for n in (0, 1, 2)] == ["0 Silences", "1 Silence", "2 Silences"]


def test_each_decision_shows_at_its_pause_and_in_the_decisions_table() -> None:
    document = read(reviewed_transcript("confirmed"))
    texts = [p.text for p in document.paragraphs]
    assert "review: 2 Silences confirmed, 0 candidates rejected, 0 candidates to review" in texts[1]
    assert f"(6.2, Silence)  confirmed by {CODER} on 2026-11-28: gave the parent space" in texts
    assert f"(5.5, Silence)  added by {CODER} on 2026-11-28" in texts
    (table,) = document.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["At", "On", "Decision", "Coder", "Note"]
    assert ["[00:00:11.0]", "pause of 6.2 s", "confirmed", CODER, "gave the parent space"] in rows
    assert ["[00:00:32.0]", "pause of 5.5 s (added by the coder)", "confirmed", CODER, ""] in rows
    assert ["[00:00:00.5]", "suggestion Honesty / Warning shot: 'I'm afraid I'", "rejected", CODER, ""] in rows
    assert ["[00:00:17.2]", "suggestion Empathy / Saying sorry: 'I'm so sorry'", "confirmed", CODER, ""] in rows


def test_a_rejected_candidate_is_an_ordinary_pause_in_the_text() -> None:
    texts = [p.text for p in read(reviewed_transcript("rejected", add_missed=False)).paragraphs]
    assert f"(6.2)  rejected by {CODER} on 2026-11-28: gave the parent space" in texts
    assert "review: 0 Silences confirmed, 1 candidate rejected, 0 candidates to review" in texts[1]
