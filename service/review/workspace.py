"""One transcript under review, as the web layer sees it: session, audio, view and audit hook."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audio_pipeline.errors import InputError
from audio_pipeline.review import silence_statuses
from audio_pipeline.review.session import ReviewSession
from audio_pipeline.schema import Transcript

from .backend import dump

NO_AUDIO_NOTE = "Playback and re-analysis need the audio kept: this recording's audio is not available here."


@dataclass
class Workspace:
    session: ReviewSession
    audio: Path | None  # what the player streams; for a de-identified copy, only redacted audio
    coder: str
    deidentified: bool = False
    audio_note: str = ""
    can_correct: bool = True
    correct_note: str = ""
    title: str = "Consultation"
    view: Callable[[Transcript], Transcript] = field(default=lambda t: t)
    on_save: Callable[[str], None] = field(default=lambda action: None)

    def payload(self, transcript: Transcript | None = None) -> dict[str, Any]:
        t = self.view(transcript if transcript is not None else self.session.transcript)
        statuses = [
            {
                "pause_id": s.pause.id,
                "state": s.state,
                "candidate_id": s.candidate.id if s.candidate else None,
                "decision_id": s.decision.id if s.decision else None,
                "note": s.decision.note if s.decision else "",
                "added_by_coder": bool(s.decision and s.decision.added_by_coder),
            }
            for s in silence_statuses(t)
        ]
        return {
            "transcript": dump(t),
            "statuses": statuses,
            "meta": {
                "revision": t.review.revision if t.review else 0,
                "coder": self.coder,
                "deidentified": self.deidentified,
                "audio": self.audio is not None,
                "audio_note": "" if self.audio is not None else (self.audio_note or NO_AUDIO_NOTE),
                "can_correct": self.can_correct,
                "correct_note": self.correct_note,
                "title": self.title,
            },
        }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_audio(transcript: Transcript, audio: Path) -> None:
    """Only the recording the transcript came from, and for a de-identified copy never the original voices."""
    same = sha256_of(audio) == transcript.recording.sha256
    deid = transcript.deidentification
    # With nothing replaced, the redacted copy is the original byte for byte, and there is nothing to hide in it.
    if deid is not None and same and sum(deid.replaced.values()) > 0:
        raise InputError(
            "this is the original recording; a de-identified review plays only redacted audio "
            "(give the .deid.wav written by --deidentify-audio, or no --audio)"
        )
    if transcript.deidentification is None and not same:
        raise InputError("the recording does not match the transcript (its SHA-256 differs); give the recording it came from")


def audio_media_type(path: Path) -> str:
    """Browsers need a type to play; the service stores audio without an extension, so sniff the content."""
    with path.open("rb") as handle:
        head = handle.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head[:4] == b"\x1aE\xdf\xa3":
        return "audio/webm"
    return "application/octet-stream"
