"""The API against its own OpenAPI schema: generated requests never get a 5xx or a response the schema does not allow."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.api.app import create_app
from service.keys import create_key
from service.server import open_state
from service.settings import ServiceSettings


def _app() -> tuple[object, str]:
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="alliance-schemathesis-"))
    state = open_state(ServiceSettings(data_dir=root, max_upload_bytes=1_000_000))
    _, key = create_key(state.store, "fuzz")
    return create_app(state), key


APP, KEY = _app()
# /readyz is left out: with no models configured here it rightly answers 503 (tested below and in test_server).
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path="/readyz")


@schema.parametrize()
@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_schema(case: schemathesis.Case) -> None:
    # Every check but one: a schema-valid body need not be a decodable recording, so refusing it (422) is right.
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, excluded_checks=[positive_data_acceptance])


def test_public_routes_answer_and_readiness_names_what_is_missing() -> None:
    from fastapi.testclient import TestClient

    client = TestClient(APP)  # type: ignore[arg-type]
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "alliance"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["content-type"].startswith("application/problem+json")
    assert ready.json() == {
        "type": "urn:alliance:problem:not_ready",
        "title": "Not ready",
        "status": 503,
        "detail": "not ready: models",
        "code": "not_ready",
    }
