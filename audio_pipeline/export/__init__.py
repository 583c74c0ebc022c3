"""Exports coders import without retyping, all rendered from one transcript in our schema.

Each format is one module behind the small ``Exporter`` interface; the CLI, batch and the
HTTP service all call ``export()``, so every delivery path writes the same bytes.
"""

from __future__ import annotations

from .base import Exporter, ExportOptions, ExportResult
from .registry import FORMATS, export, exporter

__all__ = ["FORMATS", "ExportOptions", "ExportResult", "Exporter", "export", "exporter"]
