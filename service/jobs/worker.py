"""A job worker process: loads the models once, then claims and runs jobs until its parent stops it."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from audio_pipeline.errors import AllianceError
from audio_pipeline.request import RunHints, RunRequest, run_request

from ..logs import exception_chain
from ..processes import setup_child
from ..settings import ServiceSettings
from ..storage import Storage, open_storage
from ..store import Store
from .queue import ClaimedJob, JobQueue, SqlJobQueue

logger = logging.getLogger(__name__)
_IDLE_POLL_S = 0.5
_REPORT_EVERY_S = 0.5


class JobCancelled(Exception):
    """Raised from the progress callback to stop a job whose cancellation was asked for."""


class WorkerStopping(Exception):
    """Raised from the progress callback when the worker is being stopped (SIGTERM): the job goes back to the queue."""


def _never() -> bool:
    return False


class _Progress:
    """Writes progress to the job row at most twice a second, and notices cancellation there."""

    def __init__(self, queue: JobQueue, job: ClaimedJob, stopping: Callable[[], bool] = _never) -> None:
        self.queue, self.job_id, self.worker, self.stopping = queue, job.id, job.worker, stopping
        self.last_s = 0.0
        self.stage = ""

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == self.stage and now - self.last_s < _REPORT_EVERY_S and fraction < 1.0:
            return
        self.stage, self.last_s = stage, now
        if self.stopping():
            raise WorkerStopping
        if not self.queue.report(self.job_id, stage, round(100 * max(0.0, min(fraction, 1.0))), self.worker):
            raise JobCancelled


def run_worker(name: str, settings: ServiceSettings, log_level: int) -> None:
    """Entry point of a worker process; the settings are the server's own, built once."""
    setup_child(log_level)
    try:
        _work(name, settings)
    except BaseException as exc:  # noqa: BLE001  (multiprocessing would print the traceback, values and all)
        logger.critical("job worker stopped (%s)", exception_chain(exc))
        raise SystemExit(1) from None


def _work(name: str, settings: ServiceSettings) -> None:
    # Transcription may take every core for minutes; status polls and uploads must stay quick meanwhile.
    os.nice(10)
    from audio_pipeline.pipeline import TranscriptionPipeline

    store = Store(settings.database())
    queue = SqlJobQueue(store)
    storage = open_storage(settings.service_path())
    pipeline = TranscriptionPipeline(settings)
    while True:
        job = queue.claim(name)
        if job is None:
            time.sleep(_IDLE_POLL_S)
            continue
        run_job(job, pipeline, queue, storage, settings)


def run_job(
    job: ClaimedJob,
    pipeline: object,
    queue: JobQueue,
    storage: Storage,
    settings: ServiceSettings,
    stopping: Callable[[], bool] = _never,
) -> None:
    """Run one claimed job to its end state; WorkerStopping propagates after the job is handed back."""
    from audio_pipeline.pipeline import TranscriptionPipeline

    assert isinstance(pipeline, TranscriptionPipeline)
    try:
        hints = run_request(job.options, RunHints)  # validated at submission; the same model reads it back
        request = RunRequest(**hints.model_dump())
        transcript = pipeline.run(storage.audio(job.recording_id), request, _Progress(queue, job, stopping))
        storage.write_transcript(job.id, transcript.to_json())
    except JobCancelled:
        queue.cancelled(job.id, job.worker)
        return
    except WorkerStopping:
        queue.release(job.id, job.worker)
        raise
    except AllianceError as exc:
        queue.fail(job.id, exc.code, exc.message, job.worker)
        return
    except Exception as exc:  # noqa: BLE001  (one job's bug must not take the worker down)
        logger.error("job failed unexpectedly (%s)", type(exc).__name__)
        queue.fail(job.id, "internal_error", f"internal error ({type(exc).__name__}); the server log has details", job.worker)
        return
    if not queue.succeed(job.id, job.worker):
        storage.delete_results(job.id)  # deleted or cancelled while it ran: keep nothing
        return
    if not settings.keep_audio and queue.release_audio(job.recording_id):
        storage.delete_audio(job.recording_id)
