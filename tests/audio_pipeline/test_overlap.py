"""Diarization beside recognition: the thread runner alone, then the real engines overlapped."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from audio_pipeline.overlap import Beside, gpu_has_room
from audio_pipeline.pipeline import TranscriptionPipeline
from audio_pipeline.request import RunRequest
from audio_pipeline.settings import Settings


def test_result_relays_progress_on_the_callers_thread() -> None:
    caller = threading.get_ident()
    seen: list[tuple[float, int]] = []

    def job(progress: object) -> str:
        assert threading.get_ident() != caller
        for fraction in (0.25, 0.5, 1.0):
            progress(fraction)  # type: ignore[operator]
            time.sleep(0.05)
        return "done"

    side = Beside(job)
    assert side.result(lambda f: seen.append((f, threading.get_ident())), poll_s=0.01) == "done"
    assert seen and all(thread == caller for _, thread in seen)
    assert seen[-1][0] == 1.0
    assert side.seconds > 0


def test_the_side_jobs_error_is_raised_to_the_caller() -> None:
    def job(progress: object) -> None:
        raise ValueError("bad chunk")

    with pytest.raises(ValueError, match="bad chunk"):
        Beside(job).result(lambda f: None)


def test_a_failing_caller_stops_the_side_job_at_its_next_report() -> None:
    reports = 0

    def job(progress: object) -> None:
        nonlocal reports
        while True:
            progress(0.1)  # type: ignore[operator]
            reports += 1
            time.sleep(0.01)

    side = Beside(job)
    time.sleep(0.05)
    side.abandon()  # returns only once the thread has ended
    ended_at = reports
    time.sleep(0.05)
    assert reports == ended_at


def test_a_cancelling_progress_callback_stops_the_side_job() -> None:
    class Cancelled(Exception):
        pass

    finished = threading.Event()

    def job(progress: object) -> None:
        try:
            for _ in range(1000):
                progress(0.5)  # type: ignore[operator]
                time.sleep(0.01)
        finally:
            finished.set()

    def report(fraction: float) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        Beside(job).result(report, poll_s=0.01)
    assert finished.is_set()


def test_no_cuda_means_no_room() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert gpu_has_room(0) is False


@pytest.mark.engines
def test_overlapped_stages_give_the_same_transcript(
    tiny_models: Path, two_voice_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real faster-whisper and pyannote on two threads (as on a GPU) give what they give in turn."""
    settings = Settings(models_dir=tiny_models, asr_beam_size=1, asr_temperature_fallback=False)
    in_turn = TranscriptionPipeline(settings).run(two_voice_wav, RunRequest(num_speakers=2))
    overlapped_pipeline = TranscriptionPipeline(settings)
    monkeypatch.setattr(overlapped_pipeline, "_may_overlap", lambda device, use_channels: True)
    stages: list[str] = []
    overlapped = overlapped_pipeline.run(two_voice_wav, RunRequest(num_speakers=2), lambda s, f: stages.append(s))

    assert overlapped.segments == in_turn.segments
    assert overlapped.speakers == in_turn.speakers
    timings = overlapped.provenance.timings_s
    assert "transcribe_and_diarize" in timings and "transcribe_and_diarize" not in in_turn.provenance.timings_s
    assert timings["transcribe_and_diarize"] <= timings["transcribe"] + timings["diarize"] + 1.0
    assert stages.index("diarize") > stages.index("transcribe")  # progress still reads stage by stage
