"""The CLI against a careless user: outputs that are the source, pipes and unreadable files, damaged headers, odd values.

Each refusal is one line, exit 2, before any work (no model is needed to get there), and never names the file.
Most checks run the typer app in-process, which is the same code path the console entry point wraps; the two
that matter most (exit 2 not 70, and the recording surviving) also run the real command.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from service.cli import app
from tests.audio_pipeline.export.transcripts import sample_transcript
from tests.headers import ISSUE_CASES, wav
from tests.service.cli.test_commands import alliance, error_lines

PATIENT = "Emma_Smith_visit"
CLI_APP = importlib.import_module("service.cli.app")


@pytest.fixture(autouse=True)
def _keep_test_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI installs its own root handler and excepthooks; in-process, pytest's must stay in place.
    monkeypatch.setattr(CLI_APP, "configure", lambda level: None, raising=False)


@pytest.fixture(scope="module")
def placeholder_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Empty files where the models belong: enough to get past model lookup to where the input is judged,
    so that these refusals are shown to come from the input checks (they need no model at all)."""
    from audio_pipeline import models
    from audio_pipeline.settings import Settings

    root = tmp_path_factory.mktemp("placeholder-models")
    for kind, name, files in (
        ("whisper", "small.en", models.ASR_REQUIRED_FILES),
        ("pyannote", Settings().diarization_model, models.DIARIZATION_REQUIRED_FILES),
    ):
        for file in files:
            (root / kind / name / file).parent.mkdir(parents=True, exist_ok=True)
            (root / kind / name / file).write_bytes(b"")
    return root


@pytest.fixture(autouse=True)
def _models(placeholder_models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_MODELS_DIR", str(placeholder_models))


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / f"{PATIENT}.wav"
    sf.write(path, np.zeros(16000, dtype=np.float32), 16000)
    return path


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, list(args), env=env)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


def refused(args: tuple[str, ...], expected: str) -> None:
    code, lines = run(*args)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
    assert PATIENT not in lines[0] and "Emma" not in lines[0]


def test_the_issue_header_exits_2_not_70(tmp_path: Path, placeholder_models: Path) -> None:
    path = tmp_path / f"{PATIENT}.wav"
    path.write_bytes(wav(ISSUE_CASES["bits-0"]))
    result = alliance("transcribe", str(path), "-o", str(tmp_path / "out.json"), models=placeholder_models)
    assert result.returncode == 2, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and "not a recording we can decode" in lines[0] and "Emma" not in lines[0]


@pytest.mark.parametrize("name", sorted(ISSUE_CASES))
def test_every_header_without_a_decoder_exits_2(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{PATIENT}.wav"
    path.write_bytes(wav(ISSUE_CASES[name]))
    refused(("transcribe", str(path), "-o", str(tmp_path / "out.json")), "not a recording we can decode")


def test_transcribe_onto_its_own_recording_is_refused_and_the_audio_survives(recording: Path, placeholder_models: Path) -> None:
    before = recording.read_bytes()
    result = alliance("transcribe", str(recording), "-o", str(recording), models=placeholder_models)
    assert result.returncode == 2, result.stderr
    assert "would replace an input file" in result.stderr and PATIENT not in result.stderr
    assert recording.read_bytes() == before


def test_every_other_route_to_the_recording_is_refused(recording: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    hard = tmp_path / "hard.json"
    os.link(recording, hard)
    soft = tmp_path / "soft.json"
    soft.symlink_to(recording)
    (tmp_path / "sub").mkdir()
    for output in (f"./././{recording.name}", f"sub/../{recording.name}", str(hard), str(soft)):
        refused(("transcribe", recording.name, "-o", output), "would replace an input file")
    # A de-identified copy written beside the transcript would land on a link to the recording.
    os.link(recording, tmp_path / "t.deid.json")
    refused(("transcribe", recording.name, "--deidentify", "-o", "t.json"), "would replace an input file")
    assert recording.stat().st_size > 1000


def test_analyze_and_export_never_write_over_their_sources(recording: Path, tmp_path: Path) -> None:
    transcript = tmp_path / "t.json"
    transcript.write_text(sample_transcript().to_json())
    refused(("analyze", str(recording), "--transcript", str(transcript), "-o", str(recording)), "would replace an input file")
    refused(("export", str(transcript), "--format", "json", "-o", str(transcript)), "would replace an input file")
    link = tmp_path / "link.txt"
    os.link(transcript, link)
    refused(("export", str(transcript), "--format", "maxqda", "-o", str(link)), "would replace an input file")


def test_batch_never_writes_its_summary_over_the_manifest(recording: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    manifest = out / "summary.csv"
    manifest.write_text("session_id,audio_file\ns1,x.wav\n")
    refused(("batch", str(recording.parent), "--out", str(out), "--manifest", str(manifest)), "would replace an input file")
    assert manifest.read_text().startswith("session_id")


def test_a_pipe_or_folder_given_as_a_recording_or_transcript(tmp_path: Path, recording: Path) -> None:
    fifo = tmp_path / f"{PATIENT}.fifo.wav"
    os.mkfifo(fifo)
    refused(("transcribe", str(fifo), "-o", str(tmp_path / "o.json")), "not a regular file")
    refused(("transcribe", str(tmp_path), "-o", str(tmp_path / "o.json")), "is a folder")
    refused(("analyze", str(recording), "--transcript", str(fifo)), "not a regular file")
    refused(("export", str(fifo)), "not a regular file")


def test_an_unreadable_recording_is_one_line_without_its_name(recording: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = Path.open

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == recording.name:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", denied)  # the tests run as root, which chmod cannot stop
    refused(("transcribe", str(recording), "-o", str(recording.parent / "o.json")), "cannot be read (permission denied)")


def test_a_language_that_is_a_path_is_refused(recording: Path, tmp_path: Path) -> None:
    refused(("transcribe", str(recording), "--language", "../../x", "-o", str(tmp_path / "o.json")), "--language")
