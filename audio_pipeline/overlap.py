"""Diarization beside recognition on one GPU.

faster-whisper (CTranslate2) and pyannote (PyTorch) are different engines with their own CUDA
streams, and both release the GIL while they compute, so on a GPU with memory to spare the two
stages can run at the same time: the whole transcript path then takes about as long as the longer
of the two instead of their sum. On a CPU they would only fight over the same cores, so the
pipeline overlaps them on CUDA alone (``Settings.overlap_gpu_stages``).

The side job's progress is relayed on the caller's thread: the progress callbacks of the CLI,
batch and the job worker (which also signals cancellation by raising) are only ever called from
the thread that called ``TranscriptionPipeline.run``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
Fraction = Callable[[float], None]

# A GPU needs room for pyannote's activations beside Whisper's decoder once both are loaded.
DEFAULT_MIN_FREE_GPU_MB = 4096


class _Stopped(Exception):
    """Raised inside the side job at its next progress report once the caller has failed."""


class Beside(Generic[T]):
    """Runs ``job(progress)`` on a worker thread from construction until ``result`` collects it."""

    def __init__(self, job: Callable[[Fraction], T], name: str = "beside") -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._fraction: float | None = None
        self.seconds = 0.0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._future: Future[T] = self._executor.submit(self._timed, job)

    def _timed(self, job: Callable[[Fraction], T]) -> T:
        clock = time.perf_counter()
        try:
            return job(self._record)
        finally:
            self.seconds = round(time.perf_counter() - clock, 3)

    def _record(self, fraction: float) -> None:
        if self._stop.is_set():
            raise _Stopped
        with self._lock:
            self._fraction = fraction

    def _relay(self, report: Fraction) -> None:
        with self._lock:
            fraction, self._fraction = self._fraction, None
        if fraction is not None:
            report(fraction)

    def result(self, report: Fraction, poll_s: float = 0.25) -> T:
        """Waits for the side job, relaying its progress here; its exception, if any, is raised here."""
        try:
            while True:
                try:
                    value = self._future.result(timeout=poll_s)
                except FutureTimeout:
                    self._relay(report)
                    continue
                self._relay(report)
                return value
        except BaseException:
            self.abandon()
            raise
        finally:
            self._executor.shutdown(wait=False)

    def abandon(self) -> None:
        """Stops the side job at its next progress report and waits for its thread to end.

        Waiting keeps the GPU memory and the engine free for the next recording; the job's own
        error, if it fails on its way out, is not the one the caller is handling.
        """
        self._stop.set()
        try:
            self._future.result()
        except BaseException as exc:  # noqa: BLE001 - the caller's error is the one that matters
            if not isinstance(exc, _Stopped):
                logger.debug("side job ended with %s while being abandoned", exc.__class__.__name__)
        self._executor.shutdown(wait=True)


def gpu_has_room(min_free_mb: int) -> bool:
    """True when the current CUDA device has at least ``min_free_mb`` free (as the driver counts it)."""
    try:
        import torch

        free_bytes, _total = torch.cuda.mem_get_info()
    except Exception as exc:  # noqa: BLE001 - no answer means no overlap, never a failed run
        logger.info(
            "GPU free memory unknown (%s); running recognition and diarization one after the other", exc.__class__.__name__
        )
        return False
    room = bool(free_bytes >= min_free_mb * 1024 * 1024)
    if not room:
        logger.info(
            "GPU has %d MB free (< %d MB); running recognition and diarization one after the other",
            free_bytes // 2**20,
            min_free_mb,
        )
    return room
