"""The shared-folder storage: atomic, durable writes that need neither hard links nor file locks (NFS, SMB)."""

from __future__ import annotations

import fcntl
import os
import stat
import time
from pathlib import Path

import pytest

from service.storage import SharedFolderStorage, Storage, open_storage


@pytest.fixture
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SharedFolderStorage:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("network filesystems do not honour this reliably")

    monkeypatch.setattr(os, "link", refuse)  # no hard-link tricks
    monkeypatch.setattr(fcntl, "flock", refuse)  # no advisory locks
    monkeypatch.setattr(fcntl, "lockf", refuse)
    made = open_storage(tmp_path / "shared")
    assert isinstance(made, SharedFolderStorage)
    return made


def test_the_shared_folder_implements_the_interface(storage: SharedFolderStorage) -> None:
    interface: Storage = storage  # mypy checks the protocol on the package; this keeps the test honest too
    assert interface.writable()


def test_transcripts_replace_whole_and_durably(storage: SharedFolderStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[bool] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(stat.S_ISDIR(os.fstat(fd).st_mode)), real_fsync(fd))[1])
    storage.write_transcript("job_1", '{"v": 1}')
    assert synced == [False, True], "the file, then its folder (so the rename survives a crash of an NFS client)"
    storage.write_transcript("job_1", '{"v": 2}')
    assert storage.read_transcript("job_1") == '{"v": 2}' and storage.has_transcript("job_1")
    assert [p.name for p in storage.transcript("job_1").parent.iterdir()] == ["transcript.json"], "no temporary left"
    assert storage.transcript("job_1").stat().st_mode & 0o077 == 0


def test_a_failed_write_keeps_the_old_transcript(storage: SharedFolderStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    storage.write_transcript("job_1", "old")
    monkeypatch.setattr(os, "replace", lambda *_: (_ for _ in ()).throw(OSError("the mount went away")))
    with pytest.raises(OSError):
        storage.write_transcript("job_1", "new")
    assert storage.read_transcript("job_1") == "old"
    assert [p.name for p in storage.transcript("job_1").parent.iterdir()] == ["transcript.json"]


def test_uploads_are_accepted_durably_and_swept_by_age(storage: SharedFolderStorage) -> None:
    spooled = storage.uploads / "upload_1"
    spooled.write_bytes(b"audio")
    storage.accept(spooled, "rec_1")
    assert storage.audio("rec_1").read_bytes() == b"audio" and not spooled.exists()
    assert {(s.kind, s.id) for s in storage.stored()} == {("audio", "rec_1")}
    storage.write_transcript("job_1", "{}")
    assert {(s.kind, s.id) for s in storage.stored()} == {("audio", "rec_1"), ("results", "job_1")}

    stale, live = storage.uploads / "upload_stale", storage.uploads / "upload_live"
    stale.write_bytes(b"x")
    live.write_bytes(b"x")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    storage.clear_uploads(idle_s=3600)
    assert not stale.exists() and live.exists(), "another API host may be receiving this body right now"
    storage.clear_uploads()
    assert not live.exists()

    storage.delete_audio("rec_1")
    storage.delete_results("job_1")
    storage.delete_results("job_never")
    assert list(storage.stored()) == []
