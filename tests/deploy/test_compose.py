"""deploy/compose.yaml, checked by parsing it (no Docker engine runs here): the services a site needs, health
checks, and environment variables that the settings classes actually read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from service.settings import ServiceSettings

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # safe_load resolves the YAML anchors and merges
    return loaded


def test_every_service_a_site_needs_is_there_with_a_health_check() -> None:
    services = compose()["services"]
    assert {"api", "worker", "worker-gpu", "redis", "postgres", "migrate"} <= set(services)
    for name in ("api", "worker", "worker-gpu", "redis", "postgres"):
        check = services[name]["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL") and check["interval"] and check["retries"] >= 1, name
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"]), "the API is healthy when it is ready"


def test_api_and_workers_use_the_dockerfile_and_share_data_and_models() -> None:
    services = compose()["services"]
    assert (COMPOSE.parent / services["api"]["build"]["context"] / services["api"]["build"]["dockerfile"]).exists()
    for name in ("api", "worker", "worker-gpu", "migrate"):
        service = services[name]
        assert service["build"] == services["api"]["build"], name
        assert "data:/data" in service["volumes"] and any(v.endswith(":/models:ro") for v in service["volumes"]), name
    assert services["api"]["command"] == ["serve"] and services["worker"]["command"][0] == "worker"
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("api", "worker", "worker-gpu"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert {"data", "pgdata", "redisdata"} <= set(compose()["volumes"])
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"], "published on loopback only; a proxy adds TLS"


def test_workers_drain_and_the_gpu_variant_reserves_a_gpu() -> None:
    services = compose()["services"]
    for name in ("worker", "worker-gpu"):
        assert services[name]["stop_signal"] == "SIGTERM" and services[name]["stop_grace_period"]
        assert "replicas" not in services[name].get("deploy", {}), "scaled with --scale, not pinned"
    gpu = services["worker-gpu"]
    assert gpu["profiles"] == ["gpu"] and gpu["environment"]["ALLIANCE_DEVICE"] == "cuda"
    [device] = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]


def test_environment_variables_are_settings_the_service_reads() -> None:
    fields = set(ServiceSettings.model_fields)
    services = compose()["services"]
    seen: set[str] = set()
    for name in ("api", "worker", "worker-gpu", "migrate"):
        for variable, value in services[name]["environment"].items():
            assert variable.startswith("ALLIANCE_"), variable
            assert variable.removeprefix("ALLIANCE_").lower() in fields, f"{name}: {variable} is not a setting"
            seen.add(variable)
            assert value not in (None, ""), variable
    assert {"ALLIANCE_QUEUE", "ALLIANCE_BROKER_URL", "ALLIANCE_DATABASE_URL", "ALLIANCE_DATA_DIR"} <= seen
    for name in ("api", "worker"):
        env = services[name]["environment"]
        settings = ServiceSettings(queue=env["ALLIANCE_QUEUE"], broker_url=env["ALLIANCE_BROKER_URL"])
        assert settings.queue == "celery"
        assert env["ALLIANCE_DATABASE_URL"].startswith("postgresql+psycopg://"), "psycopg 3"
    assert "${POSTGRES_PASSWORD:?" in COMPOSE.read_text(), "no password in the file; compose refuses to start without one"
