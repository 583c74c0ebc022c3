"""Our diarization paths against stock pyannote on the same random weights (no timings here).

Per-(chunk, speaker) embeddings must match within 1e-4 (absolute and cosine), and the final
diarization must be identical, on several synthetic conversations.
"""

from __future__ import annotations

import logging
import os
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from audio_pipeline import diarize_fast
from audio_pipeline.diarize import SEGMENTATION_BATCH, _load_pipeline
from audio_pipeline.diarize_onnx import cache_dir
from tests.conftest import join_with_gaps, read_mono, speak

pytestmark = pytest.mark.engines

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def pipeline_dir(tiny_models: Path) -> Path:
    return tiny_models / "pyannote" / "speaker-diarization-community-1"


@pytest.fixture(scope="module")
def conversations(speech_dir: Path) -> list[np.ndarray]:
    """Three short conversations: two adult voices, a child joining, and quick back-and-forth turns."""
    m = read_mono(speak("The scan results came back.", speech_dir / "c_m.wav"))
    f = read_mono(speak("Is it good news?", speech_dir / "c_f.wav", voice="en-us+f3"))
    child = read_mono(speak("Can I go home?", speech_dir / "c_c.wav", voice="en-us+f3", pitch=90))
    noise = np.random.default_rng(3)
    talks = [
        join_with_gaps([m, f, m, f, m], [1.0, 2.5, 0.5, 3.0]),
        join_with_gaps([m, child, f, child, m], [0.8, 1.2, 2.0, 0.3]),
        join_with_gaps([f, m, f, m, f, m], [0.1, 0.1, 0.2, 0.1, 0.1]),
    ]
    # Longer than one 10 s chunk, so the trunk runs in several batches, the last one short.
    talks = [t if t.size > 14 * 16_000 else join_with_gaps([t, t], [1.5]) for t in talks]
    assert all(t.size > 14 * 16_000 for t in talks)
    return [(t + noise.normal(0, 0.002, t.size)).astype(np.float32) for t in talks]


def _audio(waveform: np.ndarray) -> dict[str, Any]:
    return {"waveform": torch.from_numpy(waveform)[None], "sample_rate": 16_000}


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _run(pipeline: Any, waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any]:
    """One full run, keeping the segmentation and the (chunk, speaker) embeddings pyannote's hook reports."""
    seen: dict[str, Any] = {}

    def hook(step: str, artifact: Any, **progress: Any) -> None:
        if "completed" not in progress:  # the step's final artifact, not a progress report
            seen[step] = artifact

    output = pipeline(_audio(waveform), hook=hook)
    return seen["segmentation"].data, seen["embeddings"], output


@pytest.fixture(scope="module")
def stock_runs(pipeline_dir: Path, conversations: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, Any]]:
    stock = _load_pipeline(str(pipeline_dir), "cpu", "stock")
    stock.embedding_batch_size = 1
    return [_run(stock, w) for w in conversations]


def stock_batch(pipeline_dir: Path) -> int:
    return int(_load_pipeline(str(pipeline_dir), "cpu", "stock").segmentation_batch_size)


def _assert_close(ours: np.ndarray, stock: np.ndarray) -> None:
    assert ours.shape == stock.shape
    assert np.max(np.abs(ours - stock)) <= TOLERANCE
    cosine = np.sum(ours * stock, axis=-1) / (np.linalg.norm(ours, axis=-1) * np.linalg.norm(stock, axis=-1))
    assert np.min(cosine) >= 1 - TOLERANCE


def _turns(output: Any) -> list[tuple[float, float, str]]:
    tracks = output.exclusive_speaker_diarization.itertracks(yield_label=True)
    return [(round(s.start, 3), round(s.end, 3), str(k)) for s, _, k in tracks]


def _overlaps(output: Any) -> list[tuple[float, float]]:
    return [(round(s.start, 3), round(s.end, 3)) for s in output.speaker_diarization.get_overlap()]


