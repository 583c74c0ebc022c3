"""The API in-process: one key per request, bodies capped before they are read, doc pages that load nothing from
elsewhere, and retention that finds audio no row refers to."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service import crud
from service.api.app import create_app
from service.api.deps import ServiceState
from service.api.gate import JSON_BODY_CAP_BYTES
from service.keys import create_key
from service.server import open_state
from service.settings import ServiceSettings
from service.store import Recording, Store, new_id


@pytest.fixture
def state(tmp_path: Path, store: Store, database_url: str) -> ServiceState:
    """On SQLite and on PostgreSQL (``store`` has migrated the database)."""
    return open_state(ServiceSettings(data_dir=tmp_path, max_upload_bytes=1_000_000, database_url=database_url))


@pytest.fixture
def key(state: ServiceState) -> str:
    return create_key(state.store, "site-a")[1]


def test_two_different_keys_are_refused_and_two_equal_ones_accepted(state: ServiceState, key: str) -> None:
    other = create_key(state.store, "site-b")[1]
    client = TestClient(create_app(state))
    both = client.get("/v1/jobs/job_x", headers={"Authorization": f"Bearer {other}", "X-API-Key": key})
    assert both.status_code == 400 and both.json()["code"] == "conflicting_credentials"
    same = client.get("/v1/jobs/job_x", headers={"Authorization": f"Bearer {key}", "X-API-Key": key})
    assert same.status_code == 404


def test_a_body_is_refused_before_it_is_read(state: ServiceState, key: str) -> None:
    client = TestClient(create_app(state))
    read = {"bytes": 0}

    def body() -> object:
        for _ in range(64):
            read["bytes"] += 65536
            yield b"x" * 65536

    no_key = client.post("/v1/jobs", content=body(), headers={"Content-Type": "application/json"})
    assert no_key.status_code == 401 and read["bytes"] <= 65536, read
    too_big = client.post("/v1/jobs", content=b"{" + b" " * JSON_BODY_CAP_BYTES + b"}", headers={"X-API-Key": key})
    assert too_big.status_code == 413 and too_big.json()["code"] == "body_too_large"
    fine = client.post("/v1/jobs", json={"recording_id": "rec_x", "names": "patient=Emma"}, headers={"X-API-Key": key})
    assert fine.status_code == 404 and fine.json()["code"] == "recording_not_found"


def test_doc_pages_load_nothing_from_elsewhere(state: ServiceState) -> None:
    client = TestClient(create_app(state))
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert not re.findall(r"https?://", html), page
        for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert asset.startswith("/docs-assets/") and client.get(asset).status_code == 200
    assert '"validatorUrl": null' in client.get("/docs").text
    assert client.get("/openapi.json").status_code == 200  # public: it holds no data (README, HTTP service)


def test_doc_pages_and_schema_can_be_turned_off(tmp_path: Path) -> None:
    state = open_state(ServiceSettings(data_dir=tmp_path, api_docs=False))
    client = TestClient(create_app(state))
    assert [client.get(p).status_code for p in ("/docs", "/redoc", "/openapi.json")] == [404, 404, 404]


def test_retention_removes_stored_files_no_row_refers_to(state: ServiceState) -> None:
    storage = state.storage
    kept_id = new_id("rec")
    with state.store.session() as session:
        session.add(Recording(id=kept_id, owner="a", sha256="0" * 64, size_bytes=1, duration_s=1.0))
    storage.audio(kept_id).write_bytes(b"audio")
    orphan, fresh = storage.audio(new_id("rec")), storage.audio(new_id("rec"))
    orphan.write_bytes(b"audio nothing points at")
    fresh.write_bytes(b"an upload between its move and its commit")
    stale_results = storage.results / new_id("job")
    stale_results.mkdir()
    old = time.time() - 7200
    for path in (orphan, stale_results, storage.audio(kept_id)):
        os.utime(path, (old, old))
    crud.purge_expired(state.store, storage, state.settings)
    assert not orphan.exists() and not stale_results.exists()
    assert fresh.exists() and storage.audio(kept_id).exists()


def test_a_failure_after_the_move_leaves_no_file(state: ServiceState, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.samples import tone, wav_header

    samples = (tone(1.0) * 30000).astype("<i2").tobytes()
    body = wav_header(1, 16000, len(samples)) + samples
    real_accept = state.storage.accept

    def accept_then_fail(spooled: Path, recording_id: str) -> Path:
        real_accept(spooled, recording_id)
        raise OSError("disk full")

    monkeypatch.setattr(state.storage, "accept", accept_then_fail)
    client = TestClient(create_app(state), raise_server_exceptions=False)
    answer = client.post("/v1/recordings", content=body, headers={"X-API-Key": key})
    assert answer.status_code == 500
    assert not list(state.storage.recordings.iterdir()) and not list(state.storage.uploads.iterdir())
    with state.store.session() as session:
        assert session.query(Recording).count() == 0


def test_ids_no_row_could_have_are_simply_not_found(state: ServiceState, key: str) -> None:
    # PostgreSQL refuses text with a NUL byte outright (SQLite just finds nothing); neither may become a 500.
    client = TestClient(create_app(state))
    headers = {"Authorization": f"Bearer {key}"}
    for path in ("/v1/jobs/job_%00x", "/v1/recordings/rec_%00x", "/v1/jobs/job_%00x/transcript", "/v1/jobs/" + "j" * 300):
        assert client.get(path, headers=headers).status_code == 404, path
    assert client.delete("/v1/recordings/rec_%00x", headers=headers).status_code == 404
    submitted = client.post("/v1/jobs", json={"recording_id": "rec_\u0000x"}, headers=headers)
    assert submitted.status_code == 404, submitted.text
