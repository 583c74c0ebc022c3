"""Files the service keeps (uploaded audio, finished transcripts), behind one small interface.

API processes and job workers on other machines share them through ``Storage``. The backend shipped is a
shared folder: ALLIANCE_DATA_DIR (an NFS or SMB mount on every host; a local disk on one machine). Its writes
are atomic on network filesystems too: a temporary file in the same folder, flushed and fsynced, renamed over
the target with os.replace (atomic on NFS and SMB within one directory), then the folder fsynced so the rename
itself is durable. No hard links and no file locks: neither is reliable on every network filesystem, and the
database, not the files, says which job owns what. An S3-compatible backend would implement the same
protocol (README, "The HTTP service"); the paths it hands out would be copies in a local cache.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from audio_pipeline.files import durable_replace, fsync_directory

Kind = Literal["audio", "results"]


@dataclass(frozen=True)
class Stored:
    """One stored item, as retention sees it: whose id, what kind, how old (never a client's file name)."""

    kind: Kind
    id: str
    modified: float  # seconds since the epoch


class Storage(Protocol):
    """What the API, the job workers and retention need from wherever recordings and results live."""

    @property
    def uploads(self) -> Path:
        """A local folder where request bodies are received before ``accept``."""

    def audio(self, recording_id: str) -> Path:
        """A local path the decoder can read (the file itself on a shared folder)."""

    def transcript(self, job_id: str) -> Path:
        """A local path to the transcript (the review workspace edits it in place)."""

    def accept(self, spooled: Path, recording_id: str) -> None:
        """Take a fully received upload from ``uploads`` as this recording's audio, durably."""

    def write_transcript(self, job_id: str, text: str) -> None: ...
    def read_transcript(self, job_id: str) -> str:
        """The transcript's JSON text; FileNotFoundError once retention removed it."""

    def has_transcript(self, job_id: str) -> bool: ...
    def delete_audio(self, recording_id: str) -> None: ...
    def delete_results(self, job_id: str) -> None: ...
    def stored(self) -> Iterator[Stored]:
        """Everything stored, for the retention sweep that removes what no row refers to."""

    def writable(self) -> bool: ...
    def clear_uploads(self, idle_s: float = 0.0) -> None: ...


class SharedFolderStorage:
    """Recordings and results as owner-only files under one folder that every API and worker host mounts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in (self.uploads, self.recordings, self.results):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"  # bodies being received; moved into recordings/ once accepted

    @property
    def recordings(self) -> Path:
        return self.root / "recordings"

    @property
    def results(self) -> Path:
        return self.root / "results"

    def audio(self, recording_id: str) -> Path:
        return self.recordings / recording_id  # no extension: the decoder sniffs the content

    def transcript(self, job_id: str) -> Path:
        return self.results / job_id / "transcript.json"

    def accept(self, spooled: Path, recording_id: str) -> None:
        # The body is on disk before its name appears: another host may open it as soon as the row commits.
        with spooled.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(spooled, self.audio(recording_id))  # same mount (uploads/ sits beside recordings/): atomic
        fsync_directory(self.recordings)

    def write_transcript(self, job_id: str, text: str) -> None:
        folder = self.results / job_id
        folder.mkdir(exist_ok=True, mode=0o700)
        durable_replace(self.transcript(job_id), text.encode("utf-8"))

    def read_transcript(self, job_id: str) -> str:
        return self.transcript(job_id).read_text(encoding="utf-8")

    def has_transcript(self, job_id: str) -> bool:
        return self.transcript(job_id).is_file()

    def delete_audio(self, recording_id: str) -> None:
        self.audio(recording_id).unlink(missing_ok=True)

    def delete_results(self, job_id: str) -> None:
        folder = self.results / job_id
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
        else:
            folder.unlink(missing_ok=True)  # not ours (no job writes a bare file here); retention still removes it

    def stored(self) -> Iterator[Stored]:
        kinds: tuple[tuple[Kind, Path], ...] = (("audio", self.recordings), ("results", self.results))
        for kind, folder in kinds:
            for path in list(folder.iterdir()):
                with contextlib.suppress(FileNotFoundError):  # deleted meanwhile by a route or another host
                    yield Stored(kind, path.name, path.lstat().st_mtime)

    def writable(self) -> bool:
        return os.access(self.root, os.W_OK) and os.access(self.uploads, os.W_OK)

    def clear_uploads(self, idle_s: float = 0.0) -> None:
        """Bodies a crash interrupted mid-upload: never accepted, so never referenced.

        With several API hosts on one shared folder another process may be receiving a body right now: callers
        that are not alone pass ``idle_s``, and only bodies nobody has written to for that long go.
        """
        cutoff = time.time() - idle_s
        for leftover in list(self.uploads.iterdir()):
            with contextlib.suppress(FileNotFoundError):
                if idle_s <= 0 or leftover.lstat().st_mtime < cutoff:
                    leftover.unlink()


FileStorage = SharedFolderStorage  # the name before the interface existed


def open_storage(root: Path) -> Storage:
    """The configured backend; today the shared folder (an object-store backend would be chosen here)."""
    return SharedFolderStorage(root)
