"""Pauses measured on the audio, not on gaps between ASR segments.

Segment gaps invent pauses where speech went untranscribed and miss pauses inside a segment,
so pauses come from Silero's speech map (unpadded), with each boundary refined on 10 ms
energy frames. Each speech region is then classed against the transcript:

- it overlaps a spoken word: speech;
- it overlaps no spoken word but lasts long enough to be talk: untranscribed speech, which
  ends a pause and is reported, never counted as silence;
- otherwise (breath, sniff, paper, a cough, a monitor beep): noise inside the pause.

Words that are non-speech tags the recognizer wrote, such as "(crying)" or "[sighs]", do not
count as speech, so crying does not split a silence.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..frame_power import frame_power
from ..schema import Pause, Segment, UntranscribedSpeech
from ..vad import SAMPLE_RATE_HZ, SpeechRegion

_TAG = re.compile(r"^\W*[\(\[\*<].*[\)\]\*>]\W*$")
_FRAME_S = 0.01
# The lower hysteresis threshold, on 30 ms energy (10 ms frames are too jittery to follow a tail
# near the floor): the pause's median plus three times its upper quartile spread. Quartiles rather
# than a high percentile because a soft word start that Silero missed lies inside the "pause".
_TAIL_FRAMES = 3
_TAIL_SPREAD = 3.0
_TAIL_MIN_DB = 1.0  # above a digitally silent floor, where the spread is zero
_HANGOVER_S = 0.5  # how far past the true end of speech Silero may still say "speech" in noise
_REVERB_MIN_S = 0.12  # a typical fade longer than this before a pause is a room's reverberation
_REVERB_MIN_PAUSES = 3  # fades needed to judge a recording reverberant (most long, most of those steady)
_REVERB_MAX_STEP_DB = 12.0  # the steepest 10 ms step of 30 ms energy a reverberant fade takes
_REVERB_MIN_GAP_S = 0.6  # gaps this long show a fade, pauses or not
_REVERB_DROP_DB = 10.0
_MAX_WORD_S = 5.0  # no recognizer word lasts longer; bounds the look-back for overlapping words


@dataclass(frozen=True)
class PauseOptions:
    min_pause_s: float = 2.0
    untranscribed_min_s: float = 0.6  # shorter unmatched regions are treated as noise
    refine_window_s: float = 0.2


@dataclass(frozen=True)
class PauseAnalysis:
    pauses: list[Pause]
    untranscribed: list[UntranscribedSpeech]


def is_non_speech_tag(text: str) -> bool:
    return bool(_TAG.match(text.strip()))


@dataclass(frozen=True)
class _SpokenWord:
    start_s: float
    end_s: float
    speaker: str
    segment: str


def _spoken_words(segments: Sequence[Segment]) -> list[_SpokenWord]:
    words = [
        _SpokenWord(w.start_s, w.end_s, seg.speaker, seg.id)
        for seg in segments
        for w in seg.words
        if not is_non_speech_tag(w.text)
    ]
    return sorted(words, key=lambda w: w.start_s)


@dataclass(frozen=True)
class _Energy:
    """Frame energy in dB: per 10 ms frame, and as 30 ms means reaching forward or backward."""

    db: np.ndarray
    forward_db: np.ndarray  # frames i .. i+2: the side a pause lies on after speech ends
    backward_db: np.ndarray  # frames i-2 .. i: the side a pause lies on before speech starts


def _frame_energy(waveform: np.ndarray) -> _Energy:
    hop = int(_FRAME_S * SAMPLE_RATE_HZ)
    n = len(waveform) // hop
    power = frame_power(waveform, hop) + 1e-12
    db = np.asarray(10 * np.log10(power))
    if n < _TAIL_FRAMES:
        return _Energy(db=db, forward_db=db, backward_db=db)
    # The 10 ms frames are unsmoothed on purpose: a centred moving average smeared speech energy
    # into the gap and shortened every pause by about 30 ms. The 30 ms means are one-sided, looking
    # into the pause, so loud speech never props up a tail frame.
    mean_db = 10 * np.log10(np.convolve(power, np.ones(_TAIL_FRAMES) / _TAIL_FRAMES, mode="valid"))
    pad = np.full(_TAIL_FRAMES - 1, -120.0)
    return _Energy(
        db=db,
        forward_db=np.concatenate([mean_db, pad]),
        backward_db=np.concatenate([pad, mean_db]),
    )


FrameEnergy = _Energy  # public name: AnalysisInputs measures it once per recording for re-analysis


def frame_energy(waveform: np.ndarray) -> FrameEnergy:
    return _frame_energy(waveform)


def _speech_edge(
    db: np.ndarray,
    pause_side_db: np.ndarray,
    floor: float,
    tail: float,
    speech: np.ndarray,
    lo: int,
    hi: int,
    limit: int,
    speech_ends: bool,
) -> int | None:
    """Frame index where speech ends (speech_ends) or starts, found in db[lo:hi], or None if unclear.

    From the first clearly loud frame the edge follows fading (or rising) speech outward while the
    30 ms energy stays above `tail`, up to `limit`: past the search window too, as a quiet word
    start that Silero missed is still contiguous with the speech it did find.
    """
    level = float(np.percentile(speech, 90))
    if level - floor <= 6.0:
        return None
    loud = np.nonzero(db[lo:hi] > floor + max(6.0, 0.3 * (level - floor)))[0]
    if not len(loud):
        return None
    if speech_ends:
        edge = lo + loud[-1]
        while edge + 1 < limit and pause_side_db[edge + 1] > tail:
            edge += 1
        return edge + 1
    edge = lo + loud[0]
    while edge - 1 > limit and pause_side_db[edge - 1] > tail:
        edge -= 1
    return edge


def _fade_start(db: np.ndarray, pause_side_db: np.ndarray, tail_end: int) -> tuple[int, bool, bool]:
    """Where the sound before a pause began its final fade (``_REVERB_DROP_DB`` under the speech
    level), whether the fade is long, and whether it is steady.

    In a reverberant room the sound outlives the speech: it decays smoothly, at 60 dB per RT60, for
    a few hundred milliseconds after the talker stopped, and following it to the noise floor (as
    ``_speech_edge`` does, for quiet word endings in noise) overstated the end of speech by 0.2-0.3 s
    at RT60 0.6 s. Such a fade is long (over ``_REVERB_MIN_S``) and steady: never more than
    ``_REVERB_MAX_STEP_DB`` in one 10 ms step (an RT60 of 0.2 s falls 3 dB). A synthetic voice's
    breathy end tail, or a dithered silence after a clip, lasts as long but falls off a cliff into
    it and then stays flat: not reverberation.
    """
    start = max(tail_end - int(0.5 / _FRAME_S), 0)
    if tail_end - start < 10:
        return tail_end, False, False
    level = float(np.percentile(db[start:tail_end], 90))
    above = np.nonzero(pause_side_db[start:tail_end] >= level - _REVERB_DROP_DB)[0]
    if not len(above):
        return tail_end, False, False
    fade_from = start + int(above[-1]) + 1
    if (tail_end - fade_from) * _FRAME_S <= _REVERB_MIN_S:
        return fade_from, False, False
    steepest_db = float(np.max(-np.diff(pause_side_db[fade_from:tail_end])))
    return fade_from, True, steepest_db <= _REVERB_MAX_STEP_DB


def _refine(
    energy: _Energy, gap_start_s: float, gap_end_s: float, window_s: float
) -> tuple[float, float, tuple[float, bool, bool] | None]:
    """Move each gap edge to where frame energy crosses a threshold between noise floor and speech.

    Silero's hangover carries speech up to a few hundred milliseconds into a pause in noise, so
    the search reaches further into the speech side (HANGOVER_S) than into the pause (window_s).
    Returns the start, the end, and where the sound before the pause began to fade, whether that fade
    is long and whether steady (``_fade_start``; None where the start was not refined).
    """
    db = energy.db
    n = len(db)
    first, last = int(gap_start_s / _FRAME_S), int(gap_end_s / _FRAME_S)
    outward, inward = int(window_s / _FRAME_S), int(_HANGOVER_S / _FRAME_S)
    inner = slice(min(first + outward, n), max(last - outward, 0))
    interior = db[inner]
    if len(interior) < 5:
        return gap_start_s, gap_end_s, None
    floor = float(np.percentile(interior, 50))
    before = db[max(first - 50, 0) : first]
    after = db[last : min(last + 50, n)]
    if len(before) == 0 and len(after) == 0:
        return gap_start_s, gap_end_s, None
    # Hysteresis: a high threshold finds the edge of clear speech, then the edge follows a fading
    # tail (or a soft onset) while 30 ms energy stays above what the pause's own noise reaches,
    # so quiet word endings in noise are not cut off and the pause not overstated.
    q50, q75 = np.percentile(energy.forward_db[inner], [50, 75])
    tail = max(float(q50 + _TAIL_SPREAD * (q75 - q50)), floor + _TAIL_MIN_DB)
    middle = (first + last) // 2
    start_s, end_s = gap_start_s, gap_end_s
    fade: tuple[float, bool, bool] | None = None
    # A pause at a recording edge has speech on one side only: that side alone is refined.
    if len(before):
        edge = _speech_edge(
            db, energy.forward_db, floor, tail, before, max(first - inward, 0), min(first + outward, n), middle, True
        )
        if edge is not None:
            start_s = edge * _FRAME_S
            fade_frame, long, steady = _fade_start(db, energy.forward_db, edge)
            fade = (fade_frame * _FRAME_S, long, steady)
    if len(after):
        edge = _speech_edge(
            db, energy.backward_db, floor, tail, after, max(last - outward, 0), min(last + inward, n), middle, False
        )
        if edge is not None:
            end_s = edge * _FRAME_S
    if end_s - start_s < 0.5 * (gap_end_s - gap_start_s):
        return gap_start_s, gap_end_s, None  # refinement went astray (noise burst at an edge): keep VAD's
    return start_s, end_s, fade


def _overlaps_a_word(region: SpeechRegion, words: list[_SpokenWord], word_starts: list[float]) -> bool:
    k = bisect.bisect_left(word_starts, region.end_s) - 1
    while k >= 0 and words[k].start_s > region.start_s - _MAX_WORD_S:
        if words[k].end_s > region.start_s:
            return True
        k -= 1
    return False


def find_pauses(
    waveform: np.ndarray,
    regions: Sequence[SpeechRegion],
    segments: Sequence[Segment],
    options: PauseOptions | None = None,
    energy: FrameEnergy | None = None,
) -> PauseAnalysis:
    """energy: the recording's frame energy when already measured (``frame_energy``), else measured here."""
    options = options or PauseOptions()
    words = _spoken_words(segments)
    word_starts = [w.start_s for w in words]
    speech: list[SpeechRegion] = []
    untranscribed: list[UntranscribedSpeech] = []
    noise: list[SpeechRegion] = []
    for region in regions:
        if _overlaps_a_word(region, words, word_starts):
            speech.append(region)
        elif region.duration_s >= options.untranscribed_min_s:
            speech.append(region)
            untranscribed.append(UntranscribedSpeech(start_s=region.start_s, end_s=region.end_s))
        else:
            noise.append(region)

    duration_s = len(waveform) / SAMPLE_RATE_HZ
    energy = energy if energy is not None else _frame_energy(waveform)
    # The recording's start and end bound a silence as speech does: a long silence with speech on
    # one side only (the recorder running before anyone spoke, or after) is reported, labelled.
    edges = [SpeechRegion(0.0, 0.0), *speech, SpeechRegion(duration_s, duration_s)]
    gaps: list[tuple[int, float, float, tuple[float, bool, bool] | None]] = []
    for k, (before, after) in enumerate(itertools.pairwise(edges)):
        # short gaps too: they are not pauses, but their fades tell whether the room reverberates
        if after.start_s - before.end_s >= min(options.min_pause_s - 2 * options.refine_window_s, _REVERB_MIN_GAP_S):
            gaps.append((k, *_refine(energy, before.end_s, after.start_s, options.refine_window_s)))
    # Reverberation is a property of the room, so it is judged on the whole recording: where the
    # sound typically fades for longer than _REVERB_MIN_S before its pauses, the end of speech is
    # where each fade began. A close-talk recording has a few slowly fading words but no such
    # pattern, and its edges stay where the energy meets the noise.
    fades = [fade for _, _, _, fade in gaps if fade is not None]
    long = [fade for fade in fades if fade[1]]
    reverberant = len(fades) >= _REVERB_MIN_PAUSES and len(long) > len(fades) / 2 and sum(f[2] for f in long) > len(long) / 2
    pauses: list[Pause] = []
    for k, refined_start_s, refined_end_s, fade in gaps:
        start_s = max(fade[0] if reverberant and fade is not None else refined_start_s, 0.0)
        end_s = min(refined_end_s, duration_s)
        if end_s - start_s < options.min_pause_s:
            continue
        at_start, at_end = k == 0, k == len(edges) - 2
        bounds = (
            "whole_recording"
            if at_start and at_end
            else "recording_start"
            if at_start
            else "recording_end"
            if at_end
            else "speech"
        )
        pause = _pause(len(pauses) + 1, start_s, end_s, words, word_starts, noise)
        pauses.append(pause.model_copy(update={"bounds": bounds}))
    return PauseAnalysis(pauses=pauses, untranscribed=untranscribed)


def _pause(
    number: int,
    start_s: float,
    end_s: float,
    words: list[_SpokenWord],
    word_starts: list[float],
    noise: list[SpeechRegion],
) -> Pause:
    # Word times from the recognizer are looser than the speech map: allow a small slack.
    slack_s = 0.3
    i = bisect.bisect_right(word_starts, start_s + slack_s)
    before = words[i - 1] if i > 0 else None
    j = bisect.bisect_left(word_starts, end_s - slack_s)
    after = words[j] if j < len(words) else None
    if before and after:
        kind = "within_turn" if before.speaker == after.speaker else "between_turns"
    else:
        kind = "unattributed"
    return Pause(
        id=f"pause-{number:04d}",
        start_s=round(start_s, 2),
        end_s=round(end_s, 2),
        duration_s=round(end_s - start_s, 1),
        kind=kind,  # type: ignore[arg-type]
        speaker_before=before.speaker if before else None,
        speaker_after=after.speaker if after else None,
        segment_before=before.segment if before else None,
        segment_after=after.segment if after else None,
        noise_events=sum(1 for n in noise if n.start_s >= start_s - 0.05 and n.end_s <= end_s + 0.05),
    )
