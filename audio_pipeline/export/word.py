"""DOCX (python-docx): a readable transcript with speaker, timestamp and text per turn."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Pt, RGBColor

from ..schema import Transcript
from .base import ExportOptions
from .document import clock_tenths, render

_GREY = RGBColor(0x59, 0x59, 0x59)


def turn_time(seconds: float) -> str:
    """'[00:01:23.4]': the turn's start, in a form people read and QDA tools take as the right time marker."""
    return "[{:02d}:{:02d}:{:02d}.{}]".format(*clock_tenths(seconds))


class DocxExporter:
    name = "docx"
    extension = "docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    description = "Word document: speaker, timestamp and text per turn"

    def render(self, transcript: Transcript, options: ExportOptions) -> bytes:
        rendered = render(transcript, options.pause_threshold_s)
        doc = Document()
        doc.core_properties.title = options.title
        doc.core_properties.author = "alliance"
        doc.add_heading(options.title, level=1)
        info = doc.add_paragraph()
        info.add_run(
            f"{transcript.recording.duration_s / 60:.1f} min · {len(transcript.speakers)} speakers · "
            f"{len(transcript.silence_candidates)} silence candidates · schema {transcript.schema_version}"
        ).italic = True
        pauses = iter(rendered.pauses)  # already in document order
        pending = next(pauses, None)
        for turn in rendered.turns:
            while pending is not None and pending.end <= turn.start:
                self._pause(doc, rendered.text[pending.start : pending.end])
                pending = next(pauses, None)
            para = doc.add_paragraph()
            para.add_run(turn.label).bold = True
            stamp = para.add_run(f"  {turn_time(turn.start_s)}")
            stamp.font.color.rgb = _GREY
            stamp.font.size = Pt(9)
            body = rendered.text[turn.body_start : turn.end]
            para.add_run("\n" + body)
            while pending is not None and pending.start < turn.end:
                pending = next(pauses, None)  # inline pauses are already in the turn's text
        while pending is not None:
            self._pause(doc, rendered.text[pending.start : pending.end])
            pending = next(pauses, None)
        buffer = io.BytesIO()
        doc.save(buffer)
        return buffer.getvalue()

    @staticmethod
    def _pause(doc: DocxDocument, marker: str) -> None:
        para = doc.add_paragraph()
        para.add_run(marker).italic = True
