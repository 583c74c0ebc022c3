"""Build labelled synthetic consultations with espeak-ng: audio plus ground truth for every pause.

Usage:
    python scripts/make_synthetic_consults.py OUT_DIR [--count 48] [--keep-synthesis-tails]
    python scripts/make_synthetic_consults.py OUT_DIR --rooms [--count 48] [--first 200]
    python scripts/make_synthetic_consults.py OUT_DIR --lines scripts/data/emotion_utterances_blind5.csv

--lines takes the spoken lines from a labelled CSV (text, emotional, category[, role]) instead of the
lines written for these conversations, which the emotion rules were tuned on: emotional rows (1) are
the emotional turns (the ones before Silence-candidate pauses), look-alike rows (0) the neutral turns,
including those before neutral long pauses. Everything else (script, voices, conditions, pause
lengths, seeds) is unchanged. A row's role is its `role` column if it has one, else read from its
category (bad news, a clinician naming an emotion, clinician support, results and medical talk:
oncologist; a child's voice or everyday talk: patient; the rest: parent); a role with no rows of a
label borrows all rows of that label. The truth JSON keeps each utterance's category.

--rooms builds the far-field set instead (scripts/room_consults.py): the same voices and lines
played in simulated rooms to a recorder on the table, with overlapping turns and room sounds.

Each conversation is a WAV (16 kHz, or 8 kHz for telephone ones) and a JSON file with every
utterance (speaker, role, text, whether it is emotional, exact start and end) and every pause of
2 s or more (exact start and end, whether it follows emotional content within 10 s, within or
between turns, what noise it contains). espeak-ng's own leading and trailing silence is trimmed
so that the pauses are exactly the gaps inserted.

So is a synthesis artefact: the female and child voices end their clips with 100-120 ms of flat,
breathy noise that follows a 24 dB drop after the last sound and sits about 30 dB under the
voice. No listener hears it as speech, and the noisy conditions bury it 5-18 dB under the noise
in every frequency band, yet an absolute trim counted it as speech, so a true 4.9 s pause read
as 5.0 s from any audio. Each clip is cut where its 20 ms energy falls 30 dB below its loudest
frame (librosa.effects.trim, top_db=30): the audio itself, so audio and truth agree in every
condition. This removes 100-118 ms from each female and child clip and nothing from the male
voice's (8 ms from one). --keep-synthesis-tails builds the older, untrimmed set.

Conditions cycle over: clean, 20 dB and 10 dB SNR room noise, telephone band (300-3400 Hz, 8 kHz);
voices: adult male (oncologist), adult female (parent), a raised-pitch child voice (patient).
Hard cases in every conversation: pauses of 4.8, 4.9, 5.0, 5.1 and 5.2 s, pauses holding a
breath, a sniff or paper noise, a pause inside one speaker's turn, emotion two turns before a
pause, and neutral long pauses (looking at scans, logistics).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf
from scipy import signal

logger = logging.getLogger("make_synthetic_consults")
RATE = 16_000
VOICES = {
    "oncologist": ("en-us+m3", None),
    "parent": ("en-us+f3", None),
    "patient": ("en-us+f4", 95),  # raised pitch: a child-like voice
}
SPEAKER_IDS = {"oncologist": "S1", "parent": "S2", "patient": "S3"}

# Written for these conversations; kept apart from scripts/data/emotion_utterances.csv.
EMOTIONAL = {
    "oncologist": [
        "I'm afraid the scan shows the cancer has spread to her liver.",
        "I wish I had better news. The tumor has grown since the last scan.",
        "I'm so sorry. The treatment is not working anymore.",
        "This must be so hard to hear.",
        "Unfortunately, we are seeing new spots in his lungs.",
    ],
    "parent": [
        "Is she going to die?",
        "I'm so scared. I don't know how to tell her.",
        "There's still a chance, right? There has to be something.",
        "Oh no. Oh my god. Not again.",
        "I keep thinking this is my fault.",
    ],
    "patient": [
        "Am I going to die?",
        "I'm scared. I don't want more chemo.",
        "I hate this. I just want to go home.",
    ],
}
NEUTRAL = {
    "oncologist": [
        "Let me pull up the images from Tuesday.",
        "We'll check her blood counts again next week.",
        "The nurse will give you the schedule for the next visit.",
        "Here is the area we measured last time.",
        "We can do the scan on Monday or Wednesday.",
    ],
    "parent": [
        "Okay. Which day works for the scan?",
        "We parked in the garage on level two.",
        "She finished the antibiotics on Sunday.",
        "Can you send the prescription to our pharmacy?",
    ],
    "patient": [
        "Can I go to the playroom after this?",
        "I had pancakes for breakfast.",
    ],
}
# emotional -> role -> [(text, category)]: the lines a conversation draws its turns from
Lines = dict[bool, dict[str, list[tuple[str, str]]]]
DEFAULT_LINES: Lines = {
    True: {role: [(text, "") for text in texts] for role, texts in EMOTIONAL.items()},
    False: {role: [(text, "") for text in texts] for role, texts in NEUTRAL.items()},
}
CLINICIAN_CATEGORIES = ("bad_news", "naming_emotion", "neg_clinician_support", "neg_medical_neutral", "neg_result")
CHILD_CATEGORIES = ("child_voice", "neg_child_everyday")
EDGE_PAUSES_S = (4.8, 4.9, 5.0, 5.1, 5.2)
TAIL_TOP_DB = 30.0
CONDITIONS = ("clean", "snr20", "snr10", "telephone")


@dataclass
class Utterance:
    speaker: str
    role: str
    text: str
    emotional: bool
    start_s: float = 0.0
    end_s: float = 0.0
    category: str = ""  # the labelled set's category when built with --lines


@dataclass
class TruePause:
    start_s: float
    end_s: float
    duration_s: float
    follows_emotion: bool
    kind: str
    noise: str


def _speak(text: str, role: str, cache: dict[tuple[str, str], np.ndarray], tmp: Path, tail_top_db: float | None) -> np.ndarray:
    voice, pitch = VOICES[role]
    return speak_clip(text, voice, pitch, cache, tmp, tail_top_db)


def speak_clip(
    text: str,
    voice: str,
    pitch: int | None,
    cache: dict[tuple[str, str], np.ndarray],
    tmp: Path,
    tail_top_db: float | None = TAIL_TOP_DB,
) -> np.ndarray:
    """espeak-ng speech at 16 kHz with its own silence and breathy end tail trimmed (cached).

    tail_top_db=None keeps the tail and trims only samples under an absolute 0.003.
    """
    key = (f"{voice}/{pitch}/{tail_top_db}", text)
    if key not in cache:
        raw = tmp / f"u{len(cache)}.wav"
        cmd = ["espeak-ng", "-v", voice, "-w", str(raw)] + (["-p", str(pitch)] if pitch else []) + [text]
        subprocess.run(cmd, check=True, capture_output=True)
        audio, rate = sf.read(raw, dtype="float32")
        audio = signal.resample_poly(audio, RATE, rate).astype(np.float32)
        if tail_top_db is not None:
            audio, _ = librosa.effects.trim(audio, top_db=tail_top_db, frame_length=320, hop_length=160)
        loud = np.nonzero(np.abs(audio) > 0.003)[0]
        cache[key] = audio[loud[0] : loud[-1] + 1]  # trim espeak-ng's own silence: gaps are exact
    return cache[key]


def noise_event(kind: str, rng: np.random.Generator, level: float) -> np.ndarray:
    """Short non-speech sounds that must not split a pause."""
    if kind == "breath":
        n = int(0.5 * RATE)
        b, a = signal.butter(2, [300, 1800], btype="band", fs=RATE)
        burst = signal.lfilter(b, a, rng.normal(0, 1, n)) * np.hanning(n)
        return (burst / np.abs(burst).max() * level * 0.5).astype(np.float32)
    if kind == "sniff":
        n = int(0.25 * RATE)
        b, a = signal.butter(2, 2500, btype="high", fs=RATE)
        burst = signal.lfilter(b, a, rng.normal(0, 1, n)) * np.exp(-np.linspace(0, 5, n))
        return (burst / np.abs(burst).max() * level * 0.6).astype(np.float32)
    # paper: a crackle of short broadband clicks over one second
    out = np.zeros(RATE, dtype=np.float32)
    for _ in range(12):
        at = int(rng.uniform(0, 0.97) * RATE)
        width = int(rng.uniform(0.005, 0.02) * RATE)
        out[at : at + width] += (rng.normal(0, 1, width) * np.hanning(width) * level * 0.4).astype(np.float32)
    return out


def _role_of(row: dict[str, str]) -> str:
    if row.get("role") in VOICES:
        return row["role"]
    category = row.get("category") or ""
    if category.startswith(CLINICIAN_CATEGORIES):
        return "oncologist"
    return "patient" if category.startswith(CHILD_CATEGORIES) else "parent"


def load_lines(path: Path) -> Lines:
    """A labelled CSV's rows as the turns' pools (in file order, so the seeds give the same draws)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [row for row in csv.DictReader(f) if (row.get("text") or "").strip()]
    if not rows or any(row.get("emotional") not in ("0", "1") for row in rows):
        raise SystemExit(f"{path.name}: needs a header with text and emotional (0 or 1) on every row")
    lines: Lines = {True: {role: [] for role in VOICES}, False: {role: [] for role in VOICES}}
    for row in rows:
        lines[row["emotional"] == "1"][_role_of(row)].append((row["text"].strip(), row.get("category") or ""))
    for label, by_role in lines.items():
        every = [line for pool in by_role.values() for line in pool]
        if not every:
            raise SystemExit(f"{path.name}: no rows with emotional={int(label)}")
        for role, pool in by_role.items():
            by_role[role] = pool or every
    return lines


