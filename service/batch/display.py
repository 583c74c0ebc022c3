"""How a batch shows its progress: rich bars on a terminal, plain lines in a log, or JSON lines for machines.

Nothing here names a file: sessions are named by their session id only.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from audio_pipeline.pipeline import STAGES

from ..progress import STAGE_LABELS
from .summary import SessionResult
from .types import BatchReport, Job, ProgressEvent

# Rough share of a session's time per stage, so one bar moves evenly (transcription and diarization dominate).
_STAGE_WEIGHTS = {"decode": 0.02, "load_models": 0.03, "transcribe": 0.45, "diarize": 0.45, "attribute": 0.01, "analyze": 0.04}
_UNKNOWN_DURATION_S = 60.0


def session_fraction(stage: str, fraction: float) -> float:
    done = sum(_STAGE_WEIGHTS[s] for s in STAGES[: STAGES.index(stage)]) if stage in STAGES else 0.0
    return min(1.0, done + _STAGE_WEIGHTS.get(stage, 0.0) * max(0.0, min(fraction, 1.0)))


class JsonLines:
    """One JSON object per line on stderr, for unattended runs and log shippers."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._last_step: dict[tuple[str, str], int] = {}

    def _emit(self, event: str, **fields: Any) -> None:
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event, **fields}
        self.stream.write(json.dumps(record) + "\n")
        self.stream.flush()

    def planned(self, jobs: list[Job], skipped: int, workers: int, warnings: tuple[str, ...]) -> None:
        for warning in warnings:
            self._emit("warning", message=warning)
        audio_s = sum(j.duration_s or 0.0 for j in jobs)
        self._emit("batch_started", to_process=len(jobs), already_done=skipped, workers=workers, audio_s=round(audio_s, 1))

    def progress(self, event: ProgressEvent) -> None:
        step = int(event.fraction * 4)  # 0, 25, 50, 75, 100 %
        key = (event.session_id, event.stage)
        if self._last_step.get(key, -1) >= step:
            return
        self._last_step[key] = step
        self._emit("stage", session_id=event.session_id, stage=event.stage, percent=step * 25)

    def session_finished(self, result: SessionResult, job: Job) -> None:
        fields: dict[str, Any] = {"session_id": result.spec.session_id, "elapsed_s": round(result.elapsed_s, 2)}
        if result.status == "failed":
            self._emit("session_failed", **fields, error_code=result.error_code, error=result.error)
        else:
            self._emit("session_done", **fields)

    def finished(self, report: BatchReport) -> None:
        self._emit(
            "batch_finished",
            processed=report.count("done"),
            already_done=report.count("skipped"),
            failed=report.count("failed"),
            elapsed_s=round(report.elapsed_s, 1),
            summary=[str(p) for p in report.summary_paths],
        )


class PlainLines(JsonLines):
    """A line per finished session: readable in a log file or a pipe."""

    def _emit(self, event: str, **fields: Any) -> None:
        if event == "stage":
            return
        text = {
            "warning": "warning: {message}",
            "batch_started": "alliance batch: {to_process} to process, {already_done} already done, {workers} worker(s)",
            "session_done": "alliance batch: {session_id} done in {elapsed_s:.1f} s",
            "session_failed": "alliance batch: {session_id} FAILED: {error} ({error_code})",
        }.get(event)
        if text:
            self.stream.write(text.format(**fields) + "\n")
            self.stream.flush()

    def finished(self, report: BatchReport) -> None:
        return None  # the command prints the end-of-run summary


class RichBars:
    """An overall bar with an ETA from audio duration, and one bar per active session showing its stage."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.console = Console(stderr=True)
        self.bars = Progress(
            TextColumn("{task.description:<32}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.overall: TaskID | None = None
        self.active: dict[str, TaskID] = {}
        self.fractions: dict[str, float] = {}
        self.durations: dict[str, float] = {}
        self.finished_audio_s = 0.0
        self.count = 0
        self.total = 0

    def __enter__(self) -> RichBars:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def planned(self, jobs: list[Job], skipped: int, workers: int, warnings: tuple[str, ...]) -> None:
        for warning in warnings:
            self.console.print(f"[yellow]warning:[/] {warning}")
        self.durations = {j.spec.session_id: j.duration_s or _UNKNOWN_DURATION_S for j in jobs}
        self.total = len(jobs)
        self.console.print(f"{len(jobs)} session(s) to process, {skipped} already done, {workers} worker(s)")
        self.overall = self.bars.add_task(self._overall_label(), total=max(sum(self.durations.values()), 1.0))

    def _overall_label(self) -> str:
        return f"All sessions ({self.count}/{self.total})"

    def progress(self, event: ProgressEvent) -> None:
        sid = event.session_id
        if sid not in self.active:
            self.active[sid] = self.bars.add_task(sid, total=1.0)
        self.fractions[sid] = session_fraction(event.stage, event.fraction)
        label = f"{sid[:18]} {STAGE_LABELS.get(event.stage, event.stage)}"
        self.bars.update(self.active[sid], description=label, completed=self.fractions[sid])
        self._update_overall()

    def _update_overall(self) -> None:
        if self.overall is None:
            return
        running = sum(self.fractions.get(sid, 0.0) * self.durations.get(sid, 0.0) for sid in self.active)
        self.bars.update(self.overall, completed=self.finished_audio_s + running, description=self._overall_label())

    def session_finished(self, result: SessionResult, job: Job) -> None:
        sid = result.spec.session_id
        if sid in self.active:
            self.bars.remove_task(self.active.pop(sid))
        self.finished_audio_s += self.durations.get(sid, 0.0)
        self.count += 1
        if result.status == "failed":
            self.console.print(f"[red]{sid} failed:[/] {result.error} ({result.error_code})")
        self._update_overall()

    def finished(self, report: BatchReport) -> None:
        return None
