"""The one naming scheme for exported files, shared by the CLI, batch and the HTTP service.

``STEM.maxqda.txt`` (a plain ``.txt`` would not say what it is for), ``STEM.qdpx``, ``STEM.vtt``...;
the JSON transcript is ``STEM.transcript.json`` in batch, and ``STEM.export.json`` when written
beside the transcript it came from, so that an export never overwrites its source.
"""

from __future__ import annotations

DEID_MARK = ".deid"
_QUALIFIED = frozenset({"maxqda"})  # formats whose extension alone does not say what the file is for


def export_file_name(stem: str, fmt: str, extension: str, deidentified: bool = False, beside_transcript: bool = False) -> str:
    stem = stem + (DEID_MARK if deidentified else "")
    if fmt == "json":
        return f"{stem}.export.json" if beside_transcript else f"{stem}.transcript.json"
    return f"{stem}.{fmt}.{extension}" if fmt in _QUALIFIED else f"{stem}.{extension}"
