"""The ``alliance`` command.

User errors print one line and exit non-zero (2 bad input, 3 models, 4 engine failure);
tracebacks appear only with --debug. Nothing is written unless the whole run succeeds.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from audio_pipeline.analysis.roles import SessionHints
from audio_pipeline.errors import AllianceError, InputError
from audio_pipeline.schema import Transcript, json_schema_text

from .output import atomic_write_bytes, atomic_write_text, check_output_path
from .processes import quiet_engines
from .progress import progress_reporter

if TYPE_CHECKING:
    from .batch import BatchReport
    from .batch.runner import BatchReporter
    from .store import Store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn recorded clinical conversations into diarized, word-timestamped transcripts.",
    pretty_exceptions_enable=False,
)
logger = logging.getLogger("alliance")

_EXIT_INTERRUPTED = 130
_EXIT_INTERNAL = 70


def _setup_logging(verbose: bool, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not debug:
        quiet_engines(level)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Our errors and Ctrl-C become one line and an exit code; nothing was written before this point."""
    try:
        yield
    except AllianceError as exc:
        if _STATE["debug"]:
            logger.exception("failed")
        raise _fail(exc.message, exc.exit_code) from None
    except KeyboardInterrupt:
        raise _fail("interrupted; nothing was written", _EXIT_INTERRUPTED) from None


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks and engine logs.")] = False,
) -> None:
    _setup_logging(verbose, debug)
    _STATE["debug"] = debug


_STATE: dict[str, bool] = {"debug": False}

# Session hints for speaker roles, shared by transcribe and analyze.
AttendeesOption = Annotated[
    str | None, typer.Option(help="Who attended, e.g. 'oncologist=1,parent=2,patient=1' (roles are then exact).")
]
PatientAgeOption = Annotated[int | None, typer.Option(help="The patient's age in years.")]
DeidentifyOption = Annotated[
    bool, typer.Option("--deidentify", help="Also write a de-identified copy: names and identifiers become tags.")
]
NamesOption = Annotated[
    str | None,
    typer.Option(help="Names for --deidentify: 'patient=Emma Smith/Em,parent=Sarah,sibling=Will,oncologist=Patel'."),
]
DeidentifyAudioOption = Annotated[
    bool,
    typer.Option("--deidentify-audio", help="With --deidentify, also write RECORDING.deid.wav with those words covered."),
]
SettingOption = Annotated[str | None, typer.Option(help="clinic, inpatient or telephone.")]


@app.command()
def transcribe(
    recording: Annotated[Path, typer.Argument(help="Audio or video file (WAV, FLAC, MP3, M4A, OGG, WMA, AMR, MP4, MOV).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write the JSON (default: RECORDING.transcript.json)."),
    ] = None,
    num_speakers: Annotated[int | None, typer.Option(help="Exact number of speakers, if known.")] = None,
    min_speakers: Annotated[int | None, typer.Option(help="At least this many speakers.")] = None,
    max_speakers: Annotated[int | None, typer.Option(help="At most this many speakers.")] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda or auto (default: ALLIANCE_DEVICE, else auto).")] = None,
    asr_model: Annotated[str | None, typer.Option(help="ASR model name (small.en, large-v3-turbo) or folder.")] = None,
    language: Annotated[str | None, typer.Option(help="Language code, or 'auto' to detect (default en).")] = None,
    attendees: AttendeesOption = None,
    patient_age: PatientAgeOption = None,
    setting: SettingOption = None,
    deidentify: DeidentifyOption = False,
    names: NamesOption = None,
    deidentify_audio: DeidentifyAudioOption = False,
) -> None:
    """Transcribe and diarize one recording into a JSON transcript."""
    from audio_pipeline.pipeline import TranscribeOptions, TranscriptionPipeline

    target = output or recording.with_name(recording.name + ".transcript.json")
    with _user_errors():
        check_output_path(target)
        session = SessionHints.parse(attendees, patient_age, setting)
        _check_deid_options(deidentify, names, deidentify_audio)
        options = TranscribeOptions(num_speakers, min_speakers, max_speakers, device, asr_model, language, session)
        with progress_reporter() as report:
            transcript = TranscriptionPipeline().run(recording, options, report)
        atomic_write_text(target, transcript.to_json())
        copies = _deidentified_copies(deidentify, target, transcript, names, recording if deidentify_audio else None)
    _summary(target, transcript, copies)


