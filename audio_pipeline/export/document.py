"""The transcript as coders read it: turns with role labels, timed pauses inline, exact offsets.

Every text export (MAXQDA, REFI-QDA, DOCX) renders through here, so the character offsets a
REFI-QDA selection uses are computed on exactly the text that is written, and a pause sits where
it happened: inside a turn between the words around it, or between turns on its own line.
Coders' decisions are read through ``silence_statuses`` only: a confirmed Silence says so, a
rejected candidate is an ordinary pause, an undecided one stays a candidate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..review.decisions import SilenceStatus, silence_statuses
from ..schema import LongPause, Pause, Segment, SilenceCandidate, Speaker, Transcript, word_offsets

PARAGRAPH_BREAK = "\n\n"
UNKNOWN_LABEL = "Unknown speaker"
_ROLE_LABELS = {
    "oncologist": "Oncologist",
    "other_clinician": "Other clinician",
    "parent": "Parent",
    "patient": "Patient",
    "other_family": "Other family",
    "unknown": UNKNOWN_LABEL,
}


def role_label(role: str | None) -> str:
    return _ROLE_LABELS.get(role or "unknown", UNKNOWN_LABEL)


def speaker_label(speaker: Speaker | None, speaker_id: str) -> str:
    """The name coders see: the role label ('Parent 1'), else the speaker id."""
    if speaker is not None and speaker.label:
        return speaker.label
    return UNKNOWN_LABEL if speaker is None else speaker.id


def clock_tenths(seconds: float) -> tuple[int, int, int, int]:
    """(hours, minutes, seconds, tenths), rounded to the nearest tenth with the carry done right."""
    tenths = round(seconds * 10)
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    secs, tenth = divmod(rest, 10)
    return hours, minutes, secs, tenth


def pause_marker(pause: Pause, status: SilenceStatus | None) -> str:
    """Conversation-analysis style: '(5.3)'; a confirmed Silence and an open candidate say so."""
    if status is not None and status.is_silence:
        return f"({pause.duration_s:.1f}, Silence)"
    if status is not None and status.is_open_candidate:
        return f"({pause.duration_s:.1f}, silence candidate)"
    return f"({pause.duration_s:.1f})"


@dataclass(frozen=True)
class Piece:
    """A run of one segment's text written at doc_start (segments split where a pause falls inside them)."""

    seg_start: int
    doc_start: int
    length: int


@dataclass
class RenderedSegment:
    segment: Segment
    pieces: list[Piece] = field(default_factory=list)

    def doc_offset(self, seg_char: int, end: bool = False) -> int:
        for piece in self.pieces:
            inside = (
                piece.seg_start < seg_char <= piece.seg_start + piece.length
                if end
                else (piece.seg_start <= seg_char < piece.seg_start + piece.length)
            )
            if inside:
                return piece.doc_start + seg_char - piece.seg_start
        last = self.pieces[-1]
        return last.doc_start + last.length


@dataclass
class RenderedTurn:
    speaker_id: str
    label: str
    role: str
    start_s: float
    end_s: float
    start: int  # paragraph start, label included
    end: int
    body_start: int  # where the spoken text begins, after the label (and time marker)
    segments: list[RenderedSegment] = field(default_factory=list)


@dataclass(frozen=True)
class RenderedPause:
    pause: Pause
    start: int  # the marker '(6.2, Silence)' itself, label and time marker excluded
    end: int
    status: SilenceStatus | None  # a candidate, or a pause a coder decided on
    long_pause: LongPause | None
    inline: bool  # inside a turn's paragraph (within-turn pause), else a paragraph of its own

    @property
    def is_silence(self) -> bool:
        return self.status is not None and self.status.is_silence

    @property
    def candidate(self) -> SilenceCandidate | None:
        """The detector's candidate while it is still open (unreviewed or unsure); None once decided."""
        return self.status.candidate if self.status is not None and self.status.is_open_candidate else None

    @property
    def open_long_pause(self) -> LongPause | None:
        """A long pause without a trigger that no coder has decided on yet."""
        return self.long_pause if self.status is None or self.status.state == "unreviewed" else None


@dataclass
class RenderedDocument:
    text: str
    turns: list[RenderedTurn]
    pauses: list[RenderedPause]
    segments: dict[str, RenderedSegment]


