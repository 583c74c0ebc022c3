"""Channels as speakers: synthetic stereo calls with one party per channel, with and without echo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_pipeline.channels import channel_turns
from audio_pipeline.errors import InvalidOptionError
from audio_pipeline.pipeline import TranscriptionPipeline
from audio_pipeline.request import RunRequest
from audio_pipeline.settings import Settings
from audio_pipeline.transcribe import WhisperTranscriber
from tests.conftest import read_mono, speak

RATE = 16_000
CLINICIAN = "I'm so sorry. The treatment is not working anymore."
PARENT = "Is she going to be okay? I am so scared."
CLOSING = "We will look at the other options together."


def _trimmed(clip: np.ndarray) -> np.ndarray:
    """Without espeak-ng's own leading and trailing silence, so the truth is the audible speech."""
    loud = np.flatnonzero(np.abs(clip) > 1e-3)
    return clip[loud[0] : loud[-1] + 1]


@pytest.fixture(scope="module")
def call(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[float, float, int]]]:
    """Clinician on the left, parent on the right; each party faintly (-25 dB) on the other's channel, delayed 30 ms."""
    folder = tmp_path_factory.mktemp("call")
    clips = [
        (_trimmed(read_mono(speak(CLINICIAN, folder / "c.wav"))), 0),
        (_trimmed(read_mono(speak(PARENT, folder / "p.wav", voice="en-us+f3"))), 1),
        (_trimmed(read_mono(speak(CLOSING, folder / "e.wav"))), 0),
    ]
    gaps = [6.0, 1.0, 1.0]
    total = int((sum(len(c) for c, _ in clips) / RATE + sum(gaps) + 0.5) * RATE)
    stereo = np.zeros((2, total), np.float32)
    spans, t = [], int(0.5 * RATE)
    for (clip, channel), gap in zip(clips, gaps, strict=True):
        stereo[channel, t : t + len(clip)] += clip
        echo = np.concatenate([np.zeros(480, np.float32), clip])[: len(clip)] * 10 ** (-25 / 20)
        stereo[1 - channel, t : t + len(clip)] += echo
        spans.append((t / RATE, (t + len(clip)) / RATE, channel))
        t += len(clip) + int(gap * RATE)
    path = folder / "call.wav"
    sf.write(path, stereo.T, RATE)
    return path, spans


def test_channel_turns_are_exact_and_echo_makes_no_turn(call: tuple[Path, list[tuple[float, float, int]]]) -> None:
    path, spans = call
    stereo, _ = sf.read(path, dtype="float32")
    result = channel_turns(np.ascontiguousarray(stereo.T))
    assert len(result.turns) == 3 and result.overlaps == ()
    for turn, (start, end, channel) in zip(result.turns, spans, strict=True):
        assert turn.speaker == f"channel_{channel + 1}"
        assert abs(turn.start_s - start) < 0.15 and abs(turn.end_s - end) < 0.15


@pytest.mark.engines
def test_call_with_real_tiny_en_speakers_roles_and_silence(
    call: tuple[Path, list[tuple[float, float, int]]], real_asr_dir: Path, tiny_en: WhisperTranscriber
) -> None:
    path, spans = call
    pipeline = TranscriptionPipeline(Settings(asr_temperature_fallback=False), transcriber=tiny_en)
    transcript = pipeline.run(path, RunRequest(attendees={"oncologist": 1, "parent": 1}))  # auto: channels
    assert transcript.recording.channel_layout == "dual_party"
    assert "speakers_from_channels" in {w.code for w in transcript.warnings}
    options = transcript.provenance.options
    assert options and options.diarization and options.diarization.speakers_from == "channels"
    assert transcript.provenance.diarization_model and transcript.provenance.diarization_model.name == "channels"
    # Exact turns: clinician, parent, clinician; no turn from the echo.
    order = [s.speaker for s in transcript.segments]
    assert [k for i, k in enumerate(order) if i == 0 or order[i - 1] != k] == ["S1", "S2", "S1"]
    roles = {s.id: s.role for s in transcript.speakers}
    assert roles == {"S1": "oncologist", "S2": "parent"}
    # The silence is measured on the mixed audio: the 6 s gap after the clinician's sad news.
    gap = (spans[0][1], spans[1][0])
    assert any(abs(c.start_s - gap[0]) < 0.5 and abs(c.end_s - gap[1]) < 0.5 for c in transcript.silence_candidates)


def test_channels_on_a_mono_recording_is_a_clear_error(two_voice_wav: Path, tiny_en: WhisperTranscriber) -> None:
    pipeline = TranscriptionPipeline(Settings(), transcriber=tiny_en)
    with pytest.raises(InvalidOptionError, match="two-channel"):
        pipeline.run(two_voice_wav, RunRequest(speakers_from="channels"))
