"""Emotional content from the editable lexicon."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline.analysis.emotion import detect, load_lexicon
from audio_pipeline.errors import InvalidOptionError


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I'm so scared of losing her.", "fear"),
        ("I'm worried she's in pain.", "worry"),
        ("It breaks my heart.", "sadness"),
        ("This isn't fair.", "anger"),
        ("It's my fault, I should have noticed sooner.", "guilt"),
        ("Is she going to be okay?", "empathic_opportunity"),
        ("There's still a chance, right?", "empathic_opportunity"),
        ("I'm afraid the tumor has grown.", "bad_news"),
        ("We don't have any more treatments that can cure this.", "bad_news"),
        ("This must be so hard to hear.", "naming_emotion"),
        ("I'm so sorry.", "apology"),
        ("(crying) I can't.", "nonverbal"),
        ("[sighs] okay.", "nonverbal"),
    ],
)
def test_categories(text: str, category: str) -> None:
    emotion = detect(text)
    assert emotion is not None and emotion.score >= 0.5
    assert category in emotion.categories


def test_cue_spans_point_at_the_exact_text() -> None:
    text = "Okay. Is he going to die? I'm terrified."
    emotion = detect(text)
    assert emotion is not None
    for cue in emotion.cues:
        assert text[cue.start_char : cue.end_char] == cue.text
    assert [c.category for c in emotion.cues] == ["empathic_opportunity", "fear"]
    assert all(c.rule for c in emotion.cues)


def test_positive_result_is_bad_news_and_negative_result_is_not() -> None:
    positive = detect("The biopsy came back positive.")
    assert positive is not None and "bad_news" in positive.categories
    marrow = detect("The marrow is positive for disease again.")
    assert marrow is not None and "bad_news" in marrow.categories
    assert detect("The scan is negative, which is great news.") is None
    assert detect("She's been really positive about school.") is None


@pytest.mark.parametrize(
    "text",
    [
        "I'm not worried about the port.",
        "No worries, we can wait.",
        "We're not scared of the MRI anymore.",
        "I'm afraid we're running a little late.",
        "Let's plan to see you in four weeks.",
    ],
)
def test_neutral_and_negated(text: str) -> None:
    assert detect(text) is None


def test_score_grows_with_more_cues() -> None:
    one = detect("I'm scared.")
    two = detect("I'm scared. Is she going to die?")
    assert one is not None and two is not None and two.score > one.score


def test_a_broken_lexicon_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.yaml"
    bad.write_text("rules: [{id: x, category: fear, weight: 1, pattern: '(', negatable: false}]")
    with pytest.raises(InvalidOptionError, match="lexicon"):
        load_lexicon(bad)


def test_a_site_lexicon_replaces_the_shipped_one(tmp_path: Path) -> None:
    own = tmp_path / "lexicon.yaml"
    own.write_text(
        "negators: []\nrules:\n  - {id: site.rule, category: worry, weight: 0.9, pattern: 'fretting', negatable: false}\n"
    )
    emotion = detect("She keeps fretting.", load_lexicon(own))
    assert emotion is not None and emotion.cues[0].rule == "site.rule"


# --- every rule family: what it catches, and the look-alike it must leave alone ---------------


@pytest.mark.parametrize(
    ("family", "positive", "negative"),
    [
        ("bad_news_pattern", "It's back in her lungs.", "The tumor markers came back normal."),
        ("bad_news_pattern", "It has gotten a lot worse.", "No new spots."),
        ("bad_news_pattern", "The transplant didn't work.", "I'm afraid the lab is closed."),
        ("prognosis_question", "How long are we talking about?", "How long does the scan take?"),
        ("prognosis_question", "Is she dying?", "Is she eating?"),
        ("distress_pattern", "I have no idea what we'd do if this fails.", "I can't make it on Tuesday."),
        ("distress_pattern", "We can't keep doing this.", "We can't keep the Friday slot."),
        ("guilt_pattern", "We should have come in sooner.", "We should have the results by Friday."),
        ("hope_pattern", "We're praying for a miracle.", "She hopes to go back to school."),
        ("naming_pattern", "This must be so overwhelming.", "This must be the new form."),
        ("emotion_lexicon", "That's what frightens me most.", "She's not scared of needles anymore."),
        ("emotion_lexicon", "The part that worries everyone is the breathing.", "No worries at all."),
        ("nonverbal_tag", "(crying) I'm sorry.", "(inaudible) okay."),
        ("vader", "She's not the same happy kid.", "The traffic was terrible."),
        # broad concept rules: a frame plus a concept word list
        ("distress_pattern", "I'm completely drained.", "He's lost his tooth!"),
        ("distress_pattern", "It's been hard on all of us.", "It hasn't been easy to find parking."),
        ("prognosis_question", "Will she be okay in the end?", "Will she be okay to go to school?"),
        ("bad_news_pattern", "The chemo didn't shrink it.", "The anti-nausea medicine didn't help much, so we'll switch."),
        ("guilt_pattern", "I could have pushed harder.", "I could have the forms ready by noon."),
        ("hope_pattern", "We're hoping for a cure.", "Is there a cure for the mouth sores?"),
    ],
)
def test_each_family_fires_on_its_kind_and_not_on_a_look_alike(family: str, positive: str, negative: str) -> None:
    found = detect(positive)
    assert found is not None and found.score >= 0.5, positive
    assert family in {c.family for c in found.cues}
    quiet = detect(negative)
    assert quiet is None or quiet.score < 0.5, negative


def test_every_cue_names_its_family_resource_and_weight() -> None:
    found = detect("I'm scared. It has spread to her bones. She's not the same happy kid.")
    assert found is not None
    by_family = {c.family: c for c in found.cues}
    assert by_family["emotion_lexicon"].resource == "alliance emotion lexicon"
    assert by_family["bad_news_pattern"].rule == "news.progression"
    vader = by_family["vader"]
    assert vader.resource.startswith("VADER 3.3.2") and "MIT" in vader.resource
    assert vader.vader_compound is not None and vader.vader_compound <= -0.4
    assert all(c.weight is not None and 0 < c.weight <= 1 for c in found.cues)


@pytest.mark.parametrize(
    "text",
    [
        "The scan is negative.",  # VADER alone would read "negative" as affect
        "In the story, the little girl was scared of the dentist's drill.",
        "I'm afraid we're running late.",
        "His friend cried when she lost the race.",
        "We were worried about the drive but it was easy.",
        "Nausea is the worst side effect for most kids.",
        "Hospice is a service we can explain later if it ever comes up.",
    ],
)
def test_stories_idioms_and_good_results_are_not_triggers(text: str) -> None:
    found = detect(text)
    assert found is None or found.score < 0.5


def test_a_misheard_emotion_word_is_read_as_meant_and_the_cue_points_at_what_was_heard() -> None:
    text = "She's cared of the needles."
    found = detect(text)
    assert found is not None and "fear" in found.categories
    (cue,) = found.cues
    assert cue.heard_as == "scared" and text[cue.start_char : cue.end_char] == cue.text == "cared"
    assert detect("She's cared for by her grandma after school.") is None


def test_near_misses_are_read_as_emotion_words_but_real_words_are_left_alone() -> None:
    found = detect("I'm terrifed.")
    assert found is not None and found.cues[0].heard_as == "terrified"
    # "going" is one letter from "growing": a real word is never "corrected".
    assert detect("I don't think she's going to get better.") is not None
    assert all(c.heard_as is None for c in detect("I don't think she's going to get better.").cues)  # type: ignore[union-attr]
    assert detect("We're going home on Friday.") is None


def test_one_mangled_word_does_not_hide_a_turn_whose_other_words_carry_the_emotion() -> None:
    found = detect("She's sacred of the scan. I'm so worried about her.")
    assert found is not None and found.score >= 0.5 and "worry" in found.categories


def test_a_bare_no_is_a_negator() -> None:
    # YAML reads an unquoted no as false; the shipped lexicon quotes it.
    assert "no" in load_lexicon().negators
    assert detect("There's no sign of relapse.") is None


def test_a_rule_stays_quiet_in_a_sentence_its_unless_pattern_matches(tmp_path: Path) -> None:
    own = tmp_path / "lexicon.yaml"
    own.write_text(
        "negators: []\nrules:\n"
        "  - {id: site.worse, category: bad_news, weight: 0.9, negatable: false, pattern: 'got worse', unless: 'rash'}\n"
    )
    lexicon = load_lexicon(own)
    assert detect("The tumour got worse.", lexicon) is not None
    assert detect("The rash got worse. We changed the cream.", lexicon) is None
