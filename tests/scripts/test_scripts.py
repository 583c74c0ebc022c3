"""The operator and benchmark scripts run from a fresh checkout (small sizes, so CI stays quick)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_eval_silences_prints_its_table() -> None:
    result = run("scripts/eval_silences.py", "--count", "4")
    assert result.returncode == 0, result.stderr
    for line in ("pauses >= 5 s: sensitivity", "boundary error, median", "Silence candidates: precision",
                 "Emotional content, TUNING set", "BLIND"):  # fmt: skip
        assert line in result.stdout
    # Every labelled emotion set is reported on its own, the tuned-on blind sets as tuned on.
    for name in ("emotion_utterances.csv", "emotion_utterances_tuning.csv", "emotion_utterances_blind.csv",
                 "emotion_utterances_blind2.csv", "emotion_utterances_blind3.csv", "emotion_utterances_blind4.csv",
                 "emotion_utterances_blind5.csv", "emotion_utterances_blind6.csv"):  # fmt: skip
        assert name in result.stdout
    assert result.stdout.count("TUNED ON") == 4


def test_make_synthetic_consults_writes_audio_and_truth(tmp_path: Path) -> None:
    result = run("scripts/make_synthetic_consults.py", str(tmp_path), "--count", "4")
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.glob("*.wav"))) == 4 and len(list(tmp_path.glob("*.json"))) == 4
    assert any("telephone" in p.name for p in tmp_path.glob("*.wav"))


def test_synthetic_speech_loses_espeaks_breathy_tail_and_nothing_else(speech_dir: Path) -> None:
    from scripts.make_synthetic_consults import speak_clip

    cache: dict[tuple[str, str], np.ndarray] = {}
    text = "Is she going to die?"
    female_cut_s = (
        len(speak_clip(text, "en-us+f3", None, cache, speech_dir, None))
        - len(speak_clip(text, "en-us+f3", None, cache, speech_dir))
    ) / 16000
    male_cut_s = (
        len(speak_clip(text, "en-us+m3", None, cache, speech_dir, None))
        - len(speak_clip(text, "en-us+m3", None, cache, speech_dir))
    ) / 16000
    assert 0.08 <= female_cut_s <= 0.15
    assert male_cut_s <= 0.02


def test_bench_prints_its_table(tmp_path: Path) -> None:
    result = run("scripts/bench.py", "--minutes", "0.3", "--sizes", "tiny", "--work-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    columns = ("RTF", "raw asr s", "raw diar s", "overhead", "peak RSS MB", "stock seg/emb/all s", "diar RTF stock/ours")
    for column in columns:
        assert column in result.stdout


def test_generate_schema_check_passes() -> None:
    assert run("scripts/generate_schema.py", "--check").returncode == 0


def test_eval_roles_prints_its_tables() -> None:
    result = run("scripts/eval_roles.py", "--count", "4")
    assert result.returncode == 0, result.stderr
    for line in ("without hints", "with hints", "Confusion", "Calibration", "BLIND set", "TUNING set", "Synthetic",
                 "weighted by words", ">= 10 words", "Accuracy per true role"):  # fmt: skip
        assert line in result.stdout


def test_eval_suggestions_prints_its_tables_and_meets_its_targets() -> None:
    result = run("scripts/eval_suggestions.py")
    assert result.returncode == 0, result.stderr
    assert "suggestion_utterances.csv" in result.stdout and "suggestion_utterances_heldout.csv" in result.stdout
    assert "Honesty / Warning shot" in result.stdout and "MISSED" not in result.stdout


def test_eval_deid_prints_its_table_on_both_template_sets() -> None:
    for extra in ((), *(("--templates", f"scripts/data/deid_templates_{name}.txt") for name in ("heldout", "heldout2"))):
        result = run("scripts/eval_deid.py", "--sessions", "10", *extra)
        assert result.returncode == 0, result.stderr
        for row in ("names supplied", "names not supplied", "phone", "email", "date", "precision"):
            assert row in result.stdout


def test_build_deid_words_keeps_lower_case_entries_and_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    from audio_pipeline.deid.participants import english_words
    from scripts.build_deid_words import build

    source = tmp_path / "words"
    source.write_text("chemo\nBrooklyn\nhunter's\nwillow\nmm-hmm\n", encoding="utf-8")
    assert build(source, tmp_path / "a.txt.gz") == 3 and build(source, tmp_path / "b.txt.gz") == 3
    assert (tmp_path / "a.txt.gz").read_bytes() == (tmp_path / "b.txt.gz").read_bytes()
    shipped = english_words()
    assert {"willow", "legend", "chemo", "vincristine"} <= shipped and not {"brooklyn", "jaxon"} & shipped


def test_bench_batch_prints_its_table(tiny_models: Path) -> None:
    result = run("scripts/bench_batch.py", "--recordings", "2", "--workers", "1", "--models", str(tiny_models))
    assert result.returncode == 0, result.stderr
    assert "wall s" in result.stdout and "fresh" in result.stdout and "rerun" in result.stdout


def test_bench_service_prints_its_table(tiny_models: Path) -> None:
    args = ("--clients", "5", "--seconds", "1", "--upload-mb", "20", "--models", str(tiny_models))
    result = run("scripts/bench_service.py", *args)
    assert result.returncode == 0, result.stderr
    for row in ("throughput", "latency p50 / p99", "server RSS growth", "HTTP 422"):
        assert row in result.stdout
