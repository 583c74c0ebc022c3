"""/readyz in celery mode names an unreachable broker (and says nothing else about it)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.server import open_state
from service.settings import ServiceSettings


def test_an_unreachable_broker_makes_the_api_not_ready(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path, queue="celery", broker_url="redis://127.0.0.1:1/0")
    ready = TestClient(create_app(open_state(settings))).get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["detail"] == "not ready: broker", "names the part, never a URL or a password"
