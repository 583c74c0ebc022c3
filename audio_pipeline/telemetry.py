"""Keep every dependency from phoning home: recordings are protected health information.

pyannote.audio 4 reports file durations and speaker counts to an external endpoint unless
PYANNOTE_METRICS_ENABLED is "0" when it is imported; importing audio_pipeline sets it first.
"""

from __future__ import annotations

import os

_OFF = {
    "PYANNOTE_METRICS_ENABLED": "0",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}


def disable_by_environment() -> None:
    """Set before any third-party import; an operator's setting is overridden on purpose."""
    os.environ.update(_OFF)


def disable() -> None:
    """Also switch pyannote's runtime flag off, in case something re-enabled it after import."""
    disable_by_environment()
    from pyannote.audio.telemetry import set_telemetry_metrics

    set_telemetry_metrics(False)
