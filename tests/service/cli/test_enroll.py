"""alliance enroll end to end with the random-weight embedding model."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.service.cli.test_commands import alliance, error_lines


def test_enroll_match_list_delete(tiny_models: Path, two_voice_wav: Path, tmp_path: Path) -> None:
    env = {"ALLIANCE_DATA_DIR": str(tmp_path / "data"), "ALLIANCE_ENROLLMENT_THRESHOLD": "0.99"}
    result = alliance("enroll", "--id", "ONC-03", "--role", "oncologist", str(two_voice_wav), models=tiny_models, extra_env=env)
    assert result.returncode == 0, result.stderr
    assert "enrolled ONC-03" in result.stderr
    voiceprints = tmp_path / "data" / "voiceprints.json"
    assert oct(voiceprints.stat().st_mode & 0o777) == "0o600"

    listed = alliance("enroll", "--list", extra_env=env)
    assert listed.returncode == 0 and listed.stdout.startswith("ONC-03\toncologist")

    # The same voice again: the speaker is named by its pseudonymous id, with the enrolled role.
    out = tmp_path / "t.json"
    result = alliance("transcribe", str(two_voice_wav), "-o", str(out), models=tiny_models, extra_env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    enrolled = [s for s in data["speakers"] if s["enrolled_id"] == "ONC-03"]
    assert enrolled and enrolled[0]["role"] == "oncologist" and enrolled[0]["role_source"] == "enrolled"
    assert "embedding" not in out.read_text(), "voiceprints never appear in transcripts"

    assert alliance("enroll", "--delete", "ONC-03", extra_env=env).returncode == 0
    assert alliance("enroll", "--list", extra_env=env).stdout == ""
    missing = alliance("enroll", "--delete", "ONC-03", extra_env=env)
    assert missing.returncode == 2 and "no voiceprint" in error_lines(missing.stderr)[0]
    assert os.path.exists(voiceprints)


def test_enroll_needs_an_id_and_samples(tmp_path: Path) -> None:
    result = alliance("enroll", extra_env={"ALLIANCE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "give --id" in error_lines(result.stderr)[0]
