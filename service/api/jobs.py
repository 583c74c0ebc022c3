"""Jobs: submit a recording for transcription, follow it, fetch the transcript in any export format."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from audio_pipeline.deid import deidentified
from audio_pipeline.errors import InputError
from audio_pipeline.export import FORMATS, ExportOptions, export
from audio_pipeline.request import RunHints
from audio_pipeline.schema import load_transcript

from .. import crud
from ..naming import export_file_name
from ..store import CLOSED_STATES, Job
from .deps import Owner, ServiceState, State, client_of, owned
from .problems import Problem, documented
from .recordings import owned_recording

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=documented(400, 401, 404, 413, 422))
Format = Literal["json", "maxqda", "qdpx", "vtt", "srt", "csv", "docx"]
_RETRY_AFTER_S = "30"


class JobRequest(RunHints):
    """A job: the recording and the run hints, validated by the library's one request model."""

    recording_id: str = Field(max_length=40)


class JobError(BaseModel):
    code: str
    message: str


class JobOut(BaseModel):
    id: str
    recording_id: str
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    stage: str | None
    percent: int
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: JobError | None
    formats: list[str] = Field(description="Formats the transcript can be fetched in, once the job has succeeded.")

    @classmethod
    def of(cls, job: Job) -> JobOut:
        error = JobError(code=job.error_code, message=job.error_message or "") if job.error_code else None
        return cls(
            id=job.id,
            recording_id=job.recording_id,
            state=job.state,  # type: ignore[arg-type]
            stage=job.stage,
            percent=job.percent,
            attempts=job.attempts,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            error=error,
            formats=list(FORMATS) if job.state == "succeeded" else [],
        )


def owned_job(service: ServiceState, owner: str, job_id: str) -> Job:
    return owned(service, Job, owner, job_id)


@router.post(
    "",
    status_code=202,
    response_model=JobOut,
    summary="Queue a recording for transcription and analysis",
    responses=documented(409, 429),
)
def submit(body: JobRequest, request: Request, response: Response, service: State, owner: Owner) -> JobOut:
    recording = owned_recording(service, owner, body.recording_id)
    if recording.audio_deleted_at is not None:
        raise Problem(409, "audio_deleted", "this recording's audio was deleted after its job; upload it again")
    limits = service.settings
    if service.queue.open_jobs(owner) >= limits.max_jobs_per_owner:
        raise Problem(429, "too_many_jobs", "you have as many open jobs as allowed; retry later", {"Retry-After": _RETRY_AFTER_S})
    if service.queue.open_jobs() >= limits.max_jobs_total:
        raise Problem(429, "queue_full", "the queue is full; retry later", {"Retry-After": _RETRY_AFTER_S})
    # The queue stores the dumped hints; the worker validates them back into the same model.
    job = service.queue.enqueue(owner, recording.id, body.model_dump(exclude={"recording_id"}, exclude_none=True))
    service.store.audit("job_submitted", owner, ("job", job.id), client_of(request), 202)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobOut.of(owned_job(service, owner, job.id))


@router.get("/{job_id}", response_model=JobOut, summary="A job's state, stage and progress")
async def status(job_id: str, service: State, owner: Owner) -> Response:
    # Serialised here, once: returning the model would have FastAPI validate it a second time on the hot path.
    return Response(JobOut.of(owned_job(service, owner, job_id)).model_dump_json(), media_type="application/json")


@router.get(
    "/{job_id}/transcript",
    summary="The finished transcript, in any export format",
    responses={
        200: {
            "description": "The transcript JSON, or the export file",
            "content": {"application/json": {}, "application/octet-stream": {}},
        },
        **documented(409, 410, 500),
    },
)
def transcript(
    job_id: str,
    request: Request,
    service: State,
    owner: Owner,
    format: Annotated[Format, Query(description="json or an export format")] = "json",
    deidentify: Annotated[
        bool, Query(description="A de-identified copy: names (from the job's names) and identifiers become tags.")
    ] = False,
) -> Response:
    job = owned_job(service, owner, job_id)
    if job.state != "succeeded":
        raise Problem(409, "not_ready", f"the job is {job.state}; the transcript exists once it has succeeded")
    try:
        text = service.storage.read_transcript(job_id)
    except FileNotFoundError:
        raise Problem(410, "transcript_purged", "this transcript was removed by the retention policy") from None
    service.store.audit(
        "transcript_deidentified_read" if deidentify else "transcript_read", owner, ("job", job_id), client_of(request), 200
    )
    if format == "json" and not deidentify:
        return Response(text, media_type="application/json")
    try:
        transcript = load_transcript(text)
        if deidentify:
            transcript = deidentified(transcript, job.options.get("names"), service.settings)
        if format == "json":
            return Response(transcript.to_json(), media_type="application/json")
        result = export(transcript, format, ExportOptions(service.settings.export_pause_threshold_s, title=job_id))
    except InputError as exc:
        raise Problem(500, "internal_error", "the stored transcript could not be read") from exc
    name = export_file_name(job_id, format, result.extension, deidentify)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(result.content, media_type=result.media_type, headers=headers)


@router.post(
    "/{job_id}/cancel",
    status_code=202,
    response_model=JobOut,
    summary="Cancel a queued or running job",
    responses=documented(409),
)
def cancel(job_id: str, request: Request, service: State, owner: Owner) -> JobOut:
    job = owned_job(service, owner, job_id)
    if job.state in CLOSED_STATES:
        raise Problem(409, "job_closed", f"the job is already {job.state}")
    service.queue.cancel(job_id)
    service.store.audit("job_cancelled", owner, ("job", job_id), client_of(request), 202)
    return JobOut.of(owned_job(service, owner, job_id))


@router.delete("/{job_id}", status_code=204, summary="Delete a job and its results (cancelling it if it runs)")
def delete(job_id: str, request: Request, service: State, owner: Owner) -> Response:
    owned_job(service, owner, job_id)
    crud.delete_job(service.store, service.storage, service.queue, job_id)
    service.store.audit("job_deleted", owner, ("job", job_id), client_of(request), 204)
    return Response(status_code=204)
