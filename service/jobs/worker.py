"""A job worker process: loads the models once, then claims and runs jobs until its parent stops it."""

from __future__ import annotations

import logging
import os
import time

from sqlalchemy import select

from audio_pipeline.analysis.roles import SessionHints
from audio_pipeline.errors import AllianceError
from audio_pipeline.settings import Settings

from ..processes import setup_child
from ..storage import FileStorage
from ..store import Job, Recording, Store, utcnow
from .queue import ClaimedJob, SqlJobQueue

logger = logging.getLogger(__name__)
_IDLE_POLL_S = 0.5
_REPORT_EVERY_S = 0.5


class JobCancelled(Exception):
    """Raised from the progress callback to stop a job whose cancellation was asked for."""


class _Progress:
    """Writes progress to the job row at most twice a second, and notices cancellation there."""

    def __init__(self, queue: SqlJobQueue, job_id: str) -> None:
        self.queue, self.job_id = queue, job_id
        self.last_s = 0.0
        self.stage = ""

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == self.stage and now - self.last_s < _REPORT_EVERY_S and fraction < 1.0:
            return
        self.stage, self.last_s = stage, now
        if not self.queue.report(self.job_id, stage, round(100 * max(0.0, min(fraction, 1.0)))):
            raise JobCancelled


def run_worker(name: str, log_level: int) -> None:
    """Entry point of a worker process."""
    setup_child(log_level)
    # Transcription may take every core for minutes; status polls and uploads must stay quick meanwhile.
    os.nice(10)
    from audio_pipeline.pipeline import TranscriptionPipeline

    settings = Settings()
    store = Store(settings.database())
    queue = SqlJobQueue(store)
    storage = FileStorage(settings.service_path())
    pipeline = TranscriptionPipeline(settings)
    while True:
        job = queue.claim(name)
        if job is None:
            time.sleep(_IDLE_POLL_S)
            continue
        run_job(job, pipeline, queue, storage, settings)


def run_job(job: ClaimedJob, pipeline: object, queue: SqlJobQueue, storage: FileStorage, settings: Settings) -> None:
    from audio_pipeline.pipeline import TranscribeOptions, TranscriptionPipeline

    assert isinstance(pipeline, TranscriptionPipeline)
    options = job.options
    try:
        hints = SessionHints.parse(options.get("attendees"), options.get("patient_age"), options.get("setting"))
        run_options = TranscribeOptions(
            num_speakers=options.get("num_speakers"),
            min_speakers=options.get("min_speakers"),
            max_speakers=options.get("max_speakers"),
            language=options.get("language"),
            session=hints,
        )
        transcript = pipeline.run(storage.audio(job.recording_id), run_options, _Progress(queue, job.id))
        storage.write_transcript(job.id, transcript.to_json())
    except JobCancelled:
        queue.cancelled(job.id)
        return
    except AllianceError as exc:
        queue.fail(job.id, exc.code, exc.message)
        return
    except Exception as exc:  # noqa: BLE001  (one job's bug must not take the worker down)
        logger.error("job failed unexpectedly (%s)", type(exc).__name__)
        queue.fail(job.id, "internal_error", f"internal error ({type(exc).__name__}); the server log has details")
        return
    if not queue.succeed(job.id):
        storage.delete_results(job.id)  # deleted or cancelled while it ran: keep nothing
        return
    if not settings.keep_audio:
        _release_audio(job.recording_id, queue.store, storage)


def _release_audio(recording_id: str, store: Store, storage: FileStorage) -> None:
    """Retention: the raw audio goes once no open job still needs it."""
    with store.session() as session:
        waiting = session.scalars(
            select(Job.id).where(Job.recording_id == recording_id, Job.state.in_(("queued", "running")))
        ).first()
        recording = session.get(Recording, recording_id)
        if waiting is not None or recording is None:
            return
        recording.audio_deleted_at = utcnow()
    storage.delete_audio(recording_id)