def _check_deid_options(deidentify: bool, names: str | None, audio: bool) -> None:
    from audio_pipeline.deid import parse_names

    if (names or audio) and not deidentify:
        raise InputError("--names and --deidentify-audio go with --deidentify")
    parse_names(names)  # a bad --names fails before any work


def _deidentified_copies(
    deidentify: bool, target: Path, transcript: Transcript, names: str | None, recording: Path | None
) -> list[Path]:
    from audio_pipeline.settings import Settings

    from .deid_outputs import write_deidentified

    return write_deidentified(target, transcript, names, recording, Settings()) if deidentify else []


def _summary(target: Path, transcript: Transcript, copies: list[Path] | None = None) -> None:
    for copy in copies or []:
        typer.echo(f"wrote {copy} (de-identified)", err=True)
    typer.echo(
        f"wrote {target} ({len(transcript.segments)} segments, {len(transcript.speakers)} speakers, "
        f"{len(transcript.pauses)} pauses, {len(transcript.silence_candidates)} silence candidates, "
        f"{len(transcript.long_pauses)} other long pauses)",
        err=True,
    )
    for speaker in transcript.speakers:
        flag = " (please review)" if speaker.needs_review else ""
        typer.echo(f"  {speaker.id}: {speaker.label or speaker.role} {speaker.role_confidence:.2f}{flag}", err=True)
    for warning in transcript.warnings:
        typer.echo(f"warning: {warning.message}", err=True)


@app.command()
def analyze(
    recording: Annotated[Path, typer.Argument(help="The recording the transcript was made from.")],
    transcript_path: Annotated[Path, typer.Option("--transcript", "-t", help="Transcript JSON (ours; may be hand-corrected).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write (default: replace the transcript file).")
    ] = None,
    attendees: AttendeesOption = None,
    patient_age: PatientAgeOption = None,
    setting: SettingOption = None,
    deidentify: DeidentifyOption = False,
    names: NamesOption = None,
    deidentify_audio: DeidentifyAudioOption = False,
) -> None:
    """Recompute pauses, emotional content and Silence candidates from a corrected transcript."""
    from audio_pipeline.pipeline import TranscriptionPipeline

    target = output or transcript_path
    with _user_errors():
        check_output_path(target)
        _check_deid_options(deidentify, names, deidentify_audio)
        transcript = _read_transcript(transcript_path)
        if transcript.deidentification is not None:
            raise InputError("this is a de-identified copy; analyze the canonical transcript it was made from")
        with progress_reporter() as report:
            session = SessionHints.parse(attendees, patient_age, setting)
            result = TranscriptionPipeline().reanalyze(recording, transcript, report, session)
        atomic_write_text(target, result.to_json())
        copies = _deidentified_copies(deidentify, target, result, names, recording if deidentify_audio else None)
    _summary(target, result, copies)


@app.command()
def enroll(
    samples: Annotated[list[Path] | None, typer.Argument(help="Recordings in which the clinician is the main speaker.")] = None,
    clinician_id: Annotated[str | None, typer.Option("--id", help="Pseudonymous id, e.g. ONC-03 (never a name).")] = None,
    role: Annotated[str, typer.Option(help="oncologist or other_clinician.")] = "oncologist",
    list_all: Annotated[bool, typer.Option("--list", help="List enrolled clinicians.")] = False,
    delete: Annotated[str | None, typer.Option(help="Delete the voiceprint with this id.")] = None,
) -> None:
    """Enroll a recurring clinician's voice, so later recordings name them with their role."""
    from audio_pipeline.pipeline import TranscriptionPipeline
    from audio_pipeline.voiceprints import VoiceprintRegistry

    pipeline = TranscriptionPipeline()
    registry = VoiceprintRegistry(pipeline.settings.data_dir)
    with _user_errors():
        if list_all:
            for voiceprint in registry.list():
                typer.echo(f"{voiceprint.id}\t{voiceprint.role}\t{voiceprint.samples} sample(s)\t{voiceprint.created_at[:10]}")
            return
        if delete:
            if not registry.delete(delete):
                raise InputError(f"no voiceprint is enrolled under {delete}; see alliance enroll --list")
            typer.echo(f"deleted {delete}", err=True)
            return
        if not clinician_id or not samples:
            raise InputError("give --id and at least one sample recording (or --list, or --delete ID)")
        voiceprint = pipeline.enroll(clinician_id, role, list(samples))
    typer.echo(f"enrolled {voiceprint.id} as {voiceprint.role} from {voiceprint.samples} sample(s)", err=True)


