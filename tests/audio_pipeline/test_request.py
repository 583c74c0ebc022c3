"""One run request, validated once: each invalid field is named, and each caller names it its own way."""

from __future__ import annotations

import pytest

from audio_pipeline.request import RunHints, RunRequest, RunRequestError, json_pointer, run_request


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"num_speakers": 0}, "num_speakers"),
        ({"max_speakers": 50}, "max_speakers"),
        ({"min_speakers": 3, "max_speakers": 2}, "max_speakers"),
        ({"patient_age": 41}, "patient_age"),
        ({"attendees": "priest=1"}, "attendees"),
        ({"setting": "hospital"}, "setting"),
        ({"language": "../../x"}, "language"),
        ({"device": "tpu"}, "device"),
        ({"names": "grandma=Ruth"}, "names"),
    ],
)
def test_every_invalid_field_is_named(values: dict[str, object], field: str) -> None:
    with pytest.raises(RunRequestError) as caught:
        run_request(values, RunRequest)
    assert [p.field for p in caught.value.problems] == [field]
    for value in map(str, values.values()):
        if value.isalpha() and len(value) > 3:
            assert value not in caught.value.message, "an error never quotes what was typed (it may be a name)"


def test_a_bad_speaker_count_reads_right_for_each_caller() -> None:
    with pytest.raises(RunRequestError) as caught:
        run_request({"min_speakers": 5, "max_speakers": 2}, RunRequest)
    error = caught.value
    assert error.message == "--max-speakers is smaller than --min-speakers"
    assert error.describe(lambda f: f"column {f}", str) == ["column max_speakers is smaller than min_speakers"]
    assert error.describe(json_pointer) == ["/max_speakers is smaller than /min_speakers"]


def test_attendees_from_the_cli_a_csv_cell_or_json_are_the_same() -> None:
    expected = {"oncologist": 1, "parent": 2}
    assert run_request({"attendees": "Oncologist=1, parent=2"}, RunRequest).attendees == expected
    assert run_request({"attendees": "oncologist=1;parent=2"}, RunRequest).attendees == expected
    assert RunRequest.model_validate({"attendees": expected}).attendees == expected


def test_hints_become_the_stages_own_objects() -> None:
    request = run_request({"attendees": "patient=1", "patient_age": 9, "setting": "telephone", "num_speakers": 2}, RunRequest)
    hints = request.session_hints()
    assert hints is not None and hints.attendees == {"patient": 1} and hints.patient_age == 9
    assert request.speaker_hint().num_speakers == 2
    assert RunRequest().session_hints() is None


def test_remote_callers_cannot_choose_the_device_or_a_model_folder() -> None:
    with pytest.raises(RunRequestError) as caught:
        run_request({"asr_model": "/etc"}, RunHints)
    assert caught.value.describe(json_pointer) == ["/asr_model is not an option"]


def test_names_never_appear_in_a_repr() -> None:
    assert "Emma" not in repr(RunRequest(names="patient=Emma"))


def test_speakers_from_is_validated_once_for_every_caller() -> None:
    assert run_request({}, RunRequest).speakers_from == "auto"
    assert run_request({"speakers_from": "channels"}, RunHints).speakers_from == "channels"  # HTTP jobs inherit it
    with pytest.raises(RunRequestError) as caught:
        run_request({"speakers_from": "left"}, RunRequest)
    assert str(caught.value) == "--speakers-from must be one of auto, model or channels"
    assert caught.value.describe(json_pointer) == ["/speakers_from must be one of auto, model or channels"]
