"""The workspace's routes, relative to wherever they are mounted (``/`` locally, a job's review path in the service).

Every URL the page uses is relative, so one page and one router serve both. Routes stay thin: the
review session does the work, ``Workspace.payload`` shapes the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from audio_pipeline.errors import AllianceError, InputError
from audio_pipeline.export import ExportOptions, export
from audio_pipeline.review.corrections import parse_correction

from .backend import conflict_revision
from .workspace import Workspace, audio_media_type

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".png": "image/png", ".svg": "image/svg+xml"}


class Base(BaseModel):
    base_revision: int = Field(ge=0, description="The revision the page showed when the coder acted.")


class DecisionIn(Base):
    target: Literal["silence", "suggestion"]
    pause_id: str | None = Field(None, max_length=40)
    suggestion_id: str | None = Field(None, max_length=40)
    decision: Literal["confirmed", "rejected", "unsure"]
    note: str = Field("", max_length=2000)


class CorrectionIn(Base):
    correction: dict[str, Any]


def conflict_message(current: int) -> str:
    return (
        f"This transcript was saved from another tab or window since this page loaded (it is now at revision {current}). "
        "Your change was not saved and nothing else was lost: reload to see the latest version, then make it again."
    )


def _error(exc: AllianceError) -> JSONResponse:
    current = conflict_revision(exc)
    if current is not None:
        return JSONResponse({"error": conflict_message(current), "code": "conflict", "revision": current}, status_code=409)
    return JSONResponse({"error": exc.message, "code": getattr(exc, "code", "bad_input")}, status_code=422)


def review_router(workspace_of: Callable[[Request], Awaitable[Workspace]]) -> APIRouter:
    router = APIRouter()
    # A default, not Annotated: this module's annotations are strings, resolved in module scope, where a local alias is not.
    current = Depends(workspace_of)

    async def save(ws: Workspace, action: str, call: Callable[[], Any]) -> Response:
        try:
            saved = await run_in_threadpool(call)
        except AllianceError as exc:
            return _error(exc)
        ws.on_save(action)
        return JSONResponse(await run_in_threadpool(ws.payload, saved))

    @router.get("/", include_in_schema=False)
    async def page(ws: Workspace = current) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html", headers={"Cache-Control": "no-store"})

    @router.get("/static/{name}", include_in_schema=False)
    async def static(name: str, ws: Workspace = current) -> Response:
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file() or path.suffix not in _STATIC_TYPES:
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(path, media_type=_STATIC_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})

    @router.get("/api/transcript", include_in_schema=False)
    async def transcript(ws: Workspace = current) -> Response:
        return JSONResponse(await run_in_threadpool(ws.payload), headers={"Cache-Control": "no-store"})

    @router.post("/api/decisions", include_in_schema=False)
    async def decide(body: DecisionIn, ws: Workspace = current) -> Response:
        t = ws.session.transcript
        kwargs: dict[str, Any]
        if body.target == "silence":
            pause = next((p for p in t.pauses if p.id == body.pause_id), None)
            if pause is None:
                return _error(InputError("pause_id: no such pause; reload the page"))
            flagged = any(c.pause_id == pause.id for c in t.silence_candidates)
            if not flagged and pause.duration_s < 5.0:
                return _error(InputError("only a pause of 5 s or more can be marked as a Silence"))
            kwargs = {"start_s": pause.start_s, "end_s": pause.end_s, "added_by_coder": not flagged}
        else:
            sug = next((s for s in t.code_suggestions if s.id == body.suggestion_id), None)
            seg = next((s for s in t.segments if sug and s.id == sug.segment_id), None)
            if sug is None or seg is None:
                return _error(InputError("suggestion_id: no such suggestion; reload the page"))
            kwargs = {"start_s": seg.start_s, "end_s": seg.end_s, "code": sug.code, "text": sug.text}
        return await save(
            ws,
            "decision",
            lambda: ws.session.decide(body.base_revision, target=body.target, decision=body.decision, note=body.note, **kwargs),
        )

    @router.post("/api/decisions/{decision_id}/clear", include_in_schema=False)
    async def undecide(decision_id: str, body: Base, ws: Workspace = current) -> Response:
        return await save(ws, "decision", lambda: ws.session.undecide(body.base_revision, decision_id))

    @router.post("/api/corrections", include_in_schema=False)
    async def correct(body: CorrectionIn, ws: Workspace = current) -> Response:
        if not ws.can_correct:
            return _error(InputError(ws.correct_note or "corrections are not available here"))
        try:
            correction = parse_correction(body.correction)
        except AllianceError as exc:
            return _error(exc)
        return await save(ws, "correction", lambda: ws.session.correct(body.base_revision, correction))

    @router.post("/api/undo", include_in_schema=False)
    async def undo(body: Base, ws: Workspace = current) -> Response:
        return await save(ws, "undo", lambda: ws.session.undo(body.base_revision))

    @router.get("/audio", include_in_schema=False)
    async def audio(ws: Workspace = current) -> Response:
        # FileResponse answers Range requests (206, Content-Range) and advertises Accept-Ranges, so the
        # player starts at once and a seek fetches only the bytes it needs.
        if ws.audio is None or not ws.audio.is_file():
            return JSONResponse({"error": ws.audio_note or "no audio"}, status_code=404)
        return FileResponse(ws.audio, media_type=audio_media_type(ws.audio), headers={"Cache-Control": "no-store"})

    @router.get("/export.qdpx", include_in_schema=False)
    async def export_qdpx(ws: Workspace = current) -> Response:
        t = ws.view(ws.session.transcript)
        result = await run_in_threadpool(export, t, "qdpx", ExportOptions(title=ws.title))
        ws.on_save("export")
        headers = {"Content-Disposition": 'attachment; filename="review.qdpx"', "Cache-Control": "no-store"}
        return Response(result.content, media_type=result.media_type, headers=headers)

    return router