@app.command("export")
def export_cmd(
    transcript_path: Annotated[Path, typer.Argument(help="A transcript JSON written by alliance (corrected or not).")],
    formats: Annotated[
        str, typer.Option("--format", "-f", help="maxqda, qdpx, vtt, srt, csv, docx or json; several separated by commas.")
    ] = "maxqda",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output file (one format) or folder (several). Default: beside the transcript."),
    ] = None,
    pause_threshold: Annotated[
        float | None, typer.Option("--pause-threshold", help="Show pauses at least this many seconds long inline.")
    ] = None,
    audio: Annotated[
        Path | None,
        typer.Option("--audio", help="Embed this recording in the REFI-QDA project (needs ALLIANCE_EXPORT_ALLOW_AUDIO=true)."),
    ] = None,
    title: Annotated[str, typer.Option(help="Document and project title (do not use names).")] = "Consultation",
    deidentify: Annotated[
        bool, typer.Option("--deidentify", help="Export a de-identified copy: names and identifiers become tags.")
    ] = False,
    names: NamesOption = None,
) -> None:
    """Write a transcript in the formats QDA tools, media players and word processors read."""
    from audio_pipeline.export import ExportOptions, export, exporter
    from audio_pipeline.settings import Settings

    with _user_errors():
        chosen = [exporter(name) for name in dict.fromkeys(f.strip() for f in formats.split(",") if f.strip())]
        if not chosen:
            raise InputError("give at least one --format")
        settings = Settings()
        if audio is not None and not settings.export_allow_audio:
            raise InputError("embedding audio in exports is off; set ALLIANCE_EXPORT_ALLOW_AUDIO=true to allow it")
        _check_deid_options(deidentify, names, False)
        if deidentify and audio is not None:
            raise InputError("--audio would embed the original voices and names; share a --deidentify-audio copy instead")
        targets = _export_targets(transcript_path, [e.extension for e in chosen], output, ".deid" if deidentify else "")
        for target in targets:
            check_output_path(target)
        transcript = _read_transcript(transcript_path)
        if deidentify:
            from .deid_outputs import deidentified

            transcript = deidentified(transcript, names, settings)
        options = ExportOptions(
            pause_threshold_s=settings.export_pause_threshold_s if pause_threshold is None else pause_threshold,
            audio_path=audio,
            title=title,
        )
        results = [export(transcript, e.name, options) for e in chosen]
        for target, result in zip(targets, results, strict=True):
            atomic_write_bytes(target, result.content)
    for target in targets:
        typer.echo(f"wrote {target}", err=True)


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

    from .batch import BatchInterrupted, BatchRequest, run_batch
    from .batch.plan import ManifestInvalidError
    from .batch.remote import RemoteServer

    with _user_errors():
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
        request = BatchRequest(input_dir, out, manifest, workers, chosen, skip_invalid, force, remote, deidentify)
        try:
            with _batch_reporter(log_format) as reporter:
                report = run_batch(request, reporter, logging.getLogger().getEffectiveLevel())
        except ManifestInvalidError as exc:
            for problem in exc.problems:
                typer.echo(f"manifest {problem}", err=True)
            raise
        except BatchInterrupted as exc:
            raise _fail(
                f"interrupted with {exc.finished} session(s) finished in this run; run the same command again to finish the rest",
                _EXIT_INTERRUPTED,
            ) from None
    if log_format != "jsonl":
        _batch_summary(report)
    if report.count("failed"):
        raise typer.Exit(1)


@contextlib.contextmanager
def _batch_reporter(log_format: str) -> Iterator[BatchReporter]:
    from .batch.display import JsonLines, PlainLines, RichBars

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


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default ALLIANCE_SERVICE_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ALLIANCE_SERVICE_PORT, 8000).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Job worker processes (default ALLIANCE_SERVICE_WORKERS).")] = None,
) -> None:
    """Run the HTTP API with its job workers (closed by default: loopback, API keys required)."""
    from audio_pipeline.settings import Settings

    from .server import serve as run_server

    with _user_errors():
        overrides = {"service_host": host, "service_port": port, "service_workers": workers}
        settings = Settings().model_copy(update={k: v for k, v in overrides.items() if v is not None})
        typer.echo(f"alliance API on http://{settings.service_host}:{settings.service_port} (docs at /docs)", err=True)
        run_server(settings, logging.getLogger().getEffectiveLevel())


