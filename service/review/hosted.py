"""The workspace inside ``alliance serve``: ``/v1/jobs/{id}/review`` for a finished job, only for its owner.

A browser cannot send an API key header, so the key is exchanged once (sign-in form, or the header on the first
request) for a short-lived HttpOnly, SameSite=Strict cookie scoped to /v1/jobs/. The key itself stays in this
process's memory, so a revoked key ends its sessions within the key cache's 5 s. Every save is audited (who,
when, which job; never content).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from audio_pipeline.deid import deidentified
from audio_pipeline.schema import Transcript

from ..api.deps import ServiceState, client_of, owned
from ..api.problems import Problem
from ..keys import owner_of
from ..store import Job, Recording
from .backend import open_session
from .routes import review_router
from .security import cross_site, harden
from .workspace import Workspace

COOKIE = "alliance_review_session"
SESSION_S = 3600  # short-lived: an hour from sign-in
_MAX_OPEN = 4  # review sessions kept decoded in memory (an hour of audio is ~230 MB as samples)
NO_AUDIO = (
    "Playback and re-analysis need the audio kept: this service deletes a job's audio once it has succeeded, "
    "unless it runs with ALLIANCE_KEEP_AUDIO=true. Decisions still work."
)


class _Sessions:
    def __init__(self) -> None:
        self._by_id: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def open(self, key: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._by_id = {k: v for k, v in self._by_id.items() if v[1] > now}
            self._by_id[sid] = (key, now + SESSION_S)
        return sid

    def key(self, sid: str) -> str | None:
        with self._lock:
            found = self._by_id.get(sid)
        return found[0] if found and found[1] > time.monotonic() else None


_SESSIONS = _Sessions()
_OPEN: OrderedDict[tuple[str, bool], Workspace] = OrderedDict()
_OPEN_LOCK = threading.Lock()


def _service(request: Request) -> ServiceState:
    found: ServiceState = request.app.state.service
    return found


def _header_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.headers.get("x-api-key")


async def review_owner(request: Request) -> str:
    """The caller's owner, from an API key header or the review cookie; a cookie write must come from our page."""
    service = _service(request)
    key = _header_key(request)
    via_cookie = key is None
    if key is None:
        sid = request.cookies.get(COOKIE)
        key = _SESSIONS.key(sid) if sid else None
    owner = owner_of(service.store, key) if key else None
    if owner is None:
        await run_in_threadpool(service.store.audit, "auth_failed", None, None, client_of(request), 401)
        raise Problem(401, "unauthorized", "sign in with an API key to review this job", {"WWW-Authenticate": "Bearer"})
    if via_cookie and cross_site(request):
        raise Problem(403, "forbidden", "cross-site request refused")
    return owner


def _open_workspace(service: ServiceState, owner: str, job: Job, deid: bool, client: str | None) -> Workspace:
    with _OPEN_LOCK:
        found = _OPEN.get((job.id, deid))
        if found is not None:
            _OPEN.move_to_end((job.id, deid))
            return found
    with service.store.session() as session:
        recording = session.get(Recording, job.recording_id)
    audio = service.storage.audio(job.recording_id)
    kept = recording is not None and recording.audio_deleted_at is None and audio.is_file()
    # The de-identified view plays no audio: the service keeps no redacted copy, and the original has the voices.
    recorded = audio if kept and not deid else None
    review_session = open_session(service.storage.transcript(job.id), recorded, owner, service.settings)

    def audit(action: str) -> None:
        service.store.audit(f"review_{action}", owner, ("job", job.id), client, 200)

    def view(t: Transcript) -> Transcript:
        return deidentified(t, job.options.get("names"), service.settings)

    note = "" if kept else NO_AUDIO
    workspace = Workspace(
        session=review_session,
        audio=audio if kept and not deid else None,
        coder=owner,
        deidentified=deid,
        audio_note="The de-identified view plays no audio: only redacted audio may play, and the service keeps none."
        if deid
        else note,
        can_correct=kept and not deid,
        correct_note="Corrections are made on the identified transcript." if deid else note,
        title=job.id,
        on_save=audit,
        **({"view": view} if deid else {}),
    )
    with _OPEN_LOCK:
        _OPEN[(job.id, deid)] = workspace
        while len(_OPEN) > _MAX_OPEN:
            _OPEN.popitem(last=False)
    return workspace


