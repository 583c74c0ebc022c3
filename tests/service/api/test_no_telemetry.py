"""FastAPI's built-in OpenTelemetry stays off: request data is PHI, whatever the environment asks for."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

# A fresh interpreter, because an OpenTelemetry provider can be installed only once per process.
_PROBE = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path
    from fastapi.testclient import TestClient
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from service.settings import ServiceSettings
    from service.api import app as app_module
    from service.server import open_state

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    state = open_state(ServiceSettings(data_dir=Path(tempfile.mkdtemp())))
    if sys.argv[1] == "default":
        app_module.NO_TELEMETRY = {}
    client = TestClient(app_module.create_app(state))
    client.get("/healthz")
    client.post("/v1/jobs", json={"recording_id": "Emma Smith"}, headers={"X-API-Key": "alk_wrong"})
    print(len(exporter.get_finished_spans()))
    """
)


def _spans(mode: str, tmp_path: Path) -> int:
    env = {**os.environ, "FASTAPI_OTEL_AUTO_CONFIGURE": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}
    env["ALLIANCE_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], env=env, capture_output=True, text=True, cwd=Path(__file__).parents[3]
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return int(result.stdout.strip().splitlines()[-1])


def test_no_request_is_traced_even_when_the_environment_asks(tmp_path: Path) -> None:
    assert _spans("default", tmp_path) > 0, "the probe does see FastAPI's spans when they are on"
    assert _spans("ours", tmp_path) == 0
