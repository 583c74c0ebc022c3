"""The canonical transcript JSON (schema/transcript.schema.json)."""

from __future__ import annotations

from ..schema import Transcript
from .base import ExportOptions


class JsonExporter:
    name = "json"
    extension = "json"
    media_type = "application/json"
    description = "the canonical transcript in our schema"

    def render(self, transcript: Transcript, options: ExportOptions) -> bytes:
        return transcript.to_json().encode("utf-8")
