"""Measure speaker-role assignment, with and without session hints, on labelled conversations.

Usage:
    python scripts/eval_roles.py [--set tuning|blind|all] [--synthetic 0] [--pitch] [--wrong] [--asr tiny.en|MODEL_DIR]

With --asr, the synthetic telephone conversations (every fourth; --synthetic N, default 8) are also
built as stereo call recordings (each party on its own channel, the other party's echo 25 dB down on
it) and run end to end: real recognition, speakers from the channels, roles with and without hints
(scripts/real_asr_eval.py).

Two written sets (scripts/data/roles_*.txt, format described at the top of each file):
- tuning (roles_tuning.txt): conversations the rules were tuned on; its figures show fit.
- blind (roles_blind.txt): written before any rule of issue 24 changed and never tuned on; its
  figures are the honest ones. Run it rarely and never look at its errors while changing rules.
Both are evaluated on text: segments are timed at 0.3 s a word, diarization is the reference, and
pitch is absent (as on a call where pyin finds no voiced frames) unless --pitch gives each speaker
the median F0 declared for its voice in the file (no audio is synthesised, to spare scarce CPU).
"With hints" gives what a coordinator supplies: --attendees exact counts (the declared roles),
--patient-age, --setting and the --names spec.

--synthetic N also runs N espeak-ng conversations with measured pitch (slow: synthesis and pyin).
Their conversations cycle over four kinds: a telephone call (oncologist and one parent, 8 kHz
band); clinic with the oncologist, two parents and a young child; the oncologist with a nurse
practitioner, an adolescent patient and a grandparent; and clinic with the oncologist, a parent
and a child. Oncologists alternate between a male and a female voice, so pitch alone cannot tell
an oncologist from a mother.

Prints per set and mode: accuracy over speakers, over speakers who say 10 words or more, weighted by
words spoken, per true role, and per confidence band (calibration), plus speakers wrong at 0.9 or more.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import signal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio_pipeline.analysis.roles import SessionHints, assign_roles, median_f0_hz  # noqa: E402
from audio_pipeline.attribute import build_speakers  # noqa: E402
from audio_pipeline.request import RunHints, run_request  # noqa: E402
from audio_pipeline.schema import ROLES, Segment, Word  # noqa: E402
from scripts.make_synthetic_consults import speak_clip  # noqa: E402

logger = logging.getLogger("eval_roles")
RATE = 16_000
DATA = ROOT / "scripts" / "data"
SETS = {"tuning": DATA / "roles_tuning.txt", "blind": DATA / "roles_blind.txt"}
SECONDS_PER_WORD = 0.3
BANDS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))
_TURN = re.compile(r"^(S\d+):\s*(.+)$")

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


@dataclass
class Written:
    """One written conversation: true roles, declared pitch, hints and turns."""

    id: str
    setting: str | None = None
    age: int | None = None
    names: str | None = None
    truth: dict[str, str] = field(default_factory=dict)
    f0: dict[str, float] = field(default_factory=dict)
    turns: list[tuple[str, str]] = field(default_factory=list)


def read_set(path: Path) -> list[Written]:
    """Conversations from a roles_*.txt file; a malformed line is a clear ValueError with its number."""
    found: list[Written] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or (line.startswith("#") and not line.startswith("## ")):
            continue
        if line.startswith("## "):
            found.append(Written(line[3:].strip()))
            continue
        if not found:
            raise ValueError(f"{path.name}:{number}: text before the first '## ID'")
        conv = found[-1]
        key, _, value = line.partition(":")
        if line.startswith("@"):
            sid, role, pitch = line[1:].split()
            if role not in ROLES:
                raise ValueError(f"{path.name}:{number}: unknown role {role}")
            conv.truth[sid], conv.f0[sid] = role, float(pitch)
        elif key in ("setting", "age", "names"):
            if key == "age":
                conv.age = int(value)
            else:
                setattr(conv, key, value.strip())
        elif match := _TURN.match(line):
            if match[1] not in conv.truth:
                raise ValueError(f"{path.name}:{number}: speaker {match[1]} is not declared")
            conv.turns.append((match[1], match[2]))
        else:
            raise ValueError(f"{path.name}:{number}: cannot read this line")
    return found


def written_segments(turns: list[tuple[str, str]]) -> list[Segment]:
    segments, cursor = [], 0.5
    for n, (sid, text) in enumerate(turns, start=1):
        tokens = text.split()
        start, end = cursor, cursor + SECONDS_PER_WORD * len(tokens)
        words = [Word(start_s=start + k * SECONDS_PER_WORD, end_s=start + (k + 1) * SECONDS_PER_WORD, text=t,
                      probability=1.0, speaker=sid) for k, t in enumerate(tokens)]  # fmt: skip
        segments.append(Segment(id=f"seg-{n:05d}", start_s=start, end_s=end, speaker=sid, text=text, words=words,
                                overlap=False, asr_confidence=1.0))  # fmt: skip
        cursor = end + 0.6
    return segments


def written_hints(conv: Written) -> SessionHints:
    """Exact counts, age, setting and, where SessionHints takes them, the supplied names."""
    counts = Counter(conv.truth.values())
    attendees = ",".join(f"{role}={n}" for role, n in sorted(counts.items()))
    values = {"attendees": attendees, "patient_age": conv.age, "setting": conv.setting, "names": conv.names or None}
    hints = run_request(values, RunHints).session_hints()
    assert hints is not None
    return hints


Row = tuple[str, str, float, int, str, bool]  # truth, assigned, confidence, words, "conversation/speaker", review


def run_written(convs: list[Written], pitch: bool) -> dict[str, list[Row]]:
    results: dict[str, list[Row]] = {"without hints": [], "with hints": []}
    for conv in convs:
        segments = written_segments(conv.turns)
        speakers = build_speakers(segments, {})
        f0 = {sid: ((conv.f0[sid], 40.0) if pitch else None) for sid in conv.truth}
        silent = np.zeros(RATE, dtype=np.float32)
        for mode, given in (("without hints", None), ("with hints", written_hints(conv))):
            for speaker in assign_roles(speakers, segments, silent, given, f0_hz=f0):
                results[mode].append(
                    (conv.truth[speaker.id], speaker.role, speaker.role_confidence, speaker.word_count,
                     f"{conv.id}/{speaker.id}", speaker.needs_review)
                )  # fmt: skip
    return results


def run_synthetic(count: int) -> dict[str, list[Row]]:
    results: dict[str, list[Row]] = {"without hints": [], "with hints": []}
    cache: dict = {}  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(count):
            waveform, segments, truth, hints = conversation(index, cache, Path(tmp))
            speakers = build_speakers(segments, {})
            spans: dict[str, list[tuple[float, float]]] = {}
            for seg in segments:
                spans.setdefault(seg.speaker, []).append((seg.start_s, seg.end_s))
            pitch = {sid: median_f0_hz(waveform, spans[sid]) for sid in spans}
            for mode, given in (("without hints", None), ("with hints", hints)):
                for speaker in assign_roles(speakers, segments, waveform, given, f0_hz=pitch):
                    results[mode].append(
                        (truth[speaker.id], speaker.role, speaker.role_confidence, speaker.word_count,
                         f"synthetic-{index}/{speaker.id}", speaker.needs_review)
                    )  # fmt: skip
    return results


def _share(rows: list[Row]) -> str:
    right = sum(t == p for t, p, *_ in rows)
    return f"{right / len(rows):.3f} ({right}/{len(rows)})" if rows else "n/a"


def report(console: object, title: str, results: dict[str, list[Row]], show_wrong: bool) -> None:
    from rich.table import Table

    summary = Table(title=title)
    for column in ("mode", "all speakers", ">= 10 words (target)", "weighted by words", "wrong at >= 0.9", "needs_review"):
        summary.add_column(column, justify="right")
    for mode, rows in results.items():
        talkers = [r for r in rows if r[3] >= 10]
        words = sum(r[3] for r in rows) or 1
        weighted = sum(r[3] for r in rows if r[0] == r[1]) / words
        target = ">= 0.97" if mode == "with hints" else ">= 0.92"
        confident_wrong = sum(r[2] >= 0.9 and r[0] != r[1] for r in rows)
        review = [r for r in rows if r[5]]
        review_right = sum(r[0] == r[1] for r in review)
        summary.add_row(mode, _share(rows), f"{_share(talkers)} ({target})", f"{weighted:.3f}", str(confident_wrong),
                        f"{len(review)} ({review_right} right)")  # fmt: skip
    per_role = Table(title="Accuracy per true role")
    per_role.add_column("role")
    for mode in results:
        per_role.add_column(mode, justify="right")
    for role in ROLES:
        cells = [_share([r for r in rows if r[0] == role]) for rows in results.values()]
        if any(cell != "n/a" for cell in cells):
            per_role.add_row(role, *cells)
    bands = Table(title="Calibration: accuracy per confidence band")
    bands.add_column("confidence")
    for mode in results:
        bands.add_column(mode, justify="right")
    for low, high in BANDS:
        cells = [_share([r for r in rows if low <= r[2] < high]) for rows in results.values()]
        bands.add_row(f"{low:.1f}-{min(high, 1.0):.1f}", *cells)
    labels = [*ROLES, "unknown"]
    matrices = []
    for mode, rows in results.items():
        matrix = Table(title=f"Confusion, {mode} (rows: truth, columns: assigned)")
        matrix.add_column("truth")
        for label in labels:
            matrix.add_column(label[:10], justify="right")
        for truth_role in ROLES:
            counts = Counter(r[1] for r in rows if r[0] == truth_role)
            if counts:
                matrix.add_row(truth_role, *(str(counts.get(label, 0)) for label in labels))
        matrices.append(matrix)
    for table in (summary, per_role, bands, *matrices):
        console.print(table)  # type: ignore[attr-defined]
    if show_wrong:
        for mode, rows in results.items():
            for truth, role, confidence, words, where, _ in rows:
                if truth != role:
                    console.print(f"  {mode}: {where} {truth} -> {role} at {confidence:.2f} ({words} words)")  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=("tuning", "blind", "all"), default="all", help="written sets to run")
    parser.add_argument("--pitch", action="store_true", help="give each written speaker its declared median F0")
    parser.add_argument("--synthetic", "--count", type=int, default=0, help="also run N espeak-ng conversations (slow)")
    parser.add_argument("--wrong", action="store_true", help="list every wrong speaker (never for the blind set while tuning)")
    parser.add_argument("--asr", help="also run the stereo-call case end to end with this recognizer")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    from rich.console import Console

    console = Console(width=150)
    names = ("tuning", "blind") if args.set == "all" else (args.set,)
    pitch = "declared pitch" if args.pitch else "pitch absent"
    for name in names:
        convs = read_set(SETS[name])
        label = "BLIND set, never tuned on" if name == "blind" else "TUNING set, rules tuned on it: shows fit"
        title = f"{label}: {len(convs)} written conversations, text only, {pitch}"
        report(console, title, run_written(convs, args.pitch), args.wrong)
    if args.synthetic:
        title = f"Synthetic espeak-ng set: {args.synthetic} conversations, measured pitch (diarization taken as correct)"
        report(console, title, run_synthetic(args.synthetic), args.wrong)
    if args.asr:
        print_stereo_calls(console, args.synthetic or 8, args.asr)
    return 0


def print_stereo_calls(console: object, count: int, asr: str) -> None:
    """The telephone conversations as stereo calls, through the whole pipeline with a real recognizer."""
    from rich.table import Table

    from scripts.real_asr_eval import evaluate_stereo_calls, load_transcriber

    cache: dict = {}  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        calls = []
        for index in range(0, count, len(KINDS)):  # index % 4 == 0: the telephone kind
            waveform, segments, truth, hints = conversation(index, cache, Path(tmp))
            turns = [(s.start_s, s.end_s, s.speaker, s.text) for s in segments]
            given = {"attendees": hints.attendees, "patient_age": hints.patient_age, "setting": hints.setting}
            calls.append((waveform, turns, truth, given))
        result = evaluate_stereo_calls(calls, load_transcriber(asr), Path(tmp))
    table = Table(title=f"Stereo calls from the audio with {Path(asr).name} (speakers from the channels)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, value)
    console.print(table)  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main())
