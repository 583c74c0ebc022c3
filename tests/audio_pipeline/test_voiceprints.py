"""Voiceprint registry with embeddings we control: matching, threshold, listing, deletion, permissions."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.errors import InputError, InvalidOptionError
from audio_pipeline.voiceprints import VoiceprintRegistry


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_match_above_threshold_and_not_below(tmp_path: Path) -> None:
    registry = VoiceprintRegistry(tmp_path / "data")
    registry.add("ONC-03", "oncologist", [unit(1, 0, 0), unit(0.9, 0.1, 0)], "model@rev")
    registry.add("NP-01", "other_clinician", [unit(0, 1, 0)], "model@rev")
    found = registry.match(unit(0.95, 0.05, 0.05), threshold=0.9)
    assert found is not None and found[0].id == "ONC-03" and found[1] > 0.9
    assert registry.match(unit(0.5, 0.5, 0.7), threshold=0.9) is None
    assert registry.match(np.zeros(3, dtype=np.float32), threshold=0.0) is None
    assert registry.match(np.full(3, np.nan, dtype=np.float32), threshold=0.0) is None


def test_list_and_delete(tmp_path: Path) -> None:
    registry = VoiceprintRegistry(tmp_path)
    registry.add("ONC-03", "oncologist", [unit(1, 0)], "m")
    registry.add("ONC-01", "oncologist", [unit(0, 1)], "m")
    assert [v.id for v in registry.list()] == ["ONC-01", "ONC-03"]
    assert registry.delete("ONC-03") and not registry.delete("ONC-03")
    assert [v.id for v in registry.list()] == ["ONC-01"]


def test_reenrolling_replaces(tmp_path: Path) -> None:
    registry = VoiceprintRegistry(tmp_path)
    registry.add("ONC-03", "oncologist", [unit(1, 0)], "m")
    registry.add("ONC-03", "oncologist", [unit(0, 1), unit(0, 1)], "m")
    (only,) = registry.list()
    assert only.samples == 2 and float(only.embedding @ unit(0, 1)) > 0.99


def test_voiceprints_are_owner_only(tmp_path: Path) -> None:
    registry = VoiceprintRegistry(tmp_path / "data")
    registry.add("ONC-03", "oncologist", [unit(1, 0)], "m")
    assert stat.S_IMODE(registry.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(registry.path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(("clinician_id", "role"), [("Dr Emma Smith", "oncologist"), ("ONC-03", "parent"), ("", "oncologist")])
def test_only_pseudonymous_clinicians_are_enrolled(tmp_path: Path, clinician_id: str, role: str) -> None:
    with pytest.raises(InvalidOptionError):
        VoiceprintRegistry(tmp_path).add(clinician_id, role, [unit(1, 0)], "m")


def test_no_voice_found(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        VoiceprintRegistry(tmp_path).add("ONC-03", "oncologist", [], "m")
