"""The study summary's numbers: one row per session, as summary.csv.

What coders decided is read from each session's transcript as it is now (a review saves into it
after the batch ran), through ``silence_statuses``, never from the numbers stored at processing.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass

from audio_pipeline.errors import TranscriptFormatError
from audio_pipeline.export.table import spreadsheet_safe
from audio_pipeline.review.decisions import silence_statuses
from audio_pipeline.schema import ROLES, Transcript, load_transcript

from ..naming import export_file_name
from .manifest import SessionSpec
from .state import BatchState, SessionStats

logger = logging.getLogger(__name__)

LONG_PAUSE_S = 5.0
LISTED_PAUSE_S = 2.0


def stats_of(transcript: Transcript) -> SessionStats:
    talk = dict.fromkeys((*ROLES, "unknown"), 0.0)
    for speaker in transcript.speakers:
        talk[speaker.role] += speaker.talk_time_s
    return SessionStats(
        duration_s=transcript.recording.duration_s,
        speakers=len(transcript.speakers),
        roles=sorted({s.role for s in transcript.speakers}),
        talk_s_by_role={role: round(seconds, 1) for role, seconds in talk.items()},
        turns=sum(s.turn_count for s in transcript.speakers),
        pauses_2s=sum(1 for p in transcript.pauses if p.duration_s >= LISTED_PAUSE_S),
        pauses_5s=sum(1 for p in transcript.pauses if p.duration_s >= LONG_PAUSE_S),
        silence_candidates=len(transcript.silence_candidates),
        emotional_segments=sum(1 for s in transcript.segments if s.emotion is not None),
        warnings=[w.code for w in transcript.warnings],
    )


@dataclass(frozen=True)
class ReviewCounts:
    """Silence candidates by coders' decision; Silences coders added that the detector missed."""

    confirmed: int
    rejected: int
    unreviewed: int  # not decided yet, or marked unsure: still candidates
    added: int

    @classmethod
    def of(cls, transcript: Transcript) -> ReviewCounts:
        statuses = silence_statuses(transcript)
        candidates = [s for s in statuses if s.candidate is not None]
        return cls(
            confirmed=sum(s.is_silence for s in candidates),
            rejected=sum(s.state == "rejected" for s in candidates),
            unreviewed=sum(s.is_open_candidate for s in candidates),
            added=sum(s.is_silence and s.candidate is None for s in statuses),
        )


@dataclass(frozen=True)
class SessionResult:
    """Where one session stands at the end of a run."""

    spec: SessionSpec
    status: str  # done (this run), skipped (already done), failed, not_run (interrupted)
    stats: SessionStats | None = None
    error_code: str = ""
    error: str = ""
    elapsed_s: float = 0.0


TALK_COLUMNS = tuple(f"talk_s_{role}" for role in (*ROLES, "unknown"))
COLUMNS = (
    "session_id",
    "dyad_id",
    "oncologist_id",
    "date",
    "setting",
    "status",
    "error_code",
    "error",
    "duration_s",
    "speakers",
    "roles",
    *TALK_COLUMNS,
    "turns",
    "pauses_2s",
    "pauses_5s",
    "silence_candidates",
    "emotional_segments",
    "warnings",
    "candidates_confirmed",
    "candidates_rejected",
    "candidates_unreviewed",
    "silences_added_by_coder",
)
_REVIEW_COLUMNS = 4


def load_session_transcript(state: BatchState, result: SessionResult) -> Transcript | None:
    """A finished session's transcript as it is now (coders may have reviewed it since), or None."""
    if result.status not in {"done", "skipped"}:
        return None
    session_id = result.spec.session_id
    path = state.session_dir(session_id) / export_file_name(session_id, "json", "json")
    try:
        return load_transcript(path.read_text(encoding="utf-8"))
    except (OSError, TranscriptFormatError):
        logger.warning("a finished session's transcript could not be read for the summary")
        return None


def summary_csv(results: list[SessionResult], state: BatchState | None = None) -> bytes:
    """UTF-8 with a BOM so Excel reads it right; ids that look like formulas stay text.

    With ``state``, each finished session's review counts are read from its transcript; without,
    those columns stay empty.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for result in sorted(results, key=lambda r: r.spec.session_id):
        spec, stats = result.spec, result.stats
        row: list[object] = [
            spreadsheet_safe(spec.session_id),
            spreadsheet_safe(spec.dyad_id),
            spreadsheet_safe(spec.oncologist_id),
            spec.date.isoformat() if spec.date else "",
            spec.setting or "",
            result.status,
            result.error_code,
            result.error,
        ]
        if stats is None:
            row += [""] * (len(COLUMNS) - len(row) - _REVIEW_COLUMNS)
        else:
            row += [
                f"{stats.duration_s:.1f}",
                stats.speakers,
                ";".join(stats.roles),
                *(f"{stats.talk_s_by_role.get(c.removeprefix('talk_s_'), 0.0):.1f}" for c in TALK_COLUMNS),
                stats.turns,
                stats.pauses_2s,
                stats.pauses_5s,
                stats.silence_candidates,
                stats.emotional_segments,
                ";".join(stats.warnings),
            ]
        transcript = load_session_transcript(state, result) if state is not None else None
        if transcript is None:
            row += [""] * _REVIEW_COLUMNS
        else:
            counts = ReviewCounts.of(transcript)
            row += [counts.confirmed, counts.rejected, counts.unreviewed, counts.added]
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
