"""Hallucination guards: our rules on hand-made recognizer output, then the real tiny.en on padded recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_pipeline.guards import guard, is_hallucinated_tag
from audio_pipeline.pipeline import TranscriptionPipeline
from audio_pipeline.settings import Settings
from audio_pipeline.transcribe import AsrSegment, AsrWord, WhisperTranscriber
from audio_pipeline.vad import SpeechRegion
from tests.conftest import read_mono
from tests.real_speech import TrueSpeakers

RATE = 16_000


def segment(words: list[tuple[float, float, str]], no_speech: float = 0.1, logprob: float = -0.3) -> AsrSegment:
    asr_words = tuple(AsrWord(a, b, text, 0.9) for a, b, text in words)
    return AsrSegment(words[0][0], words[-1][1], "".join(t for _, _, t in words), asr_words, logprob, no_speech)


def loud_then_quiet(seconds: float = 12.0) -> tuple[np.ndarray, list[SpeechRegion]]:
    """Speech-level noise for the first 4 s, near-silence after."""
    rng = np.random.default_rng(0)
    wave = rng.normal(0, 1e-4, int(seconds * RATE)).astype(np.float32)
    wave[: 4 * RATE] = rng.normal(0, 0.1, 4 * RATE)
    return wave, [SpeechRegion(0.0, 4.0)]


@pytest.mark.parametrize("tag", ["[BLANK_AUDIO]", "[ Pause ]", "(music)", "[MUSIC PLAYING]", "♪"])
def test_hallucinated_tags_are_recognised(tag: str) -> None:
    assert is_hallucinated_tag(tag)


@pytest.mark.parametrize("tag", ["(crying)", "[sighs]", "hello", "(laughs)"])
def test_affective_tags_and_words_are_kept(tag: str) -> None:
    assert not is_hallucinated_tag(tag)


def test_a_tag_split_across_words_is_dropped_whole_and_kept_visible() -> None:
    wave, regions = loud_then_quiet()
    words = [(1.0, 1.5, " Hello"), (1.5, 2.0, " there."), (2.0, 2.4, " [BLANK"), (2.4, 2.4, "_AUDIO]")]
    result = guard([segment(words)], wave, regions)
    assert [w.text for w in result.segments[0].words] == [" Hello", " there."]
    assert [(d.text, d.reason) for d in result.dropped] == [("[BLANK", "tag"), ("_AUDIO]", "tag")]


def test_words_outside_speech_are_dropped_but_affective_tags_stay() -> None:
    wave, regions = loud_then_quiet()
    result = guard([segment([(1.0, 2.0, " Okay.")]), segment([(7.0, 8.0, " Hmm"), (8.0, 8.5, " (crying)")])], wave, regions)
    kept = [w.text for s in result.segments for w in s.words]
    assert kept == [" Okay.", " (crying)"]
    assert [(d.text, d.reason) for d in result.dropped] == [("Hmm", "non_speech")]


def test_silence_phrases_are_dropped_in_quiet_audio_or_with_no_speech_but_not_in_speech() -> None:
    wave, regions = loud_then_quiet()
    regions = [*regions, SpeechRegion(6.0, 7.0)]  # Silero fooled by the quiet stretch
    quiet = segment([(6.0, 6.4, " Thank"), (6.4, 6.8, " you.")])
    said = segment([(1.0, 1.4, " Thank"), (1.4, 1.8, " you.")])
    unsure = segment([(2.0, 2.4, " Thank"), (2.4, 2.8, " you.")], no_speech=0.8, logprob=-1.4)
    result = guard([said, unsure, quiet], wave, regions)
    assert [s.start_s for s in result.segments] == [1.0]
    assert {d.reason for d in result.dropped} == {"silence_phrase"} and len(result.dropped) == 4


def test_a_repetition_loop_in_quiet_audio_is_dropped() -> None:
    wave, regions = loud_then_quiet()
    regions = [*regions, SpeechRegion(6.0, 8.0)]
    loop = segment([(6.0 + 0.4 * k, 6.4 + 0.4 * k, " good,") for k in range(5)])
    assert guard([loop], wave, regions).segments == []


@pytest.mark.engines
@pytest.mark.parametrize("padding", ["silence", "noise"])
def test_real_tiny_en_on_padded_speech_leaves_pauses_whole(
    padding: str, two_voice_wav: Path, tmp_path: Path, tiny_en: WhisperTranscriber
) -> None:
    """Speech, 8 s of silence or room noise, speech again, 8 s more: one pause per padding, nothing in it."""
    from audio_pipeline.diarize import SpeakerTurn

    speech = read_mono(two_voice_wav)
    rng = np.random.default_rng(1)
    pad = np.zeros(8 * RATE, np.float32) if padding == "silence" else rng.normal(0, 0.005, 8 * RATE).astype(np.float32)
    wave = np.concatenate([speech, pad, speech, pad])
    path = tmp_path / "padded.wav"
    sf.write(path, wave, RATE)
    n = len(speech) / RATE
    turns = [SpeakerTurn(0.0, n, "A"), SpeakerTurn(n + 8, 2 * n + 8, "A")]
    transcript = TranscriptionPipeline(
        Settings(asr_temperature_fallback=False), transcriber=tiny_en, diarizer=TrueSpeakers(turns)
    ).run(path)
    words = [w for s in transcript.segments for w in s.words]
    assert words
    assert not [w for w in words if n + 0.5 < w.start_s < n + 7.5 or w.start_s > 2 * n + 8.5]
    assert not [w for w in words if w.text.startswith(("[", "("))]
    inner = [p for p in transcript.pauses if p.start_s < n + 1 and p.end_s > n + 7]
    assert len(inner) == 1 and inner[0].duration_s >= 7.0
    if transcript.dropped_words:
        assert "hallucinations_dropped" in {w.code for w in transcript.warnings}
