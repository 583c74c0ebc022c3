"""Decode any common recording to one 16 kHz mono float32 waveform, checking it is sane first.

Decoding goes through PyAV (FFmpeg bundled in its wheels), which covers WAV, FLAC, MP3,
M4A/AAC, OGG/Opus, WMA, AMR and the audio track of MP4/MOV. The file is probed before it
is decoded so that a tiny file declaring hours of audio is refused without decoding it,
and the decoded length is checked against the cap as it grows for files that declare none.
"""

from __future__ import annotations

import hashlib
import logging
import stat
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from .errors import (
    AudioLimitError,
    EmptyRecordingError,
    InputError,
    RecordingNotFoundError,
    TruncatedAudioError,
    UnsupportedAudioError,
    decode_error,
)
from .schema import RecordingInfo

logger = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 16_000
_BLOCK_SAMPLES = SAMPLE_RATE_HZ // 10  # 100 ms energy blocks for the channel analysis
_LOSSLESS_PREFIXES = ("pcm_", "flac", "alac", "wavpack")
_MIN_DURATION_S = 0.1
_UNDECODABLE = (
    "the file is not a recording we can decode (not audio, an unsupported format, or damaged); "
    "convert it to WAV, FLAC, MP3 or M4A and try again"
)


@dataclass(frozen=True)
class AudioLimits:
    max_duration_s: float
    max_channels: int
    min_sample_rate_hz: int
    max_sample_rate_hz: int


@dataclass(frozen=True)
class DecodedAudio:
    waveform: np.ndarray  # float32, mono, SAMPLE_RATE_HZ
    info: RecordingInfo

    @property
    def duration_s(self) -> float:
        return len(self.waveform) / SAMPLE_RATE_HZ

    @property
    def dual_party(self) -> bool:
        return self.info.channel_layout == "dual_party"


