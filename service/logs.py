"""Logging that cannot leak request values: tracebacks are reduced to the exception types, in every process.

An exception's message and a traceback's frames can quote what a client sent (an Idempotency-Key, SQL
parameters, a file name that is a patient's name). The service, its job workers and batch workers log
through this formatter, uvicorn included, so whatever logs an exception, only its type reaches the log.
"""

from __future__ import annotations

import logging
import logging.config
import sys
import threading
from types import TracebackType
from typing import Any

FORMAT = "%(levelname)s %(name)s: %(message)s"


def exception_chain(exc: BaseException | None) -> str:
    """'IntegrityError <- OperationalError': the types of an exception and its causes, never their messages."""
    names: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen and len(names) < 5:
        seen.add(id(exc))
        names.append(type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    return " <- ".join(names)


class TypesOnlyFormatter(logging.Formatter):
    """Formats records as usual, but an attached exception or stack becomes its types alone."""

    def formatException(self, ei: Any) -> str:
        return f"(exception {exception_chain(ei[1])}; details withheld: they may quote request content)"

    def formatStack(self, stack_info: str) -> str:
        return "(stack withheld)"


def configure(level: int) -> None:
    """The root logger on stderr with the types-only formatter; replaces any handler set before."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TypesOnlyFormatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    install_excepthooks()


def install_excepthooks() -> None:
    """An uncaught exception in the main thread or any thread is logged by type, not printed with its traceback."""

    def main_hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        logging.getLogger("alliance").critical("uncaught %s", exception_chain(exc))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        logging.getLogger("alliance").critical("uncaught %s in a thread", exception_chain(args.exc_value))

    sys.excepthook = main_hook
    threading.excepthook = thread_hook


def uvicorn_log_config(level: int) -> dict[str, Any]:
    """uvicorn's loggers through the same formatter ('Exception in ASGI application' keeps only the types)."""
    handler = {"class": "logging.StreamHandler", "formatter": "safe", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"safe": {"()": f"{__name__}.TypesOnlyFormatter", "fmt": FORMAT}},
        "handlers": {"safe": handler},
        "loggers": {
            name: {"handlers": ["safe"], "level": logging.getLevelName(level), "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
