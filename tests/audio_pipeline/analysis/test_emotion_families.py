"""Every rule family of the emotion lexicon, with sentences it must fire on and look-alikes it must not.

The examples are our own phrasings of the kinds issue 21 lists, not rows of the evaluation sets, so
these tests pin what each family means rather than the figures of scripts/eval_silences.py.
"""

from __future__ import annotations

import dataclasses

import pytest

from audio_pipeline.analysis.emotion import detect, load_lexicon

THRESHOLD = 0.5  # AnalysisOptions().min_emotion_score

POSITIVE: dict[str, list[str]] = {
    "bad_news_pattern": [
        "The scan shows the lymphoma has doubled since spring.",
        "Her marrow is full of blasts again.",
        "The results confirmed it's a malignant tumour.",
        "I think we are looking at weeks rather than months.",
        "We've run out of treatments that could control it.",
        "More chemotherapy would do more harm than good.",
        "It's back in her lungs.",
        "The new spots in the liver are bigger.",
    ],
    "prognosis_question": [
        "How long are we talking about?",
        "Will she be around for her sister's wedding?",
        "Is he going to make it to Christmas?",
        "Should we be getting our affairs in order?",
        "Is there anything else we can do?",
    ],
    "distress_pattern": [
        "I have no idea what we'd do if this fails.",
        "We can't keep doing this.",
        "I felt like I was drowning in that room.",
        "I haven't slept properly since Tuesday.",
        "We're managing, I guess.",
        "But she was doing so well at the last check.",
    ],
    "guilt_pattern": [
        "We should have come in sooner.",
        "Did I do this to her?",
        "How did we miss it for so long?",
        "Maybe it's something I passed on to him.",
    ],
    "anger_pattern": [
        "The GP insisted it was just a virus.",
        "We were brushed off for months.",
        "We had to fight just to get a scan.",
    ],
    "child_voice_pattern": [
        "I just want to go home.",
        "Everyone stares at me at school now.",
        "Will I still be able to play in the band?",
    ],
    "emotion_lexicon": [
        "That's what frightens me most.",
        "The part that worries everyone is the nights.",
        "I've been feeling so low since the news.",
        "It's been preying on my mind all week.",
    ],
    "hope_pattern": [
        "There has to be a trial somewhere.",
        "I'm not ready to hear that it's over.",
    ],
    "naming_pattern": [
        "I can see this is not what you expected to hear.",
        "You look shaken.",
    ],
    "nonverbal_tag": ["[long sigh] okay.", "(tearful) what now?"],
    "vader": ["This whole year has been a disaster."],
}

# Look-alikes each family must leave alone (and nothing else may fire on them either).
NEGATIVE: dict[str, list[str]] = {
    "bad_news_pattern": [
        "The clinic moved to the second floor.",
        "Relapse rates for this tumour are lower than they used to be.",
        "The treatment is working well.",
        "The mass is smaller than it was in March.",
        "The PET scan is booked for Friday.",
        "Her counts are rising nicely.",
        "It's a tumour marker test.",
        "The mass results are back.",
        "The cancer cells will die when the drug reaches them.",
    ],
    "prognosis_question": [
        "How long is the wait at the pharmacy?",
        "Would you like someone else to be here when we talk?",
        "How long have you been feeling this way?",
        "Can we have more time to decide?",
        "Will you be here at three?",
    ],
    "distress_pattern": [
        "The drive in was long but fine.",
        "We're going home on Thursday.",
        "Are you sure you don't want a drink?",
        "Wait, you need the form?",
        "I can't answer that until the scan is back.",
        "Let's get on with the examination.",
        "We manage his care day to day.",
    ],
    "guilt_pattern": ["Could we do the blood test on Monday instead?", "We should have the results by Friday."],
    "anger_pattern": ["The nurse will call you back this afternoon."],
    "child_voice_pattern": ["Can I have the blue sticker?", "I want the iPad.", "I don't want to have the chicken."],
    "emotion_lexicon": [
        "I'm afraid we're running late.",
        "He was scared of the dentist's drill when he was little, like every kid.",
        "No, she didn't cry when they took the blood.",
        "I don't think he was frightened at all.",
        "We were scared on the roller coaster, it was so much fun.",
    ],
    "hope_pattern": ["I hope the parking is easier next time.", "Did you find anything new on the scan?"],
    "naming_pattern": ["I'm sorry, could you repeat that?"],
    "nonverbal_tag": ["She cared for her grandmother for years."],
    "vader": ["The scan is negative.", "Sorry to keep you waiting."],
}


# The rule families and VADER alone: the learned witness (family "classifier") has its own tests in
# test_emotion_classifier.py, and would otherwise decide some of these cases in place of the rule.
_RULES = dataclasses.replace(load_lexicon(), classifier=None)


def _families(text: str) -> set[str]:
    emotion = detect(text, _RULES)
    return set() if emotion is None or emotion.score < THRESHOLD else {c.family or "" for c in emotion.cues}


def test_every_family_in_the_lexicon_has_positive_and_negative_examples() -> None:
    families = {rule.family for rule in load_lexicon().rules} | {"vader"}
    assert families <= set(POSITIVE), families - set(POSITIVE)
    assert families <= set(NEGATIVE), families - set(NEGATIVE)


@pytest.mark.parametrize(("family", "text"), [(f, t) for f, texts in POSITIVE.items() for t in texts])
def test_family_fires(family: str, text: str) -> None:
    assert family in _families(text), detect(text)


@pytest.mark.parametrize(("family", "text"), [(f, t) for f, texts in NEGATIVE.items() for t in texts])
def test_look_alike_is_not_a_trigger(family: str, text: str) -> None:
    assert _families(text) == set(), detect(text)


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("She's cared of the next scan.", "scared"),
        ("We were terra fied.", "terrified"),
        ("I'm over whelmed.", "overwhelmed"),
        ("Is he going to dye?", "die"),
        ("I'm so anxous.", "anxious"),
        ("She's been crine all day.", "crying"),
    ],
)
def test_one_mangled_word_does_not_hide_the_turn(heard: str, meant: str) -> None:
    emotion = detect(heard)
    assert emotion is not None and emotion.score >= THRESHOLD
    assert any(cue.heard_as == meant for cue in emotion.cues)


@pytest.mark.parametrize(
    "text",
    ["She's cared for by her aunt on Mondays.", "The scar tissue has healed.", "She dyed her hair pink."],
)
def test_ordinary_words_are_not_corrected(text: str) -> None:
    assert detect(text) is None


def test_negation_stays_inside_its_clause() -> None:
    assert detect("I don't know, I'm scared.") is not None
    assert detect("I can't tell you how scared I am.") is not None
    assert detect("I can't stop crying.") is not None
    assert detect("There's no need to be worried about the port.") is None
