"""The MAXQDA transcript: every timestamp parses back to the start of its turn, and nothing else looks like one."""

from __future__ import annotations

import re

from audio_pipeline.export import export
from audio_pipeline.export.maxqda import maxqda_timestamp

from .transcripts import sample_transcript

STAMP = re.compile(r"#(\d{2}):(\d{2}):(\d{2})-(\d)#")
PARAGRAPH = re.compile(r"^(?P<label>[^:#\n]+): (?P<stamp>#\d{2}:\d{2}:\d{2}-\d#) (?P<text>.+)$")


def test_every_timestamp_parses_back_to_its_turn_start() -> None:
    transcript = sample_transcript()
    text = export(transcript, "maxqda").content.decode("utf-8")
    turn_starts = [0.5, 9.5, 17.2, 21.5, 24.0, 37.5]
    stamps = [int(h) * 3600 + int(m) * 60 + int(s) + int(d) / 10 for h, m, s, d in STAMP.findall(text)]
    assert len(stamps) == len(turn_starts)
    for parsed, start in zip(stamps, turn_starts, strict=True):
        assert abs(parsed - start) <= 0.05


def test_one_paragraph_per_turn_with_speaker_prefix_then_timestamp() -> None:
    text = export(sample_transcript(), "maxqda").content.decode("utf-8")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    turns = [PARAGRAPH.match(p.strip()) for p in paragraphs if not p.startswith("(")]
    assert all(turns) and [m.group("label") for m in turns if m] == [
        "Oncologist", "Parent 1", "Oncologist", "Patient", "Parent 1", "Oncologist",
    ]  # fmt: skip
    assert "(6.2, silence candidate)" in paragraphs and "(5.5)" in paragraphs


def test_no_stray_time_text_outside_markers() -> None:
    text = export(sample_transcript(), "maxqda").content.decode("utf-8")
    assert "10\u223630" in text  # the patient's "10:30"
    assert not re.search(r"\d:\d", STAMP.sub("", text))


def test_timestamp_rounding_carries_into_minutes_and_hours() -> None:
    assert maxqda_timestamp(59.96) == "#00:01:00-0#"
    assert maxqda_timestamp(3723.44) == "#01:02:03-4#"
    assert maxqda_timestamp(0.0) == "#00:00:00-0#"
