"""`alliance serve`: the API under uvicorn, job workers beside it, closed by default."""

from __future__ import annotations

import gc
import logging

from audio_pipeline.errors import InvalidOptionError

from .api.app import create_app
from .api.deps import ServiceState
from .api.guard import contain_errors
from .jobs.queue import JobQueue, SqlJobQueue
from .jobs.supervisor import Supervisor
from .keys import any_keys
from .logs import configure, uvicorn_log_config
from .migrate import ensure_migrated
from .settings import ServiceSettings
from .storage import open_storage
from .store import Store

logger = logging.getLogger(__name__)


def open_state(settings: ServiceSettings) -> ServiceState:
    root = settings.service_path()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = ensure_migrated(settings, Store(settings.database()))  # one line naming 'alliance db upgrade' if not
    return ServiceState(settings, store, open_queue(settings, store), open_storage(root))


def open_queue(settings: ServiceSettings, store: Store) -> JobQueue:
    if settings.queue == "celery":
        from .jobs.celery_queue import CeleryJobQueue  # imports Celery only where it is used

        return CeleryJobQueue(store, settings)
    return SqlJobQueue(store)


def check_safe(settings: ServiceSettings, store: Store) -> None:
    """Refuse to expose the service before any key exists (the other unsafe settings fail as they are read)."""
    if not settings.loopback_only and not any_keys(store):
        raise InvalidOptionError(
            f"refusing to listen on {settings.service_host} with no API keys: anyone could reach the service; "
            "create one with 'alliance keys create --owner NAME' first"
        )


def serve(settings: ServiceSettings, log_level: int) -> None:
    import uvicorn

    configure(log_level)  # even under --debug: a service's log must never quote request content
    state = open_state(settings)
    check_safe(settings, state.store)
    supervisor = Supervisor(settings, state.store, state.storage, state.queue, log_level)
    state.workers_alive = supervisor.alive
    supervisor.start()
    app = create_app(state)
    # What exists now lives as long as the process; frozen, it is no longer walked by every full collection,
    # which otherwise stalls all requests in flight for tens of milliseconds.
    gc.collect()
    gc.freeze()
    try:
        # No access log: the audit trail records who did what, without request details. Tracebacks reach no log
        # with values, whatever --debug says: the guard keeps them from uvicorn, the formatter from every handler.
        uvicorn.run(
            contain_errors(app),
            host=settings.service_host,
            port=settings.service_port,
            access_log=False,
            log_level="warning",
            log_config=uvicorn_log_config(logging.WARNING),
        )
    finally:
        supervisor.stop()
