"""Analysis on the transcript contract: pauses, emotional content, intentional-silence candidates,
code suggestions.

Runs after attribution on a fresh transcript, and again on a transcript a person corrected
(text, speakers, timings), so every figure follows the corrections without transcribing again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..attribute import build_speakers
from ..schema import UNKNOWN_SPEAKER, Segment, Speaker, Transcript
from .emotion import DEFAULT_LEXICON, detect, load_lexicon
from .inputs import AnalysisInputs, speaker_spans
from .pauses import PauseOptions, find_pauses
from .roles import SessionHints, assign_roles
from .silences import SilenceOptions, find_silences
from .suggestions import suggest


@dataclass(frozen=True)
class AnalysisOptions:
    min_pause_s: float = 2.0
    min_silence_s: float = 5.0
    trigger_window_s: float = 10.0
    min_emotion_score: float = 0.5
    lexicon: Path = DEFAULT_LEXICON
    review_below: float = 0.7  # role confidence under which a speaker is flagged for review


def analyze(
    transcript: Transcript,
    waveform: np.ndarray | AnalysisInputs,
    options: AnalysisOptions,
    recount_speakers: bool = False,
    hints: SessionHints | None = None,
) -> Transcript:
    """A copy of the transcript with roles, pauses, emotion, candidates, long pauses and suggestions recomputed.

    waveform: the recording, or its AnalysisInputs measured once (then re-analysis skips Silero and pitch).
    """
    inputs = waveform if isinstance(waveform, AnalysisInputs) else AnalysisInputs.measure(waveform, transcript.segments)
    lexicon = load_lexicon(options.lexicon)
    ordered = sorted(transcript.segments, key=lambda s: (s.start_s, s.end_s))
    speakers = _recount(ordered, transcript.speakers) if recount_speakers else transcript.speakers
    spans = speaker_spans(ordered)
    pitch = {
        s.id: inputs.pitch(spans.get(s.id, [])) for s in speakers if s.role_source == "automatic" and s.id != UNKNOWN_SPEAKER
    }
    speakers = assign_roles(speakers, ordered, inputs.waveform, hints, options.review_below, f0_hz=pitch)
    roles = {s.id: s.role for s in speakers}
    segments = [
        seg.model_copy(update={"emotion": detect(seg.text, lexicon), "role": roles.get(seg.speaker, "unknown")})
        for seg in ordered
    ]
    pause_options = PauseOptions(min_pause_s=options.min_pause_s)
    pause_result = find_pauses(inputs.waveform, inputs.speech, segments, pause_options, energy=inputs.energy)
    silence_result = find_silences(
        pause_result.pauses,
        segments,
        SilenceOptions(options.min_silence_s, options.trigger_window_s, options.min_emotion_score),
    )
    update: dict[str, object] = {
        "speakers": speakers,
        "segments": segments,
        "pauses": pause_result.pauses,
        "untranscribed_speech": pause_result.untranscribed,
        "silence_candidates": silence_result.candidates,
        "long_pauses": silence_result.long_pauses,
        "code_suggestions": suggest(segments),
    }
    return transcript.model_copy(update=update)


def _recount(segments: list[Segment], previous: list[Speaker]) -> list[Speaker]:
    """After corrections, talk time comes from the corrected segments; roles set by a person or by
    an enrolled voice are kept."""
    talk: dict[str, float] = {}
    for seg in segments:
        talk[seg.speaker] = talk.get(seg.speaker, 0.0) + seg.end_s - seg.start_s
    fixed = {s.id: s for s in previous if s.role_source != "automatic"}
    keep = ("role", "role_source", "role_confidence", "enrolled_id", "evidence")
    return [
        s.model_copy(update={key: getattr(fixed[s.id], key) for key in keep}) if s.id in fixed else s
        for s in build_speakers(segments, talk)
    ]
