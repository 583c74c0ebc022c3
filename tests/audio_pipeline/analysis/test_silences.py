"""Silence candidates and long pauses from pauses and segments (no audio)."""

from __future__ import annotations

from audio_pipeline.analysis.emotion import detect
from audio_pipeline.analysis.silences import SilenceOptions, classify_response, find_silences
from audio_pipeline.schema import Pause, Segment, Word


def segment(n: int, start: float, end: float, speaker: str, text: str) -> Segment:
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = [
        Word(start_s=start + i * step, end_s=start + (i + 1) * step, text=t, probability=1.0, speaker=speaker)
        for i, t in enumerate(tokens)
    ]
    return Segment(
        id=f"seg-{n:05d}", start_s=start, end_s=end, speaker=speaker, text=text, words=words, overlap=False,
        asr_confidence=1.0, emotion=detect(text),
    )  # fmt: skip


def pause(start: float, duration: float, before: str | None = "S2", after: str | None = "S1") -> Pause:
    return Pause(
        id="pause-0001", start_s=start, end_s=start + duration, duration_s=round(duration, 1), kind="between_turns",
        speaker_before=before, speaker_after=after, segment_before=None, segment_after=None,
    )  # fmt: skip


SEGMENTS = [
    segment(1, 0.0, 3.0, "S1", "The scan shows the tumor has grown."),
    segment(2, 3.5, 5.0, "S2", "Is she going to die?"),
    segment(3, 10.0, 12.0, "S1", "I'm so sorry. I know this is hard."),
]


def test_threshold_edges() -> None:
    below = find_silences([pause(5.0, 4.9)], SEGMENTS)
    assert below.candidates == [] and below.long_pauses == []
    at = find_silences([pause(5.0, 5.0)], SEGMENTS)
    assert len(at.candidates) == 1


def test_candidate_carries_the_evidence_a_coder_needs() -> None:
    (candidate,) = find_silences([pause(5.0, 5.0)], SEGMENTS).candidates
    assert candidate.trigger_segment == "seg-00002"
    assert "empathic_opportunity" in candidate.trigger_categories
    assert candidate.trigger_cues == ["Is she going to die"]
    assert (candidate.fell_silent, candidate.broke_silence) == ("S2", "S1")
    assert candidate.breaking_words.startswith("I'm so sorry.")
    assert candidate.response == "compassionate"
    assert candidate.proposed_code == "Presence / Silence"
    assert 0.8 <= candidate.confidence <= 1.0


def test_emotion_two_turns_before_within_the_window_counts() -> None:
    segments = [
        segment(1, 0.0, 2.0, "S2", "I'm so scared."),
        segment(2, 2.5, 4.0, "S1", "Okay."),
        segment(3, 10.0, 11.0, "S1", "What are you thinking about?"),
    ]
    (candidate,) = find_silences([pause(4.0, 6.0, "S1", "S1")], segments).candidates
    assert candidate.trigger_segment == "seg-00001"
    assert candidate.response == "invitational"
    immediate = find_silences([pause(5.0, 5.0)], SEGMENTS).candidates[0]
    assert candidate.confidence < immediate.confidence


def test_emotion_outside_the_window_makes_a_long_pause_for_review() -> None:
    segments = [segment(1, 0.0, 2.0, "S2", "I'm so scared."), segment(2, 3.0, 4.0, "S1", "Here are the images.")]
    result = find_silences([pause(14.0, 6.0)], segments, SilenceOptions(trigger_window_s=10.0))
    assert result.candidates == []
    assert [p.duration_s for p in result.long_pauses] == [6.0]


def test_neutral_long_pause_is_listed_separately() -> None:
    segments = [segment(1, 0.0, 2.0, "S1", "Let me pull up the images.")]
    result = find_silences([pause(2.0, 7.0, "S1", "S1")], segments)
    assert result.candidates == [] and len(result.long_pauses) == 1


