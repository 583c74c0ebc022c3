"""The benchmark's own arithmetic: what counts as the transcript path when stages overlap."""

from __future__ import annotations

from scripts.bench import row


def measured(**extra: float) -> dict[str, float]:
    return {
        "duration_s": 600.0,
        "stage_decode": 1.0,
        "stage_load_models": 9.0,
        "stage_transcribe": 20.0,
        "stage_diarize": 8.0,
        "stage_attribute": 1.0,
        "stage_analyze": 3.0,
        "peak_rss_mb": 1000.0,
        "peak_gpu_mb": 0.0,
        "words": 10.0,
        **extra,
    }


def test_stages_in_turn_add_up() -> None:
    r = row("small", 10, measured())
    assert r["pipeline s"] == "30.0" and r["end-to-end s"] == "33.0"
    assert r["asr+diar overlapped s"] == "no" and r["asr batch"] == "seq"


def test_an_overlapped_section_stands_for_both_stages() -> None:
    m = measured(stage_transcribe_and_diarize=20.5)
    r = row("large-v3-turbo", 10, m, "cuda", 16)
    assert r["pipeline s"] == "22.5"  # decode + overlapped section + attribute
    assert r["asr+diar overlapped s"] == "20.5" and r["asr batch"] == "16"


def test_stock_comparison_puts_stock_in_turn_after_recognition() -> None:
    m = measured(
        stage_transcribe_and_diarize=20.5,
        raw_asr_s=19.0,
        raw_diarization_s=7.5,
        stock_total=16.0,
        stock_segmentation=1.0,
        stock_embeddings=14.0,
        ours_total=7.5,
        ours_segmentation=1.0,
        ours_embeddings=5.0,
    )
    r = row("large-v3-turbo", 10, m, "cuda", 16)
    # in turn: 1 + 20 + 8 + 1 = 30; with stock in place of ours: 30 - 8 + 16 = 38
    assert r["RTF w/ stock"] == f"{38 / 600:.3f}"
