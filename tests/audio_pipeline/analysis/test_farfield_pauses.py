"""Pauses in a room: espeak-ng turns through pyroomacoustics room responses to a table recorder,
measured on the combined speech map (speech_witnesses) as the pipeline does. A few seconds each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from audio_pipeline.analysis.pauses import find_pauses
from audio_pipeline.schema import Segment, Word
from audio_pipeline.speech_witnesses import combined_speech_map
from scripts.make_synthetic_consults import speak_clip
from scripts.rooms import Room, direct_delay_samples, impulse_responses, pink_noise, room_sound

RATE = 16000
ROOM = Room(dims=(4.0, 5.0, 2.7), rt60_s=0.5, mic=(2.0, 2.5, 0.8))
SPOTS = {"doctor": (2.8, 2.5, 1.2), "parent": (2.0, 3.7, 1.2), "child": (0.5, 0.9, 1.0), "sound": (3.5, 4.2, 0.6)}


@pytest.fixture(scope="module")
def room(speech_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each talker's dry clip and room response (the child 2.2 m away and 8 dB quieter at the source)."""
    cache: dict[tuple[str, str], np.ndarray] = {}
    rirs = impulse_responses(ROOM, list(SPOTS.values()), np.random.default_rng(7))
    clips = {
        "doctor": speak_clip("The scan shows the tumor has grown.", "en-us+m3", None, cache, speech_dir),
        "parent": speak_clip("Is she going to be okay?", "en-us+f3", None, cache, speech_dir),
        "child": speak_clip("Yes.", "en-us+f4", 95, cache, speech_dir) * 10 ** (-8 / 20),
        "sound": np.zeros(1, np.float32),
    }
    return {name: (clips[name], rir) for name, rir in zip(SPOTS, rirs, strict=True)}


class RoomRecording:
    """Turns and sounds placed on a timeline, played in the room, recorded at -26 dBFS peaks."""

    def __init__(self, room: dict[str, tuple[np.ndarray, np.ndarray]], seconds: float) -> None:
        self.room = room
        self.dry = np.zeros((len(SPOTS), round(seconds * RATE)), np.float32)
        self.spans: list[tuple[float, float]] = []  # truth: dry turns shifted by the direct sound's arrival

    def say(self, who: str, at_s: float) -> RoomRecording:
        clip, rir = self.room[who]
        start = round(at_s * RATE)
        self.dry[list(SPOTS).index(who), start : start + len(clip)] += clip
        delay = direct_delay_samples(rir) / RATE
        self.spans.append((at_s + delay, at_s + len(clip) / RATE + delay))
        return self

    def sound(self, kind: str, at_s: float) -> RoomRecording:
        burst = room_sound(kind, np.random.default_rng(3)) * 0.5
        start = round(at_s * RATE)
        self.dry[list(SPOTS).index("sound"), start : start + len(burst)] += burst
        return self

    def waveform(self) -> np.ndarray:
        n = self.dry.shape[1]
        wet = sum(signal.fftconvolve(row, self.room[name][1])[:n] for name, row in zip(SPOTS, self.dry, strict=True))
        wet = np.asarray(wet) / max(float(np.abs(wet).max()), 1e-9) * 10 ** (-26 / 20)
        return (wet + pink_noise(n, np.random.default_rng(5)) * 10 ** ((-26 - 45) / 20)).astype(np.float32)


def _exchange(rec: RoomRecording, at_s: float = 0.3) -> float:
    """Three turns 0.8 s apart from at_s on; returns where the last ends.

    Whether a room reverberates is judged on the fades before a recording's gaps (three at least),
    as a real consultation has dozens.
    """
    for who in ("doctor", "parent", "doctor"):
        rec.say(who, rec.spans[-1][1] + 0.8 if rec.spans else at_s)
    return rec.spans[-1][1]


def _segments(spans: list[tuple[float, float]]) -> list[Segment]:
    return [
        Segment(id=f"seg-{i:05d}", start_s=a, end_s=b, speaker=f"S{i}", text="words", overlap=False, asr_confidence=1.0,
                words=[Word(start_s=a, end_s=b, text="words", probability=1.0, speaker=f"S{i}")])
        for i, (a, b) in enumerate(spans, start=1)
    ]  # fmt: skip


def _pauses(recording: RoomRecording, words: bool = False) -> list:  # type: ignore[type-arg]
    audio = recording.waveform()
    spans = sorted(recording.spans)
    # the speech map from the audio alone unless words are asked for; the transcript names every turn
    speech = combined_speech_map(audio, spans if words else ())
    return find_pauses(audio, speech, _segments(spans)).pauses


def test_a_quiet_childs_answer_splits_a_pause(room: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    rec = RoomRecording(room, 11.0).say("doctor", 0.3)
    child_at = rec.spans[0][1] + 3.0
    rec.say("child", child_at).say("parent", child_at + 0.5 + 3.0)
    pauses = _pauses(rec)
    assert len(pauses) == 2, "the child's 'Yes.' is speech: two pauses of 3 s, not one of 6.5 s"
    assert all(abs(p.duration_s - 3.0) <= 0.3 for p in pauses)


@pytest.mark.parametrize("kind", ["beep", "chair", "door"])
def test_a_room_sound_does_not_split_a_pause(room: dict[str, tuple[np.ndarray, np.ndarray]], kind: str) -> None:
    rec = RoomRecording(room, 15.0)
    end = _exchange(rec)
    rec.sound(kind, end + 2.5).say("parent", end + 6.0)
    (pause,) = [p for p in _pauses(rec) if p.duration_s >= 2.0]
    assert pause.start_s == pytest.approx(end, abs=0.15)
    assert pause.end_s == pytest.approx(rec.spans[-1][0], abs=0.15)


def test_silence_at_the_start_and_end_is_reported(room: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    rec = RoomRecording(room, 19.0)
    end = _exchange(rec, 5.5)
    first, last = _pauses(rec)
    assert (first.bounds, last.bounds) == ("recording_start", "recording_end")
    assert first.start_s == 0.0 and first.end_s == pytest.approx(rec.spans[0][0], abs=0.15)
    assert last.start_s == pytest.approx(end, abs=0.15) and last.end_s == pytest.approx(19.0, abs=0.01)
    assert first.kind == last.kind == "unattributed"


def test_a_recording_with_no_speech_is_one_pause(room: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    (pause,) = _pauses(RoomRecording(room, 6.0))
    assert pause.bounds == "whole_recording" and pause.duration_s == pytest.approx(6.0, abs=0.05)


def test_a_pause_bounded_by_overlapping_talk_is_measured(room: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    # the parent cuts in 0.8 s before the doctor finishes; the pause runs from the later end
    rec = RoomRecording(room, 16.0)
    end = _exchange(rec)
    rec.say("parent", end - 0.8)
    end = max(end, rec.spans[-1][1])
    rec.say("doctor", end + 5.5)
    (pause,) = _pauses(rec, words=True)
    assert pause.start_s == pytest.approx(end, abs=0.15)
    assert pause.end_s == pytest.approx(rec.spans[-1][0], abs=0.15)
