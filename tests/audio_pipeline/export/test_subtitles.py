"""WebVTT and SRT, read back by real parser libraries."""

from __future__ import annotations

import io

import srt
import webvtt

from audio_pipeline.export import export

from .transcripts import sample_transcript


def test_webvtt_parses_with_voice_tags_and_times() -> None:
    transcript = sample_transcript()
    captions = webvtt.from_buffer(io.StringIO(export(transcript, "vtt").content.decode("utf-8")))
    assert len(captions) == len(transcript.segments)
    first = captions[0]
    assert (first.start_in_seconds, first.end_in_seconds) == (0, 4)  # whole seconds in this API
    assert first.voice == "Oncologist"
    assert first.text.startswith("Thanks for coming in.")
    assert [c.voice for c in captions][2] == "Parent 1"


def test_srt_parses_with_labels_and_millisecond_times() -> None:
    transcript = sample_transcript()
    subtitles = list(srt.parse(export(transcript, "srt").content.decode("utf-8")))
    assert len(subtitles) == len(transcript.segments)
    for sub, seg in zip(subtitles, transcript.segments, strict=True):
        assert abs(sub.start.total_seconds() - seg.start_s) < 0.001
        assert abs(sub.end.total_seconds() - seg.end_s) < 0.001
    assert subtitles[2].content == "[Parent 1] Is she going to be okay?"
