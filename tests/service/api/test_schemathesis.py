"""The API against its own OpenAPI schema: generated requests never get a 5xx or a response the schema does not allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.api.app import create_app
from service.keys import create_key
from service.server import open_state
from service.settings import ServiceSettings
from tests.service.conftest import Deployment


@dataclass(frozen=True)
class Api:
    app: Any
    key: str


@pytest.fixture(scope="module")
def api(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Api:
    """The app in this process, on each deployment's database (a fresh one for PostgreSQL)."""
    env = {name.removeprefix("ALLIANCE_").lower(): value for name, value in deployment.env().items()}
    root = tmp_path_factory.mktemp("schemathesis")
    state = open_state(ServiceSettings(data_dir=root, max_upload_bytes=1_000_000, **env))
    _, key = create_key(state.store, "fuzz")
    return Api(create_app(state), key)


def test_the_api_honours_its_schema(api: Api) -> None:
    # /readyz is left out: with no models configured here it rightly answers 503 (tested below and in test_server).
    # The schema is built from each deployment's app here: schemathesis' lazy fixture loader does not run on pytest 9.
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app).exclude(path="/readyz")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            # Every check but one: a schema-valid body need not be a decodable recording, so refusing it (422) is right.
            case.call_and_validate(headers={"Authorization": f"Bearer {api.key}"}, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as exc:
            raise AssertionError(f"{operation.label}: {exc}") from exc


def test_public_routes_answer_and_readiness_names_what_is_missing(api: Api, deployment: Deployment) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(api.app)
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "alliance"
    ready = client.get("/readyz")
    if deployment.redis is not None:  # celery: the models live on the workers; the API needs its database and broker
        assert ready.json() == {"status": "ready", "checks": {"storage": True, "database": True, "broker": True}}
        return
    assert ready.status_code == 503 and ready.headers["content-type"].startswith("application/problem+json")
    assert ready.json() == {
        "type": "urn:alliance:problem:not_ready",
        "title": "Not ready",
        "status": 503,
        "detail": "not ready: models",
        "code": "not_ready",
    }
