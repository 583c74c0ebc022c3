"""The FastAPI application: thin routes over the store, the queue and the file storage."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.telemetry import TelemetryConfig
from fastapi_offline import FastAPIOffline
from sqlalchemy import text

from audio_pipeline import __version__
from audio_pipeline.errors import ModelError
from audio_pipeline.models import resolve_asr, resolve_diarization

from ..review import hosted as review
from . import jobs, problems, recordings
from .deps import ServiceState, State
from .gate import Gate
from .problems import Problem, documented

# FastAPI records requests, validation failures (with their input values) and exceptions through OpenTelemetry,
# and exports them when FASTAPI_OTEL_AUTO_CONFIGURE=true. Request data here is PHI, so all of it is off, whatever
# the environment says; it also saves a third of the cost of a status poll.
NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def create_app(service: ServiceState) -> FastAPI:
    docs = service.settings.api_docs
    # The doc pages' scripts and styles come from the fastapi-offline package, served here: a PHI service's pages
    # load nothing from a CDN and no web font. The schema holds no data (only what the README documents), so it
    # needs no key; ALLIANCE_API_DOCS=false removes the pages and the schema altogether.
    shared: dict[str, Any] = {
        "title": "alliance",
        "version": __version__,
        "description": "Transcripts of recorded clinical conversations, coded for therapeutic alliance. "
        "Every route under /v1 needs an API key (Authorization: Bearer KEY, or X-API-Key; not two different ones).",
        "telemetry": NO_TELEMETRY,
    }
    if docs:
        # validatorUrl null: Swagger UI would otherwise send the schema to an online validator for its badge.
        shared["swagger_ui_parameters"] = {"validatorUrl": None}
        app = FastAPIOffline(docs_url="/docs", redoc_url="/redoc", static_url="/docs-assets", **shared)
    else:
        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, **shared)
    app.state.service = service
    problems.install(app)
    app.add_middleware(Gate, service=service)  # added first, so it runs last of the middleware: CORS answers first
    if service.settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=service.settings.cors_origins, allow_methods=["*"], allow_headers=["*"])
    app.include_router(recordings.router)
    app.include_router(jobs.router)
    review.install(app)  # /v1/jobs/{id}/review: the review workspace for a finished job

    @app.get("/healthz", tags=["health"], summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Models resolvable, storage writable, queue alive (celery: database and broker reachable)",
        responses=documented(503),
    )
    def readyz(service: State) -> dict[str, Any]:
        if service.settings.queue == "celery":
            # The models live on the worker hosts; this process needs its database and the broker.
            checks = {"storage": service.storage.writable(), "database": _database_up(service), "broker": _broker_up(service)}
        else:
            checks = {"models": _models_ready(service), "storage": service.storage.writable(), "queue": _queue_alive(service)}
        if not all(checks.values()):
            failing = ", ".join(name for name, ok in checks.items() if not ok)
            raise Problem(503, "not_ready", f"not ready: {failing}")
        return {"status": "ready", "checks": checks}

    return app


def _models_ready(service: ServiceState) -> bool:
    settings = service.settings
    try:
        resolve_asr(settings.asr_model or "small.en", settings)
        resolve_diarization(settings.diarization_model, settings)
    except ModelError:
        return False
    return True


def _database_up(service: ServiceState) -> bool:
    try:
        with service.store.session() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001  (any database failure means not ready; the probe must answer, not crash)
        return False
    return True


def _broker_up(service: ServiceState) -> bool:
    reachable = getattr(service.queue, "broker_reachable", None)
    return bool(reachable is not None and reachable())


def _queue_alive(service: ServiceState) -> bool:
    return _database_up(service) and service.workers_alive()
