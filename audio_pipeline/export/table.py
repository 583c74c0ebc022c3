"""Segments as CSV (UTF-8 with BOM so Excel opens it as UTF-8), one row per segment."""

from __future__ import annotations

import csv
import io

from ..schema import Transcript
from .base import ExportOptions
from .document import speaker_label

COLUMNS = (
    "segment_id",
    "start_s",
    "end_s",
    "speaker",
    "label",
    "role",
    "text",
    "overlap",
    "asr_confidence",
    "emotion_score",
    "emotion_categories",
    "suggested_codes",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Spreadsheets run cells that start like a formula; a leading apostrophe keeps them text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


class CsvExporter:
    name = "csv"
    extension = "csv"
    media_type = "text/csv; charset=utf-8"
    description = "one row per segment, for spreadsheets and statistics"

    def render(self, transcript: Transcript, options: ExportOptions) -> bytes:
        speakers = {s.id: s for s in transcript.speakers}
        suggested: dict[str, list[str]] = {}
        for sug in transcript.code_suggestions:
            suggested.setdefault(sug.segment_id, []).append(sug.code)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for seg in sorted(transcript.segments, key=lambda s: (s.start_s, s.end_s)):
            speaker = speakers.get(seg.speaker)
            writer.writerow(
                [
                    seg.id,
                    f"{seg.start_s:.3f}",
                    f"{seg.end_s:.3f}",
                    seg.speaker,
                    spreadsheet_safe(speaker_label(speaker, seg.speaker)),
                    speaker.role if speaker else "unknown",
                    spreadsheet_safe(seg.text),
                    str(seg.overlap).lower(),
                    f"{seg.asr_confidence:.3f}",
                    f"{seg.emotion.score:.3f}" if seg.emotion else "",
                    ";".join(seg.emotion.categories) if seg.emotion else "",
                    ";".join(dict.fromkeys(suggested.get(seg.id, []))),
                ]
            )
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
