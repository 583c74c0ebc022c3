"""Files the service keeps: uploaded audio and finished transcripts, owner-only, written atomically."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from audio_pipeline.files import atomic_write_text


class FileStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in (self.uploads, self.recordings, self.results):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"  # bodies being received; moved into recordings/ once accepted

    @property
    def recordings(self) -> Path:
        return self.root / "recordings"

    @property
    def results(self) -> Path:
        return self.root / "results"

    def audio(self, recording_id: str) -> Path:
        return self.recordings / recording_id  # no extension: the decoder sniffs the content

    def transcript(self, job_id: str) -> Path:
        return self.results / job_id / "transcript.json"

    def accept(self, spooled: Path, recording_id: str) -> Path:
        target = self.audio(recording_id)
        os.replace(spooled, target)
        return target

    def write_transcript(self, job_id: str, text: str) -> None:
        folder = self.results / job_id
        folder.mkdir(exist_ok=True, mode=0o700)
        atomic_write_text(self.transcript(job_id), text)

    def delete_audio(self, recording_id: str) -> None:
        self.audio(recording_id).unlink(missing_ok=True)

    def delete_results(self, job_id: str) -> None:
        shutil.rmtree(self.results / job_id, ignore_errors=True)

    def writable(self) -> bool:
        return os.access(self.root, os.W_OK) and os.access(self.uploads, os.W_OK)

    def clear_uploads(self) -> None:
        """Bodies a crash interrupted mid-upload: never accepted, so never referenced."""
        for leftover in self.uploads.iterdir():
            leftover.unlink(missing_ok=True)
