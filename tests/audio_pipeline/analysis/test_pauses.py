"""Pauses measured on real espeak-ng audio through Silero VAD and the 10 ms refinement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from audio_pipeline.analysis.pauses import find_pauses, is_non_speech_tag
from audio_pipeline.schema import Segment, Word
from audio_pipeline.vad import SpeechRegion, speech_map
from scripts.make_synthetic_consults import noise_event, speak_clip

RATE = 16000


@pytest.fixture(scope="module")
def clips(speech_dir: Path) -> dict[str, np.ndarray]:
    """Utterances trimmed of espeak-ng's own silence, so each gap is exactly the one inserted."""
    cache: dict[tuple[str, str], np.ndarray] = {}
    return {
        "doctor": speak_clip("The scan shows the tumor has grown.", "en-us+m3", None, cache, speech_dir),
        "parent": speak_clip("Is she going to be okay?", "en-us+f3", None, cache, speech_dir),
        "aside": speak_clip("Sorry, can you hold the door?", "en-us+f3", None, cache, speech_dir),
    }


class Conversation:
    """Clips and gaps laid end to end, remembering where each clip landed."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = [np.zeros(RATE // 2, dtype=np.float32)]
        self.cursor = RATE // 2
        self.spans: list[tuple[float, float]] = []

    def say(self, clip: np.ndarray) -> Conversation:
        self.parts.append(clip)
        self.spans.append((self.cursor / RATE, (self.cursor + len(clip)) / RATE))
        self.cursor += len(clip)
        return self

    def gap(self, seconds: float, noise: str | None = None) -> Conversation:
        silence = np.zeros(round(seconds * RATE), dtype=np.float32)
        if noise:
            event = noise_event(noise, np.random.default_rng(3), 0.1)
            mid = len(silence) // 2 - len(event) // 2
            silence[mid : mid + len(event)] += event
        self.parts.append(silence)
        self.cursor += len(silence)
        return self

    def waveform(self) -> np.ndarray:
        return np.concatenate([*self.parts, np.zeros(RATE // 2, dtype=np.float32)])


def segments_for(spans: list[tuple[float, float]], speakers: list[str]) -> list[Segment]:
    out = []
    for i, ((start, end), speaker) in enumerate(zip(spans, speakers, strict=True), start=1):
        mid = (start + end) / 2
        words = [
            Word(start_s=start, end_s=mid, text="some", probability=1.0, speaker=speaker),
            Word(start_s=mid, end_s=end, text="words", probability=1.0, speaker=speaker),
        ]
        out.append(
            Segment(
                id=f"seg-{i:05d}",
                start_s=start,
                end_s=end,
                speaker=speaker,
                text="some words",
                words=words,
                overlap=False,
                asr_confidence=1.0,
            )
        )
    return out


def measure(conv: Conversation, speakers: list[str], waveform: np.ndarray | None = None) -> list:  # type: ignore[type-arg]
    audio = conv.waveform() if waveform is None else waveform
    return find_pauses(audio, speech_map(audio), segments_for(conv.spans, speakers)).pauses


@pytest.mark.parametrize("gap_s", [4.8, 4.9, 5.0, 5.1, 5.2])
def test_threshold_edges_land_on_the_right_side(clips: dict[str, np.ndarray], gap_s: float) -> None:
    conv = Conversation().say(clips["doctor"]).gap(gap_s).say(clips["parent"])
    (pause,) = measure(conv, ["S1", "S2"])
    assert pause.duration_s == pytest.approx(gap_s, abs=1e-9)
    assert abs(pause.start_s - conv.spans[0][1]) <= 0.1
    assert abs(pause.end_s - conv.spans[1][0]) <= 0.1
    assert (pause.kind, pause.speaker_before, pause.speaker_after) == ("between_turns", "S1", "S2")
    assert (pause.segment_before, pause.segment_after) == ("seg-00001", "seg-00002")


@pytest.mark.parametrize("noise", ["breath", "sniff", "paper"])
def test_noise_inside_a_pause_does_not_split_it(clips: dict[str, np.ndarray], noise: str) -> None:
    conv = Conversation().say(clips["doctor"]).gap(6.0, noise).say(clips["parent"])
    (pause,) = measure(conv, ["S1", "S2"])
    assert pause.duration_s == pytest.approx(6.0, abs=0.15)


def test_untranscribed_speech_ends_a_pause_and_is_reported(clips: dict[str, np.ndarray]) -> None:
    conv = Conversation().say(clips["doctor"]).gap(3.0).say(clips["aside"]).gap(3.0).say(clips["parent"])
    audio = conv.waveform()
    transcribed = [conv.spans[0], conv.spans[2]]  # the recognizer missed the aside
    result = find_pauses(audio, speech_map(audio), segments_for(transcribed, ["S1", "S2"]))
    assert all(p.duration_s < 4.0 for p in result.pauses), "never one silence across speech"
    (missed,) = result.untranscribed
    assert abs(missed.start_s - conv.spans[1][0]) < 0.3 and abs(missed.end_s - conv.spans[1][1]) < 0.3


def test_pause_inside_one_speakers_turn(clips: dict[str, np.ndarray]) -> None:
    conv = Conversation().say(clips["parent"]).gap(5.5).say(clips["aside"])
    (pause,) = measure(conv, ["S2", "S2"])
    assert pause.kind == "within_turn" and pause.speaker_before == pause.speaker_after == "S2"


def test_room_noise_at_10_db_snr(clips: dict[str, np.ndarray]) -> None:
    conv = Conversation().say(clips["doctor"]).gap(5.2).say(clips["parent"])
    clean = conv.waveform()
    speech_rms = float(np.sqrt(np.mean(np.concatenate([clips["doctor"], clips["parent"]]) ** 2)))
    noise = np.random.default_rng(5).normal(0, 1, len(clean))
    noisy = (clean + noise * speech_rms / 10 ** (10 / 20)).astype(np.float32)
    (pause,) = measure(conv, ["S1", "S2"], noisy)
    assert abs(pause.duration_s - 5.2) <= 0.25


def test_telephone_band(clips: dict[str, np.ndarray]) -> None:
    conv = Conversation().say(clips["doctor"]).gap(5.0).say(clips["parent"])
    b, a = signal.butter(4, [300, 3400], btype="band", fs=RATE)
    phone = signal.resample_poly(signal.resample_poly(signal.lfilter(b, a, conv.waveform()), 1, 2), 2, 1).astype(np.float32)
    (pause,) = measure(conv, ["S1", "S2"], phone)
    assert abs(pause.duration_s - 5.0) <= 0.25


def test_recognizer_tags_are_not_speech() -> None:
    assert is_non_speech_tag("(crying)") and is_non_speech_tag("[sighs]") and is_non_speech_tag("*sniff*")
    assert not is_non_speech_tag("okay") and not is_non_speech_tag("(well")


def _tone(seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _with_noise(parts: list[np.ndarray], noise_rms: float) -> np.ndarray:
    clean = np.concatenate(parts)
    return (clean + np.random.default_rng(11).normal(0, noise_rms, len(clean))).astype(np.float32)


def _given_regions(audio: np.ndarray, regions: list[tuple[float, float]]) -> list:  # type: ignore[type-arg]
    """find_pauses on a speech map we dictate, to show what refinement does with Silero's mistakes."""
    spans = [SpeechRegion(start_s=a, end_s=b) for a, b in regions]
    return find_pauses(audio, spans, segments_for(regions, ["S1", "S2"])).pauses


