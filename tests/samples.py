"""Builders for test recordings: tones, broken headers, decompression bombs."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import soundfile as sf


def tone(seconds: float, rate: int = 16000, freq: float = 440.0) -> np.ndarray:
    """A tone with broadband noise, so that it has energy across the whole band like speech."""
    t = np.arange(int(seconds * rate)) / rate
    noise = np.random.default_rng(0).normal(0, 0.05, len(t))
    return (0.3 * np.sin(2 * np.pi * freq * t) + noise).astype(np.float32)


def wav_header(channels: int, rate: int, data_bytes: int) -> bytes:
    block = (2 * channels) & 0xFFFF
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, (rate * block) & 0xFFFFFFFF, block, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def flac_declaring(path: Path, total_samples: int) -> Path:
    """A short FLAC whose STREAMINFO claims total_samples (0 means 'unknown')."""
    sf.write(path, tone(3.0), 16000, format="FLAC")
    data = bytearray(path.read_bytes())
    # STREAMINFO starts after 'fLaC' and a 4-byte block header; the 36-bit sample count
    # sits in the low 4 bits of byte 13 and bytes 14-17 of the block.
    offset = 8 + 13
    data[offset] = (data[offset] & 0xF0) | ((total_samples >> 32) & 0x0F)
    data[offset + 1 : offset + 5] = struct.pack(">I", total_samples & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path
