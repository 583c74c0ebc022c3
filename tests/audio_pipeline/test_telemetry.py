"""pyannote.audio's usage metrics stay off; the network guard (conftest) proves no socket opens."""

from __future__ import annotations

import os
import socket

import pytest


def test_metrics_disabled_before_and_after_pyannote_import() -> None:
    import audio_pipeline  # noqa: F401

    assert os.environ["PYANNOTE_METRICS_ENABLED"].lower() in {"0", "false"}
    from audio_pipeline import telemetry

    telemetry.disable()
    from pyannote.audio.telemetry.metrics import is_metrics_enabled

    assert not is_metrics_enabled()


def test_operator_cannot_turn_metrics_back_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYANNOTE_METRICS_ENABLED", "1")
    from audio_pipeline import telemetry

    telemetry.disable_by_environment()
    assert os.environ["PYANNOTE_METRICS_ENABLED"] == "0"


def test_network_guard_blocks_and_records(no_network: list[str]) -> None:
    with socket.socket() as sock, pytest.raises(OSError, match="blocked"):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed
    assert no_network == ["connect ('192.0.2.1', 443)"]
    no_network.clear()  # this test tripped the guard on purpose
