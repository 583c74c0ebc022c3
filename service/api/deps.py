"""What routes share: the service's state, the caller's identity (API key), and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from ..jobs.queue import JobQueue
from ..keys import owner_of
from ..settings import ServiceSettings
from ..storage import Storage
from ..store import Job, Recording, Store
from .problems import Problem, not_found

Row = TypeVar("Row", Recording, Job)


@dataclass
class ServiceState:
    settings: ServiceSettings
    store: Store
    queue: JobQueue
    storage: Storage
    workers_alive: Callable[[], bool] = lambda: True


async def state(request: Request) -> ServiceState:  # async: no I/O, so no thread-pool hop per request
    found: ServiceState = request.app.state.service
    return found


_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="or X-API-Key: <API key>")


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


async def current_owner(
    request: Request,
    service: Annotated[ServiceState, Depends(state)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
) -> str:
    # The gate (gate.py) authenticated every /v1 request before its body was read; the declared credentials above
    # only document the scheme in the OpenAPI schema. Without the gate (an app built otherwise), check here alike.
    checked: str | None = getattr(request.state, "owner", None)
    if checked is not None:
        return checked
    # async, so that a status poll costs no thread hop: a key seen in the last seconds is checked in memory, else by
    # one indexed read (tens of microseconds). Handing those reads to threads made every poll in flight wait.
    if bearer and header_key and bearer.credentials != header_key:
        raise Problem(400, "conflicting_credentials", "send one API key: the Bearer key and the X-API-Key header differ")
    key = bearer.credentials if bearer else header_key
    owner = owner_of(service.store, key) if key else None
    if owner is None:
        await run_in_threadpool(service.store.audit, "auth_failed", None, None, client_of(request), 401)
        raise Problem(401, "unauthorized", "a valid API key is required", {"WWW-Authenticate": "Bearer"})
    return owner


_ID_MAX = 40  # the id columns' width (store.py); every id we issue is 36 characters


def owned(service: ServiceState, model: type[Row], owner: str, row_id: str) -> Row:
    """The row if the caller owns it; another owner's id answers exactly like one that never existed."""
    if len(row_id) > _ID_MAX or "\x00" in row_id:  # not one of ours; PostgreSQL would refuse a NUL with an error
        raise not_found(model.__tablename__.removesuffix("s"))
    with service.store.session() as session:
        row = session.get(model, row_id)
    if row is None or row.owner != owner:
        raise not_found(model.__tablename__.removesuffix("s"))
    return row


State = Annotated[ServiceState, Depends(state)]
Owner = Annotated[str, Depends(current_owner)]
