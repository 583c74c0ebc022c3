"""alliance's library: a recording in, a typed transcript out.

The public surface is what ``__all__`` lists (pinned by tests/audio_pipeline/test_exported_members.py);
names load on first use, so ``import audio_pipeline`` stays cheap and loads no engine.
"""

from .telemetry import disable_by_environment as _disable_telemetry

_disable_telemetry()

from importlib import import_module  # noqa: E402
from importlib.metadata import PackageNotFoundError, version  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

try:
    __version__ = version("alliance")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"

# public name -> the module that defines it
_EXPORTS = {
    "TranscriptionPipeline": ".pipeline",
    "ProgressCallback": ".pipeline",
    "RunRequest": ".request",
    "RunHints": ".request",
    "RunRequestError": ".request",
    "Settings": ".settings",
    "Transcript": ".schema",
    "load_transcript": ".schema",
    "SCHEMA_VERSION": ".schema",
    "AllianceError": ".errors",
    "InputError": ".errors",
    "ModelError": ".errors",
    "EngineError": ".errors",
    "export": ".export",
    "exporter": ".export",
    "ExportOptions": ".export",
    "deidentified": ".deid",
}

if TYPE_CHECKING:
    from .deid import deidentified
    from .errors import AllianceError, EngineError, InputError, ModelError
    from .export import ExportOptions, export, exporter
    from .pipeline import ProgressCallback, TranscriptionPipeline
    from .request import RunHints, RunRequest, RunRequestError
    from .schema import SCHEMA_VERSION, Transcript, load_transcript
    from .settings import Settings


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [  # noqa: RUF022  (grouped as _EXPORTS is)
    "__version__",
    "TranscriptionPipeline",
    "ProgressCallback",
    "RunRequest",
    "RunHints",
    "RunRequestError",
    "Settings",
    "Transcript",
    "load_transcript",
    "SCHEMA_VERSION",
    "AllianceError",
    "InputError",
    "ModelError",
    "EngineError",
    "export",
    "exporter",
    "ExportOptions",
    "deidentified",
]
assert set(__all__) == {"__version__", *_EXPORTS}
