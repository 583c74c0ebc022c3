"""The MAXQDA transcript, read the way MAXQDA's focus-group import reads it.

The rule (MAXQDA manual, "Importing focus group transcripts"): a paragraph that starts with a name
(at most 63 characters) and a colon begins that speaker's contribution, and the text is coded with
that name "up to the point where the next speaker is indicated"; text before the first label is not
coded. MAXQDA takes each line of a .txt as a paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audio_pipeline.export import export
from audio_pipeline.export.maxqda import BOM, PAUSE_LABEL, maxqda_timestamp
from audio_pipeline.schema import Transcript

from .transcripts import reviewed_transcript, sample_transcript

STAMP = re.compile(r"#(\d{2}):(\d{2}):(\d{2})-(\d)#")
LABEL = re.compile(r"^ ?(?P<name>[^:\n]{1,63}?) ?:")
MARKER = re.compile(r"\((?P<duration>\d+\.\d)(?:, (?P<kind>Silence|silence candidate))?\)")


@dataclass(frozen=True)
class Credited:
    speaker: str | None  # None: before the first label, not coded
    paragraph: str


def focus_group_import(text: str) -> list[Credited]:
    """Apply MAXQDA's focus-group rule: every paragraph is credited to the last label above it (or its own)."""
    speaker: str | None = None
    credited = []
    for paragraph in text.split("\n"):
        match = LABEL.match(paragraph)
        if match:
            speaker = match.group("name")
        credited.append(Credited(speaker, paragraph))
    return credited


def seconds(stamp: re.Match[str]) -> float:
    h, m, s, d = stamp.groups()
    return int(h) * 3600 + int(m) * 60 + int(s) + int(d) / 10


def maxqda_text(transcript: Transcript) -> str:
    data = export(transcript, "maxqda").content
    assert data.startswith(BOM.encode("utf-8")) and data.count(BOM.encode("utf-8")) == 1
    return data.decode("utf-8").removeprefix(BOM)


def check_pause_placement(transcript: Transcript) -> list[Credited]:
    """Every pause mark lands where intended: between turns under the Pause label with its own start time,
    inside a turn in that speaker's paragraph. Returns the paragraphs holding pause marks."""
    text = maxqda_text(transcript)
    credited = focus_group_import(text)
    labels = {s.id: s.label for s in transcript.speakers}
    by_duration = {f"{p.duration_s:.1f}": p for p in transcript.pauses}
    holding = [c for c in credited if MARKER.search(c.paragraph)]
    for c in holding:
        for marker in MARKER.finditer(c.paragraph):
            pause = by_duration[marker.group("duration")]
            if pause.kind == "within_turn":
                assert c.speaker == labels[pause.speaker_before or ""], c
                assert not c.paragraph.startswith(f"{PAUSE_LABEL}:")
            else:
                assert c.speaker == PAUSE_LABEL, f"a pause between turns is credited to {c.speaker!r}"
                stamp = STAMP.search(c.paragraph)
                assert stamp is not None and c.paragraph.startswith(f"{PAUSE_LABEL}: {stamp.group(0)} ")
                assert abs(seconds(stamp) - pause.start_s) <= 0.05
    return holding


def test_every_pause_line_lands_where_the_focus_group_rule_intends() -> None:
    holding = check_pause_placement(sample_transcript())
    assert [c.paragraph for c in holding] == [
        "Pause: #00:00:11-0# (6.2, silence candidate)",
        "Parent 1: #00:00:24-0# Ok (2.6) then we will see you next week.",
        "Pause: #00:00:32-0# (5.5)",
    ]


def test_every_spoken_paragraph_is_credited_to_its_speaker() -> None:
    transcript = sample_transcript()
    credited = [c for c in focus_group_import(maxqda_text(transcript)) if c.paragraph.strip()]
    spoken = [c for c in credited if c.speaker != PAUSE_LABEL]
    assert [c.speaker for c in spoken] == ["Oncologist", "Parent 1", "Oncologist", "Patient", "Parent 1", "Oncologist"]
    assert all(c.paragraph.startswith(f"{c.speaker}: ") for c in credited), "no unlabelled paragraph is credited upward"
    assert credited[0].speaker is not None, "nothing before the first label"


def test_decisions_change_the_marks_and_they_still_land_under_pause() -> None:
    confirmed = check_pause_placement(reviewed_transcript("confirmed"))
    assert "Pause: #00:00:11-0# (6.2, Silence)" in [c.paragraph for c in confirmed]
    assert "Pause: #00:00:32-0# (5.5, Silence)" in [c.paragraph for c in confirmed]  # the coder-added one
    rejected = check_pause_placement(reviewed_transcript("rejected", add_missed=False))
    assert "Pause: #00:00:11-0# (6.2)" in [c.paragraph for c in rejected]
    unsure = check_pause_placement(reviewed_transcript("unsure", add_missed=False))
    assert "Pause: #00:00:11-0# (6.2, silence candidate)" in [c.paragraph for c in unsure]


def test_every_timestamp_parses_back_to_its_turn_or_pause_start() -> None:
    transcript = sample_transcript()
    text = maxqda_text(transcript)
    starts = [0.5, 9.5, 11.0, 17.2, 21.5, 24.0, 32.0, 37.5]  # turns, and the two pauses between turns
    stamps = [seconds(m) for m in STAMP.finditer(text)]
    assert len(stamps) == len(starts)
    for parsed, start in zip(stamps, starts, strict=True):
        assert abs(parsed - start) <= 0.05


def test_no_stray_time_text_or_line_break_outside_markers() -> None:
    transcript = sample_transcript()
    seg = transcript.segments[4].model_copy(update={"text": "Can we still go\nDoctor: at 10:30 tomorrow?"})
    edited = transcript.model_copy(update={"segments": [*transcript.segments[:4], seg, *transcript.segments[5:]]})
    text = maxqda_text(edited)
    assert "10\u223630" in text  # the patient's "10:30"
    assert not re.search(r"\d:\d", STAMP.sub("", text))
    assert "Doctor" not in {c.speaker for c in focus_group_import(text)}, "an edited line break starts no false speaker"


def test_utf8_with_one_byte_order_mark_and_accents_intact() -> None:
    text = maxqda_text(sample_transcript())
    assert "Zoë's café drawing — let me show you the scan." in text


def test_timestamp_rounding_carries_into_minutes_and_hours() -> None:
    assert maxqda_timestamp(59.96) == "#00:01:00-0#"
    assert maxqda_timestamp(3723.44) == "#01:02:03-4#"
    assert maxqda_timestamp(0.0) == "#00:00:00-0#"
