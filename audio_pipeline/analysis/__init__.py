"""Analysis on the transcript contract: pauses, emotional content, intentional-silence candidates.

Runs after attribution on a fresh transcript, and again on a transcript a person corrected
(text, speakers, timings), so every figure follows the corrections without transcribing again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..attribute import build_speakers
from ..schema import Segment, Speaker, Transcript
from ..vad import speech_map
from .emotion import DEFAULT_LEXICON, detect, load_lexicon
from .pauses import PauseOptions, find_pauses
from .silences import SilenceOptions, find_silences


@dataclass(frozen=True)
class AnalysisOptions:
    min_pause_s: float = 2.0
    min_silence_s: float = 5.0
    trigger_window_s: float = 10.0
    min_emotion_score: float = 0.5
    lexicon: Path = DEFAULT_LEXICON


def analyze(transcript: Transcript, waveform: np.ndarray, options: AnalysisOptions, recount_speakers: bool = False) -> Transcript:
    """A copy of the transcript with pauses, per-segment emotion, candidates and long pauses recomputed."""
    lexicon = load_lexicon(options.lexicon)
    segments = [
        seg.model_copy(update={"emotion": detect(seg.text, lexicon)})
        for seg in sorted(transcript.segments, key=lambda s: (s.start_s, s.end_s))
    ]
    pause_result = find_pauses(waveform, speech_map(waveform), segments, PauseOptions(min_pause_s=options.min_pause_s))
    silence_result = find_silences(
        pause_result.pauses,
        segments,
        SilenceOptions(options.min_silence_s, options.trigger_window_s, options.min_emotion_score),
    )
    update: dict[str, object] = {
        "segments": segments,
        "pauses": pause_result.pauses,
        "untranscribed_speech": pause_result.untranscribed,
        "silence_candidates": silence_result.candidates,
        "long_pauses": silence_result.long_pauses,
    }
    if recount_speakers:
        update["speakers"] = _recount(segments)
    return transcript.model_copy(update=update)


def _recount(segments: list[Segment]) -> list[Speaker]:
    """After corrections, talk time comes from the corrected segments rather than the diarization."""
    talk: dict[str, float] = {}
    for seg in segments:
        talk[seg.speaker] = talk.get(seg.speaker, 0.0) + seg.end_s - seg.start_s
    return build_speakers(segments, talk)
