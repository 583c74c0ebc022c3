"""Our own logic in batch --server's uploads: which Idempotency-Key each upload carries (the real server: test_hostile_server)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from service.batch.manifest import SessionSpec
from service.batch.remote import RemoteExecution, upload_key
from service.batch.state import BatchState, RunOptions
from service.batch.types import Job, RemoteServer


class _Quiet:
    def planned(self, *args: object) -> None: ...
    def progress(self, *args: object) -> None: ...
    def session_finished(self, *args: object) -> None: ...
    def finished(self, *args: object) -> None: ...


def _uploads(tmp_path: Path, force: bool, audio_deleted: bool) -> list[str]:
    audio = tmp_path / "Emma_Smith_visit.wav"
    audio.write_bytes(b"RIFF")
    job = Job(SessionSpec("Emma_Smith_visit", audio), "ab" * 32, 1.0)
    keys: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/recordings":
            keys.append(request.headers["Idempotency-Key"])
            deleted = audio_deleted and len(keys) == 1
            return httpx.Response(200 if deleted else 201, json={"id": f"rec_{len(keys)}", "audio_deleted": deleted})
        assert json.loads(request.content)["recording_id"] == f"rec_{len(keys)}"
        return httpx.Response(202, json={"id": "job_1"})

    execution = RemoteExecution(
        [job], RunOptions(), BatchState(tmp_path / "out"), _Quiet(), RemoteServer("http://127.0.0.1:9", "k"), force
    )  # type: ignore[arg-type]
    execution.client = httpx.Client(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(answer))
    assert execution._submit(job) == "job_1"
    return keys


def test_the_key_comes_from_the_content_hash_never_the_name(tmp_path: Path) -> None:
    keys = _uploads(tmp_path, force=False, audio_deleted=False)
    assert keys == [upload_key("ab" * 32)] and "Emma" not in keys[0]


def test_force_uploads_under_a_new_key(tmp_path: Path) -> None:
    first, second = _uploads(tmp_path, True, False), _uploads(tmp_path, True, False)
    assert first[0] != second[0] and first[0].startswith(upload_key("ab" * 32))


def test_audio_the_server_released_is_sent_again_under_a_new_key(tmp_path: Path) -> None:
    keys = _uploads(tmp_path, force=False, audio_deleted=True)
    assert len(keys) == 2 and keys[0] == upload_key("ab" * 32) and keys[1] != keys[0]
