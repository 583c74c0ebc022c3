"""The study summary's numbers: one row per session, as summary.csv."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from audio_pipeline.export.table import spreadsheet_safe
from audio_pipeline.schema import ROLES, Transcript

from .manifest import SessionSpec
from .state import SessionStats

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
)


def summary_csv(results: list[SessionResult]) -> bytes:
    """UTF-8 with a BOM so Excel reads it right; ids that look like formulas stay text."""
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
            row += [""] * (len(COLUMNS) - len(row))
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
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
