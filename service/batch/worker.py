"""What runs inside a batch worker process: one pipeline per process, one session per call.

Workers only compute; they return every output's bytes to the parent, which is the only
writer in OUT_DIR. So a worker left running after its parent was killed can never write a file.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

from audio_pipeline.errors import AllianceError
from audio_pipeline.schema import Transcript
from audio_pipeline.settings import Settings

from ..naming import export_file_name
from ..processes import setup_child
from .manifest import SessionSpec
from .state import RunOptions, SessionStats
from .summary import stats_of
from .types import ProgressEvent

logger = logging.getLogger(__name__)

_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class SessionOutcome:
    session_id: str
    elapsed_s: float
    outputs: dict[str, bytes] = field(default_factory=dict)
    stats: SessionStats | None = None
    audio_sha256: str = ""
    error_code: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error_code


def init_worker(events: Queue[ProgressEvent], settings: Settings, cpu_threads: int, log_level: int) -> None:
    """Per-process setup with the parent's settings; the models load on the first session and stay loaded."""
    setup_child(log_level)
    from audio_pipeline.pipeline import TranscriptionPipeline

    if cpu_threads and not settings.cpu_threads:
        settings = settings.model_copy(update={"cpu_threads": cpu_threads})
        import torch

        torch.set_num_threads(cpu_threads)
    _WORKER["pipeline"] = TranscriptionPipeline(settings)
    _WORKER["events"] = events


def process_session(spec: SessionSpec, options: RunOptions) -> SessionOutcome:
    """Transcribe, analyse and export one recording; any failure becomes this session's outcome."""
    from audio_pipeline.deid import deidentified
    from audio_pipeline.pipeline import TranscriptionPipeline

    started = time.perf_counter()
    pipeline: TranscriptionPipeline = _WORKER["pipeline"]
    events: Queue[ProgressEvent] = _WORKER["events"]

    def report(stage: str, fraction: float) -> None:
        events.put(ProgressEvent(spec.session_id, stage, fraction))

    try:
        transcript = pipeline.run(spec.audio_path, spec.request, report)
        threshold_s = pipeline.settings.export_pause_threshold_s
        outputs = render_outputs(spec.session_id, transcript, options.formats, threshold_s)
        if options.deidentify:
            copy = deidentified(transcript, spec.names, pipeline.settings)
            outputs |= render_outputs(spec.session_id, copy, options.formats, threshold_s, deidentified=True)
    except AllianceError as exc:
        return SessionOutcome(spec.session_id, time.perf_counter() - started, error_code=exc.code, error=exc.message)
    except MemoryError:
        return SessionOutcome(
            spec.session_id, time.perf_counter() - started, error_code="out_of_memory", error="ran out of memory"
        )
    except Exception as exc:  # one session's bug must not stop the other 140
        logger.debug("session failed", exc_info=True)
        return SessionOutcome(
            spec.session_id,
            time.perf_counter() - started,
            error_code="internal_error",
            error=f"internal error ({type(exc).__name__}); rerun this recording alone with --debug and report it",
        )
    return SessionOutcome(
        spec.session_id,
        time.perf_counter() - started,
        outputs=outputs,
        stats=stats_of(transcript),
        audio_sha256=transcript.recording.sha256,
    )


def render_outputs(
    session_id: str, transcript: Transcript, formats: tuple[str, ...], pause_threshold_s: float, deidentified: bool = False
) -> dict[str, bytes]:
    """ID.transcript.json, ID.maxqda.txt... (ID.deid.* for the de-identified copy)."""
    from audio_pipeline.export import ExportOptions, export

    options = ExportOptions(pause_threshold_s=pause_threshold_s, title=session_id)
    outputs: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "json":
            outputs[export_file_name(session_id, fmt, "json", deidentified)] = transcript.to_json().encode("utf-8")
            continue
        result = export(transcript, fmt, options)
        outputs[export_file_name(session_id, fmt, result.extension, deidentified)] = result.content
    return outputs
