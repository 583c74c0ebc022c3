"""Malformed recordings for the header fuzz tests: WAV, FLAC, MP3 and MP4 headers and truncations, generated.

Deterministic (a seeded generator), so a failing case has a stable name to rerun. Each file is about a
second of audio at most, so probing or decoding one costs milliseconds.
"""

from __future__ import annotations

import io
import random
import struct
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from tests.samples import tone

_PCM_GUID = bytes.fromhex("0100000000001000800000aa00389b71")
_FLOAT_GUID = bytes.fromhex("0300000000001000800000aa00389b71")


def wav(fmt_body: bytes, data: bytes = b"\0" * 32000, fmt_size: int | None = None, data_size: int | None = None) -> bytes:
    """A RIFF/WAVE file with this `fmt ` body; the chunk sizes may lie."""
    fmt = b"fmt " + struct.pack("<I", len(fmt_body) if fmt_size is None else fmt_size) + fmt_body
    chunk = b"data" + struct.pack("<I", len(data) if data_size is None else data_size) + data
    body = b"WAVE" + fmt + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def fmt_body(tag: int, channels: int, rate: int, bits: int, block: int | None = None, byte_rate: int | None = None) -> bytes:
    block = ((channels * bits + 7) // 8) & 0xFFFF if block is None else block
    byte_rate = (rate * block) & 0xFFFFFFFF if byte_rate is None else byte_rate
    return struct.pack("<HHIIHH", tag, channels & 0xFFFF, rate & 0xFFFFFFFF, byte_rate, block, bits & 0xFFFF)


def extensible(channels: int, bits: int, cb_size: int, valid_bits: int, mask: int, guid: bytes) -> bytes:
    ext = struct.pack("<HHI", cb_size, valid_bits, mask) + guid
    return fmt_body(0xFFFE, channels, 16000, bits) + ext[: 2 + max(0, min(cb_size, 22))]


ISSUE_CASES = {
    # The headers the issue found answering 500 (one second of PCM follows each).
    "bits-0": fmt_body(1, 1, 16000, 0, block=2, byte_rate=32000),
    "bits-33": fmt_body(1, 1, 16000, 33, block=2, byte_rate=32000),
    "bits-65535": fmt_body(1, 1, 16000, 65535, block=2, byte_rate=32000),
    "tag-0": fmt_body(0, 1, 16000, 16),
    "tag-3-float-16-bit": fmt_body(3, 1, 16000, 16),
    "tag-fffe-no-extension": fmt_body(0xFFFE, 1, 16000, 16),
    "tag-fffe-garbage-extension": fmt_body(0xFFFE, 1, 16000, 16) + struct.pack("<H", 22) + b"\xff" * 22,
    "tag-ffff": fmt_body(0xFFFF, 1, 16000, 16),
}


def _wav_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    for name, body in ISSUE_CASES.items():
        yield f"wav-{name}", wav(body)
    for bits in (0, 1, 4, 7, 8, 12, 20, 24, 31, 32, 33, 48, 64, 255, 65535):
        for tag in (1, 3):
            yield f"wav-tag{tag}-bits{bits}", wav(fmt_body(tag, 1, 16000, bits))
    for tag in (0, 2, 6, 7, 0x11, 0x31, 0x55, 0x161, 0x1234, 0xFFFF):
        yield f"wav-tag{tag:#x}", wav(fmt_body(tag, 1, 16000, 16))
    for channels in (0, 3, 9, 64, 65535):
        yield f"wav-channels{channels}", wav(fmt_body(1, channels, 16000, 16))
    for rate in (0, 1, 7999, 10_000_000, 0xFFFFFFFF):
        yield f"wav-rate{rate}", wav(fmt_body(1, 1, rate, 16))
    for block, byte_rate in ((0, 32000), (1, 32000), (65535, 32000), (2, 0), (2, 0xFFFFFFFF)):
        yield f"wav-block{block}-rate{byte_rate}", wav(fmt_body(1, 1, 16000, 16, block=block, byte_rate=byte_rate))
    for cb_size in (0, 1, 10, 21, 22, 200, 65535):
        junk = bytes(rng.randrange(256) for _ in range(16))
        for guid_name, guid in (("pcm", _PCM_GUID), ("float", _FLOAT_GUID), ("junk", junk)):
            bits, valid = rng.choice(((16, 16), (16, 0), (16, 40), (24, 8), (32, 33), (0, 0)))
            mask = rng.choice((0, 1, 3, 0xFFFFFFFF, 0x80000000))
            body = extensible(1, bits, cb_size, valid, mask, guid)
            yield f"wav-ext-cb{cb_size}-{guid_name}-{bits}-{valid}-{mask:#x}", wav(body)
    for fmt_size in (0, 2, 14, 15, 17, 18, 40, 1000, 0xFFFFFFFF):
        yield f"wav-fmtsize{fmt_size}", wav(fmt_body(1, 1, 16000, 16), fmt_size=fmt_size)
    for data_size in (0, 1, 3, 31999, 0x7FFFFFFF, 0xFFFFFFFE, 16000 * 2 * 3600 * 10):
        yield f"wav-datasize{data_size}", wav(fmt_body(1, 1, 16000, 16), data_size=data_size)
    good = wav(fmt_body(1, 1, 16000, 16))
    for cut in (4, 8, 11, 12, 16, 20, 24, 30, 36, 40, 43, 44, 45, 101):
        yield f"wav-cut{cut}", good[:cut]
    for index in range(12):
        data = bytearray(good[:44])
        for _ in range(3):
            data[rng.randrange(12, 44)] = rng.randrange(256)
        yield f"wav-flip{index}", bytes(data) + good[44:]


def _flac() -> bytes:
    out = io.BytesIO()
    sf.write(out, tone(1.0), 16000, format="FLAC")
    return out.getvalue()


def _flac_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    good = _flac()
    info = 8  # STREAMINFO body after 'fLaC' and its 4-byte block header
    fields = {
        "rate0": (info + 10, bytes([0, 0, 0x00 | (good[info + 12] & 0x0F)])),
        "rate-max": (info + 10, b"\xff\xff\xf0"),
        "blocksize0": (info, b"\0\0\0\0"),
        "framesize-lie": (info + 4, b"\xff\xff\xff\xff\xff\xff"),
        "total-huge": (info + 13, b"\x0f\xff\xff\xff\xff"),
        "md5-junk": (info + 18, b"\xaa" * 16),
    }
    for name, (offset, patch) in fields.items():
        data = bytearray(good)
        data[offset : offset + len(patch)] = patch
        yield f"flac-{name}", bytes(data)
    for channels_bits in range(0, 16, 3):
        data = bytearray(good)
        data[info + 12] = (data[info + 12] & 0xF1) | ((channels_bits & 0x7) << 1)
        yield f"flac-channels{channels_bits}", bytes(data)
    for bps in (0, 3, 31):
        data = bytearray(good)
        data[info + 12] = (data[info + 12] & 0xFE) | (bps >> 4)
        data[info + 13] = (data[info + 13] & 0x0F) | ((bps & 0xF) << 4)
        yield f"flac-bps{bps + 1}", bytes(data)
    for length in (0, 1, 33, 35, 0xFFFFFF):
        data = bytearray(good)
        data[5:8] = length.to_bytes(3, "big")
        yield f"flac-blocklen{length}", bytes(data)
    for cut in (3, 4, 8, 20, 41, 42, 60, 200, len(good) // 2):
        yield f"flac-cut{cut}", good[:cut]
    for index in range(20):
        data = bytearray(good)
        for _ in range(4):
            data[rng.randrange(4, 60)] = rng.randrange(256)
        yield f"flac-flip{index}", bytes(data)


def _encoded(container: str, codec: str) -> bytes:
    out = io.BytesIO()
    samples = (tone(1.0, 44100) * 32767).astype(np.int16)
    with av.open(out, "w", format=container) as handle:
        stream = handle.add_stream(codec, rate=44100, layout="mono")  # type: ignore[call-overload]
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = 44100
        for packet in stream.encode(frame):
            handle.mux(packet)
        for packet in stream.encode(None):
            handle.mux(packet)
    return out.getvalue()


def _mp3_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    good = _encoded("mp3", "libmp3lame")
    start = good.find(b"\xff\xfb")
    start = start if start >= 0 else 0
    for cut in (1, 3, 4, 10, start + 2, start + 4, start + 40, len(good) // 3):
        yield f"mp3-cut{cut}", good[:cut]
    for index in range(20):
        data = bytearray(good)
        for _ in range(3):
            data[start + rng.randrange(0, 4)] = rng.randrange(256)
        yield f"mp3-header-flip{index}", bytes(data)
    for size in (0, 0x7F7F7F7F, 1000):
        yield f"mp3-id3-size{size}", b"ID3\x04\x00\x00" + size.to_bytes(4, "big") + good
    yield "mp3-id3-only", b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\0" * 10


def _mp4_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    good = _encoded("mp4", "aac")
    for cut in (4, 8, 16, 32, 64, 200, len(good) // 2, len(good) - 8):
        yield f"mp4-cut{cut}", good[:cut]
    names = (b"ftyp", b"moov", b"trak", b"mdia", b"stsd", b"mdat", b"mp4a", b"esds", b"stsz", b"stco")
    boxes = [i - 4 for i in range(4, min(len(good), 4000)) if good[i : i + 4] in names]
    for offset in boxes:
        for size in (0, 1, 7, 0xFFFFFFFF):
            data = bytearray(good)
            data[offset : offset + 4] = struct.pack(">I", size)
            yield f"mp4-box{good[offset + 4 : offset + 8].decode()}-at{offset}-size{size}", bytes(data)
    for index in range(20):
        data = bytearray(good)
        stsd = good.find(b"mp4a")
        lo = max(stsd, 8) if stsd > 0 else 8
        for _ in range(3):
            data[rng.randrange(lo, min(len(good), lo + 60))] = rng.randrange(256)
        yield f"mp4-sampleentry-flip{index}", bytes(data)


def malformed_recordings() -> list[tuple[str, bytes]]:
    """Every generated case, named; at least 200."""
    rng = random.Random(18)
    cases = [*_wav_cases(rng), *_flac_cases(rng), *_mp3_cases(rng), *_mp4_cases(rng)]
    names = [name for name, _ in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


def write_cases(folder: Path) -> list[tuple[str, Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in malformed_recordings():
        path = folder / f"{name}.bin"
        path.write_bytes(data)
        written.append((name, path))
    return written
