"""Keeps the job worker processes alive, puts back the jobs of any that die, and applies retention.

With ALLIANCE_QUEUE=celery the workers are `alliance worker` processes elsewhere, which recover their own
jobs (celery_worker.py); the supervisor then only applies retention.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import socket
import threading
import time
from multiprocessing.process import BaseProcess

from .. import crud
from ..settings import ServiceSettings
from ..storage import Storage
from ..store import Store
from .queue import JobQueue
from .worker import run_worker

logger = logging.getLogger(__name__)
_CHECK_EVERY_S = 1.0
_RETENTION_EVERY_S = 3600.0


class Supervisor:
    def __init__(self, settings: ServiceSettings, store: Store, storage: Storage, queue: JobQueue, log_level: int) -> None:
        self.settings, self.store, self.storage = settings, store, storage
        self.queue = queue
        self.embedded = settings.queue == "embedded"
        self.log_level = log_level
        self.context = mp.get_context("spawn")  # torch and ctranslate2 are not fork-safe
        self.workers: dict[str, BaseProcess] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="job-supervisor", daemon=True)
        self._last_retention = 0.0

    def start(self) -> None:
        if not self.embedded:
            # The jobs running now belong to workers on other machines: leave them be. Other API processes may
            # share the folder and be receiving bodies now: only long-idle ones are leftovers.
            self.storage.clear_uploads(idle_s=3600.0)
            self._thread.start()
            return
        recovered = self.queue.recover(None, self.settings.job_max_attempts)
        if recovered:
            logger.warning("%d job(s) were running when the service last stopped; they are queued again", len(recovered))
        self.storage.clear_uploads()
        # Named by host and process: with several API processes on one PostgreSQL database, recovering a dead
        # "worker-1" here must not put back the job another process's "worker-1" is running (fits Job.worker's 40).
        prefix = f"{socket.gethostname()[:20]}.{os.getpid()}"
        for index in range(self.settings.service_workers):
            self._spawn(f"{prefix}.w{index + 1}")
        self._thread.start()

    def _spawn(self, name: str) -> None:
        process = self.context.Process(target=run_worker, args=(name, self.settings, self.log_level), name=name, daemon=True)
        process.start()
        self.workers[name] = process

    def alive(self) -> bool:
        if not self.embedded:
            return True  # celery workers are watched by their own hosts; /readyz checks the broker instead
        return bool(self.workers) and all(p.is_alive() for p in self.workers.values())

    def _watch(self) -> None:
        while not self._stop.wait(_CHECK_EVERY_S):
            for name, process in list(self.workers.items()):
                if process.is_alive():
                    continue
                logger.warning("job worker %s stopped (exit %s); restarting it", name, process.exitcode)
                self.queue.recover(name, self.settings.job_max_attempts)
                self._spawn(name)
            if time.monotonic() - self._last_retention > _RETENTION_EVERY_S:
                self._last_retention = time.monotonic()
                crud.purge_expired(self.store, self.storage, self.settings)

    def stop(self) -> None:
        self._stop.set()
        for process in self.workers.values():
            process.terminate()
        for process in self.workers.values():
            process.join(timeout=10)
