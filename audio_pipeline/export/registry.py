"""Format names to exporters: the one place CLI, batch and service look them up."""

from __future__ import annotations

from ..errors import InvalidOptionError
from ..schema import Transcript
from .base import Exporter, ExportOptions, ExportResult
from .json_format import JsonExporter
from .maxqda import MaxqdaExporter
from .qdpx import QdpxExporter
from .subtitles import SrtExporter, VttExporter
from .table import CsvExporter
from .word import DocxExporter

FORMATS: dict[str, Exporter] = {
    e.name: e
    for e in (
        JsonExporter(),
        MaxqdaExporter(),
        QdpxExporter(),
        VttExporter(),
        SrtExporter(),
        CsvExporter(),
        DocxExporter(),
    )
}


def exporter(name: str) -> Exporter:
    try:
        return FORMATS[name.strip().lower()]
    except KeyError:
        raise InvalidOptionError(f"unknown export format {name!r}; choose from {', '.join(FORMATS)}") from None


def export(transcript: Transcript, fmt: str, options: ExportOptions | None = None) -> ExportResult:
    chosen = exporter(fmt)
    content = chosen.render(transcript, options or ExportOptions())
    return ExportResult(content=content, media_type=chosen.media_type, extension=chosen.extension)
