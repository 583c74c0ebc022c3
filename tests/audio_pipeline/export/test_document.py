"""The rendered transcript: turns, labels, pauses where they happened, exact offsets."""

from __future__ import annotations

from audio_pipeline.export.document import defuse_clock_times, render

from .transcripts import reviewed_transcript, sample_transcript


def test_turns_merge_consecutive_segments_and_carry_role_labels() -> None:
    doc = render(sample_transcript())
    labels = [t.label for t in doc.turns]
    assert labels == ["Oncologist", "Parent 1", "Oncologist", "Patient", "Parent 1", "Oncologist"]
    first = doc.turns[0]
    assert [s.segment.id for s in first.segments] == ["seg-00001", "seg-00002"]
    assert doc.text[first.start : first.end].startswith("Oncologist: Thanks for coming in.")


def test_pauses_sit_where_they_happened() -> None:
    doc = render(sample_transcript())
    paragraphs = doc.text.split("\n\n")
    assert "(6.2, silence candidate)" in paragraphs  # between turns: its own line
    assert "(5.5)" in paragraphs
    assert "Parent 1: Ok (2.6) then we will see you next week." in paragraphs  # inside one segment, between its words
    assert "(0.5)" not in doc.text  # under the 2 s threshold


def test_a_pause_inside_overlapping_segments_is_written_once() -> None:
    transcript = sample_transcript()
    (inner,) = [s for s in transcript.segments if s.id == "seg-00006"]
    overlapping = inner.model_copy(update={"id": "seg-00008", "speaker": "S3"})
    doc = render(transcript.model_copy(update={"segments": [*transcript.segments, overlapping]}))
    assert doc.text.count("(2.6)") == 1 and len(doc.pauses) == 3


def test_threshold_is_configurable_and_candidates_always_show() -> None:
    doc = render(sample_transcript(), pause_threshold_s=6.0)
    assert "(2.6)" not in doc.text and "(5.5)" not in doc.text
    assert "(6.2, silence candidate)" in doc.text


def test_segment_offsets_map_to_the_written_text() -> None:
    transcript = sample_transcript()
    doc = render(transcript)
    for sug in transcript.code_suggestions:
        rendered = doc.segments[sug.segment_id]
        assert doc.text[rendered.doc_offset(sug.start_char) : rendered.doc_offset(sug.end_char, end=True)] == sug.text
    split = doc.segments["seg-00006"]
    assert len(split.pieces) == 2
    assert doc.text[split.doc_offset(3) : split.doc_offset(7, end=True)] == "then"


def test_clock_times_are_defused_without_changing_length() -> None:
    assert defuse_clock_times("at 10:30, ratio: 2") == "at 10\u223630, ratio: 2"


def test_decisions_change_the_pause_marks() -> None:
    confirmed = render(reviewed_transcript("confirmed")).text.split("\n\n")
    assert "(6.2, Silence)" in confirmed and "(5.5, Silence)" in confirmed
    rejected = render(reviewed_transcript("rejected", add_missed=False), pause_threshold_s=6.0)
    assert "(6.2)" in rejected.text.split("\n\n"), "a rejected candidate is an ordinary pause, still shown"
    assert rejected.pauses[0].candidate is None and not rejected.pauses[0].is_silence
    unsure = render(reviewed_transcript("unsure", add_missed=False))
    assert "(6.2, silence candidate)" in unsure.text and unsure.pauses[0].candidate is not None


def test_a_pause_label_starts_every_pause_paragraph_between_turns_only() -> None:
    doc = render(sample_transcript(), timestamp=lambda s: f"[{s:.1f}]", pause_label="Pause")
    paragraphs = doc.text.split("\n\n")
    assert "Pause: [11.0] (6.2, silence candidate)" in paragraphs
    assert "Parent 1: [24.0] Ok (2.6) then we will see you next week." in paragraphs
    (candidate,) = [p for p in doc.pauses if p.candidate is not None]
    assert doc.text[candidate.start : candidate.end] == "(6.2, silence candidate)" and not candidate.inline
