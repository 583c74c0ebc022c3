"""Voiceprints of recurring clinicians, so the same oncologist is named across hundreds of recordings.

A voiceprint is the diarization pipeline's speaker embedding, stored under a pseudonymous id
("ONC-03") with a role. Voiceprints are biometric data: they live in one JSON file under the
data folder, the folder owner-only (0700) and the file owner-only (0600), and never appear in a
transcript; only the pseudonymous id does.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .errors import InputError, InvalidOptionError
from .schema import ROLES, Speaker

FILE_NAME = "voiceprints.json"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Voiceprint:
    id: str
    role: str
    embedding: np.ndarray
    samples: int
    model: str
    created_at: str


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm == 0.0:
        raise InputError("no usable voice was found in the enrollment samples")
    return (vector / norm).astype(np.float32)


class VoiceprintRegistry:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME

    def _load(self) -> dict[str, Voiceprint]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError("the voiceprint registry cannot be read; restore it or delete it and enroll again") from exc
        return {
            item["id"]: Voiceprint(
                item["id"],
                item["role"],
                np.asarray(item["embedding"], dtype=np.float32),
                item["samples"],
                item["model"],
                item["created_at"],
            )
            for item in raw.get("voiceprints", [])
        }

    def _save(self, prints: dict[str, Voiceprint]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.path.parent, 0o700)
        body = {
            "voiceprints": [
                {"id": v.id, "role": v.role, "embedding": [round(float(x), 6) for x in v.embedding], "samples": v.samples,
                 "model": v.model, "created_at": v.created_at}
                for v in prints.values()
            ]
        }  # fmt: skip
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".voiceprints.", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(body, handle)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self, clinician_id: str, role: str, embeddings: list[np.ndarray], model: str) -> Voiceprint:
        if not clinician_id.strip() or len(clinician_id) > 40 or not clinician_id.replace("-", "").replace("_", "").isalnum():
            raise InvalidOptionError("--id must be a short pseudonymous code of letters, digits, '-' or '_' (e.g. ONC-03)")
        if role not in ROLES or role in ("parent", "patient", "other_family"):
            raise InvalidOptionError("--role must be oncologist or other_clinician: only clinicians are enrolled")
        if not embeddings:
            raise InputError("no usable voice was found in the enrollment samples")
        centroid = _unit(np.mean([_unit(e) for e in embeddings], axis=0))
        prints = self._load()
        voiceprint = Voiceprint(clinician_id, role, centroid, len(embeddings), model, datetime.now(UTC).isoformat())
        prints[clinician_id] = voiceprint
        self._save(prints)
        return voiceprint

    def list(self) -> list[Voiceprint]:
        return sorted(self._load().values(), key=lambda v: v.id)

    def delete(self, clinician_id: str) -> bool:
        prints = self._load()
        if clinician_id not in prints:
            return False
        del prints[clinician_id]
        self._save(prints)
        return True

    def match(self, embedding: np.ndarray, threshold: float) -> tuple[Voiceprint, float] | None:
        """The enrolled voice most similar to this embedding, if its cosine similarity reaches the threshold."""
        prints = self.list()
        if not prints or not np.all(np.isfinite(embedding)) or not np.any(embedding):
            return None
        probe = _unit(embedding)
        best = max(prints, key=lambda v: float(probe @ v.embedding))
        similarity = float(probe @ best.embedding)
        return (best, similarity) if similarity >= threshold else None


def match_enrolled(
    speakers: list[Speaker], embeddings: Mapping[str, np.ndarray], ids: Mapping[str, str], data_dir: Path, threshold: float
) -> list[Speaker]:
    """Name speakers whose voice matches an enrolled clinician; their role is then fixed.

    ``embeddings`` are keyed by diarization label, ``ids`` maps those labels to transcript speaker ids.
    """
    registry = VoiceprintRegistry(data_dir)
    if not registry.path.exists():
        return speakers
    by_id = {ids[label]: vector for label, vector in embeddings.items() if label in ids}
    matched = []
    for speaker in speakers:
        found = registry.match(by_id[speaker.id], threshold) if speaker.id in by_id else None
        if found is None:
            matched.append(speaker)
            continue
        voiceprint, similarity = found
        logger.info("a speaker matched an enrolled clinician (cosine %.2f)", similarity)
        matched.append(
            speaker.model_copy(
                update={
                    "role": voiceprint.role,
                    "role_source": "enrolled",
                    "enrolled_id": voiceprint.id,
                    "role_confidence": round(min(1.0, 0.9 + 0.1 * similarity), 3),
                    "evidence": [f"voice matches enrolled clinician {voiceprint.id} (cosine {similarity:.2f})"],
                }
            )
        )
    return matched
