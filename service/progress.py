"""Progress for the CLI: rich bars on a terminal, plain log lines otherwise (CI, cron, pipes)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from audio_pipeline.pipeline import STAGES, ProgressCallback

STAGE_LABELS = {
    "load_models": "Loading models",
    "decode": "Decoding audio",
    "transcribe": "Transcribing",
    "diarize": "Finding speakers",
    "attribute": "Attributing words",
    "analyze": "Roles and pauses",
}


@contextlib.contextmanager
def progress_reporter() -> Iterator[ProgressCallback]:
    if sys.stderr.isatty():
        with _rich_bars() as report:
            yield report
    else:
        yield _LogLines()


class _LogLines:
    """One line per stage per 25 %: enough to follow an unattended run without flooding a log."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def __call__(self, stage: str, fraction: float) -> None:
        step = int(fraction * 4)
        if self._last.get(stage, -1) >= step:
            return
        self._last[stage] = step
        sys.stderr.write(f"alliance: {STAGE_LABELS.get(stage, stage)} {int(fraction * 100)}%\n")
        sys.stderr.flush()


@contextlib.contextmanager
def _rich_bars() -> Iterator[ProgressCallback]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<18}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bars:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(STAGE_LABELS.get(stage, stage), total=1.0)
            bars.update(tasks[stage], completed=min(max(fraction, 0.0), 1.0))

        yield report
        for stage in STAGES:
            if stage in tasks:
                bars.update(tasks[stage], completed=1.0)
