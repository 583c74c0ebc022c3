"""The exporter interface and its options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..schema import Transcript


@dataclass(frozen=True)
class ExportOptions:
    pause_threshold_s: float = 2.0  # pauses shown inline in text formats
    audio_path: Path | None = None  # embed the recording (REFI-QDA) when the operator allows it
    title: str = "Consultation"  # document / project name; never the recording's file name


@dataclass(frozen=True)
class ExportResult:
    content: bytes
    media_type: str
    extension: str


class Exporter(Protocol):
    name: str
    extension: str
    media_type: str
    description: str

    def render(self, transcript: Transcript, options: ExportOptions) -> bytes: ...
