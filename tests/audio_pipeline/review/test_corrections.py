"""Corrections on a hand-built transcript: each kind, the invariants they keep, and errors that name the field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from audio_pipeline.errors import ReviewInputError
from audio_pipeline.review.corrections import (
    LabelChange,
    Merge,
    RoleChange,
    SpeakerChange,
    Split,
    TextEdit,
    apply_correction,
    parse_correction,
)
from audio_pipeline.schema import Review, ReviewCorrection, Segment, Transcript, word_offsets
from tests.audio_pipeline.export.transcripts import sample_transcript


def _seg(t: Transcript, segment_id: str) -> Segment:
    return next(s for s in t.segments if s.id == segment_id)


def check_invariants(t: Transcript) -> None:
    """What every correction keeps: unique ids, words in order inside their segment, speakers counted."""
    ids = [s.id for s in t.segments]
    assert len(ids) == len(set(ids))
    for seg in t.segments:
        assert seg.words and seg.text.strip()
        starts = [w.start_s for w in seg.words]
        assert starts == sorted(starts)
        for w in seg.words:
            assert seg.start_s <= w.start_s <= w.end_s <= seg.end_s
            assert w.speaker == seg.speaker
        assert word_offsets(seg) is not None, "the words follow the text"
    counted = {s.id: (s.word_count, s.turn_count) for s in t.speakers}
    for speaker in {s.speaker for s in t.segments}:
        words = sum(len(s.words) for s in t.segments if s.speaker == speaker)
        assert counted[speaker][0] == words


def test_a_text_edit_keeps_timings_of_unchanged_words_and_spreads_new_ones() -> None:
    t = sample_transcript()
    before = _seg(t, "seg-00003")  # "Is she going to be okay?" over 9.5-11.0
    after = _seg(apply_correction(t, TextEdit(segment_id="seg-00003", text="Is he going to be okay now?")), "seg-00003")
    old = {w.text.strip(): (w.start_s, w.end_s) for w in before.words}
    new = {w.text.strip(): (w.start_s, w.end_s, w.probability) for w in after.words}
    for kept in ("Is", "going", "to", "be"):
        assert new[kept][:2] == old[kept]
    assert new["he"][:2] == old["she"] and new["he"][2] == 1.0  # a changed word takes the replaced word's time
    # "okay?" became "okay" + "now?": both share the old word's time, in order.
    assert old["okay?"][0] == new["okay"][0] < new["now?"][0] <= new["now?"][1] == old["okay?"][1]
    assert after.text == "Is he going to be okay now?" and after.start_s == before.start_s and after.end_s == before.end_s
    check_invariants(apply_correction(t, TextEdit(segment_id="seg-00003", text="Is he going to be okay now?")))


def test_text_added_at_the_end_stays_inside_the_segment() -> None:
    t = apply_correction(
        sample_transcript(), TextEdit(segment_id="seg-00003", text="Is she going to be okay? I'm so scared she is going to die.")
    )
    check_invariants(t)
    seg = _seg(t, "seg-00003")
    assert seg.words[-1].text.strip() == "die." and seg.words[-1].end_s == seg.end_s == 11.0


def test_words_inserted_into_a_pause_inside_a_segment_share_the_pause() -> None:
    t = sample_transcript()  # seg-00006: "Ok" ends at 24.4, "then" starts at 27.0
    edited = apply_correction(t, TextEdit(segment_id="seg-00006", text="Ok um well then we will see you next week."))
    inserted = [w for w in _seg(edited, "seg-00006").words if w.text.strip() in ("um", "well")]
    assert inserted[0].start_s == 24.4 and inserted[-1].end_s == 27.0
    check_invariants(edited)


def test_a_speaker_change_moves_the_segment_and_recounts() -> None:
    t = apply_correction(sample_transcript(), SpeakerChange(segment_id="seg-00005", speaker_id="S2"))
    check_invariants(t)
    assert "S3" not in {s.id for s in t.speakers}  # the patient had only that segment
    assert _seg(t, "seg-00005").role == "parent"
    new = apply_correction(sample_transcript(), SpeakerChange(segment_id="seg-00005", speaker_id="S4"))
    speaker = next(s for s in new.speakers if s.id == "S4")
    assert (speaker.role, speaker.word_count, speaker.needs_review) == ("unknown", 7, True)


def test_split_at_a_word_then_merge_back() -> None:
    t = sample_transcript()
    original = _seg(t, "seg-00002")
    split = apply_correction(t, Split(segment_id="seg-00002", word_index=7))
    check_invariants(split)
    head, tail = _seg(split, "seg-00002"), next(s for s in split.segments if s.id not in {x.id for x in t.segments})
    assert head.text == "The scan shows the tumor has grown." and tail.text == "I think we should talk about what comes next."
    assert tail.words[0].start_s == tail.start_s and head.end_s == head.words[-1].end_s
    merged = apply_correction(split, Merge(segment_id="seg-00002", next_segment_id=tail.id))
    check_invariants(merged)
    back = _seg(merged, "seg-00002")
    assert (back.text, back.start_s, back.end_s, len(back.words)) == (
        original.text,
        original.start_s,
        original.end_s,
        len(original.words),
    )
    assert [s.id for s in merged.segments] == [s.id for s in t.segments]


def test_a_split_never_reuses_an_id_the_history_names() -> None:
    t = sample_transcript()
    # seg-00008 was edited, then merged away: its id stays retired.
    history = Review(corrections=[ReviewCorrection(kind="text", segment_id="seg-00008", coder="RA-1", at=datetime.now(UTC))])
    split = apply_correction(t.model_copy(update={"review": history}), Split(segment_id="seg-00002", word_index=7))
    assert "seg-00008" not in {s.id for s in split.segments} and "seg-00009" in {s.id for s in split.segments}


def test_merge_takes_the_first_speaker() -> None:
    t = apply_correction(sample_transcript(), Merge(segment_id="seg-00004", next_segment_id="seg-00005"))
    check_invariants(t)
    assert _seg(t, "seg-00004").speaker == "S1" and "seg-00005" not in {s.id for s in t.segments}


def test_role_and_label_are_kept_as_set() -> None:
    t = apply_correction(sample_transcript(), RoleChange(speaker_id="S3", role="other_family"))
    speaker = next(s for s in t.speakers if s.id == "S3")
    assert (speaker.role, speaker.role_source, speaker.label, speaker.needs_review) == ("other_family", "manual", "Family", False)
    assert _seg(t, "seg-00005").role == "other_family"
    t = apply_correction(t, LabelChange(speaker_id="S3", label="  Grandmother "))
    assert next(s for s in t.speakers if s.id == "S3").label == "Grandmother"
    t = apply_correction(t, RoleChange(speaker_id="S2", role="parent", label="Father"))
    assert next(s for s in t.speakers if s.id == "S2").label == "Father"


@pytest.mark.parametrize(
    ("correction", "field"),
    [
        (TextEdit(segment_id="seg-99999", text="x"), "segment_id"),
        (TextEdit(segment_id="seg-00001", text="   "), "text"),
        (SpeakerChange(segment_id="seg-00001", speaker_id="Dr Smith"), "speaker_id"),
        (Split(segment_id="seg-00003", word_index=0), "word_index"),
        (Split(segment_id="seg-00003", word_index=6), "word_index"),
        (Merge(segment_id="seg-00001", next_segment_id="seg-00003"), "next_segment_id"),
        (Merge(segment_id="seg-00007", next_segment_id="seg-00001"), "next_segment_id"),
        (RoleChange(speaker_id="S9", role="parent"), "speaker_id"),
        (LabelChange(speaker_id="S1", label=""), "label"),
        (LabelChange(speaker_id="S1", label="x" * 61), "label"),
    ],
)
def test_errors_name_the_field_and_quote_nothing(correction: object, field: str) -> None:
    with pytest.raises(ReviewInputError) as caught:
        apply_correction(sample_transcript(), correction)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith(f"{field}:")
    assert "seg-99999" not in message and "Dr Smith" not in message and "S9" not in message


def test_parse_correction_reads_the_request_body_and_names_the_field() -> None:
    assert parse_correction({"kind": "split", "segment_id": "seg-00001", "word_index": 3}) == Split(
        segment_id="seg-00001", word_index=3
    )
    for body, field in [
        ({"kind": "split", "segment_id": "seg-00001", "word_index": "third"}, "word_index"),
        ({"kind": "role", "speaker_id": "S1", "role": "surgeon"}, "role"),
        ({"kind": "rename", "segment_id": "seg-00001"}, "kind"),
        ({"segment_id": "seg-00001"}, "kind"),
        ({"kind": "text", "segment_id": "seg-00001", "text": "x", "Mrs Jones": 1}, "kind"),
        ({"kind": "role", "speaker_id": "S1", "role": "Mrs Jones"}, "role"),
        ("Mrs Jones", "kind"),
    ]:
        with pytest.raises(ReviewInputError, match=f"^{field}:") as caught:
            parse_correction(body)
        assert "rename" not in str(caught.value) and "Jones" not in str(caught.value)