def _split_points(segment: Segment, pauses: list[Pause]) -> list[tuple[int, Pause]]:
    """(character offset, pause) for pauses that fall between two words of this segment."""
    inside = [p for p in pauses if segment.start_s < p.start_s and p.end_s < segment.end_s]
    offsets = word_offsets(segment) if inside else None
    if not offsets:
        return []
    points: list[tuple[int, Pause]] = []
    for pause in inside:
        before = [end for word, _, end in offsets if word.end_s <= pause.start_s + 0.05]
        after = [start for word, start, _ in offsets if word.start_s >= pause.end_s - 0.05]
        if before and after:
            points.append((before[-1], pause))
    return points


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def write(self, text: str) -> tuple[int, int]:
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        return start, self.length


def render(
    transcript: Transcript,
    pause_threshold_s: float = 2.0,
    timestamp: Callable[[float], str] | None = None,
    clean: Callable[[str], str] = lambda text: text,
    pause_label: str | None = None,
) -> RenderedDocument:
    """One paragraph per turn ('Label: text'), timed pauses at or above the threshold inline.

    ``timestamp`` (if given) writes a time marker after each turn's label; ``clean`` rewrites
    segment text (and must keep its length, so offsets stay exact). ``pause_label`` (if given)
    starts every pause paragraph between turns with 'Label: ' (and its time marker), so a tool
    that credits unlabelled paragraphs to the previous speaker credits the pause to no one.
    """
    speakers = {s.id: s for s in transcript.speakers}
    statuses = {s.pause.id: s for s in silence_statuses(transcript)}
    long_pauses = {lp.pause_id: lp for lp in transcript.long_pauses}
    shown = [p for p in transcript.pauses if p.duration_s >= pause_threshold_s or p.id in statuses]
    segments = sorted(transcript.segments, key=lambda s: (s.start_s, s.end_s))
    out = _Writer()
    turns: list[RenderedTurn] = []
    rendered_pauses: list[RenderedPause] = []
    rendered_segments: dict[str, RenderedSegment] = {}
    placed: set[str] = set()
    turn: RenderedTurn | None = None

    def write_pause(pause: Pause, inline: bool) -> None:
        if not inline and pause_label is not None:
            out.write(f"{pause_label}: ")
            if timestamp is not None:
                out.write(f"{timestamp(pause.start_s)} ")
        status = statuses.get(pause.id)
        start, end = out.write(pause_marker(pause, status))
        rendered_pauses.append(RenderedPause(pause, start, end, status, long_pauses.get(pause.id), inline))
        placed.add(pause.id)

    def close_turn() -> None:
        nonlocal turn
        if turn is not None:
            turn.end = out.length
            out.write(PARAGRAPH_BREAK)
            turn = None

    for seg in segments:
        between = [p for p in shown if p.id not in placed and p.start_s < seg.start_s + 0.05]
        for pause in between:
            if turn is not None and pause.kind == "within_turn" and turn.speaker_id == seg.speaker:
                out.write(" ")
                write_pause(pause, inline=True)
            else:
                close_turn()
                write_pause(pause, inline=False)
                out.write(PARAGRAPH_BREAK)
        if turn is None or turn.speaker_id != seg.speaker:
            close_turn()
            label = speaker_label(speakers.get(seg.speaker), seg.speaker)
            role = speakers[seg.speaker].role if seg.speaker in speakers else "unknown"
            start, _ = out.write(f"{label}: ")
            if timestamp is not None:
                out.write(f"{timestamp(seg.start_s)} ")
            turn = RenderedTurn(seg.speaker, label, role, seg.start_s, seg.end_s, start, start, out.length)
            turns.append(turn)
        elif turn.segments:
            out.write(" ")
        turn.end_s = max(turn.end_s, seg.end_s)
        rseg = RenderedSegment(seg)
        text = clean(seg.text)
        cursor = 0
        for offset, pause in _split_points(seg, [p for p in shown if p.id not in placed]):
            doc_start, _ = out.write(text[cursor:offset])
            rseg.pieces.append(Piece(cursor, doc_start, offset - cursor))
            out.write(" ")
            write_pause(pause, inline=True)
            cursor = offset
        doc_start, _ = out.write(text[cursor:])
        rseg.pieces.append(Piece(cursor, doc_start, len(text) - cursor))
        turn.segments.append(rseg)
        rendered_segments[seg.id] = rseg
    close_turn()
    for pause in shown:
        if pause.id not in placed:  # after the last words of the recording
            write_pause(pause, inline=False)
            out.write(PARAGRAPH_BREAK)
    text = "".join(out.parts).rstrip("\n") + "\n"
    return RenderedDocument(text=text, turns=turns, pauses=rendered_pauses, segments=rendered_segments)


_CLOCK = re.compile(r"(?<=\d):(?=\d)")


def defuse_clock_times(text: str) -> str:
    """'10:30' becomes '10∶30' (U+2236), so a QDA tool never reads spoken clock times as time markers."""
    return _CLOCK.sub("\u2236", text)
