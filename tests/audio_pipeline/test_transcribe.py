"""The real faster-whisper path with the tiny random-weight model."""

from __future__ import annotations

from pathlib import Path

from audio_pipeline.models import resolve_asr
from audio_pipeline.settings import Settings
from audio_pipeline.transcribe import AsrOptions, WhisperTranscriber, WordOrderer, build_prompt
from tests.conftest import read_mono


def test_tiny_whisper_streams_segments_with_word_timestamps(tiny_models: Path, two_voice_wav: Path) -> None:
    model = resolve_asr("small.en", Settings(models_dir=tiny_models))
    assert model.synthetic and model.recommended_max_new_tokens
    transcriber = WhisperTranscriber(model, "cpu", "int8")
    seen: list[float] = []
    options = AsrOptions("en", 1, build_prompt("Um, uh.", ["scan", "PET"]), model.recommended_max_new_tokens, True)
    run = transcriber.transcribe(read_mono(two_voice_wav), options, seen.append)
    segments = list(run.segments)
    assert run.language == "en"
    assert segments, "the random model should still emit segments for speech"
    assert any(seg.words for seg in segments)
    for seg in segments:
        for word in seg.words:
            assert 0.0 <= word.probability <= 1.0
            assert word.end_s >= word.start_s
    assert seen and all(0.0 <= f <= 1.0 for f in seen)


def test_batched_recognition_keeps_word_timestamps_and_vad(tiny_models: Path, two_voice_wav: Path) -> None:
    model = resolve_asr("small.en", Settings(models_dir=tiny_models))
    transcriber = WhisperTranscriber(model, "cpu", "int8", batch_size=4)
    options = AsrOptions("en", 1, None, model.recommended_max_new_tokens, True)
    waveform = read_mono(two_voice_wav)
    segments = list(transcriber.transcribe(waveform, options, lambda _f: None).segments)
    assert segments and any(seg.words for seg in segments)
    for seg in segments:
        assert 0.0 <= seg.start_s <= seg.end_s <= len(waveform) / 16000 + 0.5
        assert all(word.end_s >= word.start_s for word in seg.words)


def test_same_model_is_loaded_once_per_process(tiny_models: Path) -> None:
    model = resolve_asr("small.en", Settings(models_dir=tiny_models))
    first = WhisperTranscriber(model, "cpu", "int8")
    second = WhisperTranscriber(model, "cpu", "int8")
    assert first._whisper is second._whisper


def test_word_orderer_keeps_times_monotonic_and_inside_duration() -> None:
    orderer = WordOrderer(duration_s=10.0)
    placed = [orderer.place(s, e) for s, e in [(1.0, 1.5), (0.9, 1.2), (9.8, 12.0), (15.0, 16.0), (-1.0, 0.5)]]
    starts = [p[0] for p in placed]
    assert starts == sorted(starts)
    assert all(0.0 <= s <= e <= 10.0 for s, e in placed)
    assert orderer.adjusted == 4


def test_prompt_carries_vocabulary() -> None:
    assert build_prompt("Um.", ["scan", " MRI "]) == "Um. scan, MRI."
    assert build_prompt("", []) is None
