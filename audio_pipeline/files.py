"""Writing results so that a crash or Ctrl-C never leaves a half-written file behind, owner-only (results are PHI)."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import InputError, OutputPathError


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


def same_file(a: Path, b: Path) -> bool:
    """The same file by any route: one inode (hard links, symlinks) or one resolved path ('./x', 'd/../x')."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass  # one of them does not exist yet: compare where the paths lead
    return os.path.realpath(a) == os.path.realpath(b)


def check_not_inputs(outputs: Iterable[Path], inputs: Iterable[Path | None]) -> None:
    """Fail before any work if a result would be written over a file the run reads: the source is never destroyed."""
    sources = [source for source in inputs if source is not None]
    for output in outputs:
        if any(same_file(output, source) for source in sources):
            raise OutputPathError(
                "the output would replace an input file (the same file, a link to it, or the same path written "
                "differently); choose another --output path"
            )


def check_input_file(path: Path, what: str) -> None:
    """An input the user named: a readable regular file, checked by us so that the message never names it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"the {what} file does not exist; check its path") from None
    except OSError:
        raise InputError(f"the {what} path cannot be read (a folder on the way is not accessible)") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"the {what} path is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise InputError(f"the {what} path is not a regular file (a pipe, socket or device)")
    if not os.access(path, os.R_OK):
        raise InputError(f"the {what} file cannot be read (permission denied)")


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, flush it to disk, then rename over the target."""
    check_output_path(path)
    durable_replace(path, data)


def durable_replace(path: Path, data: bytes) -> None:
    """Readers see the old file or the whole new one, never part of it, on a local disk or a network mount
    (NFS, SMB): a temporary file in the same folder, fsynced, renamed with os.replace, then the folder fsynced
    so the rename itself survives a crash. No hard links and no locks, which network mounts do not all keep."""
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
    fsync_directory(path.parent if str(path.parent) else Path("."))


def fsync_directory(folder: Path) -> None:
    """Make a rename in this folder durable (NFS commits it to the server; a local disk to its journal)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some SMB and FUSE mounts refuse fsync on a folder; the rename has still happened atomically
    finally:
        os.close(fd)
