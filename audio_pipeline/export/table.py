"""Segments as CSV (UTF-8 with BOM so Excel opens it as UTF-8), one row per segment, with the coders' decisions.

A pause that is (or was) a Silence candidate, or that a coder decided on, is reported on the row
of the segment it follows: its length, its state (confirmed, rejected, unsure, unreviewed), who
decided and their note. Suggestions a coder accepted are codes; rejected ones are gone.
"""

from __future__ import annotations

import csv
import io

from ..review.decisions import SilenceStatus, coded_suggestions, silence_statuses
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
    "coded_codes",
    "silence_after_s",
    "silence_state",
    "silence_coder",
    "silence_note",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Spreadsheets run cells that start like a formula; a leading apostrophe keeps them text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _silence_cells(statuses: list[SilenceStatus]) -> list[str]:
    if not statuses:
        return ["", "", "", ""]
    decisions = [s.decision for s in statuses]
    return [
        ";".join(f"{s.pause.duration_s:.1f}" for s in statuses),
        ";".join(s.state for s in statuses),
        ";".join(spreadsheet_safe(d.coder) if d else "" for d in decisions).strip(";"),
        ";".join(spreadsheet_safe(d.note) if d else "" for d in decisions).strip(";"),
    ]


class CsvExporter:
    name = "csv"
    extension = "csv"
    media_type = "text/csv; charset=utf-8"
    description = "one row per segment, for spreadsheets and statistics, with the coders' decisions"

    def render(self, transcript: Transcript, options: ExportOptions) -> bytes:
        speakers = {s.id: s for s in transcript.speakers}
        suggested: dict[str, list[str]] = {}
        coded: dict[str, list[str]] = {}
        for sug, is_coding in coded_suggestions(transcript):
            (coded if is_coding else suggested).setdefault(sug.segment_id, []).append(sug.code)
        silences: dict[str, list[SilenceStatus]] = {}
        for status in silence_statuses(transcript):
            silences.setdefault(status.pause.segment_before or "", []).append(status)
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
                    ";".join(dict.fromkeys(coded.get(seg.id, []))),
                    *_silence_cells(silences.get(seg.id, [])),
                ]
            )
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