keys_app = typer.Typer(help="API keys for the HTTP service.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(owner: Annotated[str, typer.Option(help="Who the key is for (a team or site, not a patient).")]) -> None:
    """Create a key; it is shown once and stored only as a hash."""
    from .keys import create_key

    with _user_errors():
        if not owner.strip() or len(owner) > 100:
            raise InputError("--owner must be 1 to 100 characters")
        key_id, key = create_key(_service_store(), owner.strip())
    typer.echo(key)
    typer.echo(f"created {key_id} for {owner.strip()}; store the key now, it cannot be shown again", err=True)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (ids and owners; never the keys)."""
    from .keys import list_keys

    for key in list_keys(_service_store()):
        revoked = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        typer.echo(f"{key.id}\t{key.owner}\t{key.created_at:%Y-%m-%d}\t{revoked}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id, from alliance keys list.")]) -> None:
    """Revoke a key at once."""
    from .keys import revoke_key

    with _user_errors():
        if not revoke_key(_service_store(), key_id):
            raise InputError("no active key has this id; see alliance keys list")
    typer.echo(f"revoked {key_id}", err=True)


@app.command()
def audit(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write CSV here instead of printing.")] = None,
    since: Annotated[str | None, typer.Option(help="Only events on or after this date (YYYY-MM-DD).")] = None,
) -> None:
    """Print or export the service's audit trail (who, what, when, which resource, from where)."""
    import csv
    import datetime as dt
    import io

    from sqlalchemy import select

    from .store import AuditEvent

    with _user_errors():
        try:
            start = dt.datetime.fromisoformat(since).replace(tzinfo=dt.UTC) if since else None
        except ValueError:
            raise InputError("--since must be a date, YYYY-MM-DD") from None
        if output is not None:
            check_output_path(output)
        store = _service_store()
        with store.session() as session:
            query = select(AuditEvent).order_by(AuditEvent.id)
            if start is not None:
                query = query.where(AuditEvent.at >= start)
            events = list(session.scalars(query))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["at", "owner", "action", "resource_type", "resource_id", "client", "outcome"])
        for e in events:
            row = [e.at.isoformat(), e.owner, e.action, e.resource_type, e.resource_id, e.client, e.outcome]
            writer.writerow(["" if value is None else value for value in row])
        if output is None:
            typer.echo(buffer.getvalue(), nl=False)
        else:
            atomic_write_text(output, buffer.getvalue())


def _service_store() -> Store:
    from audio_pipeline.settings import Settings

    from .server import open_state

    return open_state(Settings()).store


def _export_targets(transcript_path: Path, extensions: list[str], output: Path | None, mark: str = "") -> list[Path]:
    stem = transcript_path.name.removesuffix(".json") + mark
    if len(extensions) == 1 and output is not None and not output.is_dir():
        return [output]
    folder = output if output is not None else transcript_path.parent
    if not folder.is_dir():
        raise InputError("with several formats, --output must be an existing folder")
    # '.export.json', so exporting json beside the transcript never overwrites the transcript itself.
    return [folder / (f"{stem}.export.json" if ext == "json" else f"{stem}.{ext}") for ext in extensions]


def _read_transcript(path: Path) -> Transcript:
    from audio_pipeline.schema import load_transcript

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("the transcript file does not exist; check its path") from None
    except (OSError, UnicodeDecodeError):
        raise InputError("the transcript file cannot be read as UTF-8 text") from None
    return load_transcript(text)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")] = None,
) -> None:
    """Print the transcript JSON Schema."""
    text = json_schema_text()
    if output is None:
        typer.echo(text, nl=False)
        return
    with _user_errors():
        check_output_path(output)
        atomic_write_text(output, text)


def run() -> None:
    """Console entry point: turn unexpected crashes into one line too."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        if _STATE["debug"]:
            raise
        typer.echo(f"error: internal error ({type(exc).__name__}); rerun with --debug and report it", err=True)
        raise SystemExit(_EXIT_INTERNAL) from None


if __name__ == "__main__":
    run()
