"""The speech map decided by more than one witness, so that it holds for a recorder on the table.

Silero alone, on audio as recorded, misses far-field talk: a quiet child 2 m away in a reverberant
room scores 0.1-0.4 where 0.5 is needed, and a recording made at -30 dBFS scores lower still. So
speech is decided from these witnesses, on 32 ms windows (Silero's):

- **Silero, level-normalised** (``silero``): the recording is raised (never lowered) so that its
  loud frames sit at ``target_level_db``; Silero then gives each window a speech probability.
- **Energy over the noise floor, in the speech band** (``energy``): the window's 300-3400 Hz energy
  is ``over_floor_db`` above a running noise floor (the 10th percentile over ``floor_window_s``),
  most of its energy lies in that band, and it is not a tone (a monitor beep puts nearly all its
  band energy in one or two frequency bins; voiced speech spreads it over many harmonics).
- **Word spans** (optional): the recogniser's word times, non-speech tags left out. The recogniser
  can hallucinate over silence, so its words are only ever a confirming witness here; the guards
  against hallucinated words belong to recognition itself.
- **Diarization speech activity** (optional): on real weights trained on far-field meetings.

The rule:

1. A Silero region at the usual confident threshold (``confident``, 0.5) is speech on its own, as
   before: on close-talk audio, which needs no gain, the map is exactly the plain Silero map.
2. A stretch where Silero is only unsure (``weak`` <= p < ``confident``) is speech when a second,
   independent witness agrees: at least ``energy_share`` of its windows show speech-band energy over
   the floor, or a word span or diarization span overlaps it.
3. Energy over the floor alone is never speech (a chair scraping or a door has that), nor is a weak
   Silero score alone (a breath may have that); energy confirmed by a word or diarization span is.

Why this way: the two acoustic witnesses fail on different sounds. Silero's weak scores come
from speech-like noise (a breath, a sniff) that the energy check often passes too, but such sounds
are short, and the pause analysis already treats a short region no word overlaps as noise inside a
pause. Silero scores a beep, a chair or a door near zero, so those never reach rule 2, and the
tone check keeps a beep out of the energy witness anyway. A quiet, reverberant answer raises both
at once, which is what rule 2 asks for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .vad import SAMPLE_RATE_HZ, SpeechRegion, speech_map, speech_probabilities

WINDOW = 512  # Silero's window: 32 ms at 16 kHz
_BLOCK_WINDOWS = 8192  # about 4.4 min of windows per block: a few tens of MB of transient arrays
_WINDOW_S = WINDOW / SAMPLE_RATE_HZ


@dataclass(frozen=True)
class WitnessOptions:
    target_level_db: float = -20.0  # where the recording's loud frames (95th percentile) are brought
    max_gain_db: float = 40.0
    confident: float = 0.5
    weak: float = 0.15
    over_floor_db: float = 9.0
    floor_window_s: float = 10.0
    band_share: float = 0.5  # of the window's energy inside 300-3400 Hz
    max_tone_share: float = 0.85  # of the band energy within two bins of its strongest bin
    energy_share: float = 0.3  # of a weak stretch's windows that must show speech-band energy
    bridge_s: float = 0.1  # dips shorter than this inside a weak stretch do not split it


def normalise_level(waveform: np.ndarray, options: WitnessOptions | None = None) -> np.ndarray:
    """The waveform raised so that its loud 32 ms frames sit at the target level (never lowered)."""
    options = options or WitnessOptions()
    n = len(waveform) // WINDOW
    if n == 0:
        return waveform
    level_db = np.concatenate([10 * np.log10((frames**2).mean(axis=1) + 1e-12) for frames in _frame_blocks(waveform, n)])
    loud_db = float(np.percentile(level_db, 95))
    gain_db = min(max(options.target_level_db - loud_db, 0.0), options.max_gain_db)
    if gain_db <= 0.0:
        return waveform
    raised = (waveform * 10 ** (gain_db / 20)).astype(np.float32, copy=False)
    return np.clip(raised, -1.0, 1.0, out=raised)


def energy_activity(waveform: np.ndarray, options: WitnessOptions | None = None) -> np.ndarray:
    """Per Silero window: speech-band energy over the running noise floor, and not a tone."""
    options = options or WitnessOptions()
    n = len(waveform) // WINDOW
    if n == 0:
        return np.zeros(0, dtype=bool)
    freqs = np.fft.rfftfreq(WINDOW, 1 / SAMPLE_RATE_HZ)
    band = (freqs >= 300) & (freqs <= 3400)
    hann = np.hanning(WINDOW)
    measures = [_band_measures(frames * hann, band) for frames in _frame_blocks(waveform, n)]
    band_power, share, tone_share = (np.concatenate(parts) for parts in zip(*measures, strict=True))
    band_db = 10 * np.log10(band_power)
    size = max(int(options.floor_window_s / _WINDOW_S), 1)
    floor_db = ndimage.percentile_filter(band_db, 10, size=size, mode="nearest")
    return (band_db > floor_db + options.over_floor_db) & (share >= options.band_share) & (tone_share <= options.max_tone_share)


def _frame_blocks(waveform: np.ndarray, n: int) -> Iterator[np.ndarray]:
    """The first ``n`` Silero windows as float64 rows, a block at a time.

    Per-window measures over a whole hour at once held about 1.5 GB of transient arrays (framed copies,
    spectra), so peak memory grew with the recording; row by row the results are the same.
    """
    for first in range(0, n, _BLOCK_WINDOWS):
        last = min(first + _BLOCK_WINDOWS, n)
        yield waveform[first * WINDOW : last * WINDOW].reshape(last - first, WINDOW).astype(np.float64)


def _band_measures(frames: np.ndarray, band: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per windowed frame: speech-band power, the band's share of all power, and its tone share."""
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    band_power = power[:, band].sum(axis=1) + 1e-12
    return band_power, band_power / (power.sum(axis=1) + 1e-12), _tone_share(power[:, band])


