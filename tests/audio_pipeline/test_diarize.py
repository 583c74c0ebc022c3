"""The real pyannote.audio pipeline with random weights."""

from __future__ import annotations

from pathlib import Path

from audio_pipeline.diarize import PyannoteDiarizer, SpeakerCountHint
from audio_pipeline.models import resolve_diarization
from audio_pipeline.settings import Settings
from tests.conftest import read_mono


def test_random_weight_pipeline_returns_sorted_exclusive_turns(tiny_models: Path, two_voice_wav: Path) -> None:
    model = resolve_diarization("speaker-diarization-community-1", Settings(models_dir=tiny_models))
    diarizer = PyannoteDiarizer(model, "cpu")
    fractions: list[float] = []
    result = diarizer.diarize(read_mono(two_voice_wav), SpeakerCountHint(num_speakers=2), fractions.append)
    starts = [t.start_s for t in result.turns]
    assert starts == sorted(starts)
    for a, b in zip(result.turns, result.turns[1:], strict=False):
        assert a.end_s <= b.start_s + 1e-3, "exclusive turns must not overlap"
    assert fractions and fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)
