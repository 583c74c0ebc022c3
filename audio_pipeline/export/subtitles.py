"""WebVTT (with <v Label> voice tags) and SRT: one cue per segment, for media players and QDA tools."""

from __future__ import annotations

import html

from ..schema import Segment, Transcript
from .base import ExportOptions
from .document import speaker_label


def _clock(seconds: float, decimal: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{ms:03d}"


def _cues(transcript: Transcript) -> list[tuple[Segment, str, float]]:
    """(segment, label, end_s) in time order, with zero-length cues widened so players keep them."""
    speakers = {s.id: s for s in transcript.speakers}
    ordered = sorted(transcript.segments, key=lambda s: (s.start_s, s.end_s))
    return [
        (seg, speaker_label(speakers.get(seg.speaker), seg.speaker), max(seg.end_s, seg.start_s + 0.001))
        for seg in ordered
        if seg.text.strip()
    ]


def _one_line(text: str) -> str:
    # A blank line ends a cue in both formats, and '-->' would start a new timing line.
    return " ".join(text.split()).replace("-->", "->")


class VttExporter:
    name = "vtt"
    extension = "vtt"
    media_type = "text/vtt; charset=utf-8"
    description = "WebVTT captions with <v Role> voice tags"

    def render(self, transcript: Transcript, options: ExportOptions) -> bytes:
        lines = ["WEBVTT", ""]
        for seg, label, end_s in _cues(transcript):
            voice = html.escape(label.replace(">", " "), quote=False)
            lines += [
                seg.id,
                f"{_clock(seg.start_s, '.')} --> {_clock(end_s, '.')}",
                f"<v {voice}>{html.escape(_one_line(seg.text), quote=False)}",
                "",
            ]
        return "\n".join(lines).encode("utf-8")


class SrtExporter:
    name = "srt"
    extension = "srt"
    media_type = "application/x-subrip; charset=utf-8"
    description = "SubRip subtitles, speaker label in brackets"

    def render(self, transcript: Transcript, options: ExportOptions) -> bytes:
        lines: list[str] = []
        for index, (seg, label, end_s) in enumerate(_cues(transcript), start=1):
            lines += [str(index), f"{_clock(seg.start_s, ',')} --> {_clock(end_s, ',')}", f"[{label}] {_one_line(seg.text)}", ""]
        return "\n".join(lines).encode("utf-8")