def _tone_share(band_power: np.ndarray) -> np.ndarray:
    """Per window: the share of the band's energy within two bins of its strongest bin.

    A Hann-windowed tone spreads over about four bins, so a beep scores over 0.9; a high child's
    voice, whose fundamental may carry much of the band, still spreads the rest over its harmonics.
    """
    padded = np.pad(band_power, ((0, 0), (2, 2)))
    width = band_power.shape[1]
    around = np.sum([padded[:, k : k + width] for k in range(5)], axis=0)
    return np.asarray(around.max(axis=1) / (band_power.sum(axis=1) + 1e-12))


def _runs(mask: np.ndarray, bridge: int) -> list[tuple[int, int]]:
    """Runs of True windows as (first, end) indices, joining runs separated by fewer than `bridge` windows."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    runs = list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist(), strict=True))
    joined: list[tuple[int, int]] = []
    for first, end in runs:
        if joined and first - joined[-1][1] < bridge:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((first, end))
    return joined


def _overlaps(first: int, end: int, spans: Sequence[tuple[float, float]]) -> bool:
    start_s, end_s = first * _WINDOW_S, end * _WINDOW_S
    return any(s < end_s and e > start_s for s, e in spans)


def combined_speech_map(
    waveform: np.ndarray,
    words: Sequence[tuple[float, float]] = (),
    diarized: Sequence[tuple[float, float]] = (),
    options: WitnessOptions | None = None,
) -> list[SpeechRegion]:
    """Speech regions of a 16 kHz mono waveform decided by the rule in the module docstring, in order."""
    options = options or WitnessOptions()
    normalised = normalise_level(waveform, options)
    confident = speech_map(normalised, threshold=options.confident)
    probabilities = speech_probabilities(normalised)
    energy = energy_activity(normalised, options)
    n = min(len(probabilities), len(energy))
    probabilities, energy = probabilities[:n], energy[:n]
    confirming = [*words, *diarized]
    bridge = max(int(options.bridge_s / _WINDOW_S), 1)
    found = [(r.start_s, r.end_s) for r in confident]
    confident_spans = list(found)
    for first, end in _runs(probabilities >= options.weak, bridge):
        if _overlaps(first, end, confident_spans):
            continue  # part of a confident region (rule 1): its edges stay Silero's, refined later on energy
        if float(energy[first:end].mean()) >= options.energy_share or _overlaps(first, end, confirming):
            found.append((first * _WINDOW_S, end * _WINDOW_S))
    if confirming:
        for first, end in _runs(energy, bridge):
            if _overlaps(first, end, confirming):
                found.append((first * _WINDOW_S, end * _WINDOW_S))
    return _union(found)


def _union(spans: list[tuple[float, float]]) -> list[SpeechRegion]:
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [SpeechRegion(round(s, 3), round(e, 3)) for s, e in merged]