class _GrowableBuffer:
    """A float32 buffer grown in place, so decoding never holds a list of frames or a second copy.

    ndarray.resize reallocates; for buffers this large the allocator remaps pages instead of copying,
    so the peak stays at the audio itself however long a file that declares no length turns out to be.
    """

    def __init__(self, capacity: int) -> None:
        self._data = np.empty(max(capacity, SAMPLE_RATE_HZ), dtype=np.float32)
        self.size = 0

    def append(self, chunk: np.ndarray) -> None:
        needed = self.size + len(chunk)
        if needed > len(self._data):
            # Grow by a quarter (at least a minute): the slack stays small and few reallocations happen.
            self._data.resize(max(needed, len(self._data) + max(len(self._data) // 4, 60 * SAMPLE_RATE_HZ)), refcheck=False)
        self._data[self.size : needed] = chunk
        self.size = needed

    def finish(self) -> np.ndarray:
        if self.size != len(self._data):
            self._data.resize(self.size, refcheck=False)  # gives the slack back without a copy
        return self._data


class _ChannelEnergy:
    """Per-channel energy in 100 ms blocks, accumulated while decoding a two-channel file."""

    def __init__(self) -> None:
        self._pending = np.empty((2, 0), dtype=np.float32)
        self._blocks: list[np.ndarray] = []

    def add(self, planes: np.ndarray) -> None:
        joined = np.concatenate([self._pending, planes[:2]], axis=1)
        n_full = joined.shape[1] // _BLOCK_SAMPLES * _BLOCK_SAMPLES
        if n_full:
            full = joined[:, :n_full].reshape(2, -1, _BLOCK_SAMPLES).astype(np.float64)
            self._blocks.append((full**2).sum(axis=2))
        self._pending = joined[:, n_full:]

    def layout(self) -> str:
        if not self._blocks:
            return "dual_identical"
        energy = np.concatenate(self._blocks, axis=1)
        return classify_channels(energy[0], energy[1])


def classify_channels(left_energy: np.ndarray, right_energy: np.ndarray) -> str:
    """Tell identical, mixed and party-per-channel stereo apart from block energies."""
    eps = 1e-10
    left_db = 10 * np.log10(left_energy / _BLOCK_SAMPLES + eps)
    right_db = 10 * np.log10(right_energy / _BLOCK_SAMPLES + eps)
    loudest = max(left_db.max(initial=-100.0), right_db.max(initial=-100.0))
    active = np.maximum(left_db, right_db) > loudest - 35.0
    if active.sum() < 10:
        return "dual_identical"
    diff = (left_db - right_db)[active]
    if np.abs(diff).max() < 1.0:
        return "dual_identical"
    # A call recorder puts each party on its own channel: many blocks where one channel
    # is far louder than the other, in both directions.
    left_only = float((diff > 15.0).mean())
    right_only = float((diff < -15.0).mean())
    if left_only > 0.1 and right_only > 0.1:
        return "dual_party"
    return "dual_mixed"


def classify_bandwidth(waveform: np.ndarray, source_rate_hz: int) -> str:
    """'telephone' when the source is 8 kHz or carries almost nothing above 3.6 kHz."""
    if source_rate_hz <= 8000:
        return "telephone"
    frame = 512
    n_frames = len(waveform) // frame
    if n_frames == 0:
        return "unknown"
    # Look at up to 2,000 evenly spaced frames: enough for a stable ratio on any length.
    picks = np.linspace(0, n_frames - 1, num=min(n_frames, 2000)).astype(int)
    frames = np.stack([waveform[i * frame : (i + 1) * frame] for i in picks])
    energy = (frames**2).mean(axis=1)
    loud = energy > max(energy.max() * 1e-3, 1e-8)
    if not loud.any():
        return "unknown"
    spectrum = np.abs(np.fft.rfft(frames[loud] * np.hanning(frame), axis=1)) ** 2
    freqs = np.fft.rfftfreq(frame, 1 / SAMPLE_RATE_HZ)
    high = spectrum[:, freqs > 3600].sum()
    total = spectrum.sum() + 1e-12
    return "telephone" if high / total < 1e-3 else "wideband"


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _declared_duration_s(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def probe_duration_s(path: Path) -> float | None:
    """The duration a file's header declares, cheaply, for progress estimates; None when unknown or unreadable.

    Never a check: load() decodes and validates for real.
    """
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                return None
            return _declared_duration_s(container, container.streams.audio[0])
    except (av.error.FFmpegError, ValueError, OSError):
        return None


def riff_shortfall_bytes(path: Path) -> int:
    """Bytes a WAV's header promises in its data chunk but the file lacks (0 if none, or not WAV).

    FFmpeg and libsndfile both size a cut-off WAV from the file length without complaint,
    so the header is read here. 0 and 0xFFFFFFFF are placeholders left by streaming writers.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        if handle.read(12)[:4] not in (b"RIFF", b"RF64") or size < 12:
            return 0
        position = 12
        while position + 8 <= size:
            handle.seek(position)
            header = handle.read(8)
            chunk_id, chunk_size = header[:4], int.from_bytes(header[4:8], "little")
            if chunk_id == b"data":
                if chunk_size in (0, 0xFFFFFFFF):
                    return 0
                return max(0, position + 8 + chunk_size - size)
            position += 8 + chunk_size + (chunk_size & 1)
    return 0


def _check_path(path: Path) -> int:
    """Our own checks, worded without the file's name (it is often the patient's)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise RecordingNotFoundError("the recording file does not exist; check the path") from None
    except OSError:
        raise InputError("the recording path cannot be read (a folder on the way is not accessible)") from None
    if stat.S_ISDIR(mode):
        raise InputError("the recording path is a folder, not a file")
    if not stat.S_ISREG(mode):
        # A FIFO or device would block or never end; only regular files are recordings.
        raise InputError("the recording path is not a regular file (a pipe, socket or device); give the audio file")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError:
        raise InputError("the recording file cannot be read (permission denied)") from None
    size = path.stat().st_size
    if size == 0:
        raise EmptyRecordingError("the recording file is empty (0 bytes)")
    return size


@dataclass(frozen=True)
class ProbedAudio:
    """What a file's headers declare, checked against the limits; nothing decoded yet."""

    channels: int
    sample_rate_hz: int
    declared_duration_s: float | None


def _open(path: Path) -> av.container.InputContainer:
    try:
        # FFmpeg identifies the format from the content; the file's name plays no part.
        return av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise decode_error(exc) from exc


def _checked_header(container: av.container.InputContainer, limits: AudioLimits) -> ProbedAudio:
    if not container.streams.audio:
        raise UnsupportedAudioError(
            "the file has no audio track we can decode (a video without sound, not audio, or damaged); "
            "convert it to WAV, FLAC, MP3 or M4A and try again"
        )
    stream = container.streams.audio[0]
    ctx = stream.codec_context
    if ctx is None or not ctx.name:
        # FFmpeg finds a stream but no decoder for what the header declares (bits per sample 0 or 33,
        # format tag 0, float with 16 bits, a broken WAVE_FORMAT_EXTENSIBLE): damaged or unsupported.
        raise UnsupportedAudioError(_UNDECODABLE)
    channels = ctx.channels
    rate = ctx.sample_rate
    if channels < 1 or channels > limits.max_channels:
        raise AudioLimitError(
            f"the recording declares {channels} audio channels; we accept 1 to {limits.max_channels} (the header may be damaged)"
        )
    if not limits.min_sample_rate_hz <= rate <= limits.max_sample_rate_hz:
        raise AudioLimitError(
            f"the recording declares a sample rate of {rate} Hz; we accept "
            f"{limits.min_sample_rate_hz} to {limits.max_sample_rate_hz} Hz (the header may be damaged)"
        )
    declared_s = _declared_duration_s(container, stream)
    if declared_s is not None and declared_s > limits.max_duration_s:
        raise AudioLimitError(_too_long(declared_s, limits))
    return ProbedAudio(channels, rate, declared_s)


def probe(path: Path, limits: AudioLimits) -> ProbedAudio:
    """Check a file's format, channels, sample rate and declared duration without decoding it (for uploads)."""
    _check_path(path)
    with _open(path) as container:
        probed = _checked_header(container, limits)
    _check_riff_length(path)
    return probed


def _check_riff_length(path: Path) -> None:
    # FFmpeg sizes a WAV from the file when its data chunk promises more than the file holds, so a
    # 32 KB file declaring ten hours would probe as one second; the header itself is the evidence.
    missing_bytes = riff_shortfall_bytes(path)
    if missing_bytes > 0:
        raise TruncatedAudioError(
            f"the file looks truncated: its header promises {missing_bytes} more bytes of audio than the file holds; "
            "copy the file again from the recorder"
        )


def load(path: Path, limits: AudioLimits) -> DecodedAudio:
    """Probe, check and decode a recording. Raises an InputError subclass for bad input."""
    size_bytes = _check_path(path)
    with _open(path) as container:
        header = _checked_header(container, limits)
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        channels, rate, declared_s = header.channels, header.sample_rate_hz, header.declared_duration_s
        waveform, layout = _decode(container, stream, channels, declared_s, limits)
        codec = ctx.name
        container_name = container.format.name

    duration_s = len(waveform) / SAMPLE_RATE_HZ
    if len(waveform) == 0:
        raise EmptyRecordingError("the recording contains no audio samples")
    if duration_s < _MIN_DURATION_S:
        raise EmptyRecordingError(f"the recording is too short to transcribe ({duration_s:.2f} s)")
    _check_riff_length(path)
    if declared_s is not None and _looks_truncated(codec, declared_s, duration_s):
        raise TruncatedAudioError(
            f"the file looks truncated: its header declares {declared_s:.1f} s but only "
            f"{duration_s:.1f} s could be decoded; copy the file again from the recorder"
        )
    info = RecordingInfo(
        sha256=sha256_of(path),
        size_bytes=size_bytes,
        container=container_name,
        codec=codec,
        sample_rate_hz=rate,
        channels=channels,
        duration_s=round(duration_s, 3),
        bandwidth=classify_bandwidth(waveform, rate),  # type: ignore[arg-type]
        channel_layout=layout,  # type: ignore[arg-type]
    )
    logger.info("decoded %.1f s of %s audio (%s, %d ch)", duration_s, info.bandwidth, codec, channels)
    return DecodedAudio(waveform=waveform, info=info)


def _too_long(duration_s: float, limits: AudioLimits) -> str:
    return (
        f"the recording is {duration_s / 3600:.1f} h long, over the {limits.max_duration_s / 3600:.1f} h limit; "
        "split it, or raise ALLIANCE_MAX_DURATION_S"
    )


def _looks_truncated(codec: str, declared_s: float, decoded_s: float) -> bool:
    if codec.startswith(_LOSSLESS_PREFIXES):
        return decoded_s < declared_s - max(0.5, 0.01 * declared_s)
    # Compressed formats often declare an estimate; only a large shortfall means damage.
    return decoded_s < 0.5 * declared_s and declared_s - decoded_s > 2.0


def _decode(
    container: av.container.InputContainer,
    stream: av.audio.stream.AudioStream,
    channels: int,
    declared_s: float | None,
    limits: AudioLimits,
) -> tuple[np.ndarray, str]:
    two_channel = channels == 2
    resampler = av.AudioResampler(format="fltp", layout="stereo" if two_channel else "mono", rate=SAMPLE_RATE_HZ)
    expected = int((declared_s or 60.0) * SAMPLE_RATE_HZ) + SAMPLE_RATE_HZ
    buffer = _GrowableBuffer(min(expected, int(limits.max_duration_s * SAMPLE_RATE_HZ) + SAMPLE_RATE_HZ))
    energy = _ChannelEnergy() if two_channel else None
    cap_samples = int((limits.max_duration_s + 1.0) * SAMPLE_RATE_HZ)

    def consume(frames: list[av.AudioFrame]) -> None:
        for frame in frames:
            planes = frame.to_ndarray()
            if energy is not None:
                energy.add(planes)
                buffer.append(planes.mean(axis=0, dtype=np.float32))
            else:
                buffer.append(planes[0])
            if buffer.size > cap_samples:
                raise AudioLimitError(_too_long(buffer.size / SAMPLE_RATE_HZ, limits))

    try:
        for frame in container.decode(stream):
            consume(resampler.resample(frame))
        consume(resampler.resample(None))
    except (av.error.FFmpegError, ValueError) as exc:
        if buffer.size == 0:
            raise decode_error(exc) from exc
        # Damage after good audio: keep what decoded; the truncation check judges the rest.
        logger.warning("decoding stopped early: %s", type(exc).__name__)
    if energy is not None:
        layout = energy.layout()
    else:
        layout = "mono" if channels == 1 else "multichannel"
    return buffer.finish(), layout
