"""Writing results so that a crash or Ctrl-C never leaves a half-written file behind, owner-only (results are PHI)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import OutputPathError


def check_output_path(path: Path) -> None:
    """Fail before any work if the result could not be written there."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise OutputPathError("the output folder does not exist; create it first or choose another --output path")
    if not parent.is_dir():
        raise OutputPathError("the output path's parent is not a folder")
    if path.is_dir():
        raise OutputPathError("the output path is a folder; give a file name")
    if not os.access(parent, os.W_OK):
        raise OutputPathError("the output folder is not writable; choose another --output path")


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, flush it to disk, then rename over the target."""
    check_output_path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)  # transcripts are PHI: owner-only, like the recordings they come from
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