def _job(service: ServiceState, owner: str, job_id: str) -> Job:
    job = owned(service, Job, owner, job_id)  # another owner's job answers 404, as one that never existed
    if job.state != "succeeded":
        raise Problem(409, "not_ready", f"the job is {job.state}; it can be reviewed once it has succeeded")
    if not service.storage.has_transcript(job_id):
        raise Problem(410, "transcript_purged", "this transcript was removed by the retention policy")
    return job


def _workspace_dep(deid: bool):  # type: ignore[no-untyped-def]
    async def workspace_of(request: Request, owner: Annotated[str, Depends(review_owner)]) -> Workspace:
        service = _service(request)
        job = _job(service, owner, request.path_params["job_id"])
        return await run_in_threadpool(_open_workspace, service, owner, job, deid, client_of(request))

    return workspace_of


def _sign_in(job_id: str, deid: bool) -> HTMLResponse:
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to review</title>
</head><body><main class="panel">
<h1>Sign in to review this job</h1>
<form method="post" action="/v1/jobs/{escape(job_id)}/review/session">
<label for="key">API key</label> <input id="key" name="key" type="password" autocomplete="off" required>
<input type="hidden" name="deidentify" value="{"true" if deid else "false"}">
<button type="submit">Open the review</button></form></main></body></html>"""
    return HTMLResponse(body, status_code=401)


router = APIRouter(tags=["review"])


@router.get("/v1/jobs/{job_id}/review", include_in_schema=False)  # a web page for browsers, described in the README
async def entry(
    job_id: str,
    request: Request,
    deidentify: Annotated[bool, Query(description="Review the de-identified copy (no audio).")] = False,
) -> Response:
    service = _service(request)
    key = _header_key(request)
    sid = request.cookies.get(COOKIE)
    if key is None and (not sid or _SESSIONS.key(sid) is None):
        return harden(_sign_in(job_id, deidentify))
    owner = await review_owner(request)
    _job(service, owner, job_id)
    await run_in_threadpool(service.store.audit, "review_opened", owner, ("job", job_id), client_of(request), 200)
    target = f"/v1/jobs/{job_id}/review/{'deidentified/' if deidentify else ''}"
    response = RedirectResponse(target, status_code=303)
    if key is not None:
        _set_cookie(response, _SESSIONS.open(key))
    return response


@router.post("/v1/jobs/{job_id}/review/session", include_in_schema=False)
async def sign_in(job_id: str, request: Request) -> Response:
    if cross_site(request, require_header=False):
        raise Problem(403, "forbidden", "cross-site request refused")
    form = await request.form()
    key = str(form.get("key", ""))
    deid = form.get("deidentify") == "true"
    service = _service(request)
    if not key or owner_of(service.store, key) is None:
        await run_in_threadpool(service.store.audit, "auth_failed", None, None, client_of(request), 401)
        return harden(_sign_in(job_id, deid))
    response = RedirectResponse(f"/v1/jobs/{job_id}/review{'?deidentify=true' if deid else ''}", status_code=303)
    _set_cookie(response, _SESSIONS.open(key))
    return response


def _set_cookie(response: Response, sid: str) -> None:
    response.set_cookie(COOKIE, sid, max_age=SESSION_S, httponly=True, samesite="strict", path="/v1/jobs/")


def install(app: FastAPI) -> None:
    """Mount the workspace in the service: the entry and sign-in routes, the page's routes for both views, headers."""
    app.include_router(router)
    app.include_router(review_router(_workspace_dep(False)), prefix="/v1/jobs/{job_id}/review")
    app.include_router(review_router(_workspace_dep(True)), prefix="/v1/jobs/{job_id}/review/deidentified")

    @app.middleware("http")
    async def review_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        return harden(response) if "/review" in request.url.path else response
