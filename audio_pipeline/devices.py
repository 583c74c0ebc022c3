"""Which compute device a run uses: CUDA when asked for (or on auto) and usable, else the CPU."""

from __future__ import annotations

from .errors import InvalidOptionError


def cuda_available() -> bool:
    import ctranslate2  # here, so importing the library does not load the engines

    return bool(ctranslate2.get_cuda_device_count() > 0)


def resolve_device(requested: str) -> str:
    if requested not in {"auto", "cpu", "cuda"}:
        raise InvalidOptionError("--device must be auto, cpu or cuda")
    if requested == "auto":
        return "cuda" if cuda_available() else "cpu"
    if requested == "cuda" and not cuda_available():
        raise InvalidOptionError("--device cuda was asked for but no CUDA GPU is usable here; use --device cpu")
    return requested
