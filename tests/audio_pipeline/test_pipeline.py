"""The whole pipeline in-process: real engines with tiny models, and our own logic with fakes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import soundfile as sf

from audio_pipeline.diarize import Diarization, SpeakerCountHint, SpeakerTurn
from audio_pipeline.models import ResolvedModel
from audio_pipeline.pipeline import TranscriptionPipeline, asr_batch_size
from audio_pipeline.request import RunRequest
from audio_pipeline.schema import UNKNOWN_SPEAKER, Transcript
from audio_pipeline.settings import Settings
from audio_pipeline.transcribe import AsrOptions, AsrRun, AsrSegment, AsrWord
from tests.conftest import read_mono

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schema" / "transcript.schema.json").read_text())


def check_contract(transcript: Transcript) -> None:
    """What every transcript must satisfy: schema-valid, ordered words inside the audio, a speaker on each."""
    jsonschema.validate(json.loads(transcript.to_json()), SCHEMA)
    duration = transcript.recording.duration_s
    starts = [w.start_s for s in transcript.segments for w in s.words]
    assert starts == sorted(starts)
    for segment in transcript.segments:
        assert segment.words, "no empty segments"
        for word in segment.words:
            assert 0.0 <= word.start_s <= word.end_s <= duration
            assert word.speaker and word.speaker == segment.speaker


@pytest.fixture(scope="module")
def real_pipeline(tiny_models: Path) -> TranscriptionPipeline:
    return TranscriptionPipeline(Settings(models_dir=tiny_models, asr_beam_size=1, asr_temperature_fallback=False))


def test_real_engines_end_to_end(real_pipeline: TranscriptionPipeline, two_voice_wav: Path) -> None:
    stages: list[str] = []
    transcript = real_pipeline.run(two_voice_wav, RunRequest(num_speakers=2), lambda s, f: stages.append(s))
    check_contract(transcript)
    assert transcript.segments
    assert {"decode", "load_models", "transcribe", "diarize", "attribute"} <= set(stages)
    provenance = transcript.provenance
    assert provenance.asr_model.synthetic and provenance.diarization_model and provenance.diarization_model.synthetic
    assert provenance.options is not None and provenance.options.diarization is not None and provenance.options.asr
    assert provenance.options.diarization.num_speakers == 2 and provenance.options.asr.word_timestamps is True
    assert {"faster-whisper", "pyannote.audio", "torch"} <= set(provenance.engine_versions)
    assert "synthetic_models" in {w.code for w in transcript.warnings}


def test_models_are_reused_across_recordings(real_pipeline: TranscriptionPipeline, two_voice_wav: Path) -> None:
    real_pipeline.run(two_voice_wav)
    again = real_pipeline.run(two_voice_wav)
    assert again.provenance.timings_s["load_models"] < 0.5


def test_silence_only_succeeds_with_no_segments_and_a_warning(real_pipeline: TranscriptionPipeline, tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.wav"
    sf.write(quiet, np.random.default_rng(0).normal(0, 1e-4, 16000 * 8).astype(np.float32), 16000)
    transcript = real_pipeline.run(quiet)
    check_contract(transcript)
    assert transcript.segments == []
    assert "no_speech" in {w.code for w in transcript.warnings}


def test_dual_party_recording_hints_diarization(
    real_pipeline: TranscriptionPipeline, two_voice_wav: Path, tmp_path: Path
) -> None:
    speech = read_mono(two_voice_wav)
    half = len(speech) // 2
    left, right = speech.copy(), speech.copy()
    left[half:] = 0
    right[:half] = 0
    call = tmp_path / "call.wav"
    sf.write(call, np.stack([left, right], axis=1), 16000)
    transcript = real_pipeline.run(call, RunRequest(speakers_from="model"))  # auto would take the channels
    check_contract(transcript)
    assert transcript.recording.channel_layout == "dual_party"
    options = transcript.provenance.options
    assert options is not None and options.diarization is not None and options.diarization.min_speakers == 2
    assert "dual_party_channels" in {w.code for w in transcript.warnings}
    assert options.diarization.speakers_from == "model"


# --- our own logic, with substituted engines -----------------------------------------------


FAKE_MODEL = ResolvedModel("whisper", "fake", Path("."), None, None, synthetic=False)


class FakeTranscriber:
    model = FAKE_MODEL
    compute_type = "n/a"

    def __init__(self, segments: list[AsrSegment]) -> None:
        self.segments = segments

    def transcribe(self, waveform: np.ndarray, options: AsrOptions, progress: Callable[[float], None]) -> AsrRun:
        return AsrRun("en", 0.99, iter(self.segments))


class FakeDiarizer:
    model = ResolvedModel("pyannote", "fake", Path("."), None, None, synthetic=False)

    def __init__(self, turns: list[SpeakerTurn]) -> None:
        self.turns = turns
        self.hints: list[SpeakerCountHint] = []

    def diarize(self, waveform: np.ndarray, hint: SpeakerCountHint, progress: Callable[[float], None]) -> Diarization:
        self.hints.append(hint)
        return Diarization(tuple(self.turns), ())


def test_out_of_order_words_are_fixed_and_reported(two_voice_wav: Path) -> None:
    words = (AsrWord(2.0, 2.5, " late", 0.9), AsrWord(1.0, 1.2, " early", 0.9), AsrWord(7.0, 99.0, " past", 0.9))
    fake = FakeTranscriber([AsrSegment(1.0, 99.0, " late early past", words, -0.1, 0.0)])
    pipeline = TranscriptionPipeline(transcriber=fake, diarizer=FakeDiarizer([SpeakerTurn(0.0, 30.0, "A")]))
    transcript = pipeline.run(two_voice_wav)
    check_contract(transcript)
    assert "timestamps_adjusted" in {w.code for w in transcript.warnings}


def test_unknown_words_are_counted_in_a_warning(two_voice_wav: Path) -> None:
    words = (AsrWord(0.5, 0.8, " hello", 0.9), AsrWord(5.0, 5.4, " there", 0.9))
    fake = FakeTranscriber([AsrSegment(0.5, 5.4, " hello there", words, -0.1, 0.0)])
    pipeline = TranscriptionPipeline(transcriber=fake, diarizer=FakeDiarizer([SpeakerTurn(0.0, 1.0, "A")]))
    transcript = pipeline.run(two_voice_wav)
    assert [s.speaker for s in transcript.segments] == ["S1", UNKNOWN_SPEAKER]
    assert "unknown_speaker" in {w.code for w in transcript.warnings}


def test_recognition_batches_on_a_gpu_unless_told_otherwise() -> None:
    assert asr_batch_size(None, "cuda") == 16
    assert asr_batch_size(None, "cpu") == 0
    assert asr_batch_size(0, "cuda") == 0  # ALLIANCE_ASR_BATCH_SIZE=0 keeps a GPU sequential
    assert asr_batch_size(8, "cpu") == 8
