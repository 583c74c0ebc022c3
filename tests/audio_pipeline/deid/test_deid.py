"""De-identification: supplied and revealed names, identifiers, timestamps kept, offsets kept, audio redacted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_pipeline.audio import SAMPLE_RATE_HZ, AudioLimits
from audio_pipeline.deid import Deidentifier, deidentify, parse_names
from audio_pipeline.deid.audio import redact_audio
from audio_pipeline.errors import InvalidOptionError
from tests.audio_pipeline.deid.named import LEAKS, NAMES, named_transcript


def _scrub(text: str, names: str = "", policy: str = "keep_year") -> str:
    engine = Deidentifier(parse_names(names), policy)  # type: ignore[arg-type]
    return engine.rewrite(text, engine.learn([text])[0])[0]


def test_no_supplied_name_or_identifier_survives_anywhere_in_the_json() -> None:
    canonical = named_transcript()
    before = canonical.to_json()
    copy = deidentify(canonical, parse_names(NAMES)).transcript
    assert canonical.to_json() == before, "the canonical transcript is never altered"
    assert LEAKS.search(before) and not LEAKS.search(copy.to_json())
    texts = {s.id: s.text for s in copy.segments}
    assert texts["seg-00001"] == "Thanks for coming in, [parent]. I'm afraid I don't have good news about [patient]."
    assert texts["seg-00003"] == "Is [patient] going to be okay?"
    assert "Dr [oncologist] and Dr [clinician]" in texts["seg-00004"]
    assert texts["seg-00005"] == "Can [sibling] still come at 10:30 tomorrow? Call [phone]."
    assert copy.deidentification is not None
    assert copy.deidentification.replaced == {
        "clinician": 1, "date": 1, "oncologist": 1, "parent": 2, "patient": 5, "person": 1, "phone": 1, "sibling": 1,
    }  # fmt: skip
    assert "Sarah" not in copy.deidentification.model_dump_json()


def test_timestamps_pauses_and_silence_candidates_are_unchanged() -> None:
    canonical = named_transcript()
    copy = deidentify(canonical, parse_names(NAMES)).transcript
    for old, new in zip(canonical.segments, copy.segments, strict=True):
        assert (old.id, old.start_s, old.end_s, old.speaker) == (new.id, new.start_s, new.end_s, new.speaker)
        assert (old.words[0].start_s, old.words[-1].end_s) == (new.words[0].start_s, new.words[-1].end_s)
        assert "".join(w.text for w in new.words) == new.text, "the words still spell the segment"
    assert copy.pauses == canonical.pauses and copy.long_pauses == canonical.long_pauses
    assert [(c.id, c.start_s, c.end_s, c.duration_s) for c in copy.silence_candidates] == [
        (c.id, c.start_s, c.end_s, c.duration_s) for c in canonical.silence_candidates
    ]
    assert copy.silence_candidates[0].breaking_words == "I'm so sorry, [parent]."


def test_emotion_cues_and_suggestions_still_point_at_their_text() -> None:
    copy = deidentify(named_transcript(), parse_names(NAMES)).transcript
    cues = [(s, c) for s in copy.segments if s.emotion for c in s.emotion.cues]
    assert cues
    for segment, cue in cues:
        assert segment.text[cue.start_char : cue.end_char] == cue.text
    texts = {s.id: s.text for s in copy.segments}
    assert copy.code_suggestions
    for suggestion in copy.code_suggestions:
        assert texts[suggestion.segment_id][suggestion.start_char : suggestion.end_char] == suggestion.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I hope Will is okay. Will you call me?", "I hope [sibling] is okay. Will you call me?"),
        ("Hope is a strong girl.", "[patient] is a strong girl."),
        ("We will keep hoping, there is hope.", "We will keep hoping, there is hope."),
        ("Emma's scan, and Emmah said Em was tired.", "[patient]'s scan, and [patient] said [patient] was tired."),
        ("Katie and Catherine", "[parent] and [parent]"),
    ],
)
def test_names_that_are_words_nicknames_and_misspellings(text: str, expected: str) -> None:
    names = "patient=Emma" if "Emm" in text else "patient=Hope" if "Hope" in text else "parent=Katherine"
    assert _scrub(text, f"{names},sibling=Will") == expected


def test_names_nobody_supplied_and_other_identifiers() -> None:
    text = (
        "Dr. Reyes saw my son Jayden on 4/12/2015. Email linda.fox@gmail.com or call (901) 555-0199; "
        "we live at 1423 Maple Street in Knoxville, her MRN is 4471903 and she goes to Lincoln Elementary School."
    )
    assert _scrub(text) == (
        "Dr. [clinician] saw my son [person] on [date]. Email [email] or call [phone]; "
        "we live at [address] in [place], her MRN is [id] and she goes to [place]."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Not an everyday word, so a name even where a sentence starts; then replaced everywhere.
        (
            "Jaxon made her a bracelet. She wears what Jaxon made.",
            "[person] made her a bracelet. She wears what [person] made.",
        ),
        ("Hunter said it was fine.", "[person] said it was fine."),
        ("The hospice nurse, Tremaine, will call.", "The hospice nurse, [person], will call."),
        # Clinical and spoken words are not names, capitalised or not.
        ("Vincristine can make her fingers tingle.", "Vincristine can make her fingers tingle."),
        (
            "Neuroblastoma is what we call it. Mm-hmm. Chemo starts again.",
            "Neuroblastoma is what we call it. Mm-hmm. Chemo starts again.",
        ),
        ("We switched her to Zofran and Cytarabine.", "We switched her to Zofran and Cytarabine."),
        (
            "Summer came early this year. Legend has it she never cries.",
            "Summer came early this year. Legend has it she never cries.",
        ),
    ],
)
def test_names_nobody_supplied_where_a_sentence_starts(text: str, expected: str) -> None:
    assert _scrub(text) == expected


def test_the_end_of_a_supplied_name_is_its_short_form() -> None:
    assert _scrub("Liyah drew this for you.", "patient=Aaliyah Green") == "[patient] drew this for you."


def test_date_policy_and_acronyms() -> None:
    assert _scrub("Born March 3, 2019; relapsed in 2021.") == "Born [date]; relapsed in 2021."
    assert _scrub("Born March 3, 2019; relapsed in 2021.", policy="all") == "Born [date]; relapsed in [date]."
    assert _scrub("Born March 3, 2019.", policy="none") == "Born March 3, 2019."
    assert _scrub("Her ALL is back and the MRI on Tuesday showed it.") == "Her ALL is back and the MRI on Tuesday showed it."


def test_a_bad_names_option_is_one_clear_error() -> None:
    with pytest.raises(InvalidOptionError, match="ROLE=NAME"):
        parse_names("grandma=Ruth")
    assert parse_names(" ") == ()


def test_redacted_audio_covers_the_spans_and_nothing_else(tmp_path: Path) -> None:
    t = np.arange(3 * SAMPLE_RATE_HZ) / SAMPLE_RATE_HZ
    source = tmp_path / "talk.wav"
    sf.write(source, (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), SAMPLE_RATE_HZ)
    target = tmp_path / "talk.deid.wav"
    covered_s = redact_audio(source, [(1.0, 1.5)], target, AudioLimits(3600, 8, 8000, 192000), mode="mute")
    out, rate = sf.read(target, dtype="float32")
    original, _ = sf.read(source, dtype="float32")
    assert rate == SAMPLE_RATE_HZ and abs(covered_s - 0.8) < 0.01  # 0.5 s plus 0.15 s either side
    assert np.all(out[int(0.86 * rate) : int(1.64 * rate)] == 0)
    assert np.allclose(out[: int(0.8 * rate)], original[: int(0.8 * rate)], atol=1e-3)
    assert np.allclose(out[int(1.7 * rate) :], original[int(1.7 * rate) :], atol=1e-3)
    assert oct(target.stat().st_mode)[-3:] == "600"
