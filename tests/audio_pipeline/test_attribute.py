"""Attribution rules on hand-made turns and words (no engines)."""

from __future__ import annotations

from audio_pipeline.attribute import OverlapIndex, TurnIndex, attribute
from audio_pipeline.diarize import Diarization, SpeakerTurn
from audio_pipeline.schema import UNKNOWN_SPEAKER
from audio_pipeline.transcribe import AsrSegment, AsrWord


def seg(*words: tuple[float, float, str]) -> AsrSegment:
    return AsrSegment(
        start_s=words[0][0],
        end_s=words[-1][1],
        text="".join(f" {w[2]}" for w in words),
        words=tuple(AsrWord(s, e, f" {t}", 0.9) for s, e, t in words),
        avg_logprob=-0.2,
        no_speech_prob=0.01,
    )


def diar(*turns: tuple[float, float, str], overlaps: tuple[tuple[float, float], ...] = ()) -> Diarization:
    return Diarization(turns=tuple(SpeakerTurn(*t) for t in turns), overlaps=overlaps)


def test_word_takes_speaker_of_turn_it_overlaps_most() -> None:
    d = diar((0.0, 2.05, "SPEAKER_01"), (2.05, 5.0, "SPEAKER_00"))
    result = attribute([seg((1.8, 2.2, "edge"))], d)
    # 0.25 s inside the first turn, 0.15 s inside the second.
    assert result.segments[0].speaker == "S1"
    assert result.segments[0].words[0].speaker == "S1"


def test_ids_follow_order_of_first_speech_not_pyannote_labels() -> None:
    d = diar((0.0, 1.0, "SPEAKER_03"), (1.0, 2.0, "SPEAKER_00"))
    index = TurnIndex(d.turns)
    assert index.ids == {"SPEAKER_03": "S1", "SPEAKER_00": "S2"}


def test_backchannel_inside_another_turn_keeps_its_own_speaker() -> None:
    d = diar((0.0, 3.0, "A"), (3.0, 3.4, "B"), (3.4, 8.0, "A"))
    asr = seg((0.5, 1.0, "The"), (1.0, 2.8, "scan"), (3.05, 3.35, "mm-hmm"), (3.5, 4.0, "shows"), (4.0, 4.5, "growth"))
    result = attribute([asr], d)
    assert [s.speaker for s in result.segments] == ["S1", "S2", "S1"]
    assert result.segments[1].text == "mm-hmm"
    assert [s.id for s in result.segments] == ["seg-00001", "seg-00002", "seg-00003"]


def test_segments_never_span_two_speakers() -> None:
    d = diar((0.0, 2.0, "A"), (2.0, 4.0, "B"))
    result = attribute([seg((0.2, 0.8, "how"), (0.8, 1.5, "are"), (2.2, 2.8, "fine"), (2.9, 3.5, "thanks"))], d)
    assert [(s.speaker, s.text) for s in result.segments] == [("S1", "how are"), ("S2", "fine thanks")]
    for s in result.segments:
        assert {w.speaker for w in s.words} == {s.speaker}


def test_word_outside_turns_takes_nearest_within_tolerance_else_unknown() -> None:
    d = diar((0.0, 1.0, "A"), (5.0, 6.0, "B"))
    result = attribute([seg((1.3, 1.45, "near")), seg((2.5, 3.0, "far")), seg((4.6, 4.8, "before"))], d)
    assert [s.speaker for s in result.segments] == ["S1", UNKNOWN_SPEAKER, "S2"]
    assert result.unknown_words == 1


def test_no_turns_at_all_gives_unknown() -> None:
    result = attribute([seg((0.0, 1.0, "hello"))], diar())
    assert result.segments[0].speaker == UNKNOWN_SPEAKER
    assert result.speakers[0].id == UNKNOWN_SPEAKER


def test_zero_length_word_inside_turn() -> None:
    d = diar((0.0, 1.0, "A"), (1.0, 2.0, "B"))
    assert attribute([seg((1.5, 1.5, "uh"))], d).segments[0].speaker == "S2"


def test_overlap_flag_marks_only_segments_touching_overlap() -> None:
    d = diar((0.0, 3.0, "A"), (3.0, 6.0, "B"), overlaps=((2.8, 3.2),))
    result = attribute([seg((0.5, 1.5, "first")), seg((2.5, 2.9, "over")), seg((4.0, 5.0, "clear"))], d)
    assert [s.overlap for s in result.segments] == [False, True, False]


def test_overlap_index_merges_regions() -> None:
    index = OverlapIndex([(5.0, 6.0), (1.0, 2.0), (1.5, 3.0)])
    assert index.touches(2.9, 4.0)
    assert not index.touches(3.0, 5.0)
    assert index.touches(5.5, 5.6)
    assert not index.touches(6.0, 9.0)


def test_speaker_stats_count_turns_words_and_talk_time() -> None:
    d = diar((0.0, 2.0, "A"), (2.0, 3.0, "B"), (3.0, 5.0, "A"))
    result = attribute([seg((0.1, 0.5, "a"), (0.5, 1.0, "b"), (2.1, 2.5, "c"), (3.5, 4.0, "d"))], d)
    stats = {s.id: s for s in result.speakers}
    assert stats["S1"].talk_time_s == 4.0 and stats["S1"].turn_count == 2 and stats["S1"].word_count == 3
    assert stats["S2"].talk_time_s == 1.0 and stats["S2"].turn_count == 1


def test_blank_words_are_dropped() -> None:
    d = diar((0.0, 2.0, "A"))
    result = attribute([seg((0.1, 0.5, "yes"), (0.5, 0.6, " "))], d)
    assert [w.text for w in result.segments[0].words] == ["yes"]
