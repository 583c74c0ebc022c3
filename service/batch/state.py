"""What a batch has finished, kept in OUT_DIR so that any interruption can be resumed.

Each finished session has ``sessions/<id>/session.json``, written after all its outputs and
atomically: its presence with a matching key is the only proof a session is done. A kill at
any moment leaves either the old record or the new one, and at worst a hidden ``.part`` file
that the next run removes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from audio_pipeline import __version__
from audio_pipeline.errors import InputError, OutputPathError
from audio_pipeline.files import atomic_write_bytes, atomic_write_text
from audio_pipeline.settings import Settings
from audio_pipeline.voiceprints import VoiceprintRegistry

from .manifest import SessionSpec

logger = logging.getLogger(__name__)

# Every name the batch writes in OUT_DIR (export file names come from service/naming.py).
SESSIONS_DIR = "sessions"
RECORD_NAME = "session.json"
SUMMARY_CSV = "summary.csv"
SUMMARY_HTML = "summary.html"
LOCK_NAME = ".batch.lock"
# Settings that shape a transcript or its exports, by name prefix; the rest (paths, threads, the
# service's limits) cannot change a result, so changing them redoes nothing.
_RESULT_SETTINGS = (
    "asr_", "diarization_", "language", "attribution_", "min_pause_s", "silence_", "emotion_",
    "export_pause_", "enrollment_", "max_duration_s", "deid_",
)  # fmt: skip


class SessionStats(BaseModel):
    """One session's numbers for the study summary."""

    duration_s: float
    speakers: int
    roles: list[str]
    talk_s_by_role: dict[str, float]
    turns: int
    pauses_2s: int
    pauses_5s: int
    silence_candidates: int
    emotional_segments: int
    warnings: list[str]


class SessionRecord(BaseModel):
    session_id: str
    key: str
    package_version: str
    audio_sha256: str
    outputs: list[str]
    stats: SessionStats
    finished_at: datetime
    elapsed_s: float


@dataclass(frozen=True)
class RunOptions:
    """Batch-wide options that shape every output."""

    formats: tuple[str, ...] = ("json",)
    settings: dict[str, Any] = field(default_factory=dict)
    voiceprints_sha256: str = ""  # enrolling a clinician can change roles, so it changes the key
    deidentify: bool = False  # also write de-identified copies of every output

    @classmethod
    def from_settings(cls, formats: tuple[str, ...], settings: Settings, deidentify: bool = False) -> RunOptions:
        dumped = {k: v for k, v in settings.model_dump(mode="json").items() if k.startswith(_RESULT_SETTINGS)}
        registry = VoiceprintRegistry(settings.data_dir).path
        voiceprints = hashlib.sha256(registry.read_bytes()).hexdigest() if registry.is_file() else ""
        return cls(formats, dumped, voiceprints, deidentify)


def session_key(spec: SessionSpec, audio_sha256: str, options: RunOptions) -> str:
    """Same audio, same options, same package version: the same result, so the work can be skipped."""
    names = hashlib.sha256(spec.names.encode()).hexdigest() if spec.names else ""  # the key is stored; names are not
    payload = {"audio": audio_sha256, "session": spec.options(), "names": names, "run": asdict(options), "version": __version__}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class BatchState:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir

    def session_dir(self, session_id: str) -> Path:
        return self.out_dir / SESSIONS_DIR / session_id

    def record(self, session_id: str) -> SessionRecord | None:
        path = self.session_dir(session_id) / RECORD_NAME
        try:
            return SessionRecord.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            logger.warning("a session record could not be read; that session will be redone")
            return None

    def is_done(self, session_id: str, key: str) -> bool:
        record = self.record(session_id)
        if record is None or record.key != key:
            return False
        folder = self.session_dir(session_id)
        return all((folder / name).is_file() for name in record.outputs)

    def write_outputs(self, session_id: str, outputs: dict[str, bytes]) -> None:
        folder = self.session_dir(session_id)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, content in outputs.items():
            atomic_write_bytes(folder / name, content)

    def commit(self, record: SessionRecord) -> None:
        """The last write of a session: from here on it counts as done."""
        atomic_write_text(self.session_dir(record.session_id) / RECORD_NAME, record.model_dump_json(indent=2) + "\n")

    def save(
        self, session_id: str, key: str, outputs: dict[str, bytes], stats: SessionStats, audio_sha256: str, elapsed_s: float
    ) -> SessionRecord:
        """Replace a session's outputs and mark it done, in the order that survives a kill at any point."""
        self.forget(session_id)
        self.write_outputs(session_id, outputs)
        record = SessionRecord(
            session_id=session_id,
            key=key,
            package_version=__version__,
            audio_sha256=audio_sha256,
            outputs=sorted(outputs),
            stats=stats,
            finished_at=now(),
            elapsed_s=round(elapsed_s, 2),
        )
        self.commit(record)
        return record

    def forget(self, session_id: str) -> None:
        """A session about to be redone stops counting as done before any of its files change."""
        (self.session_dir(session_id) / RECORD_NAME).unlink(missing_ok=True)

    def remove_partial_files(self) -> int:
        """Temporary files of writes a kill interrupted; never anything a finished write produced."""
        removed = 0
        for leftover in self.out_dir.rglob(".*.part"):
            leftover.unlink(missing_ok=True)
            removed += 1
        return removed


@contextlib.contextmanager
def exclusive(out_dir: Path) -> Iterator[None]:
    """One batch at a time per OUT_DIR. The kernel drops the lock when the process dies, even by kill -9."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        raise OutputPathError("the --out folder cannot be created; check the path and its permissions") from None
    lock_path = out_dir / LOCK_NAME
    handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError("another batch is already writing to this --out folder; wait for it or use another") from None
        yield
    finally:
        os.close(handle)


def now() -> datetime:
    return datetime.now(UTC)