def _script(index: int, rng: np.random.Generator, lines: Lines = DEFAULT_LINES) -> list[tuple[str, object]]:
    """The sequence of utterances and gaps for one conversation."""
    child = index % 3 == 0
    roles = ["oncologist", "parent"] + (["patient"] if child else [])
    edge = EDGE_PAUSES_S[index % len(EDGE_PAUSES_S)]
    edge2 = EDGE_PAUSES_S[(index + 2) % len(EDGE_PAUSES_S)]
    noise_kinds = ("breath", "sniff", "paper")

    def say(role: str, emotional: bool) -> tuple[str, object]:
        pool = lines[emotional][role]
        text, category = pool[int(rng.integers(len(pool)))]
        return ("say", (role, text, emotional, category))

    def gap(seconds: float, noise: str = "none") -> tuple[str, object]:
        return ("gap", (seconds, noise))

    short = lambda: gap(float(rng.uniform(0.3, 1.2)))  # noqa: E731
    return [
        say("oncologist", False), short(), say("parent", False), short(),
        say("oncologist", True), gap(edge), say("parent", True), short(),
        # emotion two turns before the pause: emotional, then a brief neutral line, then the pause
        say("oncologist", False), gap(float(rng.uniform(2.2, 4.0))), say("parent", False), short(),
        say("oncologist", True), short(), say("parent", False), gap(float(rng.uniform(5.5, 7.0)), noise_kinds[index % 3]),
        say("oncologist", True), short(),
        # a pause inside one speaker's turn
        say(roles[-1], True), gap(edge2), say(roles[-1], False), short(),
        # a neutral long pause: looking at the scans
        say("oncologist", False), gap(float(rng.uniform(5.5, 8.0)), noise_kinds[(index + 1) % 3]), say("oncologist", False),
        short(), say("parent", False), gap(float(rng.uniform(2.0, 3.5))), say("oncologist", False),
    ]  # fmt: skip


