"""Runs a batch: plan, skip what is done, process the rest in worker processes, write the summary.

The parent process is the only writer in OUT_DIR. Workers are separate processes so that a
decoder crash or an out-of-memory kill fails one session, not the batch.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from audio_pipeline.audio import probe_duration_s, sha256_of
from audio_pipeline.settings import Settings

from ..output import atomic_write_bytes
from .manifest import SessionSpec
from .plan import Plan, build_plan
from .remote import RemoteExecution, RemoteServer
from .report import summary_html
from .state import BatchState, RunOptions, exclusive, session_key
from .summary import SessionResult, summary_csv
from .worker import ProgressEvent, SessionOutcome, init_worker, process_session

logger = logging.getLogger(__name__)

_GIB = 1024**3
_WORKER_MEMORY_BYTES = 3 * _GIB  # small.en + community-1 peaked at 2.2 GB on CPU (scripts/bench.py)
_MAX_ATTEMPTS = 2  # a session whose worker process dies twice is failed, not retried forever


class BatchInterrupted(Exception):
    def __init__(self, finished: int, remaining: int) -> None:
        super().__init__("interrupted")
        self.finished = finished
        self.remaining = remaining


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


def default_workers(cores: int, available_bytes: int, device: str) -> int:
    """Workers that fit the machine: memory first, then cores (engines use several threads each), then the device."""
    by_memory = max(1, available_bytes // _WORKER_MEMORY_BYTES)
    if device == "cuda":
        # Two workers share one GPU well: one decodes and analyses on the CPU while the other uses the GPU.
        return int(max(1, min(2, by_memory, cores)))
    return int(max(1, min(cores // 2, by_memory)))


def _available_memory_bytes() -> int:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 4 * _GIB


def run_batch(request: BatchRequest, reporter: BatchReporter, log_level: int = logging.WARNING) -> BatchReport:
    started = time.perf_counter()
    plan = build_plan(request.input_dir, request.manifest, request.skip_invalid)
    settings = Settings()
    options = RunOptions.from_settings(request.formats, settings, request.deidentify)
    with exclusive(request.out_dir):
        state = BatchState(request.out_dir)
        if state.remove_partial_files():
            logger.info("removed temporary files left by an interrupted run")
        jobs, results = _sort_out(plan, state, options, request.force)
        workers = 0 if request.server else max(1, min(request.workers or _machine_workers(settings), len(jobs) or 1))
        reporter.planned(jobs, len(results), workers, plan.warnings)
        if jobs and request.server:
            results += RemoteExecution(jobs, options, state, reporter, request.server).run()
        elif jobs:
            results += _Execution(jobs, options, state, reporter, workers, log_level).run()
        report = BatchReport(results, workers, time.perf_counter() - started, warnings=list(plan.warnings))
        report.summary_paths = _write_summary(request.out_dir, state, results)
        report.elapsed_s = time.perf_counter() - started
    reporter.finished(report)
    return report


def _machine_workers(settings: Settings) -> int:
    from audio_pipeline.pipeline import cuda_available

    device = settings.device if settings.device != "auto" else ("cuda" if cuda_available() else "cpu")
    return default_workers(os.cpu_count() or 1, _available_memory_bytes(), device)


def _sort_out(plan: Plan, state: BatchState, options: RunOptions, force: bool) -> tuple[list[Job], list[SessionResult]]:
    """Sessions already done with the same inputs are skipped; the rest become jobs."""
    jobs: list[Job] = []
    results: list[SessionResult] = []
    for spec in plan.sessions:
        try:
            audio_sha256 = sha256_of(spec.audio_path)
        except OSError:
            results.append(SessionResult(spec, "failed", error_code="unreadable", error="the recording file cannot be read"))
            continue
        key = session_key(spec, audio_sha256, options)
        record = state.record(spec.session_id)
        if not force and record is not None and state.is_done(spec.session_id, key):
            results.append(SessionResult(spec, "skipped", stats=record.stats, elapsed_s=record.elapsed_s))
            continue
        jobs.append(Job(spec, key, probe_duration_s(spec.audio_path)))
    return jobs, results


class _Execution:
    """One pass over the jobs with a pool of worker processes, rebuilt if a worker dies."""

    def __init__(
        self, jobs: list[Job], options: RunOptions, state: BatchState, reporter: BatchReporter, workers: int, log_level: int
    ) -> None:
        self.jobs, self.options, self.state, self.reporter = jobs, options, state, reporter
        self.workers = workers
        self.log_level = log_level
        self.context = mp.get_context("spawn")  # torch and ctranslate2 are not fork-safe
        self.events = self.context.Queue()
        self.started: set[str] = set()
        self.attempts: dict[str, int] = {}
        self.results: list[SessionResult] = []

    def run(self) -> list[SessionResult]:
        pending = list(self.jobs)
        while pending:
            pending = self._one_pool(pending)
        return self.results

    def _one_pool(self, jobs: list[Job]) -> list[Job]:
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=self.context,
            initializer=init_worker,
            initargs=(self.events, threads, self.log_level),
        )
        futures: dict[Future[SessionOutcome], Job] = {pool.submit(process_session, j.spec, self.options): j for j in jobs}
        retry: list[Job] = []
        try:
            while futures:
                done, _ = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
                self._drain_events()
                for future in done:
                    job = futures.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        retry += self._after_crash(job)
                        continue
                    self._finish(job, outcome)
            pool.shutdown(wait=True)
        except KeyboardInterrupt:
            _stop(pool)
            raise BatchInterrupted(len(self.results), len(futures)) from None
        except BaseException:
            _stop(pool)
            raise
        return retry

    def _drain_events(self) -> None:
        while True:
            try:
                event: ProgressEvent = self.events.get_nowait()
            except queue.Empty:
                return
            self.started.add(event.session_id)
            self.reporter.progress(event)

    def _after_crash(self, job: Job) -> list[Job]:
        """A worker process died (killed for memory, a decoder crash): every session in flight is suspect."""
        session_id = job.spec.session_id
        if session_id not in self.started:
            return [job]  # never began: not its fault
        self.started.discard(session_id)
        self.attempts[session_id] = self.attempts.get(session_id, 0) + 1
        if self.attempts[session_id] < _MAX_ATTEMPTS:
            logger.warning("a worker process stopped unexpectedly; its session will be tried again")
            return [job]
        self._record_failure(
            job,
            SessionOutcome(
                session_id,
                0.0,
                error_code="worker_crashed",
                error="the worker process stopped unexpectedly twice (out of memory, or a decoder crash); "
                "try this recording alone with fewer --workers",
            ),
        )
        return []

    def _finish(self, job: Job, outcome: SessionOutcome) -> None:
        if not outcome.ok:
            self._record_failure(job, outcome)
            return
        assert outcome.stats is not None
        self.state.save(job.spec.session_id, job.key, outcome.outputs, outcome.stats, outcome.audio_sha256, outcome.elapsed_s)
        result = SessionResult(job.spec, "done", stats=outcome.stats, elapsed_s=outcome.elapsed_s)
        self.results.append(result)
        self.reporter.session_finished(result, job)

    def _record_failure(self, job: Job, outcome: SessionOutcome) -> None:
        result = SessionResult(
            job.spec, "failed", error_code=outcome.error_code, error=outcome.error, elapsed_s=outcome.elapsed_s
        )
        self.results.append(result)
        self.reporter.session_finished(result, job)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop now: queued sessions are dropped and running ones killed; none of them has written anything."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public handle on the workers
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def _write_summary(out_dir: Path, state: BatchState, results: list[SessionResult]) -> tuple[Path, ...]:
    csv_path, html_path = out_dir / "summary.csv", out_dir / "summary.html"
    atomic_write_bytes(csv_path, summary_csv(results))
    atomic_write_bytes(html_path, summary_html(results, state).encode("utf-8"))
    return csv_path, html_path
