"""Measure speaker-role assignment on labelled synthetic conversations, with and without session hints.

Usage:
    python scripts/eval_roles.py [--count 48]

Conversations cycle over four kinds: a telephone call (oncologist and one parent, 8 kHz band);
clinic with the oncologist, two parents and a young child; the oncologist with a nurse
practitioner, an adolescent patient and a grandparent; and clinic with the oncologist, a parent
and a child. Oncologists alternate between a male and a female voice, so pitch alone cannot tell
an oncologist from a mother. Diarization is taken as correct (the reference speakers), as the
issue's targets assume; text comes from the conversation itself. Prints speaker-level accuracy
with and without hints, confusion matrices, and accuracy per confidence bucket (calibration).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import signal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio_pipeline.analysis.roles import SessionHints, assign_roles, median_f0_hz  # noqa: E402
from audio_pipeline.attribute import build_speakers  # noqa: E402
from audio_pipeline.schema import ROLES, Segment, Word  # noqa: E402
from scripts.make_synthetic_consults import speak_clip  # noqa: E402

logger = logging.getLogger("eval_roles")
RATE = 16_000

LINES = {
    "oncologist": [
        "Thanks for coming in. I have the results of the scan from this morning.",
        "The scan shows the tumor in her chest is smaller than last time.",
        "Compared to the last MRI, the spots in the lungs are stable.",
        "I would recommend we continue the same chemo for two more cycles.",
        "We measured the mass at three centimeters.",
        "What questions do you have for me?",
        "Let's look at the images together.",
        "Okay. That makes sense.",
    ],
    "other_clinician": [
        "Hi, I'm the nurse practitioner working with the team today.",
        "I'll check your blood pressure before you go.",
        "I'll flush the port at the end of the visit.",
        "I'll page the pharmacy about the new prescription.",
        "Sure, I can do that.",
    ],
    "parent": [
        "Is she going to need another surgery?",
        "She hasn't been eating much this week.",
        "Our son has been so tired after school.",
        "My daughter keeps asking when she can go swimming.",
        "He slept through the night on Tuesday, which was nice.",
        "Okay. Thank you.",
        "Can we do the next scan on a Friday?",
    ],
    "patient": [
        "My leg hurts when I run.",
        "Do I have to get a needle today?",
        "Can I still play soccer with my friends?",
        "I miss my friends at school.",
        "Okay.",
    ],
    "other_family": [
        "I'm her grandma, I drive her to most of the visits.",
        "My granddaughter has been a real trooper.",
        "We'll all be there to help at home.",
        "Okay, thank you doctor.",
    ],
}
ADDRESS = {  # a line said to someone, naming them by role
    "parent": "Mom, can you hold her hand for this part?",
    "patient": "How are you doing today, buddy?",
    "oncologist": "Thank you, doctor.",
    "other_family": "Grandma, do you have any questions?",
}
# (kind, cast as (role, espeak voice[/pitch]; None: the oncologist's voice), patient age)
KINDS = [
    ("telephone", [("oncologist", None), ("parent", "en-us+f3")], None),
    ("clinic-family", [("oncologist", None), ("parent", "en-us+f3"), ("parent", "en-us+m1"), ("patient", "en-us+f4/95")], 7),
    (
        "np-adolescent",
        [("oncologist", None), ("other_clinician", "en-us+f2"), ("patient", "en-us+f4/75"), ("other_family", "en-us+m5")],
        16,
    ),
    ("clinic-child", [("oncologist", None), ("parent", "en-us+m1"), ("patient", "en-us+f4/95")], 9),
]


Conversation = tuple[np.ndarray, list[Segment], dict[str, str], SessionHints]


def conversation(index: int, cache: dict, tmp: Path) -> Conversation:  # type: ignore[type-arg]
    rng = np.random.default_rng(500 + index)
    kind, people, age = KINDS[index % len(KINDS)]
    oncologist_voice = "en-us+m3" if index % 2 == 0 else "en-us+f2"
    cast = [(role, voice or oncologist_voice) for role, voice in people]
    truth = {f"S{i + 1}": role for i, (role, _) in enumerate(cast)}
    turns: list[tuple[int, str]] = []
    for _ in range(12):
        who = int(rng.integers(len(cast))) if rng.random() < 0.6 else 0  # the oncologist talks most
        pool = LINES[cast[who][0]]
        turns.append((who, pool[int(rng.integers(len(pool)))]))
    # Someone addresses one non-oncologist by role, as happens in real visits (not always).
    if rng.random() < 0.6 and len(cast) > 1:
        target = int(rng.integers(1, len(cast)))
        if cast[target][0] in ADDRESS:
            turns.insert(int(rng.integers(1, len(turns))), (0, ADDRESS[cast[target][0]]))
            turns.insert(len(turns), (target, LINES[cast[target][0]][-1]))
    audio_parts, segments, cursor = [np.zeros(RATE // 2, dtype=np.float32)], [], RATE // 2
    for n, (who, text) in enumerate(turns, start=1):
        voice, _, pitch = cast[who][1].partition("/")
        clip = speak_clip(text, voice, int(pitch) if pitch else None, cache, tmp)
        start, end = cursor / RATE, (cursor + len(clip)) / RATE
        tokens = text.split()
        step = (end - start) / len(tokens)
        words = [Word(start_s=start + k * step, end_s=start + (k + 1) * step, text=t, probability=1.0, speaker=f"S{who + 1}")
                 for k, t in enumerate(tokens)]  # fmt: skip
        segments.append(Segment(id=f"seg-{n:05d}", start_s=start, end_s=end, speaker=f"S{who + 1}", text=text,
                                words=words, overlap=False, asr_confidence=1.0))  # fmt: skip
        gap = np.zeros(int(rng.uniform(0.3, 1.0) * RATE), dtype=np.float32)
        audio_parts += [clip, gap]
        cursor += len(clip) + len(gap)
    waveform = np.concatenate(audio_parts)
    if kind == "telephone":
        b, a = signal.butter(4, [300, 3400], btype="band", fs=RATE)
        waveform = signal.resample_poly(signal.resample_poly(signal.lfilter(b, a, waveform), 1, 2), 2, 1).astype(np.float32)
    counts = Counter(role for role, _ in cast)
    return waveform, segments, truth, SessionHints(dict(counts), age, "telephone" if kind == "telephone" else "clinic")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=48)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    from rich.console import Console
    from rich.table import Table

    results: dict[str, list[tuple[str, str, float]]] = {"without hints": [], "with hints": []}
    cache: dict = {}  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.count):
            waveform, segments, truth, hints = conversation(index, cache, Path(tmp))
            speakers = build_speakers(segments, {})
            spans: dict[str, list[tuple[float, float]]] = {}
            for seg in segments:
                spans.setdefault(seg.speaker, []).append((seg.start_s, seg.end_s))
            pitch = {sid: median_f0_hz(waveform, spans[sid]) for sid in spans}
            for mode, given in (("without hints", None), ("with hints", hints)):
                for speaker in assign_roles(speakers, segments, waveform, given, f0_hz=pitch):
                    results[mode].append((truth[speaker.id], speaker.role, speaker.role_confidence))

    console = Console(width=140)
    summary = Table(title=f"Speaker roles on {args.count} synthetic conversations (diarization taken as correct)")
    for column in ("mode", "speakers", "accuracy", "target"):
        summary.add_column(column, justify="right")
    for mode, rows in results.items():
        correct = sum(t == p for t, p, _ in rows)
        target = ">= 0.97" if mode == "with hints" else ">= 0.92"
        summary.add_row(mode, str(len(rows)), f"{correct / len(rows):.3f} ({correct}/{len(rows)})", target)
    console.print(summary)
    labels = [*ROLES, "unknown"]
    for mode, rows in results.items():
        matrix = Table(title=f"Confusion, {mode} (rows: truth, columns: assigned)")
        matrix.add_column("truth")
        for label in labels:
            matrix.add_column(label[:10], justify="right")
        for truth_role in ROLES:
            counts = Counter(p for t, p, _ in rows if t == truth_role)
            if counts:
                matrix.add_row(truth_role, *(str(counts.get(label, 0)) for label in labels))
        console.print(matrix)
    calibration = Table(title="Calibration: accuracy per confidence bucket (both modes)")
    for column in ("confidence", "speakers", "accuracy"):
        calibration.add_column(column, justify="right")
    pooled = results["without hints"] + results["with hints"]
    for low, high in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        bucket = [(t, p) for t, p, c in pooled if low <= c < high]
        accuracy = f"{sum(t == p for t, p in bucket) / len(bucket):.3f}" if bucket else "n/a"
        calibration.add_row(f"{low:.1f}-{min(high, 1.0):.1f}", str(len(bucket)), accuracy)
    console.print(calibration)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
