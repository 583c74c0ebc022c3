"""Speaker roles: joint assignment, hints as constraints, evidence, labels, manual corrections."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.analysis.roles import SessionHints, assign_roles, median_f0_hz, with_labels
from audio_pipeline.attribute import build_speakers
from audio_pipeline.errors import InvalidOptionError
from audio_pipeline.request import RunHints, run_request
from audio_pipeline.schema import Segment, Speaker, Word
from tests.conftest import read_mono, speak


def _hints(attendees: str | None, age: int | None = None, setting: str | None = None, names: str | None = None) -> SessionHints:
    """Session hints as every caller builds them: through the one run request model."""
    values = {"attendees": attendees, "patient_age": age, "setting": setting, "names": names}
    hints = run_request(values, RunHints).session_hints()
    return hints if hints is not None else SessionHints()


SILENT = np.zeros(16000, dtype=np.float32)


def seg(n: int, speaker: str, text: str, start: float) -> Segment:
    end = start + 2.0
    words = [Word(start_s=start, end_s=end, text=text, probability=1.0, speaker=speaker)]
    return Segment(id=f"seg-{n:05d}", start_s=start, end_s=end, speaker=speaker, text=text, words=words,
                   overlap=False, asr_confidence=1.0)  # fmt: skip


def conversation(*lines: tuple[str, str]) -> tuple[list[Speaker], list[Segment]]:
    segments = [seg(i + 1, who, text, 2.5 * i) for i, (who, text) in enumerate(lines)]
    return build_speakers(segments, {}), segments


ONC_PARENT = conversation(
    ("S1", "The scan shows the tumor is smaller. I would recommend two more cycles of chemo."),
    ("S2", "Our daughter has been so tired. Is she going to need surgery?"),
    ("S1", "Compared to the last MRI the lesions are stable."),
    ("S2", "Okay."),
)


def by_id(speakers: list[Speaker]) -> dict[str, Speaker]:
    return {s.id: s for s in speakers}


def test_lexical_and_conversational_evidence() -> None:
    speakers = by_id(assign_roles(*ONC_PARENT, SILENT))
    assert speakers["S1"].role == "oncologist" and speakers["S2"].role == "parent"
    assert any("explains results" in e for e in speakers["S1"].evidence)
    assert any("daughter" in e for e in speakers["S2"].evidence)
    assert speakers["S1"].label == "Oncologist" and speakers["S2"].label == "Parent"
    assert 0.0 <= speakers["S2"].role_confidence <= 1.0


def test_joint_assignment_never_makes_two_patients_unless_hinted() -> None:
    speakers, segments = conversation(
        ("S1", "The scan shows the lesions are stable."),
        ("S2", "My leg hurts. Can I still play soccer with my friends?"),
        ("S3", "My tummy hurts too. Do I have to get a needle?"),
    )
    roles = [s.role for s in assign_roles(speakers, segments, SILENT)]
    assert roles.count("patient") <= 1
    hinted = assign_roles(speakers, segments, SILENT, SessionHints({"oncologist": 1, "patient": 2}))
    assert sorted(s.role for s in hinted) == ["oncologist", "patient", "patient"]
    assert {s.label for s in hinted if s.role == "patient"} == {"Patient 1", "Patient 2"}


def test_hints_are_exact_constraints() -> None:
    hinted = by_id(assign_roles(*ONC_PARENT, SILENT, SessionHints({"other_clinician": 1, "parent": 1})))
    assert hinted["S1"].role == "other_clinician", "told there is no oncologist, none is assigned"
    assert any("session hints" in e for e in hinted["S1"].evidence)


def test_more_speakers_than_hinted_seats_leaves_the_extra_unknown() -> None:
    speakers, segments = conversation(
        ("S1", "The scan shows the tumor is smaller."), ("S2", "Our son is doing well."), ("S3", "Mm-hmm.")
    )
    roles = by_id(assign_roles(speakers, segments, SILENT, SessionHints({"oncologist": 1, "parent": 1})))
    assert (roles["S1"].role, roles["S2"].role, roles["S3"].role) == ("oncologist", "parent", "unknown")


def test_a_role_set_by_a_person_is_kept() -> None:
    speakers, segments = ONC_PARENT
    corrected = [s.model_copy(update={"role": "other_family", "role_source": "manual"}) if s.id == "S2" else s for s in speakers]
    result = by_id(assign_roles(corrected, segments, SILENT, SessionHints({"oncologist": 1, "other_family": 1})))
    assert result["S2"].role == "other_family" and result["S2"].role_source == "manual"
    assert result["S1"].role == "oncologist"


def test_low_confidence_is_flagged_for_review() -> None:
    speakers, segments = conversation(("S1", "Okay."), ("S2", "Okay."))
    result = assign_roles(speakers, segments, SILENT)
    assert any(s.needs_review for s in result)


def test_child_voice_is_told_from_adult_voices(speech_dir: Path) -> None:
    child = read_mono(speak("Can I go to the playroom after this?", speech_dir / "kid.wav", voice="en-us+f4", pitch=95))
    adult = read_mono(speak("Can I go to the playroom after this?", speech_dir / "adult.wav", voice="en-us+m3"))
    child_f0 = median_f0_hz(child, [(0.0, len(child) / 16000)])
    adult_f0 = median_f0_hz(adult, [(0.0, len(adult) / 16000)])
    assert child_f0 is not None and adult_f0 is not None
    assert child_f0[0] > 250 > 160 > adult_f0[0]
    waveform = np.concatenate([adult, child])
    speakers, segments = conversation(
        ("S1", "Can I go to the playroom after this?"), ("S2", "Can I go to the playroom after this?")
    )
    segments = [
        segments[0].model_copy(update={"start_s": 0.0, "end_s": len(adult) / 16000}),
        segments[1].model_copy(update={"start_s": len(adult) / 16000, "end_s": len(waveform) / 16000}),
    ]
    result = by_id(assign_roles(speakers, segments, waveform))
    assert result["S2"].role == "patient"
    assert any("child's voice" in e for e in result["S2"].evidence)


def test_labels_are_stable_and_readable() -> None:
    speakers = [
        Speaker(id="S1", talk_time_s=50, turn_count=3, word_count=9, role="oncologist"),
        Speaker(id="S2", talk_time_s=20, turn_count=3, word_count=9, role="parent"),
        Speaker(id="S3", talk_time_s=30, turn_count=3, word_count=9, role="parent"),
    ]
    assert [s.label for s in with_labels(speakers)] == ["Oncologist", "Parent 1", "Parent 2"]


@pytest.mark.parametrize(
    ("attendees", "age", "setting"),
    [("oncologist=one", None, None), ("surgeon=1", None, None), (None, 99, None), (None, None, "zoom")],
)
def test_bad_hints_are_clear_errors(attendees: str | None, age: int | None, setting: str | None) -> None:
    with pytest.raises(InvalidOptionError):
        _hints(attendees, age, setting)


def test_hints_parse() -> None:
    hints = _hints("Oncologist=1, parent=2,patient=1", 9, "telephone")
    assert dict(hints.attendees) == {"oncologist": 1, "parent": 2, "patient": 1}
    assert hints.patient_age == 9


def test_a_manual_oncologist_takes_the_only_oncologist_seat() -> None:
    speakers, segments = ONC_PARENT
    corrected = [s.model_copy(update={"role": "oncologist", "role_source": "manual"}) if s.id == "S2" else s for s in speakers]
    result = by_id(assign_roles(corrected, segments, SILENT))
    assert result["S2"].role == "oncologist"
    assert result["S1"].role != "oncologist"


# Issue 24: the hard cases of conversations we did not write.
TELEPHONE = conversation(
    ("S1", "Hi Laura, it's Dr. Okafor. Is this still a good time to talk?"),
    ("S2", "Yes. Sorry, my daughter has a recital tonight so it's been crazy here."),
    ("S1", "Oh, fun. My daughter has a recital tonight too, actually, so I know the feeling."),
    ("S2", "Ha. So did you get the results?"),
    ("S1", "I did. The MRI from Tuesday looks stable. Nothing new, and the area in her hip hasn't grown."),
    ("S2", "Oh thank God."),
    ("S1", "My recommendation is to keep going with the oral chemo for two more months and then scan again."),
    ("S2", "Okay. Thank you so much."),
)
WOMEN = {"S1": (205.0, 40.0), "S2": (198.0, 40.0)}  # a female oncologist and a mother: pitch cannot tell them apart


@pytest.mark.parametrize("hints", [None, _hints("oncologist=1,parent=1", None, "telephone")])
def test_a_telephone_call_is_never_swapped_when_the_clinician_explains_results(hints: SessionHints | None) -> None:
    result = by_id(assign_roles(*TELEPHONE, SILENT, hints, f0_hz=WOMEN))
    assert (result["S1"].role, result["S2"].role) == ("oncologist", "parent")
    assert not any("'my daughter/son'" in e for e in result["S1"].evidence), "her own daughter is not parental evidence"


ADOLESCENT = conversation(
    ("S1", "Jordan, how have you been feeling since the last round?"),
    ("S3", "Fine."),
    ("S1", "Any pain in your back or legs at night?"),
    ("S3", "Sometimes. My back hurts when I lie down."),
    ("S2", "He's been taking the ibuprofen most nights."),
    ("S1", "The scan this week shows the spot in the spine is a bit bigger. I'd like to add radiation."),
    ("S3", "Will I miss school?"),
)
ADOLESCENT_PITCH = {"S1": (122.0, 30.0), "S2": (206.0, 40.0), "S3": (148.0, 30.0)}


@pytest.mark.parametrize("hints", [None, _hints(None, 16), _hints("oncologist=1,parent=1,patient=1", 16)])
def test_an_adolescent_with_an_adult_voice_is_the_patient_when_the_words_say_so(hints: SessionHints | None) -> None:
    result = by_id(assign_roles(*ADOLESCENT, SILENT, hints, f0_hz=ADOLESCENT_PITCH))
    assert (result["S1"].role, result["S2"].role, result["S3"].role) == ("oncologist", "parent", "patient")


def test_an_adult_voice_that_speaks_as_a_parent_stays_a_parent() -> None:
    speakers, segments = conversation(
        ("S1", "The scan shows the tumor is smaller. I'd recommend two more cycles."),
        ("S2", "Our son has been so tired. Is he going to need surgery?"),
        ("S1", "Not yet."),
    )
    result = by_id(assign_roles(speakers, segments, SILENT, f0_hz={"S1": (200.0, 30.0), "S2": (150.0, 30.0)}))
    assert result["S2"].role == "parent"


def test_the_patient_named_in_the_hints_is_the_one_who_answers_to_the_name() -> None:
    speakers, segments = conversation(
        ("S1", "Emma, how is your stomach?"),
        ("S2", "Kinda bad."),
        ("S3", "She's lost four pounds since the last visit."),
        ("S1", "The scan shows the tumor hasn't grown. I'd like to give her a break of one week."),
    )
    pitch = {"S1": (211.0, 30.0), "S2": (168.0, 30.0), "S3": (196.0, 30.0)}
    named = _hints("oncologist=1,parent=1,patient=1", 16, "clinic", names="patient=Emma,parent=Kristen")
    result = by_id(assign_roles(speakers, segments, SILENT, named, f0_hz=pitch))
    assert (result["S2"].role, result["S3"].role) == ("patient", "parent")
    assert any("addressed by the patient's name" in e for e in result["S2"].evidence)


def test_names_in_hints_are_parsed_kept_out_of_reports_and_optional() -> None:
    hints = _hints("oncologist=1", 9, "clinic", names="patient=Emma Smith/Em,parent=Sarah")
    assert {p.tag for p in hints.names} == {"patient", "parent"}
    assert SessionHints({"parent": 1}, 9, "clinic").names == (), "the three-field constructor still works"
    with pytest.raises(InvalidOptionError):
        _hints(None, names="surgeon=Bob")


def test_a_speaker_who_says_almost_nothing_is_flagged_even_when_the_solution_is_confident() -> None:
    speakers, segments = conversation(
        ("S1", "The scan shows the tumor is smaller. I'd recommend two more cycles of chemo."),
        ("S2", "Our daughter has been so tired. Is she going to need surgery?"),
        ("S1", "Compared to the last MRI the lesions are stable."),
        ("S3", "Okay."),
    )
    result = by_id(assign_roles(speakers, segments, SILENT, SessionHints({"oncologist": 1, "parent": 2})))
    assert result["S3"].needs_review and any("says too little" in e for e in result["S3"].evidence)
    assert not result["S1"].needs_review
