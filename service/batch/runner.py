"""Runs a batch: plan, skip what is done, process the rest in worker processes, write the summary.

The parent process is the only writer in OUT_DIR. Workers are separate processes so that a
decoder crash or an out-of-memory kill fails one session, not the batch.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from audio_pipeline.audio import probe_duration_s, sha256_of
from audio_pipeline.files import atomic_write_bytes
from audio_pipeline.settings import Settings

from .plan import Plan, build_plan
from .pool import LocalExecution
from .remote import RemoteExecution
from .report import summary_html
from .state import SUMMARY_CSV, SUMMARY_HTML, BatchState, RunOptions, exclusive, session_key
from .summary import SessionResult, summary_csv
from .types import BatchReport, BatchReporter, BatchRequest, Execution, Job

logger = logging.getLogger(__name__)

_GIB = 1024**3
_WORKER_MEMORY_BYTES = 3 * _GIB  # small.en + community-1 peaked at 2.2 GB on CPU (scripts/bench.py)


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
        if jobs:
            execution: Execution = (
                RemoteExecution(jobs, options, state, reporter, request.server, request.force)
                if request.server
                else LocalExecution(jobs, options, state, reporter, settings, workers, log_level)
            )
            results += execution.run()
        report = BatchReport(results, workers, time.perf_counter() - started, warnings=list(plan.warnings))
        report.summary_paths = _write_summary(request.out_dir, state, results)
        report.elapsed_s = time.perf_counter() - started
    reporter.finished(report)
    return report


def _machine_workers(settings: Settings) -> int:
    from audio_pipeline.devices import cuda_available

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


def _write_summary(out_dir: Path, state: BatchState, results: list[SessionResult]) -> tuple[Path, ...]:
    csv_path, html_path = out_dir / SUMMARY_CSV, out_dir / SUMMARY_HTML
    atomic_write_bytes(csv_path, summary_csv(results, state))
    atomic_write_bytes(html_path, summary_html(results, state).encode("utf-8"))
    return csv_path, html_path
