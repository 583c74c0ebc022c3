"""Hostile recordings at the decoder: generated malformed headers, lying lengths, pipes and unreadable files.

Every case ends in one of our InputErrors (a stable code, exit 2 on the CLI, 422 on the API) or decodes;
none may escape as AttributeError or any other unexpected exception (which the CLI reports as exit 70).
"""

from __future__ import annotations

import os
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_pipeline import audio
from audio_pipeline.errors import AudioLimitError, InputError, TruncatedAudioError, UnsupportedAudioError
from tests.headers import ISSUE_CASES, malformed_recordings, wav
from tests.samples import wav_header

LIMITS = audio.AudioLimits(max_duration_s=4 * 3600, max_channels=32, min_sample_rate_hz=4000, max_sample_rate_hz=384_000)
CASES = malformed_recordings()


def test_there_are_at_least_200_cases_of_every_kind() -> None:
    kinds = {name.split("-")[0] for name, _ in CASES}
    assert len(CASES) >= 200 and kinds == {"wav", "flac", "mp3", "mp4"}


def test_every_malformed_header_is_refused_with_our_error_or_decodes(tmp_path: Path) -> None:
    escaped = []
    for name, data in CASES:
        path = tmp_path / f"{name}.bin"
        path.write_bytes(data)
        for step in (audio.probe, audio.load):
            try:
                step(path, LIMITS)
            except InputError as exc:
                assert exc.code and name not in exc.message
            except Exception as exc:  # noqa: BLE001  (the point: nothing else may escape)
                escaped.append(f"{name} {step.__name__}: {type(exc).__name__}")
    assert not escaped, escaped


@pytest.mark.parametrize("name", sorted(ISSUE_CASES))
def test_headers_without_a_decoder_are_unsupported_audio(tmp_path: Path, name: str) -> None:
    path = tmp_path / "r.wav"
    path.write_bytes(wav(ISSUE_CASES[name]))
    for step in (audio.probe, audio.load):
        with pytest.raises(UnsupportedAudioError):
            step(path, LIMITS)


def test_a_wav_declaring_ten_hours_in_32_kb_is_refused_at_probe(tmp_path: Path) -> None:
    path = tmp_path / "lie.wav"
    path.write_bytes(wav_header(1, 16000, 16000 * 2 * 3600 * 10) + b"\0" * 32000)
    with pytest.raises(TruncatedAudioError):
        audio.probe(path, LIMITS)


def test_a_flac_of_unknown_length_stops_at_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "silence.flac"
    sf.write(path, np.zeros(16000 * 120, dtype=np.float32), 16000, format="FLAC")
    _clear_total_samples(path)
    with pytest.raises(AudioLimitError):
        audio.load(path, audio.AudioLimits(60, 32, 4000, 384_000))


def test_decoding_a_file_of_unknown_length_holds_one_copy_of_the_audio(tmp_path: Path) -> None:
    # 400 s declaring no length: a doubling buffer plus a trimming copy held over twice the audio at its peak. Now the
    # audio itself, plus the bandwidth check's sample of at most 2,000 frames (8 MB, whatever the length).
    path = tmp_path / "long.flac"
    sf.write(path, np.zeros(16000 * 400, dtype=np.float32), 16000, format="FLAC")
    _clear_total_samples(path)
    tracemalloc.start()
    try:
        decoded = audio.load(path, LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decoded.duration_s == pytest.approx(400, abs=0.1)
    assert peak < decoded.waveform.nbytes + 10 * 1024**2, (peak, decoded.waveform.nbytes)


def _clear_total_samples(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[8 + 13] &= 0xF0
    data[8 + 14 : 8 + 18] = struct.pack(">I", 0)
    path.write_bytes(bytes(data))


def test_a_pipe_is_not_called_a_folder_and_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "Emma_Smith_visit.wav"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file") as caught:
        audio.probe(fifo, LIMITS)
    assert "Emma" not in caught.value.message


def test_an_unreadable_recording_is_one_line_without_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "Emma_Smith_visit.wav"
    path.write_bytes(b"RIFF")
    real_open = Path.open

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", denied)  # the tests run as root, which chmod cannot stop
    with pytest.raises(InputError, match="permission denied") as caught:
        audio.probe(path, LIMITS)
    assert "Emma" not in caught.value.message and "\n" not in caught.value.message
