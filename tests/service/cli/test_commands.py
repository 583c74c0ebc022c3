"""The alliance command as a user runs it: a real process, exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import soundfile as sf

from tests.samples import flac_declaring, tone, wav_header

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "schema" / "transcript.schema.json").read_text())


def alliance(
    *args: str,
    models: Path | None = None,
    cwd: Path | None = None,
    fast: bool = True,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would. fast: greedy decoding without fallback, to keep the suite quick."""
    return subprocess.run(
        [*ALLIANCE, *args],
        capture_output=True,
        text=True,
        env=cli_env(models, fast, extra_env),
        cwd=cwd or ROOT,
        timeout=300,
    )


ALLIANCE = (sys.executable, "-m", "service.cli")


def cli_env(models: Path | None = None, fast: bool = True, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")}
    # Never read the developer's own voiceprints: each run gets an empty data folder unless told otherwise.
    env["ALLIANCE_DATA_DIR"] = tempfile.mkdtemp(prefix="alliance-data-")
    env.update(extra_env or {})
    if fast:
        env["ALLIANCE_ASR_BEAM_SIZE"] = "1"
        env["ALLIANCE_ASR_TEMPERATURE_FALLBACK"] = "false"
    if models is not None:
        env["ALLIANCE_MODELS_DIR"] = str(models)
    return env


def error_lines(stderr: str) -> list[str]:
    """What the user reads, minus the plain progress lines."""
    return [line for line in stderr.splitlines() if line and not line.startswith("alliance: ")]


def test_transcribe_two_voices_end_to_end(tiny_models: Path, two_voice_wav: Path, tmp_path: Path) -> None:
    out = tmp_path / "consult.json"
    result = alliance("transcribe", str(two_voice_wav), "-o", str(out), "--num-speakers", "2", models=tiny_models, fast=False)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    duration = data["recording"]["duration_s"]
    words = [w for s in data["segments"] for w in s["words"]]
    assert words
    assert [w["start_s"] for w in words] == sorted(w["start_s"] for w in words)
    assert all(0 <= w["start_s"] <= w["end_s"] <= duration for w in words)
    assert all(w["speaker"] for w in words)
    assert "Transcribing" in result.stderr and "wrote" in result.stderr
    assert out.stat().st_mode & 0o077 == 0, "transcripts are PHI: owner-only permissions"
    assert "Traceback" not in result.stderr


def test_transcribe_deidentify_writes_copies_beside_the_canonical_files(
    tiny_models: Path, two_voice_wav: Path, tmp_path: Path
) -> None:
    out = tmp_path / "consult.json"
    args = ("--deidentify", "--names", "patient=Emma,parent=Sarah", "--deidentify-audio")
    result = alliance("transcribe", str(two_voice_wav), "-o", str(out), *args, models=tiny_models)
    assert result.returncode == 0, result.stderr
    canonical, copy = json.loads(out.read_text()), json.loads((tmp_path / "consult.deid.json").read_text())
    jsonschema.validate(copy, SCHEMA)
    assert canonical["deidentification"] is None
    assert copy["deidentification"]["audio_redacted"] and copy["deidentification"]["names_supplied"] == 2
    assert [(s["start_s"], s["end_s"]) for s in copy["segments"]] == [(s["start_s"], s["end_s"]) for s in canonical["segments"]]
    assert copy["pauses"] == canonical["pauses"] and copy["silence_candidates"] == canonical["silence_candidates"]
    redacted = tmp_path / f"{two_voice_wav.name}.deid.wav"
    assert abs(sf.info(redacted).duration - canonical["recording"]["duration_s"]) < 0.05
    assert redacted.stat().st_mode & 0o077 == 0
    assert "Emma" not in result.stderr and "Sarah" not in result.stderr, "names never reach the log"
    analyzed = alliance("analyze", str(two_voice_wav), "-t", str(tmp_path / "consult.deid.json"), models=tiny_models)
    assert analyzed.returncode == 2 and "de-identified copy" in analyzed.stderr


def test_default_output_sits_beside_the_recording(tiny_models: Path, two_voice_wav: Path, tmp_path: Path) -> None:
    recording = tmp_path / "visit.wav"
    recording.write_bytes(two_voice_wav.read_bytes())
    quiet = tmp_path / "quiet.wav"
    sf.write(quiet, np.zeros(16000 * 6, dtype=np.float32), 16000)
    result = alliance("transcribe", str(quiet), models=tiny_models)
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "quiet.wav.transcript.json").read_text())
    assert data["segments"] == []
    assert "no_speech" in {w["code"] for w in data["warnings"]}
    assert "No speech was found" in result.stderr


def _empty(d: Path) -> Path:
    (d / "empty.wav").write_bytes(b"")
    return d / "empty.wav"


def _zero_length(d: Path) -> Path:
    (d / "zero.wav").write_bytes(wav_header(1, 16000, 0))
    return d / "zero.wav"


