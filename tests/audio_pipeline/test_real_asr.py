"""End to end with the real tiny.en on espeak-ng speech: text, pauses and Silence candidates from audio alone.

The speakers come from the recording's own construction (tests/real_speech.py), as in the issue's
"with the true speakers": what is under test is what real recognition does to the analysis.
"""

from __future__ import annotations

from pathlib import Path

import jiwer
import pytest

from audio_pipeline.pipeline import TranscriptionPipeline
from audio_pipeline.schema import Transcript
from audio_pipeline.settings import Settings
from audio_pipeline.transcribe import WhisperTranscriber
from tests.real_speech import Built, Line, TrueSpeakers, build

pytestmark = pytest.mark.engines

LINES = [
    Line("S1", "I am so sorry. The treatment is not working anymore.", 6.0),
    Line("S2", "Is she going to be okay? I am so scared.", 1.0),
    # Neutral talk for more than the 10 s trigger window, so the next long pause follows no emotion.
    Line("S1", "Here is the area we measured last time.", 1.0),
    Line("S2", "We parked in the garage on level two.", 1.0),
    Line("S1", "The nurse will give you the schedule for the next visit.", 1.0),
    Line("S1", "We can do the scan on Monday or Wednesday.", 6.0),
    Line("S2", "Can you send the prescription to our pharmacy?", 0.5),
]
NEUTRAL_GAP = 5
# Bounds per condition, about 1.5x what tiny.en measured on these lines when the test was written
# (see the README for the figures on the held-out consultations).
WER_BOUND = {"clean": 0.15, "snr10": 0.35, "telephone": 0.35}
NORMALISE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)


def word_error_rate(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(reference, hypothesis, reference_transform=NORMALISE, hypothesis_transform=NORMALISE))


@pytest.fixture(scope="module", params=["clean", "snr10", "telephone"])
def consult(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_en: WhisperTranscriber
) -> tuple[str, Built, Transcript]:
    folder = tmp_path_factory.mktemp(f"real-{request.param}")
    built = build(LINES, folder, "consult", request.param)
    pipeline = TranscriptionPipeline(Settings(), transcriber=tiny_en, diarizer=TrueSpeakers(built.turns))
    return request.param, built, pipeline.run(built.path)


def test_word_error_rate_is_under_the_bound(consult: tuple[str, Built, Transcript]) -> None:
    condition, _, transcript = consult
    hypothesis = " ".join(s.text for s in transcript.segments)
    error_rate = word_error_rate(" ".join(line.text for line in LINES), hypothesis)
    assert error_rate <= WER_BOUND[condition], (hypothesis, transcript.dropped_words)
    assert transcript.provenance.asr_model.repo_id == "Systran/faster-whisper-tiny.en"
    assert not transcript.provenance.asr_model.synthetic


def test_emotional_line_before_six_seconds_is_a_silence_candidate(consult: tuple[str, Built, Transcript]) -> None:
    _, built, transcript = consult
    gap_start, gap_end = built.gaps[0]
    found = [c for c in transcript.silence_candidates if abs(c.start_s - gap_start) < 0.5 and abs(c.end_s - gap_end) < 0.5]
    assert len(found) == 1, [(c.start_s, c.end_s) for c in transcript.silence_candidates]
    candidate = found[0]
    # The silence is broken by the parent's real next words, and is no [BLANK_AUDIO].
    assert "so scared" in candidate.breaking_words.lower()
    assert candidate.broke_silence == "S2" and "[" not in candidate.breaking_words


def test_neutral_line_before_six_seconds_is_a_long_pause_not_a_candidate(consult: tuple[str, Built, Transcript]) -> None:
    _, built, transcript = consult
    gap_start, gap_end = built.gaps[NEUTRAL_GAP]
    assert any(abs(p.start_s - gap_start) < 0.5 and abs(p.end_s - gap_end) < 0.5 for p in transcript.long_pauses)
    assert not any(abs(c.start_s - gap_start) < 0.5 for c in transcript.silence_candidates)


def test_emotion_cues_point_at_the_recognised_characters(consult: tuple[str, Built, Transcript]) -> None:
    _, _, transcript = consult
    cues = [(seg, cue) for seg in transcript.segments if seg.emotion for cue in seg.emotion.cues]
    assert cues
    for seg, cue in cues:
        assert seg.text[cue.start_char : cue.end_char] == cue.text


def test_tiny_en_resolves_offline_from_the_installed_package(tmp_path: Path) -> None:
    from audio_pipeline.models import resolve_asr

    resolved = resolve_asr("tiny.en", Settings(models_dir=tmp_path))
    assert (resolved.path / "model.bin").is_file()
    assert resolved.repo_id == "Systran/faster-whisper-tiny.en" and not resolved.synthetic
