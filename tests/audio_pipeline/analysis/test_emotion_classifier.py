"""The learned emotion witness (emotion_classifier.py): what it adds, what it never adds, and that it is
deterministic and follows its editable training rows.

Sentences here are our own phrasings, not rows of any labelled set in scripts/data/.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from audio_pipeline.analysis.emotion import Lexicon, detect, load_lexicon
from audio_pipeline.analysis.emotion_classifier import (
    CLASSIFIER_RESOURCE,
    DEFAULT_TRAINING,
    EmotionClassifier,
    read_training,
    trained,
)
from audio_pipeline.errors import InvalidOptionError


@pytest.fixture(scope="module")
def classifier_only() -> Lexicon:
    """The shipped lexicon with its rules and VADER switched off, so the classifier alone decides; the
    suppressors and negators (the precision guards) stay."""
    return dataclasses.replace(load_lexicon(), rules=(), vader=None)


# Emotional turns in words the classifier learned from other sentences.
POSITIVE = [
    "Honestly we are barely keeping our heads above water with all of this.",
    "Is she going to be in pain when the time comes?",
    "The new scan shows the cancer has spread into his spine.",
    "I just keep crying in the car park before we come up.",
]
# Look-alikes: logistics, good results, everyday talk.
NEGATIVE = [
    "The pharmacy downstairs closes at six on Fridays.",
    "Great news, the scan was clear again this time.",
    "Can you sign the consent form and pass it back to me?",
    "We parked on the third floor near the lifts.",
]


@pytest.mark.parametrize("text", POSITIVE)
def test_classifier_adds_a_cue_that_names_its_resource_and_words(classifier_only: Lexicon, text: str) -> None:
    emotion = detect(text, classifier_only)
    assert emotion is not None
    (cue,) = emotion.cues
    assert cue.family == "classifier"
    assert cue.resource == CLASSIFIER_RESOURCE
    assert cue.classifier_probability is not None and cue.classifier_probability >= 0.7
    assert cue.classifier_terms and all(term.lower() in text.lower() for term in cue.classifier_terms)
    assert cue.text == text[cue.start_char : cue.end_char]


@pytest.mark.parametrize("text", NEGATIVE)
def test_classifier_leaves_look_alikes_alone(classifier_only: Lexicon, text: str) -> None:
    assert detect(text, classifier_only) is None


@pytest.mark.parametrize(
    "text",
    [
        "In the cartoon he was devastated and heartbroken and could not stop crying.",  # story suppressor
        "We are not devastated, honestly.",  # negated emotion word
    ],
)
def test_classifier_respects_the_story_and_negation_guards(classifier_only: Lexicon, text: str) -> None:
    assert classifier_only.classifier is not None
    assert trained(classifier_only.classifier).probability(text) >= 0.7  # the classifier alone would flag it...
    emotion = detect(text)  # ...the rules' guards (suppressors, negated emotion words) keep it off
    assert emotion is None or all(c.family != "classifier" for c in emotion.cues)


def test_classifier_does_not_repeat_what_a_rule_explained() -> None:
    emotion = detect("I'm terrified of what the scan will show.")
    assert emotion is not None
    assert all(c.family != "classifier" for c in emotion.cues)


def test_training_is_deterministic() -> None:
    texts, labels = read_training(DEFAULT_TRAINING)
    first, second = EmotionClassifier(texts, labels), EmotionClassifier(texts, labels)
    for text in POSITIVE + NEGATIVE:
        assert first.probability(text) == second.probability(text)
        assert first.top_terms(text) == second.top_terms(text)


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["text", "emotional"])
        writer.writerows(rows)


def test_the_model_follows_its_editable_rows(tmp_path: Path) -> None:
    training = tmp_path / "rows.csv"
    rows = [("we are heartbroken", "1"), ("it is so frightening", "1"), ("the bus is late", "0"), ("see you on monday", "0")]
    _write(training, rows)
    base = load_lexicon().classifier
    assert base is not None
    settings = dataclasses.replace(base, training=training)
    before = trained(settings).probability("the waiting room is cold")
    _write(training, rows + [("the waiting room is cold and we are so scared", "1")] * 3)
    after = trained(settings).probability("the waiting room is cold")
    assert after > before


def test_bad_training_rows_are_one_clear_error(tmp_path: Path) -> None:
    training = tmp_path / "rows.csv"
    _write(training, [("we are heartbroken", "yes")])
    with pytest.raises(InvalidOptionError, match="line 2"):
        read_training(training)
    _write(training, [("we are heartbroken", "1"), ("so sad", "1")])
    with pytest.raises(InvalidOptionError, match="both"):
        EmotionClassifier(*read_training(training))
    base = load_lexicon().classifier
    assert base is not None
    with pytest.raises(InvalidOptionError, match="could not be read"):
        trained(dataclasses.replace(base, training=tmp_path / "missing.csv"))
