"""Channels as speakers: a two-party call recorded with each party on its own channel.

For that layout (``channel_layout == "dual_party"``) who spoke when is known from the channels
themselves, exactly, with no diarization weights: each channel's speech is found with Silero
(the same speech map the pause analysis uses), and a region counts as that party's talk only
where its own channel is not far quieter than the other one. That is what keeps crosstalk and
echo (one party faintly audible on the other's channel, which Silero still calls speech) from
becoming turns. Where both parties talk at once, the overlap is reported and the exclusive
turn goes to the louder channel over that stretch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from .audio import DecodedAudio
from .diarize import Diarization, SpeakerCountHint, SpeakerTurn
from .errors import InvalidOptionError, decode_error, engine_errors
from .frame_power import frame_db
from .models import ResolvedModel
from .schema import TranscriptWarning
from .vad import SAMPLE_RATE_HZ, SpeechRegion, speech_map

logger = logging.getLogger(__name__)

CHANNEL_LABELS = ("channel_1", "channel_2")
# A region whose own channel is this much quieter (median over its frames) than the other channel
# is the other party heard through the line: an echo or crosstalk, not this party's talk. Real
# double talk sits near 0 dB; echoes and bleed measured 15-30 dB under the talker.
CROSSTALK_DB = 10.0
_FRAME = SAMPLE_RATE_HZ // 100  # 10 ms

CHANNELS_MODEL = ResolvedModel(kind="channels", name="channels", path=Path("."), repo_id=None, revision=None, synthetic=False)


def load_channels(path: Path, max_duration_s: float) -> np.ndarray:
    """Both channels of a two-channel recording at 16 kHz, shape (2, samples).

    Called after audio.load() validated the file, so only the duration cap is enforced again.
    """
    cap = int((max_duration_s + 1.0) * SAMPLE_RATE_HZ)
    planes: list[np.ndarray] = []
    size = 0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE_HZ)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    planes.append(out.to_ndarray()[:2])
                    size += planes[-1].shape[1]
                if size > cap:
                    break
            for out in resampler.resample(None):
                planes.append(out.to_ndarray()[:2])
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise decode_error(exc) from exc
    if not planes:
        return np.zeros((2, 0), dtype=np.float32)
    return np.concatenate(planes, axis=1).astype(np.float32)[:, :cap]


def _own_talk(regions: list[SpeechRegion], own_db: np.ndarray, other_db: np.ndarray) -> list[SpeechRegion]:
    """The regions where this channel carries its own party, not the other one's echo."""
    kept = []
    for region in regions:
        a, b = int(region.start_s * 100), max(int(region.end_s * 100), int(region.start_s * 100) + 1)
        difference = own_db[a:b] - other_db[a:b]
        if len(difference) and float(np.median(difference)) > -CROSSTALK_DB:
            kept.append(region)
    return kept


def channel_turns(channels: np.ndarray) -> Diarization:
    """Exclusive speaker turns and overlaps from a (2, samples) call recording."""
    dbs = [frame_db(channels[0], _FRAME), frame_db(channels[1], _FRAME)]
    n = min(len(dbs[0]), len(dbs[1]))
    dbs = [dbs[0][:n], dbs[1][:n]]
    with engine_errors("voice activity detection"):
        found = [speech_map(np.ascontiguousarray(channels[c])) for c in (0, 1)]
    talk = [_own_talk(found[c], dbs[c], dbs[1 - c]) for c in (0, 1)]
    active = np.zeros((2, n), dtype=bool)
    for c in (0, 1):
        for region in talk[c]:
            active[c, int(region.start_s * 100) : int(region.end_s * 100)] = True
    both = active[0] & active[1]
    owner = np.full(n, -1, dtype=np.int8)
    owner[active[0] & ~both] = 0
    owner[active[1] & ~both] = 1
    overlaps = _runs(both)
    for start, end in overlaps:
        # Double talk: the exclusive turn goes to the party louder on their own channel over the stretch.
        owner[start:end] = 0 if dbs[0][start:end].mean() >= dbs[1][start:end].mean() else 1
    turns = []
    for c in (0, 1):
        for start, end in _runs(owner == c):
            turns.append(SpeakerTurn(round(start / 100, 3), round(end / 100, 3), CHANNEL_LABELS[c]))
    turns.sort(key=lambda t: (t.start_s, t.end_s))
    echo = sum(len(found[c]) - len(talk[c]) for c in (0, 1))
    if echo:
        logger.info("left out %d speech region(s) heard only as crosstalk or echo", echo)
    return Diarization(
        turns=tuple(turns),
        overlaps=tuple((round(a / 100, 3), round(b / 100, 3)) for a, b in overlaps),
    )


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs in a boolean array."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


class ChannelDiarizer:
    """The Diarizer interface over a call recording's two channels (decoded separately from the mix)."""

    model = CHANNELS_MODEL

    def __init__(self, path: Path, max_duration_s: float) -> None:
        self.path = path
        self.max_duration_s = max_duration_s

    def diarize(self, waveform: np.ndarray, hint: SpeakerCountHint, progress: Callable[[float], None]) -> Diarization:
        channels = load_channels(self.path, self.max_duration_s)
        progress(0.3)
        result = channel_turns(channels[:, : len(waveform)])
        progress(1.0)
        return result


def speakers_from_channels(speakers_from: str, decoded: DecodedAudio, missing_model: Exception | None) -> bool:
    """Whether this run takes speakers from the channels; raises when neither source can serve."""
    if speakers_from == "channels":
        if decoded.info.channels != 2:
            raise InvalidOptionError(
                f"speakers from channels needs a two-channel call recording; this one has {decoded.info.channels} channel(s)"
            )
        return True
    if speakers_from == "auto" and decoded.dual_party:
        return True
    if missing_model is not None:
        raise missing_model
    return False


def channel_warnings(used: bool) -> list[TranscriptWarning]:
    if not used:
        return []
    message = "Speakers were taken from the two channels (one party each), not from the diarization model."
    return [TranscriptWarning(code="speakers_from_channels", message=message)]