def build(
    index: int,
    out_dir: Path,
    cache: dict[tuple[str, str], np.ndarray],
    tmp: Path,
    tail_top_db: float | None = TAIL_TOP_DB,
    lines: Lines = DEFAULT_LINES,
) -> Path:
    rng = np.random.default_rng(1000 + index)
    condition = CONDITIONS[index % len(CONDITIONS)]
    pieces: list[np.ndarray] = [np.zeros(int(0.5 * RATE), dtype=np.float32)]
    cursor = len(pieces[0])
    utterances: list[Utterance] = []
    pending_gaps: list[tuple[int, int, str]] = []
    events: list[tuple[int, np.ndarray]] = []
    for kind, item in _script(index, rng, lines):
        if kind == "say":
            role, text, emotional, category = item  # type: ignore[misc]
            audio = _speak(text, role, cache, tmp, tail_top_db)
            end_s = (cursor + len(audio)) / RATE
            utterances.append(Utterance(SPEAKER_IDS[role], role, text, emotional, cursor / RATE, end_s, category))
            pieces.append(audio)
            cursor += len(audio)
        else:
            seconds, noise = item  # type: ignore[misc]
            n = round(seconds * RATE)
            pending_gaps.append((cursor, cursor + n, noise))
            if noise != "none":
                events.append((cursor + n // 2, noise_event(noise, rng, 0.1)))
            pieces.append(np.zeros(n, dtype=np.float32))
            cursor += n
    pieces.append(np.zeros(int(0.5 * RATE), dtype=np.float32))
    waveform = np.concatenate(pieces)
    for centre, event in events:
        start = centre - len(event) // 2
        waveform[start : start + len(event)] += event

    speech_rms = float(np.sqrt(np.mean(np.concatenate([p for p in pieces if np.any(p)]) ** 2)))
    if condition in ("snr20", "snr10"):
        snr_db = 20.0 if condition == "snr20" else 10.0
        b, a = signal.butter(1, 1000, btype="low", fs=RATE)  # pinkish room noise
        noise = signal.lfilter(b, a, rng.normal(0, 1, len(waveform)))
        noise *= speech_rms / (10 ** (snr_db / 20)) / np.sqrt(np.mean(noise**2))
        waveform = waveform + noise.astype(np.float32)

    pauses = []
    for start, end, noise_kind in pending_gaps:
        duration = (end - start) / RATE
        if duration < 2.0:
            continue
        before = [u for u in utterances if u.end_s <= start / RATE + 1e-6]
        after = [u for u in utterances if u.start_s >= end / RATE - 1e-6]
        follows = any(u.emotional and start / RATE - u.end_s <= 10.0 for u in before)
        kind = "within_turn" if before and after and before[-1].speaker == after[0].speaker else "between_turns"
        pauses.append(TruePause(start / RATE, end / RATE, round(duration, 3), follows, kind, noise_kind))

    rate = RATE
    if condition == "telephone":
        b, a = signal.butter(4, [300, 3400], btype="band", fs=RATE)
        waveform = signal.resample_poly(signal.lfilter(b, a, waveform), 1, 2).astype(np.float32)
        rate = 8000
    peak = float(np.abs(waveform).max())
    waveform = waveform / max(peak, 1e-9) * 0.8 if peak > 0.99 else waveform

    name = f"consult-{index:03d}-{condition}"
    sf.write(out_dir / f"{name}.wav", waveform, rate, subtype="PCM_16")
    truth = {
        "name": name,
        "condition": condition,
        "utterances": [asdict(u) for u in utterances],
        "pauses": [asdict(p) for p in pauses],
    }
    (out_dir / f"{name}.json").write_text(json.dumps(truth, indent=1) + "\n")
    return out_dir / f"{name}.wav"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--keep-synthesis-tails", action="store_true", help="do not trim espeak-ng's breathy end tails")
    parser.add_argument("--rooms", action="store_true", help="far-field conversations in simulated rooms")
    parser.add_argument("--first", type=int, default=0, help="first conversation index (the seed range starts here)")
    parser.add_argument("--lines", type=Path, help="labelled CSV (text, emotional, category) to take the spoken lines from")
    args = parser.parse_args(argv)
    if args.lines and args.rooms:
        parser.error("--lines builds close-talk conversations only; it does not apply to --rooms")
    lines = load_lines(args.lines) if args.lines else DEFAULT_LINES
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    cache: dict[tuple[str, str], np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.first, args.first + args.count):
            if args.rooms:
                sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a plain script too
                from scripts.room_consults import build_room

                build_room(index, args.out_dir, cache, Path(tmp))
            else:
                build(index, args.out_dir, cache, Path(tmp), None if args.keep_synthesis_tails else TAIL_TOP_DB, lines)
    logger.info("wrote %d conversations to %s", args.count, args.out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
