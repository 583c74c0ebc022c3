"""Decoding every format we promise, channel and bandwidth analysis, and bad input."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from audio_pipeline import audio
from audio_pipeline.errors import (
    AudioLimitError,
    EmptyRecordingError,
    InputError,
    RecordingNotFoundError,
    TruncatedAudioError,
    UnsupportedAudioError,
)
from tests.conftest import read_mono
from tests.samples import flac_declaring, tone, wav_header

LIMITS = audio.AudioLimits(max_duration_s=4 * 3600, max_channels=32, min_sample_rate_hz=4000, max_sample_rate_hz=384_000)


def encode(path: Path, samples: np.ndarray, rate: int, codec: str, layout: str = "mono", video: bool = False) -> Path:
    """Write audio (and optionally a video track) with PyAV's bundled FFmpeg encoders."""
    with av.open(str(path), "w") as container:
        if video:
            vstream = container.add_stream("mpeg4", rate=10)
            vstream.width, vstream.height, vstream.pix_fmt = 64, 48, "yuv420p"
        stream = container.add_stream(codec, rate=rate)
        stream.layout = layout
        if codec == "wmav2":
            stream.bit_rate = 64_000  # the WMA encoder has no default bit rate
        fmt = stream.codec_context.codec.audio_formats[0].name
        block = stream.codec_context.frame_size or 1024
        channels = 2 if layout == "stereo" else 1
        planar = np.tile(samples, (channels, 1)) if samples.ndim == 1 else samples
        if video:
            for i in range(int(planar.shape[1] / rate * 10)):
                frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), dtype=np.uint8), format="rgb24")
                frame.pts = i
                container.mux(vstream.encode(frame))
        # The resampler converts to the encoder's sample format and cuts frames to its frame size.
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate, frame_size=block)
        source = av.AudioFrame.from_ndarray(np.ascontiguousarray(planar, dtype=np.float32), format="fltp", layout=layout)
        source.sample_rate = rate
        source.pts = 0
        source.time_base = Fraction(1, rate)
        for frame in [*resampler.resample(source), *resampler.resample(None)]:
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if video:
            container.mux(vstream.encode(None))
    return path


@pytest.mark.parametrize(
    ("name", "codec", "rate"),
    [
        ("x.wav", "pcm_s16le", 44100),
        ("x.flac", "flac", 48000),
        ("x.mp3", "libmp3lame", 44100),
        ("x.m4a", "aac", 44100),
        ("x.ogg", "libopus", 48000),
        ("x.wma", "wmav2", 44100),
        ("x.amr", "libopencore_amrnb", 8000),
        ("x.mp4", "aac", 48000),
    ],
)
def test_common_formats_decode_to_16k_mono(tmp_path: Path, name: str, codec: str, rate: int) -> None:
    path = encode(tmp_path / name, tone(3.0, rate), rate, codec)
    decoded = audio.load(path, LIMITS)
    assert decoded.waveform.dtype == np.float32 and decoded.waveform.ndim == 1
    assert decoded.duration_s == pytest.approx(3.0, abs=0.15)
    assert decoded.info.sample_rate_hz == rate
    assert decoded.info.channels == 1
    assert len(decoded.info.sha256) == 64
    assert decoded.info.size_bytes == path.stat().st_size
    assert decoded.info.bandwidth == ("telephone" if rate == 8000 else "wideband")


def test_audio_track_of_a_video_file(tmp_path: Path) -> None:
    path = encode(tmp_path / "visit.mov", tone(2.0, 48000), 48000, "aac", video=True)
    decoded = audio.load(path, LIMITS)
    assert decoded.duration_s == pytest.approx(2.0, abs=0.15)
    assert decoded.info.codec == "aac"


def test_phone_audio_upsampled_to_wideband_is_still_telephone(two_voice_wav: Path, tmp_path: Path) -> None:
    phone = tmp_path / "phone.wav"
    subprocess.run(["sox", str(two_voice_wav), "-r", "16000", str(phone), "sinc", "300-3400"], check=True)
    assert audio.load(phone, LIMITS).info.bandwidth == "telephone"
    assert audio.load(two_voice_wav, LIMITS).info.bandwidth == "wideband"