def test_response_kinds() -> None:
    assert classify_response("Take your time.") == "compassionate"
    assert classify_response("What questions do you have?") == "invitational"
    assert classify_response("The next scan is Monday.") == "other"
    assert classify_response("") == "none"


# --- the trigger is timed by the cue's own words, not by its segment's end --------------------


def test_a_long_turn_whose_emotional_clause_ended_long_before_the_pause_is_no_trigger() -> None:
    text = "I'm so scared. " + " ".join(["and then we drove to the pharmacy and picked up the refill"] * 4)
    long_turn = segment(1, 0.0, 30.0, "S2", text)
    scared_end = long_turn.words[2].end_s
    assert scared_end < 2.0  # "scared." is the third of 48 words: it ends about 1.9 s in
    result = find_silences([pause(30.0, 6.0, "S2", "S1")], [long_turn])
    assert result.candidates == [] and len(result.long_pauses) == 1


def test_a_short_emotional_turn_followed_by_a_brief_mm_is_a_trigger() -> None:
    segments = [
        segment(1, 0.0, 1.5, "S2", "I'm terrified."),
        segment(2, 2.0, 2.3, "S1", "Mm."),
        segment(3, 9.0, 10.0, "S1", "Take your time."),
    ]
    (candidate,) = find_silences([pause(2.3, 6.7, "S1", "S1")], segments).candidates
    assert candidate.trigger_segment == "seg-00001"
    assert candidate.trigger_end_s == 1.5
    assert candidate.trigger_cues == ["terrified"]


def test_a_pause_inside_a_turn_counts_the_words_before_it() -> None:
    # One segment spans the pause: the emotional words before it are the trigger.
    seg = segment(1, 0.0, 12.0, "S2", "Is she going to die? okay")
    words = [w.model_copy(update={"start_s": i * 0.5, "end_s": i * 0.5 + 0.4}) for i, w in enumerate(seg.words[:-1])]
    words.append(seg.words[-1].model_copy(update={"start_s": 11.5, "end_s": 12.0}))
    seg = seg.model_copy(update={"words": words})
    (candidate,) = find_silences([pause(2.4, 9.1, "S2", "S2")], [seg]).candidates
    assert candidate.trigger_end_s == 2.4


def test_words_that_no_longer_spell_the_text_place_the_cue_by_its_share_of_the_text() -> None:
    seg = segment(1, 0.0, 20.0, "S2", "I'm scared. " + "x " * 40)
    seg = seg.model_copy(update={"words": [seg.words[0].model_copy(update={"text": "edited"})]})
    result = find_silences([pause(20.0, 6.0, "S2", "S1")], [seg])
    assert result.candidates == []  # "scared" sits in the first eighth of the text, 17 s before the pause


def test_evidence_names_family_rule_and_resource_without_transcript_text() -> None:
    (candidate,) = find_silences([pause(5.0, 5.0)], SEGMENTS).candidates
    assert candidate.trigger_evidence == ["prognosis_question: cue.prognosis_question (alliance emotion lexicon)"]
    segments = [segment(1, 0.0, 2.0, "S2", "She's not the same happy kid.")]
    (vader,) = find_silences([pause(2.0, 6.0, "S2", "S1")], segments).candidates
    assert vader.trigger_evidence[0].startswith("vader: vader.negative (VADER 3.3.2")
    assert "compound" in vader.trigger_evidence[0] and "happy" not in vader.trigger_evidence[0]


def test_the_emotional_content_ends_with_the_cues_sentence() -> None:
    # The cue is "has spread"; the news it carries ends with "liver." a second later.
    seg = segment(1, 0.0, 4.0, "S1", "I'm afraid the cancer has spread to her liver. Okay then let us look at the plan now")
    candidate = find_silences([pause(4.0, 6.0, "S1", "S2")], [seg]).candidates[0]
    liver = next(w for w in seg.words if w.text == "liver.")
    assert candidate.trigger_end_s == round(liver.end_s, 3)
