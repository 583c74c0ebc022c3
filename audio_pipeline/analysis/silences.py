"""Intentional-silence candidates: long pauses that follow emotional content, with their evidence.

Intention cannot be heard, so nothing here codes a Silence: each candidate carries what a coder
needs to decide (the emotional trigger, who fell silent, who broke the silence and how), and
every other pause of the same length is listed separately for review.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..datafiles import data_file
from ..schema import EmotionCue, LongPause, Pause, Segment, SilenceCandidate

RESPONSE_CUES = Path(__file__).with_name("data") / "response_cues.yaml"
_EDGE_S = 0.3  # speech edges and word timings are this uncertain at a pause boundary
_CLAUSE_END = re.compile(r"[.?!;]+")
_CLAUSE_CHARS = 80  # about fifteen words: further on, an unpunctuated run is not the cue's sentence


@dataclass(frozen=True)
class SilenceOptions:
    min_silence_s: float = 5.0
    trigger_window_s: float = 10.0  # an emotional cue must end (word timings) this close to the pause start
    min_emotion_score: float = 0.5
    breaking_words: int = 12


@data_file("the response cues", RESPONSE_CUES)
def _response_patterns(data: Any) -> dict[str, tuple[re.Pattern[str], ...]]:
    return {kind: tuple(re.compile(p, re.IGNORECASE) for p in data[kind]) for kind in ("compassionate", "invitational")}


def classify_response(text: str) -> str:
    if not text.strip():
        return "none"
    patterns = _response_patterns()
    for kind in ("compassionate", "invitational"):
        if any(p.search(text) for p in patterns[kind]):
            return kind
    return "other"


@dataclass(frozen=True)
class SilenceAnalysis:
    candidates: list[SilenceCandidate]
    long_pauses: list[LongPause]


@dataclass(frozen=True)
class _Trigger:
    segment: Segment
    cues: list[EmotionCue]  # the segment's cues that end inside the window
    strength: float
    end_s: float  # when the last of those cues ended
    immediate: bool  # the trigger segment is the last one before the pause


def _word_spans(seg: Segment) -> list[tuple[int, int]] | None:
    """Each word's character span in the segment text; None when the words do not spell the text
    (a hand-edited text whose words were not re-timed)."""
    spans = []
    cursor = 0
    lowered = seg.text.lower()
    for word in seg.words:
        token = word.text.strip().lower()
        at = lowered.find(token, cursor) if token else -1
        if at < 0:
            return None
        spans.append((at, at + len(token)))
        cursor = at + len(token)
    return spans


def _clause_end(text: str, end_char: int) -> int:
    """Where the sentence holding a cue ends ("I'm afraid it has spread to her liver." ends at
    "liver."), up to _CLAUSE_CHARS further on; the cue's own end in an unpunctuated run."""
    stop = _CLAUSE_END.search(text, end_char, end_char + _CLAUSE_CHARS)
    return stop.end() if stop else end_char


def cue_end_s(seg: Segment, cue: EmotionCue) -> float:
    """When the emotional content of a cue ended: the end of the word that closes the cue's sentence.
    Without usable words, the same fraction of the segment's time as of its text (a cue is never
    placed at the segment end just because the segment goes on talking after it)."""
    end_char = _clause_end(seg.text, cue.end_char)
    spans = _word_spans(seg) if seg.words else None
    if spans:
        for (_, end), word in zip(spans, seg.words, strict=True):
            if end >= end_char:
                return word.end_s
        return seg.words[-1].end_s
    fraction = end_char / len(seg.text) if seg.text else 1.0
    return seg.start_s + fraction * (seg.end_s - seg.start_s)


def _strength(cues: Sequence[EmotionCue], fallback: float) -> float:
    remaining = 1.0
    for cue in cues:
        remaining *= 1.0 - (cue.weight if cue.weight is not None else fallback)
    return 1.0 - remaining


