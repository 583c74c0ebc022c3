"""Helpers for the worker processes that batch and the service start."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

NOISY_LOGGERS = ("faster_whisper", "pyannote", "lightning", "pytorch_lightning", "speechbrain")


def setup_child(log_level: int) -> None:
    """Ctrl-C goes to the whole process group; the parent decides what stops. Logs like the parent's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(os.getppid())
    from .logs import configure

    configure(log_level)  # tracebacks as exception types only: a worker's log never quotes request content
    quiet_engines(log_level)


def quiet_engines(log_level: int) -> None:
    # Engine libraries log per-window details; keep the output for our own lines.
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(log_level, logging.WARNING))


def exit_with_parent(parent_pid: int) -> None:
    """A parent killed outright (kill -9, a crash) cannot stop its workers; they notice and stop themselves."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
