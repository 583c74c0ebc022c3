"""Every error answer is application/problem+json (RFC 9457) with a stable ``code``; never a bare 500."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from audio_pipeline.errors import AllianceError, InputError
from audio_pipeline.request import FieldProblem, field_message, json_pointer

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
    503: "Not ready",
}


class ProblemOut(BaseModel):
    """An error answer (RFC 9457 problem details) with our stable code."""

    type: str
    title: str
    status: int
    detail: str
    code: str


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem answers a route can give."""
    return {
        status: {"model": ProblemOut, "description": _TITLES.get(status, "Error"), "content": {MEDIA_TYPE: {}}}
        for status in statuses
    }


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


def problem_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": f"urn:alliance:problem:{code}", "title": _TITLES.get(status, "Error"), "status": status}
    body |= {"detail": detail, "code": code}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    methods: set[str] = set()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            methods |= route.methods or set()
    return sorted(methods)


def not_found(kind: str) -> Problem:
    # Another owner's id answers exactly like an id that never existed.
    return Problem(404, f"{kind}_not_found", f"no {kind} with this id")


def _described(errors: Sequence[Any]) -> list[str]:
    """Each invalid field as a JSON pointer into the body ("/max_speakers must be at most 20"), in our words."""
    found: dict[str, None] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        where = loc[1:] if loc[:1] == ["body"] else loc
        pointer = "/" + "/".join(where) if where else "request body"
        found[FieldProblem(pointer, field_message(error)).describe(str, json_pointer)] = None
    return list(found)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(422, "invalid_request", "; ".join(_described(exc.errors())) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first matching route's methods; a path served by several routes has more.
            headers["Allow"] = ", ".join(_allowed_methods(app, request.url.path))
        return problem_response(exc.status_code, code, str(exc.detail), headers)

    @app.exception_handler(AllianceError)
    async def _ours(_request: Request, exc: AllianceError) -> JSONResponse:
        return problem_response(422 if isinstance(exc, InputError) else 503, exc.code, exc.message)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.error("unexpected error (%s)", type(exc).__name__)  # no message: it could quote content
        return problem_response(500, "internal_error", "the server failed to handle this request; it has been logged")
