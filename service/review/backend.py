"""The review session behind the workspace (the library's ``ReviewSession``), opened the way the web layer needs."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from audio_pipeline.errors import AllianceError, ReviewConflictError
from audio_pipeline.review.session import ReviewSession
from audio_pipeline.review.store import ReviewStore
from audio_pipeline.schema import Transcript
from audio_pipeline.settings import Settings

logger = logging.getLogger(__name__)


def open_session(transcript: Path, recording: Path | None, coder: str, settings: Settings) -> ReviewSession:
    """A review session on the transcript file; ``recording`` is what re-analysis decodes (None: decisions only).

    The recording is decoded and measured in the background at once, so the coder's first correction does
    not wait for an hour of audio to decode.
    """
    from audio_pipeline.pipeline import TranscriptionPipeline

    session = ReviewSession(ReviewStore(transcript), recording, TranscriptionPipeline(settings), coder)
    if session.can_correct:
        threading.Thread(target=_prepare, args=(session,), daemon=True, name="review-prepare").start()
    return session


def _prepare(session: ReviewSession) -> None:
    try:
        session.prepare()
    except AllianceError as exc:  # the first correction will report it to the coder
        logger.warning("could not prepare re-analysis: %s", exc.code)


def conflict_revision(exc: AllianceError) -> int | None:
    """The stored revision when ``exc`` says a save started from a stale one, else None."""
    return exc.current_revision if isinstance(exc, ReviewConflictError) else None


def dump(t: Transcript) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(t.model_dump_json())
    return loaded
