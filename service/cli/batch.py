"""``alliance batch``: a folder of recordings, resumable, parallel, with a study summary."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from audio_pipeline.errors import InputError
from audio_pipeline.files import check_not_inputs

from .app import EXIT_INTERRUPTED, app, fail, user_errors

if TYPE_CHECKING:
    from ..batch.types import BatchReport, BatchReporter


@app.command()
def batch(
    input_dir: Annotated[Path, typer.Argument(help="Folder with the recordings (searched recursively).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for transcripts, state and the study summary.")],
    manifest: Annotated[
        Path | None, typer.Option("--manifest", "-m", help="sessions.csv or .xlsx, one row per recording (see README).")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Parallel workers (default: what memory and cores allow).")] = None,
    formats: Annotated[
        str, typer.Option(help="Outputs besides the JSON transcript: maxqda, qdpx, vtt, srt, csv, docx (comma-separated).")
    ] = "json",
    skip_invalid: Annotated[bool, typer.Option(help="Process the valid manifest rows even if others have problems.")] = False,
    force: Annotated[bool, typer.Option(help="Redo sessions that are already done.")] = False,
    log_format: Annotated[
        str, typer.Option(help="auto (bars on a terminal, lines otherwise), plain or jsonl (one JSON object per line).")
    ] = "auto",
    server: Annotated[str | None, typer.Option(help="Run on this alliance serve (http://host:port) instead of here.")] = None,
    api_key: Annotated[
        str | None, typer.Option(help="API key for --server (or set ALLIANCE_API_KEY).", envvar="ALLIANCE_API_KEY")
    ] = None,
    deidentify: Annotated[
        bool,
        typer.Option("--deidentify", help="Also write de-identified copies (ID.deid.*), with names from the manifest."),
    ] = False,
) -> None:
    """Process a folder of recordings: resumable (rerun the same command after any interruption), parallel, with a summary."""
    from audio_pipeline.export import exporter

    from ..batch import BatchInterrupted, BatchRequest, RemoteServer, run_batch
    from ..batch.plan import ManifestInvalidError
    from ..batch.state import SUMMARY_CSV, SUMMARY_HTML

    with user_errors():
        if log_format not in {"auto", "plain", "jsonl"}:
            raise InputError("--log-format must be auto, plain or jsonl")
        names = [name.strip() for name in formats.split(",") if name.strip()]
        chosen = tuple(dict.fromkeys(["json", *(exporter(name).name for name in names)]))
        remote = None
        if server is not None:
            if not api_key:
                raise InputError("--server needs --api-key (or ALLIANCE_API_KEY)")
            if not server.startswith(("http://", "https://")):
                raise InputError("--server must be a URL such as http://127.0.0.1:8000")
            remote = RemoteServer(server, api_key)
        # The summary is written into OUT_DIR: never over the manifest it is made from.
        check_not_inputs([out / SUMMARY_CSV, out / SUMMARY_HTML], [manifest])
        request = BatchRequest(input_dir, out, manifest, workers, chosen, skip_invalid, force, remote, deidentify)
        try:
            with _batch_reporter(log_format) as reporter:
                report = run_batch(request, reporter, logging.getLogger().getEffectiveLevel())
        except ManifestInvalidError as exc:
            for problem in exc.problems:
                typer.echo(f"manifest {problem}", err=True)
            raise
        except BatchInterrupted as exc:
            raise fail(
                f"interrupted with {exc.finished} session(s) finished in this run; run the same command again to finish the rest",
                EXIT_INTERRUPTED,
            ) from None
    if log_format != "jsonl":
        _batch_summary(report)
    if report.count("failed"):
        raise typer.Exit(1)


@contextlib.contextmanager
def _batch_reporter(log_format: str) -> Iterator[BatchReporter]:
    from ..batch.display import JsonLines, PlainLines, RichBars

    if log_format == "jsonl":
        yield JsonLines()
    elif log_format == "auto" and sys.stderr.isatty():
        with RichBars() as bars:
            yield bars
    else:
        yield PlainLines()


def _batch_summary(report: BatchReport) -> None:
    minutes, seconds = divmod(round(report.elapsed_s), 60)
    typer.echo(
        f"{len(report.results)} session(s): {report.count('done')} processed, {report.count('skipped')} already done, "
        f"{report.count('failed')} failed, in {minutes} min {seconds} s "
        + (f"with {report.workers} worker(s)" if report.workers else "on the server"),
        err=True,
    )
    for result in report.results:
        if result.status == "failed":
            typer.echo(f"  failed {result.spec.session_id}: {result.error} ({result.error_code})", err=True)
    for path in report.summary_paths:
        typer.echo(f"wrote {path}", err=True)
