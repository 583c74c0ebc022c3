"""Every /v1 request is authenticated before any of its body is read, and bodies other than uploads are capped.

FastAPI reads and parses a JSON body before it runs the route's dependencies, so an API key checked by a
dependency is checked only after the whole body sits in memory: 200 MB sent without a key grew the process
by half a gigabyte before the 401. This pure ASGI layer runs first: the key (one, unambiguous), then, for
anything but an upload (which streams to disk under its own cap), a body of at most a few KB.
"""

from __future__ import annotations

import re

from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..keys import owner_of
from .problems import problem_response

JSON_BODY_CAP_BYTES = 16 * 1024  # a job request is a few hundred bytes; names and hints fit many times over
_UPLOAD = ("POST", "/v1/recordings")
# The review workspace (service/review/hosted.py) is a page for browsers: its sign-in form and its session
# cookie stand in for the key, and its own dependency checks them and the job's owner on every request.
_REVIEW_PATH = re.compile(r"^/v1/jobs/[^/]+/review(/.*)?$")


def presented_key(headers: Headers) -> tuple[str | None, bool]:
    """The API key the client sent, and whether it sent two different ones (Bearer and X-API-Key)."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    bearer = credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None
    header_key = headers.get("x-api-key") or None
    if bearer and header_key and bearer != header_key:
        return None, True
    return bearer or header_key, False


class Gate:
    def __init__(self, app: ASGIApp, service: object) -> None:
        from .deps import ServiceState

        assert isinstance(service, ServiceState)
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key, conflicting = presented_key(headers)
        if conflicting:
            await problem_response(
                400, "conflicting_credentials", "send one API key: the Bearer key and the X-API-Key header differ"
            )(scope, receive, send)
            return
        if _REVIEW_PATH.match(scope["path"]):
            await self._capped(headers, scope, receive, send)
            return
        owner = owner_of(self.service.store, key) if key else None
        if owner is None:
            client = scope["client"][0] if scope.get("client") else None
            await run_in_threadpool(self.service.store.audit, "auth_failed", None, None, client, 401)
            unauthorized = problem_response(401, "unauthorized", "a valid API key is required", {"WWW-Authenticate": "Bearer"})
            await unauthorized(scope, receive, send)
            return
        scope.setdefault("state", {})["owner"] = owner
        if (scope["method"], scope["path"].rstrip("/")) == _UPLOAD:
            await self.app(scope, receive, send)
            return
        await self._capped(headers, scope, receive, send)

    async def _capped(self, headers: Headers, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _capped_body(headers, receive)
        if body is None:
            await problem_response(413, "body_too_large", f"request bodies are limited to {JSON_BODY_CAP_BYTES // 1024} KB")(
                scope, receive, send
            )
            return
        await self.app(scope, _replay(body, receive), send)


async def _capped_body(headers: Headers, receive: Receive) -> bytes | None:
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > JSON_BODY_CAP_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > JSON_BODY_CAP_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
