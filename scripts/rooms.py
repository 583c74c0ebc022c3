"""Room acoustics for the far-field test set: a recorder on the table, talkers around it.

pyroomacoustics (MIT) builds image-source room impulse responses for a shoebox room. A full
image-source model of an 0.8 s room needs reflection order 100+ and took 6-12 s per room on this
machine, so the early part comes from the image sources up to order ``EARLY_ORDER`` and the late
part is the textbook statistical tail: Gaussian noise decaying at 60 dB per RT60, at the
diffuse-field level Sabine's theory gives for that talker's distance (reverberant-to-direct energy
= (distance / critical distance)^2). pyroomacoustics' own RT60 measurement on the result is within
about 15% of the target (checked for 0.2-0.8 s).

Also here: diffuse room noise and the intermittent non-speech sounds of a clinic (a monitor beep,
a chair scraping, a door), each played from a spot in the room.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

RATE = 16_000
SPEED_OF_SOUND = 343.0
EARLY_ORDER = 10
MIC_HEIGHT_M = 0.8  # on the table


@dataclass(frozen=True)
class Room:
    dims: tuple[float, float, float]
    rt60_s: float
    mic: tuple[float, float, float]

    @property
    def critical_distance_m(self) -> float:
        volume = self.dims[0] * self.dims[1] * self.dims[2]
        absorption_area = 0.161 * volume / self.rt60_s  # Sabine
        return float(np.sqrt(absorption_area / (16 * np.pi)))


def random_room(rng: np.random.Generator, rt60_s: float) -> Room:
    dims = (float(rng.uniform(3.0, 5.0)), float(rng.uniform(3.0, 6.0)), float(rng.uniform(2.5, 3.0)))
    mic = (dims[0] / 2 + float(rng.uniform(-0.3, 0.3)), dims[1] / 2 + float(rng.uniform(-0.3, 0.3)), MIC_HEIGHT_M)
    return Room(dims, rt60_s, mic)


def place(room: Room, distance_m: float, rng: np.random.Generator, height_m: float = 1.2) -> tuple[float, float, float]:
    """A point at this horizontal distance from the microphone, at least 0.3 m from every wall.

    In a small room a far talker may not fit in every direction: the furthest point that fits is used.
    """
    best: tuple[float, float, float] | None = None
    best_d = -1.0
    for _ in range(64):
        angle = rng.uniform(0, 2 * np.pi)
        x, y = room.mic[0] + distance_m * np.cos(angle), room.mic[1] + distance_m * np.sin(angle)
        if 0.3 <= x <= room.dims[0] - 0.3 and 0.3 <= y <= room.dims[1] - 0.3:
            return (float(x), float(y), height_m)
        cx = float(np.clip(x, 0.3, room.dims[0] - 0.3))
        cy = float(np.clip(y, 0.3, room.dims[1] - 0.3))
        d = float(np.hypot(cx - room.mic[0], cy - room.mic[1]))
        if d > best_d:
            best, best_d = (cx, cy, height_m), d
    assert best is not None
    return best


def impulse_responses(room: Room, sources: list[tuple[float, float, float]], rng: np.random.Generator) -> list[np.ndarray]:
    """One impulse response per source: image sources for the early part, a statistical late tail."""
    import pyroomacoustics as pra

    energy_absorption, max_order = pra.inverse_sabine(room.rt60_s, list(room.dims))
    shoebox = pra.ShoeBox(
        list(room.dims), fs=RATE, materials=pra.Material(energy_absorption), max_order=min(max_order, EARLY_ORDER)
    )
    shoebox.add_microphone(list(room.mic))
    for source in sources:
        shoebox.add_source(list(source))
    shoebox.compute_rir()
    out = []
    length = int(room.rt60_s * 1.2 * RATE)
    decay = np.exp(-6.9 * np.arange(length) / (room.rt60_s * RATE))  # -60 dB in energy at RT60
    for source, early in zip(sources, shoebox.rir[0], strict=True):
        distance = float(np.linalg.norm(np.subtract(source, room.mic)))
        direct_at = int(np.argmax(np.abs(early)))
        direct_energy = float(early[direct_at] ** 2)
        reverberant_energy = direct_energy * (distance / room.critical_distance_m) ** 2
        tail = rng.normal(0, 1, length) * decay
        # the late field builds up over the first few milliseconds after the direct sound
        tail[: int(0.005 * RATE)] *= np.linspace(0, 1, int(0.005 * RATE))
        tail *= np.sqrt(reverberant_energy / float(np.sum(tail**2)))
        rir = np.zeros(max(len(early), direct_at + 1 + length))
        rir[: len(early)] += early
        rir[direct_at + 1 : direct_at + 1 + length] += tail
        out.append(rir.astype(np.float32))
    return out


def direct_delay_samples(rir: np.ndarray) -> int:
    """Where the direct sound arrives: dry-turn times shifted by this are the truth."""
    return int(np.argmax(np.abs(rir)))


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Diffuse room noise (ventilation, hum of a ward): 1/f power, from shaped white noise."""
    spectrum = np.fft.rfft(rng.normal(0, 1, n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum /= np.sqrt(np.maximum(freqs, 20.0))
    noise = np.fft.irfft(spectrum, n)
    return (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)


def room_sound(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A non-speech clinic sound at unit peak, dry: it must never split a pause."""
    if kind == "beep":
        # a patient monitor: 2-4 short tones at 800-1000 Hz, one every 0.6-1.0 s
        freq, gap, count = rng.uniform(800, 1000), rng.uniform(0.6, 1.0), int(rng.integers(2, 5))
        tone_n = int(0.15 * RATE)
        t = np.arange(tone_n) / RATE
        tone = np.sin(2 * np.pi * freq * t) * np.minimum(1, np.minimum(t, t[::-1]) / 0.01)
        out = np.zeros(int((count - 1) * gap * RATE) + tone_n)
        for k in range(count):
            at = int(k * gap * RATE)
            out[at : at + tone_n] += tone
        return out.astype(np.float32)
    if kind == "chair":
        # a chair scraping: low-passed noise with a rough, irregular 20-40 Hz modulation
        n = int(rng.uniform(0.4, 1.0) * RATE)
        b, a = signal.butter(2, [150, 1200], btype="band", fs=RATE)
        scrape = signal.lfilter(b, a, rng.normal(0, 1, n))
        rough = 0.5 + 0.5 * np.abs(np.sin(2 * np.pi * rng.uniform(20, 40) * np.arange(n) / RATE))
        scrape *= rough * np.hanning(n)
        return (scrape / np.abs(scrape).max()).astype(np.float32)
    # a door: a low thump and a latch click
    n = int(0.35 * RATE)
    t = np.arange(n) / RATE
    thump = np.sin(2 * np.pi * 70 * t) * np.exp(-t / 0.05)
    click = np.zeros(n)
    at = int(0.2 * RATE)
    width = int(0.01 * RATE)
    click[at : at + width] = rng.normal(0, 0.6, width) * np.hanning(width)
    door = thump + click
    return (door / np.abs(door).max()).astype(np.float32)
