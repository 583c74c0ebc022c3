"""Give every word a speaker and cut segments where the speaker changes.

Rules (issue #2):
- a word takes the speaker of the exclusive diarization turn it overlaps most;
- a word outside every turn takes the nearest turn within a tolerance (0.5 s), else 'unknown';
- segments are re-cut at speaker changes, so a short back-channel ("mm-hmm") inside another
  speaker's turn becomes its own segment with its own speaker instead of being absorbed;
- a segment touching a region where two speakers talk at once is flagged as overlapping.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .diarize import Diarization, SpeakerTurn
from .schema import UNKNOWN_SPEAKER, Segment, Speaker, Word
from .transcribe import AsrSegment, AsrWord


@dataclass(frozen=True)
class Attribution:
    segments: list[Segment]
    speakers: list[Speaker]
    unknown_words: int
    speaker_ids: dict[str, str]  # diarization label -> S1, S2...


class TurnIndex:
    """Exclusive turns sorted by start, with stable ids S1, S2... in order of first speech."""

    def __init__(self, turns: Sequence[SpeakerTurn]) -> None:
        self.turns = sorted(turns, key=lambda t: (t.start_s, t.end_s))
        self._starts = [t.start_s for t in self.turns]
        self.ids: dict[str, str] = {}
        for turn in self.turns:
            self.ids.setdefault(turn.speaker, f"S{len(self.ids) + 1}")

    def speaker_for(self, start_s: float, end_s: float, tolerance_s: float) -> str:
        if not self.turns:
            return UNKNOWN_SPEAKER
        # Exclusive turns never overlap each other, so only turns starting before end_s
        # and the one just before start_s can touch the word.
        hi = bisect.bisect_right(self._starts, end_s)
        lo = max(bisect.bisect_right(self._starts, start_s) - 1, 0)
        best: SpeakerTurn | None = None
        best_overlap = 0.0
        midpoint = (start_s + end_s) / 2
        for turn in self.turns[lo:hi]:
            overlap = min(end_s, turn.end_s) - max(start_s, turn.start_s)
            if overlap > best_overlap or (best is None and end_s == start_s and turn.start_s <= midpoint <= turn.end_s):
                best, best_overlap = turn, max(overlap, 0.0)
        if best is not None:
            return self.ids[best.speaker]
        return self._nearest(start_s, end_s, tolerance_s)

    def _nearest(self, start_s: float, end_s: float, tolerance_s: float) -> str:
        pos = bisect.bisect_left(self._starts, start_s)
        candidates = self.turns[max(pos - 2, 0) : pos + 2]
        best_turn, best_gap = None, tolerance_s
        for turn in candidates:
            gap = max(turn.start_s - end_s, start_s - turn.end_s, 0.0)
            if gap <= best_gap:
                best_turn, best_gap = turn, gap
        return self.ids[best_turn.speaker] if best_turn else UNKNOWN_SPEAKER


class OverlapIndex:
    """Regions of overlapping speech, merged and sorted so one bisect answers a query."""

    def __init__(self, regions: Iterable[tuple[float, float]]) -> None:
        merged: list[tuple[float, float]] = []
        for start_s, end_s in sorted(regions):
            if merged and start_s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end_s))
            else:
                merged.append((start_s, end_s))
        self._regions = merged
        self._ends = [end for _, end in merged]

    def touches(self, start_s: float, end_s: float) -> bool:
        i = bisect.bisect_right(self._ends, start_s)
        return i < len(self._regions) and self._regions[i][0] < end_s


def _segment(index: int, words: list[tuple[AsrWord, str]], source: AsrSegment, overlap: bool) -> Segment:
    speaker = words[0][1]
    out_words = [
        Word(start_s=w.start_s, end_s=w.end_s, text=w.text.strip(), probability=round(w.probability, 4), speaker=speaker)
        for w, _ in words
    ]
    text = "".join(w.text for w, _ in words).strip()
    return Segment(
        id=f"seg-{index:05d}",
        start_s=out_words[0].start_s,
        end_s=out_words[-1].end_s,
        speaker=speaker,
        text=text,
        words=out_words,
        overlap=overlap,
        asr_confidence=round(sum(w.probability for w in out_words) / len(out_words), 4),
        avg_logprob=source.avg_logprob,
        no_speech_prob=source.no_speech_prob,
    )


def attribute(asr_segments: Iterable[AsrSegment], diarization: Diarization, tolerance_s: float = 0.5) -> Attribution:
    index = TurnIndex(diarization.turns)
    overlaps = OverlapIndex(diarization.overlaps)
    segments: list[Segment] = []
    unknown = 0
    for source in asr_segments:
        run: list[tuple[AsrWord, str]] = []
        for word in source.words:
            if not word.text.strip():
                continue
            speaker = index.speaker_for(word.start_s, word.end_s, tolerance_s)
            unknown += speaker == UNKNOWN_SPEAKER
            if run and run[-1][1] != speaker:
                segments.append(_finish(len(segments) + 1, run, source, overlaps))
                run = []
            run.append((word, speaker))
        if run:
            segments.append(_finish(len(segments) + 1, run, source, overlaps))
    return Attribution(segments=segments, speakers=speaker_stats(segments, index), unknown_words=unknown, speaker_ids=index.ids)


def _finish(number: int, run: list[tuple[AsrWord, str]], source: AsrSegment, overlaps: OverlapIndex) -> Segment:
    return _segment(number, run, source, overlaps.touches(run[0][0].start_s, run[-1][0].end_s))


def speaker_stats(segments: Sequence[Segment], index: TurnIndex) -> list[Speaker]:
    talk: dict[str, float] = {sid: 0.0 for sid in index.ids.values()}
    for turn in index.turns:
        talk[index.ids[turn.speaker]] += turn.end_s - turn.start_s
    return build_speakers(segments, talk)


def build_speakers(segments: Sequence[Segment], talk_time_s: dict[str, float]) -> list[Speaker]:
    """Speaker summaries; talk time from diarization where known, else from segment spans."""
    turns: dict[str, int] = {}
    words: dict[str, int] = {}
    spans: dict[str, float] = {}
    previous: str | None = None
    for seg in segments:
        if seg.speaker != previous:
            turns[seg.speaker] = turns.get(seg.speaker, 0) + 1
            previous = seg.speaker
        words[seg.speaker] = words.get(seg.speaker, 0) + len(seg.words)
        spans[seg.speaker] = spans.get(seg.speaker, 0.0) + seg.end_s - seg.start_s
    ids = list(dict.fromkeys([*talk_time_s, *turns]))
    return [
        Speaker(
            id=sid,
            talk_time_s=round(talk_time_s.get(sid, spans.get(sid, 0.0)), 3),
            turn_count=turns.get(sid, 0),
            word_count=words.get(sid, 0),
        )
        for sid in ids
        if sid != UNKNOWN_SPEAKER or sid in turns
    ]