def _trigger(pause: Pause, segments: Sequence[Segment], options: SilenceOptions) -> _Trigger | None:
    """The emotional content that ends closest before the pause, within the window.

    Timed by the cue's own words, not its segment's end: a long turn whose emotional clause ended
    20 s before the pause is no trigger, and a short emotional turn followed by a brief "mm" is."""
    before = [s for s in segments if s.start_s < pause.start_s + _EDGE_S]
    last = max(before, key=lambda s: s.end_s) if before else None
    best: _Trigger | None = None
    for seg in before:
        if seg.emotion is None:
            continue
        timed = [(cue_end_s(seg, c), c) for c in seg.emotion.cues]
        # A cue whose words the recognizer timed into the pause was still said before it: the speech map,
        # not word timing, says where talk stops (tiny.en at 10 dB runs a last word ~0.4 s over).
        inside = [(t, c) for t, c in timed if pause.start_s - options.trigger_window_s <= t < pause.end_s]
        if not inside:
            continue
        cues = [c for _, c in inside]
        strength = _strength(cues, seg.emotion.score) if len(cues) < len(timed) else seg.emotion.score
        if strength < options.min_emotion_score:
            continue
        end_s = max(t for t, _ in inside)
        if best is None or end_s > best.end_s:
            best = _Trigger(seg, cues, round(strength, 3), end_s, seg is last)
    return best


def _evidence(cue: EmotionCue) -> str:
    """Which rule family and resource fired, for the coder; no transcript text (it is PHI)."""
    score = f", compound {cue.vader_compound:+.2f}" if cue.vader_compound is not None else ""
    heard = f", read as '{cue.heard_as}'" if cue.heard_as else ""
    return f"{cue.family}: {cue.rule} ({cue.resource}{score}{heard})"


def _breaking_words(pause: Pause, segments: Sequence[Segment], limit: int) -> str:
    after = [w.text for s in segments if s.start_s >= pause.end_s - 0.3 for w in s.words]
    return " ".join(after[:limit])


def find_silences(pauses: Sequence[Pause], segments: Sequence[Segment], options: SilenceOptions | None = None) -> SilenceAnalysis:
    options = options or SilenceOptions()
    candidates: list[SilenceCandidate] = []
    long_pauses: list[LongPause] = []
    for pause in pauses:
        if pause.duration_s < options.min_silence_s:
            continue
        found = _trigger(pause, segments, options)
        if found is None:
            long_pauses.append(
                LongPause(
                    pause_id=pause.id,
                    start_s=pause.start_s,
                    end_s=pause.end_s,
                    duration_s=pause.duration_s,
                    speaker_before=pause.speaker_before,
                    speaker_after=pause.speaker_after,
                )
            )
            continue
        words = _breaking_words(pause, segments, options.breaking_words)
        response = classify_response(words) if pause.speaker_after else "none"
        # Confidence: how emotional the trigger is, discounted when it is not the last thing said,
        # raised a little when the breaker's words answer the emotion.
        confidence = found.strength * (1.0 if found.immediate else 0.85)
        confidence = min(1.0, confidence + (0.05 if response in ("compassionate", "invitational") else 0.0))
        candidates.append(
            SilenceCandidate(
                id=f"silence-{len(candidates) + 1:03d}",
                pause_id=pause.id,
                start_s=pause.start_s,
                end_s=pause.end_s,
                duration_s=pause.duration_s,
                trigger_segment=found.segment.id,
                trigger_categories=list(dict.fromkeys(c.category for c in found.cues)),
                trigger_cues=[c.text for c in found.cues],
                trigger_evidence=[_evidence(c) for c in found.cues],
                trigger_end_s=round(found.end_s, 3),
                fell_silent=pause.speaker_before,
                broke_silence=pause.speaker_after,
                breaking_words=words,
                response=response,  # type: ignore[arg-type]
                confidence=round(confidence, 3),
            )
        )
    return SilenceAnalysis(candidates=candidates, long_pauses=long_pauses)
