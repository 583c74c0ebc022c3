"""The app behind ``alliance review``: one transcript, one coder, on 127.0.0.1."""

from __future__ import annotations

from fastapi import FastAPI, Request

from ..api.app import NO_TELEMETRY
from .routes import review_router
from .security import LocalGate
from .workspace import Workspace


def create_local_app(workspace: Workspace, gate: LocalGate) -> FastAPI:
    app = FastAPI(title="alliance review", docs_url=None, redoc_url=None, openapi_url=None, telemetry=NO_TELEMETRY)

    async def current(request: Request) -> Workspace:
        return workspace

    app.include_router(review_router(current))
    app.middleware("http")(gate)
    return app
