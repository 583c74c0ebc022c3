"""Local execution: a pool of worker processes, each loading the models once, rebuilt if a worker dies."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from audio_pipeline.settings import Settings

from .state import BatchState, RunOptions
from .summary import SessionResult
from .types import BatchInterrupted, BatchReporter, Job, ProgressEvent, ResultLog
from .worker import SessionOutcome, init_worker, process_session

logger = logging.getLogger(__name__)

_MAX_ATTEMPTS = 2  # a session whose worker process dies twice is failed, not retried forever


class LocalExecution:
    """One pass over the jobs with a pool of worker processes, rebuilt if a worker dies."""

    def __init__(
        self,
        jobs: list[Job],
        options: RunOptions,
        state: BatchState,
        reporter: BatchReporter,
        settings: Settings,
        workers: int,
        log_level: int,
    ) -> None:
        self.jobs, self.options, self.state, self.reporter = jobs, options, state, reporter
        self.settings = settings
        self.workers = workers
        self.log_level = log_level
        self.context = mp.get_context("spawn")  # torch and ctranslate2 are not fork-safe
        self.events = self.context.Queue()
        self.started: set[str] = set()
        self.attempts: dict[str, int] = {}
        self.log = ResultLog(reporter)

    def run(self) -> list[SessionResult]:
        pending = list(self.jobs)
        while pending:
            pending = self._one_pool(pending)
        return self.log.results

    def _one_pool(self, jobs: list[Job]) -> list[Job]:
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=self.context,
            initializer=init_worker,
            initargs=(self.events, self.settings, threads, self.log_level),
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
            raise BatchInterrupted(len(self.log.results), len(futures)) from None
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
        self.log.add(SessionResult(job.spec, "done", stats=outcome.stats, elapsed_s=outcome.elapsed_s), job)

    def _record_failure(self, job: Job, outcome: SessionOutcome) -> None:
        result = SessionResult(
            job.spec, "failed", error_code=outcome.error_code, error=outcome.error, elapsed_s=outcome.elapsed_s
        )
        self.log.add(result, job)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop now: queued sessions are dropped and running ones killed; none of them has written anything."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public handle on the workers
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