@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_same_embeddings_and_diarization_as_stock(
    pipeline_dir: Path,
    conversations: list[np.ndarray],
    stock_runs: list[tuple[np.ndarray, np.ndarray, Any]],
    runtime: str,
    tmp_path: Path,
) -> None:
    ours = _load_pipeline(str(pipeline_dir), "cpu", runtime, str(tmp_path))
    assert isinstance(ours, diarize_fast.OneTrunkPassDiarization)
    assert (ours.trunk is not None) == (runtime == "onnx")
    # Stock runs the config's 32 chunks per segmentation batch, ours 8 (less memory kept): same numbers.
    assert (ours.segmentation_batch_size, stock_batch(pipeline_dir)) == (SEGMENTATION_BATCH, 32)
    ours.chunks_per_batch = 2  # several batches, the last one short
    compared_silent = False
    for waveform, (stock_seg, stock_emb, stock_out) in zip(conversations, stock_runs, strict=True):
        our_seg, our_emb, our_out = _run(ours, waveform)
        assert np.allclose(our_seg, stock_seg, atol=TOLERANCE, equal_nan=True)
        _assert_close(our_emb, stock_emb)
        compared_silent |= bool(np.any(np.nansum(stock_seg, axis=1) == 0))
        assert _turns(our_out) == _turns(stock_out)
        assert _overlaps(our_out) == _overlaps(stock_out)
        _assert_close(np.asarray(our_out.speaker_embeddings), np.asarray(stock_out.speaker_embeddings))
    assert compared_silent, "the conversations should include chunks with a silent local speaker"


def test_onnx_export_is_cached_by_weights_hash(pipeline_dir: Path, tmp_path: Path) -> None:
    _load_pipeline(str(pipeline_dir), "cpu", "onnx", str(tmp_path))
    exports = sorted(p.name for p in (pipeline_dir / "onnx").glob("*.onnx"))
    assert [name.split("-")[0] for name in exports] == ["embedding", "segmentation"]
    assert all(len(name.split("-")[1]) == len("0123456789abcdef.onnx") for name in exports)


def test_unwritable_models_folder_caches_under_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    models = tmp_path / "models" / "pipeline"
    models.mkdir(parents=True)
    models.chmod(stat.S_IRUSR | stat.S_IXUSR)
    # root writes through permission bits: answer as the file system does for other users
    monkeypatch.setattr(os, "access", lambda path, mode: not str(path).startswith(str(models)))
    try:
        folder = cache_dir(models, tmp_path / "data")
        assert folder == tmp_path / "data" / "onnx-cache" / "pipeline"
        assert folder.is_dir()
    finally:
        models.chmod(stat.S_IRWXU)


def test_other_pyannote_versions_run_stock_with_a_warning(
    pipeline_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(diarize_fast, "pyannote_version", lambda: "4.1.0")
    stock = _load_pipeline.__wrapped__(str(pipeline_dir), "cpu", "stock")
    with caplog.at_level(logging.WARNING):
        same = diarize_fast.one_trunk_pass(stock)
    assert type(same) is not diarize_fast.OneTrunkPassDiarization
    assert "4.0.7" in caplog.text


def test_failed_export_falls_back_to_torch_with_a_warning(
    pipeline_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    from audio_pipeline import diarize_onnx

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("exporter unavailable")

    monkeypatch.setattr(diarize_onnx, "_export", broken)
    monkeypatch.setattr(diarize_onnx, "weights_hash", lambda _module: "not-cached-yet")
    with caplog.at_level(logging.WARNING):
        pipeline = _load_pipeline.__wrapped__(str(pipeline_dir), "cpu", "onnx", str(tmp_path))
    assert isinstance(pipeline, diarize_fast.OneTrunkPassDiarization)
    assert pipeline.trunk is None
    assert "running it on PyTorch" in caplog.text
