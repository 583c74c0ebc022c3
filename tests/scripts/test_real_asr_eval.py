"""The evaluation from audio, in-process on one synthetic conversation with the real tiny.en."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline.transcribe import WhisperTranscriber

pytestmark = pytest.mark.engines


def test_eval_from_audio_reports_wer_and_silences_beside_the_reference(tmp_path: Path, tiny_en: WhisperTranscriber) -> None:
    from scripts.eval_silences import LIMITS, _match, reference_transcript
    from scripts.make_synthetic_consults import main as make
    from scripts.real_asr_eval import evaluate_from_audio

    make([str(tmp_path), "--count", "1"])
    result = evaluate_from_audio(tmp_path, tiny_en, reference_transcript, _match, LIMITS)
    clean = result["clean"]
    assert float(clean["recognizer"]["wer"]) < 0.3
    assert clean["reference text"]["long_sensitivity"].startswith("1.000")
    assert clean["recognizer"]["long_sensitivity"].startswith("1.000")
