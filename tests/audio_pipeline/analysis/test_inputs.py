"""AnalysisInputs: measured once, they give exactly what analysing the waveform gives, and pitch is memoised."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from audio_pipeline.analysis import AnalysisOptions, analyze
from audio_pipeline.analysis import inputs as inputs_module
from audio_pipeline.analysis.inputs import AnalysisInputs
from audio_pipeline.attribute import build_speakers
from audio_pipeline.review.corrections import TextEdit, apply_correction
from audio_pipeline.schema import ModelInfo, Provenance, RecordingInfo, Segment, Transcript, Word
from tests.conftest import read_mono


def _transcript(duration_s: float) -> Transcript:
    lines = [
        (0.0, 5.2, "S1", "I'm afraid the scan shows the tumor has grown."),
        (6.7, duration_s, "S2", "Is she going to be okay?"),
    ]
    segments = []
    for n, (start, end, speaker, text) in enumerate(lines, start=1):
        tokens = text.split()
        step = (end - start) / len(tokens)
        words = [Word(start_s=start + k * step, end_s=start + (k + 1) * step, text=t, probability=0.9, speaker=speaker)
                 for k, t in enumerate(tokens)]  # fmt: skip
        segments.append(
            Segment(id=f"seg-{n:05d}", start_s=start, end_s=end, speaker=speaker, text=text, words=words, overlap=False,
                    asr_confidence=0.9)
        )  # fmt: skip
    info = ModelInfo(name="reference")
    return Transcript(
        recording=RecordingInfo(sha256="0" * 64, size_bytes=1, container="wav", codec="pcm_s16le", sample_rate_hz=16000,
                                channels=1, duration_s=duration_s, bandwidth="wideband", channel_layout="mono"),
        provenance=Provenance(package_version="test", created_at=datetime.now(UTC), device="cpu", asr_model=info,
                              asr_compute_type="n/a", diarization_model=info, engine_versions={}, parameters={}),
        language="en", speakers=build_speakers(segments, {}), segments=segments, warnings=[],
    )  # fmt: skip


def test_inputs_give_the_same_analysis_and_measure_pitch_once(two_voice_wav: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    waveform = read_mono(two_voice_wav)
    transcript = _transcript(round(len(waveform) / 16000, 3))
    options = AnalysisOptions()
    inputs = AnalysisInputs.measure(waveform, transcript.segments)
    assert analyze(transcript, inputs, options) == analyze(transcript, waveform, options)

    calls: list[int] = []
    real = inputs_module.median_f0_hz
    monkeypatch.setattr(inputs_module, "median_f0_hz", lambda w, spans: calls.append(1) or real(w, spans))
    fresh = AnalysisInputs.measure(waveform)
    analyze(transcript, fresh, options)
    assert len(calls) == 2  # one per speaker
    edited = apply_correction(transcript, TextEdit(segment_id="seg-00002", text="Is she going to be okay? I am so scared."))
    again = analyze(edited, fresh, options, recount_speakers=True)
    assert len(calls) == 2, "a text edit keeps every span: no pitch is measured again"
    assert again.segments[1].emotion is not None
