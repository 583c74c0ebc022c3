"""Word-level role evidence: each rule with a positive and a negative example, and whom an address is credited to."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline.analysis.role_evidence import Evidence, lexical, load
from audio_pipeline.deid import parse_names
from audio_pipeline.errors import InvalidOptionError
from audio_pipeline.schema import Segment, Word


def segments(*lines: tuple[str, str]) -> list[Segment]:
    found = []
    for n, (who, text) in enumerate(lines, start=1):
        start = 3.0 * n
        word = Word(start_s=start, end_s=start + 2.0, text=text, probability=1.0, speaker=who)
        found.append(Segment(id=f"seg-{n:05d}", start_s=start, end_s=start + 2.0, speaker=who, text=text,
                             words=[word], overlap=False, asr_confidence=1.0))  # fmt: skip
    return found


def evidence_of(*lines: tuple[str, str], names: str | None = None) -> dict[str, Evidence]:
    found = {who: Evidence() for who, _ in lines}
    lexical(found, segments(*lines), parse_names(names))
    return found


def said(found: dict[str, Evidence], speaker: str, reason: str) -> bool:
    return any(reason in r for r in found[speaker].reasons)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The MRI from Tuesday looks stable, and the spot in her hip hasn't grown.", True),
        ("The scan shows the tumor in his belly has shrunk.", True),
        ("I looked at the labs this morning.", True),
        ("Did the scan show anything new?", False),  # a family member asking is not explaining
        ("She had a scan at the other hospital last year.", False),
    ],
)
def test_explaining_results(text: str, expected: bool) -> None:
    assert said(evidence_of(("S1", text), ("S2", "Okay.")), "S1", "explains results") is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'd recommend two more cycles and then we scan again.", True),
        ("Let's add radiation to that one area.", True),
        ("I'll tell him when he gets home.", False),
        ("Can we do the next scan on a Friday?", False),
    ],
)
def test_recommending(text: str, expected: bool) -> None:
    assert said(evidence_of(("S1", text), ("S2", "Okay.")), "S1", "recommends or plans treatment") is expected


def test_clinical_vocabulary_counts_in_statements_not_in_a_familys_questions() -> None:
    found = evidence_of(("S1", "The chemo is shrinking the tumor."), ("S2", "Is the chemo working on the tumor?"))
    assert said(found, "S1", "clinical vocabulary") and not said(found, "S2", "clinical vocabulary")


def test_a_clinician_who_says_my_daughter_about_their_own_life_gains_no_parent_evidence() -> None:
    found = evidence_of(
        ("S1", "My daughter has a recital tonight too, so I know the feeling."),
        ("S2", "My daughter has been so tired since the last cycle."),
    )
    assert found["S1"].scores["parent"] == 0.0 and said(found, "S1", "own family's life")
    assert found["S2"].scores["parent"] > 1.0 and said(found, "S2", "'my daughter/son'")


def test_self_introductions() -> None:
    found = evidence_of(
        ("S1", "Hi, I'm Beth, I'm the nurse practitioner on the team this week."),
        ("S2", "Hi, it's Dr. Okafor, is this a good time?"),
        ("S3", "Yes. We met the fellow working with Dr. Okafor yesterday."),
    )
    assert said(found, "S1", "member of the care team")
    assert said(found, "S2", "introduces themself as a doctor")
    assert not said(found, "S3", "introduces themself") and not said(found, "S3", "care team")


def test_symptom_questions_make_a_clinician_and_their_answers_a_patient_or_a_parent() -> None:
    second = evidence_of(("S1", "Jordan, any pain in your back at night?"), ("S2", "Sometimes."))
    assert said(second, "S1", "asks about symptoms") and said(second, "S2", "own body")
    third = evidence_of(("S1", "Is she eating at home?"), ("S2", "Not much, honestly."))
    assert said(third, "S2", "answers about the child's symptoms") and not said(third, "S2", "own body")
    answered_for = evidence_of(("S1", "How are you feeling today?"), ("S2", "She's been okay. A little tired."))
    assert said(answered_for, "S2", "answers about the child") and not said(answered_for, "S2", "own body")


def test_a_patients_own_question_is_not_a_clinicians_symptom_question() -> None:
    found = evidence_of(("S1", "Will I have to use crutches? Will my leg hurt?"), ("S2", "For a while, yes."))
    assert not said(found, "S1", "asks about symptoms") and not said(found, "S2", "own body")


def test_first_person_illness() -> None:
    assert said(evidence_of(("S1", "My knees hurt when I go up stairs."), ("S2", "Okay.")), "S1", "own body or illness")
    assert not said(evidence_of(("S1", "Her knees hurt on the stairs."), ("S2", "Okay.")), "S1", "own body or illness")


def test_grandparent() -> None:
    assert said(evidence_of(("S1", "I'm his grandfather, I hope it's okay I came."), ("S2", "Of course.")), "S1", "grandparent")
    assert not said(evidence_of(("S1", "Grandma is her biggest fan."), ("S2", "I can tell.")), "S1", "grandparent")


# Issue 19, item 11: a term of address goes to the person it was aimed at, not to whoever speaks next.
def test_an_address_closing_a_reply_goes_to_the_speaker_replied_to_not_the_next() -> None:
    found = evidence_of(("S3", "I want juice."), ("S2", "In a minute, sweetie."), ("S1", "The scan shows the tumor is smaller."))
    assert said(found, "S3", "addressed as a child") and not said(found, "S1", "addressed as a child")


def test_an_addressing_question_goes_to_whoever_answers_it() -> None:
    found = evidence_of(("S2", "What did you say, sweetie?"), ("S3", "Thank you."), ("S1", "You're welcome."))
    assert said(found, "S3", "addressed as a child") and not said(found, "S1", "addressed as a child")


def test_an_ambiguous_address_keeps_only_a_small_weight() -> None:
    found = evidence_of(("S3", "They light up!"), ("S1", "Sweetie, the doctor is here now."), ("S2", "Hello."))
    assert found["S2"].scores["patient"] == pytest.approx(0.3) and said(found, "S2", "ambiguously")
    assert found["S3"].scores["patient"] == 0.0


def test_a_mention_is_not_an_address() -> None:
    found = evidence_of(("S1", "Grandma is her biggest fan."), ("S2", "I can tell."))
    assert found["S2"].scores["other_family"] == 0.0


def test_thank_you_doctor_goes_to_the_previous_speaker() -> None:
    found = evidence_of(("S1", "The bone scan is clean."), ("S2", "Thank you, doctor."), ("S3", "Yay!"))
    assert said(found, "S1", "addressed as doctor") and not said(found, "S3", "addressed as doctor")


def test_supplied_names_are_evidence() -> None:
    names = "patient=Emma,parent=Laura,oncologist=Okafor"
    found = evidence_of(
        ("S1", "Hi Laura, it's Dr. Okafor. Did Emma sleep?"),
        ("S2", "She did. Thank you for calling."),
        ("S1", "Emma, how are you feeling?"),
        ("S3", "Better."),
        names=names,
    )
    assert said(found, "S1", "introduces themself by the oncologist's name")
    assert said(found, "S3", "addressed by the patient's name") and found["S3"].strong
    assert found["S1"].scores["patient"] < 0, "speaking of Emma by name says S1 is not Emma"
    without = evidence_of(("S1", "Emma, how are you feeling?"), ("S3", "Better."))
    assert not said(without, "S3", "patient's name")


def test_evidence_never_quotes_a_name() -> None:
    found = evidence_of(("S1", "Emma, how are you feeling?"), ("S2", "Better."), names="patient=Emma")
    assert not any("emma" in reason.lower() for e in found.values() for reason in e.reasons)


def test_a_child_calling_out_to_mommy_is_evidence_about_the_child() -> None:
    child = evidence_of(("S3", "Mommy, my legs feel funny."), ("S2", "I know, baby."))
    assert said(child, "S3", "calls out to Mommy") and said(child, "S3", "addressed as a child")
    adult = evidence_of(("S1", "Mom, can you hold her hand for this part?"), ("S2", "Sure."))
    assert not said(adult, "S1", "calls out to Mommy") and said(adult, "S2", "addressed as Mom/Dad")


def test_a_broken_lexicon_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "roles.yaml"
    bad.write_text("speaker: [{id: x, role: parent, weight: 1, describe: d, pattern: '(unclosed'}]\n", encoding="utf-8")
    with pytest.raises(InvalidOptionError, match="speaker-role lexicon"):
        load(bad)
