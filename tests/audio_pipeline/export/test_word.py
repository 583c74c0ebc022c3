"""The DOCX transcript, read back with python-docx."""

from __future__ import annotations

import io

import docx

from audio_pipeline.export import ExportOptions, export

from .transcripts import sample_transcript


def test_docx_has_speaker_timestamp_and_text_per_turn() -> None:
    data = export(sample_transcript(), "docx", ExportOptions(title="Session 12")).content
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Session 12"
    turns = [p for p in document.paragraphs if p.runs and p.runs[0].bold]
    assert [p.runs[0].text for p in turns] == ["Oncologist", "Parent 1", "Oncologist", "Patient", "Parent 1", "Oncologist"]
    assert "[00:00:09.5]" in turns[1].text and turns[1].text.endswith("Is she going to be okay?")
    assert "(6.2, silence candidate)" in texts and "(5.5)" in texts
    assert texts.index("(6.2, silence candidate)") == texts.index(turns[1].text) + 1
    assert document.core_properties.title == "Session 12"
