"""Intentional-silence candidates: long pauses that follow emotional content, with their evidence.

Intention cannot be heard, so nothing here codes a Silence: each candidate carries what a coder
needs to decide (the emotional trigger, who fell silent, who broke the silence and how), and
every other pause of the same length is listed separately for review.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..schema import LongPause, Pause, Segment, SilenceCandidate

RESPONSE_CUES = Path(__file__).with_name("data") / "response_cues.yaml"


@dataclass(frozen=True)
class SilenceOptions:
    min_silence_s: float = 5.0
    trigger_window_s: float = 10.0  # emotional speech must end this close to the pause start
    min_emotion_score: float = 0.5
    breaking_words: int = 12


@functools.lru_cache(maxsize=2)
def _response_patterns(path: Path = RESPONSE_CUES) -> dict[str, tuple[re.Pattern[str], ...]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
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


def _trigger(pause: Pause, segments: Sequence[Segment], options: SilenceOptions) -> tuple[Segment, bool] | None:
    """The nearest emotional segment ending within the window before the pause, and whether it is the last one."""
    before = [s for s in segments if s.end_s <= pause.start_s + 0.3]
    for distance, seg in enumerate(reversed(before)):
        if pause.start_s - seg.end_s > options.trigger_window_s:
            break
        if seg.emotion is not None and seg.emotion.score >= options.min_emotion_score:
            return seg, distance == 0
    return None


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
        trigger, immediate = found
        assert trigger.emotion is not None
        words = _breaking_words(pause, segments, options.breaking_words)
        response = classify_response(words) if pause.speaker_after else "none"
        # Confidence: how emotional the trigger is, discounted when it is not the last thing said,
        # raised a little when the breaker's words answer the emotion.
        confidence = trigger.emotion.score * (1.0 if immediate else 0.85)
        confidence = min(1.0, confidence + (0.05 if response in ("compassionate", "invitational") else 0.0))
        candidates.append(
            SilenceCandidate(
                id=f"silence-{len(candidates) + 1:03d}",
                pause_id=pause.id,
                start_s=pause.start_s,
                end_s=pause.end_s,
                duration_s=pause.duration_s,
                trigger_segment=trigger.id,
                trigger_categories=trigger.emotion.categories,
                trigger_cues=[c.text for c in trigger.emotion.cues],
                fell_silent=pause.speaker_before,
                broke_silence=pause.speaker_after,
                breaking_words=words,
                response=response,  # type: ignore[arg-type]
                confidence=round(confidence, 3),
            )
        )
    return SilenceAnalysis(candidates=candidates, long_pauses=long_pauses)
