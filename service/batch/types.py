"""The batch's shared types: what a run is asked to do, its jobs, events and report, and who hears about them.

Local and remote execution, the display and the runner all import from here, never from each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .manifest import SessionSpec
from .summary import SessionResult


class BatchInterrupted(Exception):
    def __init__(self, finished: int, remaining: int) -> None:
        super().__init__("interrupted")
        self.finished = finished
        self.remaining = remaining


@dataclass(frozen=True)
class RemoteServer:
    url: str
    api_key: str


@dataclass(frozen=True)
class BatchRequest:
    input_dir: Path
    out_dir: Path
    manifest: Path | None = None
    workers: int | None = None
    formats: tuple[str, ...] = ("json",)
    skip_invalid: bool = False
    force: bool = False
    server: RemoteServer | None = None  # run on a running `alliance serve` instead of locally
    deidentify: bool = False  # also write de-identified copies (names from the manifest's names column)


@dataclass(frozen=True)
class Job:
    spec: SessionSpec
    key: str
    duration_s: float | None


@dataclass(frozen=True)
class ProgressEvent:
    session_id: str
    stage: str
    fraction: float


@dataclass
class BatchReport:
    results: list[SessionResult]
    workers: int
    elapsed_s: float
    summary_paths: tuple[Path, ...] = ()
    warnings: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


class BatchReporter(Protocol):
    def planned(self, jobs: list[Job], skipped: int, workers: int, warnings: tuple[str, ...]) -> None: ...
    def progress(self, event: ProgressEvent) -> None: ...
    def session_finished(self, result: SessionResult, job: Job) -> None: ...
    def finished(self, report: BatchReport) -> None: ...


class Execution(Protocol):
    """Runs the jobs (in local worker processes, or on a running service) and returns one result per job."""

    def run(self) -> list[SessionResult]: ...


class ResultLog:
    """Every execution records a session's result and tells the reporter the same way."""

    def __init__(self, reporter: BatchReporter) -> None:
        self.reporter = reporter
        self.results: list[SessionResult] = []

    def add(self, result: SessionResult, job: Job) -> None:
        self.results.append(result)
        self.reporter.session_finished(result, job)
