"""A consultation spoken by espeak-ng, transcribed by the real pipeline (tiny models), then given its true words
(what a coder would type: the random-weight recognizer writes nonsense) and analysed again by ``alliance analyze``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import read_mono, speak
from tests.service.cli.test_commands import ALLIANCE, ROOT, alliance, cli_env

RATE = 16000
DOCTOR, PARENT = ("S1", "en-us+m3"), ("S2", "en-us+f3")
# (speaker, text, gap after in seconds). Two emotional moments before 6 s pauses (candidates), then neutral talk,
# then two neutral 6 s pauses: one to mark as a missed Silence, one whose turn a coder makes emotional.
SCRIPT = [
    (DOCTOR, "I'm afraid the scan shows the tumor has grown.", 6.0),
    (PARENT, "Is she going to be okay? I am so scared.", 6.0),
    (DOCTOR, "We will start a new treatment next week.", 1.0),
    (PARENT, "She finished the antibiotics on Sunday.", 1.0),
    (DOCTOR, "The nurse will give you the schedule for the next visit.", 6.0),
    (PARENT, "Okay. Which day works for the scan?", 6.5),
    (DOCTOR, "We can do the scan on Monday or Wednesday.", 1.0),
    (PARENT, "Thank you.", 0.0),
]


@pytest.fixture(scope="session")
def consultation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    out = tmp_path_factory.mktemp("consult")
    pieces = [np.zeros(int(0.5 * RATE), dtype=np.float32)]
    cursor = 0.5
    utterances: list[dict[str, object]] = []
    for i, ((speaker, voice), text, gap) in enumerate(SCRIPT):
        said = read_mono(speak(text, out / f"u{i}.wav", voice=voice))
        utterances.append(
            {"speaker": speaker, "text": text, "start_s": round(cursor, 3), "end_s": round(cursor + len(said) / RATE, 3)}
        )
        pieces += [said, np.zeros(int(gap * RATE), dtype=np.float32)]
        cursor += len(said) / RATE + gap
    pieces.append(np.zeros(int(0.5 * RATE), dtype=np.float32))
    wav = out / "consult.wav"
    sf.write(wav, np.concatenate(pieces), RATE)
    return wav, utterances


def _transcribe(wav: Path, machine: Path, models: Path) -> None:
    """``alliance transcribe`` as a subprocess, every run: a cached transcript would hide what today's code writes."""
    result = subprocess.run([*ALLIANCE, "transcribe", str(wav), "-o", str(machine)], capture_output=True, text=True,
                            env=cli_env(models), cwd=ROOT, timeout=1200)  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def pipeline_transcript(consultation: tuple[Path, list[dict[str, object]]], tiny_models: Path,
                        tmp_path_factory: pytest.TempPathFactory) -> Path:  # fmt: skip
    """Transcribed by the real pipeline, then corrected to the true words and re-analysed by ``alliance analyze``."""
    from audio_pipeline import audio
    from audio_pipeline.schema import load_transcript
    from scripts.eval_silences import reference_transcript

    wav, utterances = consultation
    out = tmp_path_factory.mktemp("transcript")
    machine = out / "machine.json"
    _transcribe(wav, machine, tiny_models)
    transcript = load_transcript(machine.read_text())
    decoded = audio.load(wav, audio.AudioLimits(14400, 32, 4000, 384_000))
    fixed = transcript.model_copy(update={"segments": reference_transcript({"utterances": utterances}, decoded).segments})
    corrected = out / "corrected.json"
    corrected.write_text(fixed.to_json())
    analyzed = out / "consult.transcript.json"
    result = alliance("analyze", str(wav), "--transcript", str(corrected), "-o", str(analyzed), models=tiny_models)
    assert result.returncode == 0, result.stderr
    data = json.loads(analyzed.read_text())
    assert len(data["silence_candidates"]) >= 2, data["silence_candidates"]
    return analyzed


@pytest.fixture
def fresh_transcript(pipeline_transcript: Path, tmp_path: Path) -> Path:
    """A private copy per test: reviews write to the transcript and keep history beside it."""
    copy = tmp_path / "consult.transcript.json"
    copy.write_text(pipeline_transcript.read_text())
    return copy
