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
