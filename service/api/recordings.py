"""Uploading recordings: streamed to disk under a size cap, sniffed and probed before they are accepted."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from audio_pipeline import audio
from audio_pipeline.errors import InputError

from .. import crud
from ..store import Recording, new_id
from .deps import Owner, ServiceState, State, client_of, owned
from .problems import Problem, documented

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/recordings", tags=["recordings"], responses=documented(400, 401, 404, 413, 422))
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            # Any other Content-Type (audio/wav, audio/mp4...) is read the same way: the content decides, not the label.
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}
            },
        },
    }
}


class RecordingOut(BaseModel):
    id: str
    sha256: str
    size_bytes: int
    duration_s: float | None
    created_at: datetime
    audio_deleted: bool

    @classmethod
    def of(cls, row: Recording) -> RecordingOut:
        return cls(
            id=row.id,
            sha256=row.sha256,
            size_bytes=row.size_bytes,
            duration_s=row.duration_s,
            created_at=row.created_at,
            audio_deleted=row.audio_deleted_at is not None,
        )


class _Spool:
    """Writes a body to disk while hashing and counting it; refuses it the moment it passes the cap."""

    def __init__(self, path: Path, cap_bytes: int) -> None:
        self.path, self.cap = path, cap_bytes
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.handle: BinaryIO = path.open("wb")
        path.chmod(0o600)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.cap:
            raise _too_large(self.cap)
        self.sha256.update(chunk)
        self.handle.write(chunk)

    def close(self) -> None:
        self.handle.close()


def _too_large(cap: int) -> Problem:
    return Problem(413, "upload_too_large", f"uploads are limited to {cap // (1024 * 1024)} MiB")


async def _receive(request: Request, spool: _Spool) -> None:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        await _receive_multipart(request, spool, content_type)
        return
    async for chunk in request.stream():
        spool.write(chunk)


async def _receive_multipart(request: Request, spool: _Spool, content_type: str) -> None:
    """The first file part goes straight to the spool; nothing is buffered in memory or a temp file."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise Problem(400, "invalid_multipart", "the multipart body has no boundary")
    parts = {"current": 0, "file": 0}
    headers: dict[str, bytes] = {}
    field: list[bytes] = [b""]

    def on_part_begin() -> None:
        parts["current"] += 1
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        field[0] = data[start:end].lower()

    def on_header_value(data: bytes, start: int, end: int) -> None:
        headers[field[0].decode("latin-1")] = headers.get(field[0].decode("latin-1"), b"") + data[start:end]

    def on_part_data(data: bytes, start: int, end: int) -> None:
        disposition = headers.get("content-disposition", b"")
        if b"filename=" in disposition or b'name="file"' in disposition:
            if parts["file"] in (0, parts["current"]):
                parts["file"] = parts["current"]
                spool.write(data[start:end])

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_part_data": on_part_data,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        raise Problem(400, "invalid_multipart", "the multipart body is malformed") from None
    if parts["file"] == 0:
        raise Problem(422, "no_file", "the multipart body has no file part (send the audio as a field named 'file')")


@router.post(
    "",
    status_code=201,
    response_model=RecordingOut,
    summary="Upload a recording (raw body, or multipart with a 'file' part); Idempotency-Key makes retries safe",
    responses={200: {"model": RecordingOut, "description": "Already uploaded with this Idempotency-Key"}, **documented(400, 413)},
    openapi_extra=_UPLOAD_BODY,
)
async def upload(
    request: Request,
    response: Response,
    service: State,
    owner: Owner,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> RecordingOut:
    cap = service.settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap + 64 * 1024:  # room for multipart framing
        raise _too_large(cap)
    spool = _Spool(service.storage.uploads / new_id("upload"), cap)
    try:
        try:
            await _receive(request, spool)
        finally:
            spool.close()
        if spool.size == 0:
            raise Problem(422, "empty_recording", "the upload is empty")
        digest = spool.sha256.hexdigest()
        if idempotency_key:
            existing = _by_idempotency_key(service, owner, idempotency_key)
            if existing is not None:
                response.status_code = 200
                return _replayed(existing, digest)
        limits = service.settings.audio_limits()
        try:
            probed = await run_in_threadpool(audio.probe, spool.path, limits)
        except InputError as exc:
            raise Problem(422, exc.code, exc.message) from None
        row = Recording(
            id=new_id("rec"),
            owner=owner,
            sha256=digest,
            size_bytes=spool.size,
            duration_s=probed.declared_duration_s,
            idempotency_key=idempotency_key,
        )
        stored = await run_in_threadpool(_store, service, row, spool.path)
        if stored is not row:
            response.status_code = 200  # a concurrent upload with the same key won: answer as its replay
            return _replayed(stored, digest)
    finally:
        spool.path.unlink(missing_ok=True)
    service.store.audit("recording_uploaded", owner, ("recording", row.id), client_of(request), 201)
    return RecordingOut.of(row)


def _replayed(existing: Recording, digest: str) -> RecordingOut:
    if existing.sha256 != digest:
        raise Problem(422, "idempotency_key_reused", "this Idempotency-Key was used with a different body")
    return RecordingOut.of(existing)


def _store(service: ServiceState, row: Recording, spooled: Path) -> Recording:
    """Row and file together or neither: the row is inserted first (a taken key fails here, before any move), the
    file moved into place inside the same transaction, and removed again if the commit fails. A crash between the
    move and the commit leaves a file without a row, which retention removes (crud.purge_orphans)."""
    try:
        with service.store.session() as session:
            session.add(row)
            session.flush()
            service.storage.accept(spooled, row.id)
    except IntegrityError:
        service.storage.delete_audio(row.id)
        if row.idempotency_key is not None:
            winner = _by_idempotency_key(service, row.owner, row.idempotency_key)
            if winner is not None:
                return winner
        raise
    except BaseException:
        service.storage.delete_audio(row.id)
        raise
    return row


def _by_idempotency_key(service: ServiceState, owner: str, key: str) -> Recording | None:
    with service.store.session() as session:
        return session.scalars(select(Recording).where(Recording.owner == owner, Recording.idempotency_key == key)).first()


def owned_recording(service: ServiceState, owner: str, recording_id: str) -> Recording:
    return owned(service, Recording, owner, recording_id)


@router.get("/{recording_id}", response_model=RecordingOut, summary="A recording's metadata")
def get_recording(recording_id: str, service: State, owner: Owner) -> RecordingOut:
    return RecordingOut.of(owned_recording(service, owner, recording_id))


@router.delete("/{recording_id}", status_code=204, summary="Delete a recording, its audio and every result made from it")
def delete_recording(recording_id: str, request: Request, service: State, owner: Owner) -> Response:
    owned_recording(service, owner, recording_id)
    crud.delete_recording(service.store, service.storage, service.queue, recording_id)
    service.store.audit("recording_deleted", owner, ("recording", recording_id), client_of(request), 204)
    return Response(status_code=204)