def test_two_channel_call_recording_is_detected_as_dual_party(two_voice_wav: Path, tmp_path: Path) -> None:
    speech = read_mono(two_voice_wav)
    half = len(speech) // 2
    left = speech.copy()
    left[half:] = 0
    right = speech.copy()
    right[:half] = 0
    split = tmp_path / "call.wav"
    sf.write(split, np.stack([left, right], axis=1), 16000)
    same = tmp_path / "same.wav"
    sf.write(same, np.stack([speech, speech], axis=1), 16000)
    assert audio.load(split, LIMITS).info.channel_layout == "dual_party"
    assert audio.load(same, LIMITS).info.channel_layout == "dual_identical"
    assert audio.load(split, LIMITS).dual_party


def test_many_channels_downmix(tmp_path: Path) -> None:
    path = tmp_path / "six.wav"
    sf.write(path, np.tile(tone(1.0)[:, None], (1, 6)), 16000)
    decoded = audio.load(path, LIMITS)
    assert decoded.info.channels == 6 and decoded.info.channel_layout == "multichannel"


# --- bad input -------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RecordingNotFoundError):
        audio.load(tmp_path / "nope.wav", LIMITS)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder"):
        audio.load(tmp_path, LIMITS)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(EmptyRecordingError, match="0 bytes"):
        audio.load(tmp_path / "empty.wav", LIMITS)


def test_zero_length_audio(tmp_path: Path) -> None:
    (tmp_path / "zero.wav").write_bytes(wav_header(1, 16000, 0))
    with pytest.raises((EmptyRecordingError, UnsupportedAudioError)):
        audio.load(tmp_path / "zero.wav", LIMITS)


def test_text_named_wav(tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_text("Patient notes, not audio.\n" * 50)
    with pytest.raises(UnsupportedAudioError):
        audio.load(tmp_path / "notes.wav", LIMITS)


def test_truncated_wav(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    sf.write(path, tone(10.0), 16000, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[: 44 + 2 * 16000 * 2])  # header says 10 s, 2 s left
    with pytest.raises(TruncatedAudioError, match="truncated"):
        audio.load(path, LIMITS)


def test_truncated_m4a(tmp_path: Path) -> None:
    path = encode(tmp_path / "cut.m4a", tone(5.0, 44100), 44100, "aac")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises((UnsupportedAudioError, TruncatedAudioError)):
        audio.load(path, LIMITS)


def test_corrupted_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.wav"
    sf.write(path, tone(2.0), 16000)
    data = bytearray(path.read_bytes())
    data[0:12] = b"\x00" * 12
    path.write_bytes(bytes(data))
    with pytest.raises(UnsupportedAudioError):
        audio.load(path, LIMITS)


def test_header_claiming_65535_channels(tmp_path: Path) -> None:
    path = tmp_path / "channels.wav"
    path.write_bytes(wav_header(65535, 16000, 4000) + b"\x00" * 4000)
    with pytest.raises(AudioLimitError, match="channels"):
        audio.load(path, LIMITS)


@pytest.mark.parametrize("rate", [1, 10_000_000])
def test_absurd_sample_rates(tmp_path: Path, rate: int) -> None:
    path = tmp_path / f"rate{rate}.wav"
    path.write_bytes(wav_header(1, rate, 2000) + b"\x00" * 2000)
    with pytest.raises(AudioLimitError, match="sample rate"):
        audio.load(path, LIMITS)


def test_small_flac_declaring_hours_is_refused_before_decoding(tmp_path: Path) -> None:
    path = flac_declaring(tmp_path / "bomb.flac", total_samples=16000 * 3600 * 6)
    assert path.stat().st_size < 200_000
    with pytest.raises(AudioLimitError, match=r"6\.0 h long"):
        audio.load(path, LIMITS)


def test_duration_cap_holds_while_decoding_when_nothing_is_declared(tmp_path: Path) -> None:
    path = flac_declaring(tmp_path / "unknown.flac", total_samples=0)
    small = audio.AudioLimits(1.0, 32, 4000, 384_000)
    with pytest.raises(AudioLimitError, match="limit"):
        audio.load(path, small)
    assert audio.load(path, LIMITS).duration_s == pytest.approx(3.0, abs=0.05)


def test_messages_never_contain_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "Emma_Smith_relapse.wav"
    path.write_text("not audio")
    with pytest.raises(UnsupportedAudioError) as info:
        audio.load(path, LIMITS)
    assert "Emma" not in str(info.value)


def test_classify_channels_ignores_silence() -> None:
    assert audio.classify_channels(np.zeros(100), np.zeros(100)) == "dual_identical"