def test_a_soft_word_start_that_silero_missed_still_ends_the_pause() -> None:
    # Telephone audio of a raised-pitch voice: Silero found the utterance 0.5 s after it began,
    # beyond the 0.2 s search window; the quiet start is contiguous with it and ends the pause.
    audio = _with_noise([_tone(1.0, 0.2), np.zeros(5 * RATE, np.float32), _tone(0.5, 0.01), _tone(1.0, 0.2)], 1e-4)
    (pause,) = _given_regions(audio, [(0.0, 1.0), (6.5, 7.5)])
    assert pause.start_s == pytest.approx(1.0, abs=0.02)
    assert pause.end_s == pytest.approx(6.0, abs=0.02)


def test_a_faint_word_ending_at_the_noise_level_is_not_counted_as_silence() -> None:
    # The last 120 ms of the word sit 1.5 dB under the room noise: a single 10 ms frame cannot tell
    # them from noise, 30 ms of energy can, and the pause starts where they end.
    noise_rms = 0.01
    faint = np.random.default_rng(4).normal(0, noise_rms * 10 ** (-1.5 / 20), round(0.12 * RATE)).astype(np.float32)
    audio = _with_noise([_tone(1.0, 0.1), faint, np.zeros(round(4.88 * RATE), np.float32), _tone(1.0, 0.1)], noise_rms)
    (pause,) = _given_regions(audio, [(0.0, 1.0), (6.0, 7.0)])
    assert pause.start_s == pytest.approx(1.12, abs=0.04)
    assert pause.duration_s == pytest.approx(4.9, abs=0.05)


def test_a_noise_burst_apart_from_the_speech_is_not_joined_to_it() -> None:
    gap = np.zeros(5 * RATE, np.float32)
    gap[int(0.3 * RATE) : int(0.5 * RATE)] = np.random.default_rng(2).normal(0, 0.05, int(0.2 * RATE))
    audio = _with_noise([_tone(1.0, 0.1), gap, _tone(1.0, 0.1)], 0.002)
    (pause,) = _given_regions(audio, [(0.0, 1.0), (6.0, 7.0)])
    assert pause.start_s == pytest.approx(1.0, abs=0.02)
