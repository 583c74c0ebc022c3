"""Where a reviewed transcript lives: the file itself, its revision number and every earlier revision.

Each save writes the transcript atomically (owner-only, as transcripts are PHI) with its revision
one higher, after copying the file it replaces to ``<transcript name>.history/rev-NNNN.json``, so any
change can be undone. A save names the revision it started from; when that is no longer the
stored one (another tab or coder saved first) it is refused with ReviewConflictError and nothing
is written: the caller still holds its change and can reload and apply it again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError, ReviewConflictError, ReviewInputError, TranscriptFormatError
from ..files import atomic_write_bytes
from ..schema import Review, Transcript, load_transcript

logger = logging.getLogger(__name__)
_REVISION_FILE = re.compile(r"^rev-(\d{4,})\.json$")


class ReviewStore:
    """One transcript file under review, with its history folder beside it."""

    def __init__(self, transcript_path: Path) -> None:
        self.path = Path(transcript_path)
        self.history_dir = self.path.with_name(self.path.name + ".history")
        # One lock per store for threads of one server, and a file lock for other processes
        # (a second `alliance review` on the same file).
        self._lock = threading.RLock()
        self._depth = 0
        # The revision last read or written, with the file's identity then: every save replaces the
        # file (a new inode), so an unchanged stat means an unchanged revision and no 3 MB parse.
        self._known: tuple[tuple[int, int, int], int] | None = None

    # -- reading ---------------------------------------------------------------------------
    def _read(self, path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise InputError("the transcript file does not exist; check the path") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise TranscriptFormatError(f"the transcript file cannot be read ({type(exc).__name__})") from exc

    def load(self) -> Transcript:
        return load_transcript(self._read(self.path))

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def current_revision(self) -> int:
        """The stored revision, read without validating the whole transcript (or from memory when the
        file is the one this store last read or wrote)."""
        stamp = self._stamp()
        if stamp is not None and self._known is not None and self._known[0] == stamp:
            return self._known[1]
        try:
            data = json.loads(self._read(self.path))
            review = data.get("review") or {}
            revision = int(review.get("revision", 0))
        except (ValueError, AttributeError, TypeError) as exc:
            raise TranscriptFormatError("the transcript is not valid JSON") from exc
        if stamp is not None:
            self._known = (stamp, revision)
        return revision

    def _history_file(self, revision: int) -> Path:
        return self.history_dir / f"rev-{revision:04d}.json"

    def revisions(self) -> list[int]:
        """Every revision that can be restored, oldest first, the current one last."""
        kept: set[int] = set()
        if self.history_dir.is_dir():
            for entry in self.history_dir.iterdir():
                match = _REVISION_FILE.match(entry.name)
                if match:
                    kept.add(int(match.group(1)))
        kept.add(self.current_revision())
        return sorted(kept)

    def load_revision(self, revision: int) -> Transcript:
        with self._lock:
            if revision == self.current_revision():
                return self.load()
            path = self._history_file(revision)
            if revision < 0 or not path.is_file():
                raise ReviewInputError("revision: no such revision is kept for this transcript")
            return load_transcript(self._read(path))

    # -- writing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            if self._depth:  # already held by this thread: flock on a second descriptor would deadlock
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.history_dir.mkdir(mode=0o700, exist_ok=True)
            os.chmod(self.history_dir, 0o700)
            with open(self.history_dir / ".lock", "a+b") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def check(self, base_revision: int) -> None:
        """Raise ReviewConflictError unless base_revision is the stored revision (cheap: before slow work)."""
        current = self.current_revision()
        if base_revision != current:
            raise ReviewConflictError(current, base_revision)

    def save(self, transcript: Transcript, base_revision: int) -> Transcript:
        """Store the transcript as revision base_revision + 1, keeping the one it replaces in the history."""
        with self._locked():
            self.check(base_revision)
            if self.path.exists():
                atomic_write_bytes(self._history_file(base_revision), self.path.read_bytes())
            review = transcript.review or Review()
            saved = transcript.model_copy(update={"review": review.model_copy(update={"revision": base_revision + 1})})
            atomic_write_bytes(self.path, saved.to_json().encode("utf-8"))
            stamp = self._stamp()
            self._known = (stamp, base_revision + 1) if stamp is not None else None
        logger.info("review: saved revision %d", base_revision + 1)
        return saved

    def restore(self, revision: int, base_revision: int) -> Transcript:
        """Make an earlier revision current again, saved as a new revision (so the restore can be undone too)."""
        with self._locked():
            self.check(base_revision)
            return self.save(self.load_revision(revision), base_revision)