def _text(d: Path) -> Path:
    (d / "notes.wav").write_text("not audio at all\n" * 40)
    return d / "notes.wav"


def _truncated(d: Path) -> Path:
    path = d / "cut.wav"
    sf.write(path, tone(10.0), 16000, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:20_000])
    return path


def _corrupted(d: Path) -> Path:
    path = d / "garbled.wav"
    sf.write(path, tone(3.0), 16000)
    data = bytearray(path.read_bytes())
    data[:16] = os.urandom(16)
    path.write_bytes(bytes(data))
    return path


def _channels(d: Path) -> Path:
    (d / "ch.wav").write_bytes(wav_header(65535, 16000, 4000) + b"\0" * 4000)
    return d / "ch.wav"


def _rate(rate: int) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        (d / "rate.wav").write_bytes(wav_header(1, rate, 2000) + b"\0" * 2000)
        return d / "rate.wav"

    return build


def _bomb(d: Path) -> Path:
    return flac_declaring(d / "bomb.flac", 16000 * 3600 * 8)


def _missing(d: Path) -> Path:
    return d / "does-not-exist.wav"


BAD_INPUTS: list[tuple[str, Callable[[Path], Path], int, str]] = [
    ("empty file", _empty, 2, "empty"),
    ("zero-length audio", _zero_length, 2, ""),
    ("text named .wav", _text, 2, "not a recording we can decode"),
    ("truncated", _truncated, 2, "truncated"),
    ("corrupted", _corrupted, 2, "decode"),
    ("65535 channels", _channels, 2, "channels"),
    ("1 Hz", _rate(1), 2, "sample rate"),
    ("10 MHz", _rate(10_000_000), 2, "sample rate"),
    ("FLAC declaring hours", _bomb, 2, "limit"),
    ("missing path", _missing, 2, "does not exist"),
]


@pytest.mark.parametrize(("label", "build", "code", "phrase"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_one_clear_line_and_writes_nothing(
    tiny_models: Path, tmp_path: Path, label: str, build: Callable[[Path], Path], code: int, phrase: str
) -> None:
    recording = build(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = alliance("transcribe", str(recording), "-o", str(out_dir / "t.json"), models=tiny_models)
    assert result.returncode == code, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert phrase in lines[0]
    assert recording.name not in lines[0], "no file names (PHI) in messages"
    assert list(out_dir.iterdir()) == [], "nothing half-written"


def test_output_in_a_missing_directory(two_voice_wav: Path, tmp_path: Path) -> None:
    result = alliance("transcribe", str(two_voice_wav), "-o", str(tmp_path / "nope" / "t.json"))
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "error: the output folder does not exist; create it first or choose another --output path"
    ]


def test_missing_models_name_the_file_and_the_fix(two_voice_wav: Path, tmp_path: Path) -> None:
    result = alliance("transcribe", str(two_voice_wav), "-o", str(tmp_path / "t.json"), models=tmp_path / "empty")
    assert result.returncode == 3
    (line,) = error_lines(result.stderr)
    assert "model.bin" in line and "scripts/fetch_models.py" in line
    assert not (tmp_path / "t.json").exists()


def test_bad_option_value(two_voice_wav: Path, tmp_path: Path) -> None:
    result = alliance("transcribe", str(two_voice_wav), "--num-speakers", "0", "-o", str(tmp_path / "t.json"))
    assert result.returncode == 2
    assert error_lines(result.stderr) == ["error: --num-speakers must be at least 1"]
    # The same check as a manifest row and an HTTP job (tests/service/batch, tests/service/api/test_server.py), in CLI words.
    result = alliance(
        "transcribe", str(two_voice_wav), "--min-speakers", "5", "--max-speakers", "2", "-o", str(tmp_path / "t.json")
    )
    assert error_lines(result.stderr) == ["error: --max-speakers is smaller than --min-speakers"]
    result = alliance("transcribe", str(two_voice_wav), "--language", "../../x", "-o", str(tmp_path / "t.json"))
    assert result.returncode == 2 and error_lines(result.stderr) == [
        "error: --language must be a language code such as en, or auto"
    ]
    result = alliance("transcribe", str(two_voice_wav), "--speakers-from", "left", "-o", str(tmp_path / "t.json"))
    assert result.returncode == 2 and error_lines(result.stderr) == [
        "error: --speakers-from must be one of auto, model or channels"
    ]


def test_schema_command_prints_the_committed_schema() -> None:
    result = alliance("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout) == SCHEMA


def test_cuda_requested_without_a_gpu(tiny_models: Path, two_voice_wav: Path, tmp_path: Path) -> None:
    from audio_pipeline.devices import cuda_available

    if cuda_available():
        pytest.skip("this machine has a CUDA GPU")
    result = alliance("transcribe", str(two_voice_wav), "--device", "cuda", "-o", str(tmp_path / "t.json"), models=tiny_models)
    assert result.returncode == 2
    assert "no CUDA GPU" in error_lines(result.stderr)[0]
