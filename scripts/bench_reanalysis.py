"""How long re-analysis after a coder's correction takes on a long recording, and where the time goes.

Builds a synthetic session (espeak-ng clips tiled to --minutes, about 10,000 words and 200 pauses
for 60 minutes, some of them after emotional speech), then times:
- analysis the old way (decode, Silero, frame energy and pitch on every call);
- ReviewSession.prepare(): measuring those once (decode, SHA-256, Silero, energy, pitch);
- a text edit end to end (apply, re-analyse from the cached inputs, link decisions, save);
- a speaker change end to end (the two speakers' pitch is measured again on their new speech);
and prints a table, plus the costliest functions of one cached text edit (cProfile).

    python scripts/bench_reanalysis.py [--minutes 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audio_pipeline import audio
from audio_pipeline.attribute import build_speakers
from audio_pipeline.pipeline import TranscriptionPipeline
from audio_pipeline.review.corrections import SpeakerChange, TextEdit
from audio_pipeline.review.session import ReviewSession
from audio_pipeline.review.store import ReviewStore
from audio_pipeline.schema import Segment, Transcript, Word
from audio_pipeline.settings import Settings
from scripts.eval_silences import written_transcript

logger = logging.getLogger("bench_reanalysis")
RATE = 16_000
LINES = [
    ("S1", "The scan from last week shows the tumour has grown a little since the summer."),
    ("S1", "We would like to start a second line of treatment with a different medicine."),
    ("S2", "I'm so scared, I don't know how we are going to tell her about this."),
    ("S2", "Will she have to stay in the hospital again for the whole month?"),
    ("S1", "I'm sorry, I know this is very hard news to hear today."),
    ("S3", "Can I still go to school on Mondays and see my friends?"),
    ("S1", "Most children keep going to school between the treatment weeks."),
    ("S2", "Thank you, that helps a lot, we were worried about that."),
]
VOICES = {"S1": ("en-us+m3", "50"), "S2": ("en-us+f3", "50"), "S3": ("en-us+f3", "90")}
WPM = "230"  # a brisk talker, so 60 minutes hold about 10,000 words as well as 200 pauses


def _clip(text: str, voice: str, pitch: str, tmp: Path) -> np.ndarray:
    """espeak-ng speech at 16 kHz with its own leading and trailing silence trimmed."""
    raw = tmp / "clip.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-p", pitch, "-s", WPM, "-w", str(raw), text], check=True, capture_output=True)
    data, rate = sf.read(raw, dtype="float32")
    data = signal.resample_poly(data, RATE, rate).astype(np.float32)
    trimmed, _ = librosa.effects.trim(data, top_db=40, frame_length=320, hop_length=160)
    return np.asarray(trimmed, dtype=np.float32)


def build(out: Path, minutes: float, rng: np.random.Generator) -> tuple[Path, Transcript]:
    """A long session: blocks of four utterances, each block followed by a pause of 2 to 6 s."""
    clips = [_clip(text, *VOICES[speaker], out) for speaker, text in LINES]
    target = int(minutes * 60 * RATE)
    pieces: list[np.ndarray] = []
    segments: list[Segment] = []
    at = 0
    while at < target:
        for _ in range(4):
            k = int(rng.integers(len(LINES)))
            speaker, text = LINES[k]
            clip = clips[k]
            segments.append(_segment(len(segments) + 1, at / RATE, (at + len(clip)) / RATE, speaker, text))
            pieces += [clip, np.zeros(int(0.4 * RATE), dtype=np.float32)]
            at += len(clip) + int(0.4 * RATE)
        gap = int(float(rng.uniform(2.0, 6.0)) * RATE)
        pieces.append(np.zeros(gap, dtype=np.float32))
        at += gap
    waveform = np.concatenate(pieces)[:target]
    waveform += rng.normal(0, 0.002, len(waveform)).astype(np.float32)  # a room, not digital silence
    segments = [s for s in segments if s.end_s <= len(waveform) / RATE]
    wav = out / "long.wav"
    sf.write(wav, waveform, RATE, subtype="PCM_16")
    decoded = audio.load(wav, audio.AudioLimits(14_400, 32, 4000, 384_000))
    transcript = written_transcript(decoded.info, segments, build_speakers(segments, {}), "bench")
    return wav, transcript


def _segment(n: int, start: float, end: float, speaker: str, text: str) -> Segment:
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = [
        Word(start_s=round(start + k * step, 3), end_s=round(start + (k + 1) * step, 3), text=t, probability=0.9, speaker=speaker)
        for k, t in enumerate(tokens)
    ]
    return Segment(
        id=f"seg-{n:05d}", start_s=round(start, 3), end_s=round(end, 3), speaker=speaker, text=text, words=words,
        overlap=False, asr_confidence=0.9,
    )  # fmt: skip


def _timed(fn: object, *args: object, **kwargs: object) -> tuple[float, object]:
    clock = time.perf_counter()
    result = fn(*args, **kwargs)  # type: ignore[operator]
    return time.perf_counter() - clock, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3, help="text edits to time (median reported)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    pipeline = TranscriptionPipeline(Settings())
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        seconds, built = _timed(build, out, args.minutes, np.random.default_rng(17))
        wav, transcript = built  # type: ignore[misc]
        words = sum(len(s.words) for s in transcript.segments)
        seconds, first = _timed(pipeline.reanalyze, wav, transcript)
        rows.append(("analysis, uncached (decode, Silero, energy, pitch: what every call did before)", f"{seconds:.2f}"))
        first_t: Transcript = first  # type: ignore[assignment]
        path = out / "long.json"
        path.write_text(first_t.to_json())
        session = ReviewSession(ReviewStore(path), wav, pipeline, coder="bench")
        seconds, _ = _timed(session.prepare)
        rows.append(("session.prepare(): measure inputs once (decode, Silero, energy, pitch)", f"{seconds:.2f}"))
        for candidate in first_t.silence_candidates[:5]:
            session.decide(
                session.revision, target="silence", start_s=candidate.start_s, end_s=candidate.end_s, decision="confirmed"
            )
        edits: list[float] = []
        profile = cProfile.Profile()
        for n in range(args.repeat):
            seg = session.transcript.segments[(n + 1) * len(session.transcript.segments) // (args.repeat + 1)]
            edit = TextEdit(segment_id=seg.id, text=seg.text + " I'm so scared.")
            if n == args.repeat - 1:
                profile.enable()
            seconds, _ = _timed(session.correct, session.revision, edit)
            profile.disable()
            edits.append(seconds)
        rows.append(("text edit end to end, cached (median)", f"{statistics.median(edits):.2f}"))
        rows.append(("text edit end to end, cached (max)", f"{max(edits):.2f}"))
        seg = session.transcript.segments[len(session.transcript.segments) // 2]
        other = "S2" if seg.speaker != "S2" else "S1"
        seconds, _ = _timed(session.correct, session.revision, SpeakerChange(segment_id=seg.id, speaker_id=other))
        rows.append(("speaker change end to end (pitch of two speakers measured again)", f"{seconds:.2f}"))
        t = session.transcript
        size_mb = path.stat().st_size / 1e6
    from rich.console import Console
    from rich.table import Table

    title = (
        f"Re-analysis on a synthetic {args.minutes:g}-minute session: {len(t.segments)} segments, {words} words, "
        f"{len(t.pauses)} pauses, {len(t.silence_candidates)} candidates, transcript {size_mb:.1f} MB"
    )
    table = Table(title=title)
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    console = Console(width=160)
    console.print(table)
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(18)
    console.print("One cached text edit, costliest calls (cProfile, cumulative):", markup=False)
    console.print("\n".join(line for line in stream.getvalue().splitlines() if line.strip()), markup=False, highlight=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
