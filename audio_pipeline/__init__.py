"""alliance's library: a recording in, a typed transcript out."""

from .telemetry import disable_by_environment as _disable_telemetry

_disable_telemetry()

from importlib.metadata import PackageNotFoundError, version  # noqa: E402

try:
    __version__ = version("alliance")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
