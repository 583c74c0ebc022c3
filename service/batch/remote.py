"""Running a batch on a running `alliance serve` instead of locally: same plan, state, outputs and summary.

Each recording is uploaded with an Idempotency-Key derived from its content and options only (never
from a name: the key is stored in the service's database), so a rerun after an interruption reuses
what the server already holds. When the server no longer holds the audio (it deletes it after a job
succeeds) or --force asks for the work again, the recording is uploaded afresh under a new key.
Transcripts and exports are fetched only once the job has succeeded, then written and committed
exactly as a local run does.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

import httpx

from audio_pipeline.errors import InputError
from audio_pipeline.export import exporter
from audio_pipeline.schema import load_transcript

from ..naming import export_file_name
from .state import BatchState, RunOptions
from .summary import SessionResult, stats_of
from .types import BatchReporter, Job, ProgressEvent, RemoteServer, ResultLog

logger = logging.getLogger(__name__)
_POLL_S = 1.0
_CLOSED = ("succeeded", "failed", "cancelled")


class _QueueFull(Exception):
    pass


def upload_key(content_key: str, fresh: bool = False) -> str:
    """The Idempotency-Key: from the content hash alone, with a random part when the work must be done again."""
    key = f"alliance-batch-{content_key[:40]}"
    return f"{key}-{secrets.token_hex(8)}" if fresh else key


class RemoteExecution:
    def __init__(
        self,
        jobs: list[Job],
        options: RunOptions,
        state: BatchState,
        reporter: BatchReporter,
        server: RemoteServer,
        force: bool = False,
    ) -> None:
        self.jobs, self.options, self.state, self.reporter = jobs, options, state, reporter
        self.force = force
        self.started: dict[str, float] = {}
        self.client = httpx.Client(
            base_url=server.url.rstrip("/"), headers={"Authorization": f"Bearer {server.api_key}"}, timeout=600
        )
        self.log = ResultLog(reporter)

    def run(self) -> list[SessionResult]:
        try:
            waiting = list(self.jobs)
            running: dict[str, Job] = {}
            while waiting or running:
                while waiting:
                    try:
                        remote_id = self._submit(waiting[0])
                    except _QueueFull:
                        break  # the server holds as many of our jobs as it allows: collect results first
                    job = waiting.pop(0)
                    if remote_id is not None:
                        running[remote_id] = job
                        self.started[remote_id] = time.perf_counter()
                self._poll(running)
                if running:
                    time.sleep(_POLL_S)
        except httpx.TransportError:
            raise InputError(
                "cannot reach the server given in --server; check the URL and that alliance serve is running"
            ) from None
        finally:
            self.client.close()
        return self.log.results

    def _check(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code == 401:
            raise InputError("the server refused the API key given in --api-key")
        body: dict[str, Any] = response.json()
        return body

    def _upload(self, job: Job, key: str) -> dict[str, Any]:
        with job.spec.audio_path.open("rb") as audio:
            return self._check(self.client.post("/v1/recordings", content=audio, headers={"Idempotency-Key": key}))

    def _submit(self, job: Job) -> str | None:
        """The server's job id; None when the server refused this session (recorded as its failure)."""
        spec = job.spec
        # job.key hashes the audio and the options (session_key); nothing in it is a name.
        key = upload_key(job.key, fresh=self.force)
        uploaded = self._upload(job, key)
        if uploaded.get("audio_deleted"):
            # The server finished this recording before and released its audio: send it again to redo the work.
            uploaded = self._upload(job, upload_key(job.key, fresh=True))
        if "id" not in uploaded:
            self._failed(job, uploaded.get("code", "upload_failed"), uploaded.get("detail", "the upload was refused"))
            return None
        hints = {k: v for k, v in spec.options().items() if v not in (None, "")}
        if self.options.deidentify and spec.names:
            hints["names"] = spec.names
        submitted = self.client.post("/v1/jobs", json={"recording_id": uploaded["id"], **hints})
        if submitted.status_code == 429:
            raise _QueueFull
        body = self._check(submitted)
        if submitted.status_code != 202:
            self._failed(job, body.get("code", "submit_failed"), body.get("detail", "the job was refused"))
            return None
        return str(body["id"])

    def _poll(self, running: dict[str, Job]) -> None:
        for remote_id, job in list(running.items()):
            status = self._check(self.client.get(f"/v1/jobs/{remote_id}"))
            self.reporter.progress(ProgressEvent(job.spec.session_id, status.get("stage") or "queued", status["percent"] / 100))
            if status["state"] not in _CLOSED:
                continue
            running.pop(remote_id)
            if status["state"] == "succeeded":
                self._collect(job, remote_id)
            else:
                error = status.get("error") or {"code": status["state"], "message": f"the job was {status['state']}"}
                self._failed(job, error["code"], error["message"])

    def _collect(self, job: Job, remote_id: str) -> None:
        session_id = job.spec.session_id
        outputs: dict[str, bytes] = {}
        for deidentify in (False, True) if self.options.deidentify else (False,):
            for fmt in self.options.formats:
                params = {"format": fmt, "deidentify": "true"} if deidentify else {"format": fmt}
                response = self.client.get(f"/v1/jobs/{remote_id}/transcript", params=params)
                if response.status_code != 200:
                    self._failed(job, "download_failed", f"the {fmt} output could not be fetched")
                    return
                outputs[export_file_name(session_id, fmt, exporter(fmt).extension, deidentify)] = response.content
        transcript = load_transcript(outputs[export_file_name(session_id, "json", "json")].decode("utf-8"))
        stats = stats_of(transcript)
        elapsed_s = time.perf_counter() - self.started.get(remote_id, time.perf_counter())
        record = self.state.save(session_id, job.key, outputs, stats, transcript.recording.sha256, elapsed_s)
        self.log.add(SessionResult(job.spec, "done", stats=stats, elapsed_s=record.elapsed_s), job)

    def _failed(self, job: Job, code: str, message: str) -> None:
        self.log.add(SessionResult(job.spec, "failed", error_code=code, error=message), job)
