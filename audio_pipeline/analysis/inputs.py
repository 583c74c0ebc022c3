"""What analysis measures on the whole recording, measured once per recording and reused.

Re-analysis after a coder's correction changes the words, never the audio: the speech map (decided
by several witnesses over the whole recording, ``speech_witnesses``) and each speaker's pitch over
the same stretches of speech come out the same, so the review workspace measures them once and every
later analysis reads them from here. The speech map takes the transcript's word times as one
(confirming) witness: those of the transcript it was measured with, so a later text correction
never moves a pause.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..schema import Segment
from ..speech_witnesses import combined_speech_map
from ..vad import SpeechRegion
from .pauses import FrameEnergy, frame_energy, is_non_speech_tag
from .roles import median_f0_hz

Spans = tuple[tuple[float, float], ...]
Pitch = tuple[float, float] | None


@dataclass(frozen=True, eq=False)
class AnalysisInputs:
    """A recording's waveform, speech map and frame energy, plus pitch measured so far (keyed by the speech
    it was measured on)."""

    waveform: np.ndarray  # float32, mono, 16 kHz
    speech: tuple[SpeechRegion, ...]
    energy: FrameEnergy
    _pitch: dict[Spans, Pitch] = field(default_factory=dict, repr=False)
    _pitch_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def measure(
        cls,
        waveform: np.ndarray,
        segments: Sequence[Segment] = (),
        diarized: Sequence[tuple[float, float]] = (),
    ) -> AnalysisInputs:
        """segments: the transcript's, whose word times confirm quiet speech; diarized: speech activity
        from diarization where the caller has it (neither is needed)."""
        speech = combined_speech_map(waveform, word_spans(segments), diarized)
        return cls(waveform=waveform, speech=tuple(speech), energy=frame_energy(waveform))

    def pitch(self, spans: Sequence[tuple[float, float]]) -> Pitch:
        """A speaker's median F0 and range over these spans; measured once per distinct set of spans.

        A text edit keeps every segment's span, so it never measures pitch again; a speaker change
        or a split measures only the speakers whose spans changed.
        """
        key = tuple(sorted(spans))
        with self._pitch_lock:
            if key in self._pitch:
                return self._pitch[key]
        found = median_f0_hz(self.waveform, list(key))
        with self._pitch_lock:
            self._pitch[key] = found
        return found


def word_spans(segments: Sequence[Segment]) -> list[tuple[float, float]]:
    """Where the recogniser heard words, non-speech tags such as "(crying)" left out."""
    return [(w.start_s, w.end_s) for seg in segments for w in seg.words if not is_non_speech_tag(w.text)]


def speaker_spans(segments: Sequence[Segment]) -> dict[str, list[tuple[float, float]]]:
    """Each speaker's segment spans, in time order: the speech their pitch is measured on."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for seg in sorted(segments, key=lambda s: (s.start_s, s.end_s)):
        spans.setdefault(seg.speaker, []).append((seg.start_s, seg.end_s))
    return spans
