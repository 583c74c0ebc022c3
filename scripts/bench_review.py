"""Measure the review workspace on an hour-long session; prints a table.

Usage:
    .venv/bin/python scripts/bench_review.py [--minutes 60] [--out DIR]

Builds a synthetic consultation of MINUTES minutes from espeak-ng utterances (about 10,000 words, 200 pauses of
2 s or more, 30 of them 5 s or more after emotional words: Silence candidates), analyses it with the real analysis
(Silero speech map, emotion, candidates), starts ``alliance review`` on it and drives headless Chromium:

1. time to interactive: navigation start to the page rendered with the whole transcript and timeline
   (target < 2 s on 2 cores);
2. edit to updated candidates: a text edit saved, re-analysed and re-rendered (target < 3 s), first and second;
3. the review server's memory (RSS) after load and after the edits;
4. seeking to minute 55: the bytes of audio the browser fetched to start playing there, against the file size
   (from Chromium's network log: Range requests, not a download of the file).
The browser and the server share the machine's cores.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import soundfile as sf
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audio_pipeline import audio  # noqa: E402
from audio_pipeline.pipeline import TranscriptionPipeline  # noqa: E402
from audio_pipeline.schema import Segment, Speaker, Word  # noqa: E402
from scripts.eval_silences import written_transcript  # noqa: E402

logger = logging.getLogger("bench_review")
RATE = 16000
NEUTRAL = [
    ("S1", "We will check her blood counts again next week and then we can look at the plan together."),
    ("S2", "She finished the antibiotics on Sunday and she has been eating a little better."),
    ("S1", "The nurse will give you the schedule for the next visit and the number to call."),
    ("S2", "Okay. Which day works for the scan, because my husband works on Mondays?"),
    ("S1", "We can do the scan on Monday or Wednesday morning, whichever suits you both."),
    ("S2", "She has been sleeping more in the afternoons since the last cycle of treatment."),
]
EMOTIONAL = [
    ("S2", "I am so scared. I don't know how to tell her that it has come back."),
    ("S1", "I'm afraid the scan shows the tumor has grown since the last time we looked."),
    ("S2", "Is she going to be okay? I can't stop crying at night."),
]


def _speak(text: str, voice: str, folder: Path, name: str) -> np.ndarray:
    raw, out = folder / f"{name}.raw.wav", folder / f"{name}.wav"
    # 230 words a minute: brisk, so an hour holds about 10,000 words around its 200 pauses.
    subprocess.run(["espeak-ng", "-v", voice, "-s", "230", "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", str(out)], check=True, capture_output=True)
    data, _ = sf.read(out, dtype="float32")
    return np.asarray(data, dtype=np.float32)


def build(minutes: float, folder: Path) -> tuple[Path, Path]:
    """The recording and its analysed transcript (true words, even word timing inside each utterance)."""
    voices = {"S1": "en-us+m3", "S2": "en-us+f3"}
    clips = {(spk, text): _speak(text, voices[spk], folder, f"u{i}") for i, (spk, text) in enumerate(NEUTRAL + EMOTIONAL)}
    rng = np.random.default_rng(7)
    # 200 pauses and 30 candidates an hour; shorter runs (for a quick check) keep the proportions.
    n_pauses, n_candidates = max(4, round(200 * minutes / 60)), max(1, round(30 * minutes / 60))
    # 30 pauses of 6 s after an emotional utterance (candidates), 30 of 6 s after neutral talk, the rest 2.2-4 s;
    # between them, utterances 0.3-0.9 s apart until each stretch holds its share of the session.
    n_long = n_candidates
    kinds = ["candidate"] * n_candidates + ["long"] * n_long + ["short"] * (n_pauses - n_candidates - n_long)
    rng.shuffle(kinds)
    gaps = [6.0 if kind != "short" else float(rng.uniform(2.2, 4.0)) for kind in kinds]
    stretch = (minutes * 60 - sum(gaps) - 1.0) / n_pauses
    pieces: list[np.ndarray] = [np.zeros(RATE // 2, dtype=np.float32)]
    cursor = RATE // 2
    segments: list[Segment] = []
    for k, (kind, pause) in enumerate(zip(kinds, gaps, strict=True)):
        began = cursor
        while True:
            last = (cursor - began) / RATE + 5.0 >= stretch
            pool = EMOTIONAL if last and kind == "candidate" else NEUTRAL
            speaker, text = pool[int(rng.integers(len(pool)))]
            clip = clips[(speaker, text)]
            start, end = cursor / RATE, (cursor + len(clip)) / RATE
            tokens = text.split()
            step = (end - start) / len(tokens)
            words = [Word(start_s=round(start + i * step, 3), end_s=round(start + (i + 1) * step, 3), text=" " + t,
                          probability=1.0, speaker=speaker) for i, t in enumerate(tokens)]  # fmt: skip
            segments.append(Segment(id=f"seg{len(segments) + 1}", start_s=round(start, 3), end_s=round(end, 3),
                                    speaker=speaker, text=text, words=words, overlap=False, asr_confidence=1.0))  # fmt: skip
            gap = pause if last else float(rng.uniform(0.3, 0.9))
            pieces += [clip, np.zeros(int(gap * RATE), dtype=np.float32)]
            cursor += len(clip) + int(gap * RATE)
            if last:
                break
        logger.debug("stretch %d done at %.0f s", k, cursor / RATE)
    wav = folder / "session.wav"
    sf.write(wav, np.concatenate(pieces), RATE)
    decoded = audio.load(wav, TranscriptionPipeline().limits())
    speakers = [Speaker(id=s, talk_time_s=0, turn_count=0, word_count=0) for s in ("S1", "S2")]
    kept = [s for s in segments if s.end_s <= decoded.info.duration_s]
    transcript = written_transcript(decoded.info, kept, speakers, "bench")
    analysed = TranscriptionPipeline().reanalyze(wav, transcript)
    path = folder / "session.transcript.json"
    path.write_text(analysed.to_json())
    return wav, path


def _start_review(transcript: Path, wav: Path, log: Path) -> tuple[subprocess.Popen[str], str]:
    out = log.open("w")
    cmd = [sys.executable, "-m", "service.cli", "review", str(transcript), "--audio", str(wav), "--no-browser"]
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=out, text=True)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", log.read_text())
        if found:
            try:
                httpx.get(found.group(0).split("/?")[0], timeout=1)
                return process, found.group(0)
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"alliance review did not start: {log.read_text()}")


def _audio_bytes(driver: object) -> int:
    """Bytes of /audio received since the last call, from Chromium's network log."""
    audio_ids: set[str] = set()
    total = 0
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent" and params["request"]["url"].endswith("/audio"):
            audio_ids.add(params["requestId"])
        elif message["method"] == "Network.dataReceived" and params["requestId"] in audio_ids:
            total += int(params.get("encodedDataLength") or params.get("dataLength") or 0)
    return total


def _edit_seconds(driver: object, index: int) -> float:
    script = """
      const done = arguments[arguments.length - 1];
      const st = window.review.state, before = st.payload.meta.revision;
      const seg = st.payload.transcript.segments[arguments[0]];
      document.querySelector(`#seg-${seg.id} button.edit`).click();
      document.getElementById('edit-text').value = 'I am so scared and sad. ' + seg.text;
      const t0 = performance.now();
      document.getElementById('edit-save-text').click();
      (function wait() {
        if (st.payload.meta.revision > before && !st.busy) requestAnimationFrame(() => done(performance.now() - t0));
        else setTimeout(wait, 5);
      })();"""
    return float(driver.execute_async_script(script, index)) / 1000  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = args.out or Path(tempfile.mkdtemp(prefix="bench-review-"))
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    wav, transcript_path = build(args.minutes, folder)
    data = json.loads(transcript_path.read_text())
    logger.info("built and analysed in %.0f s", time.monotonic() - t0)
    from tests.service.review.browser import chromium

    process, url = _start_review(transcript_path, wav, folder / "review.log")
    server = psutil.Process(process.pid)
    rows: list[tuple[str, str, str]] = []
    words = sum(len(s["words"]) for s in data["segments"])
    rows.append(("session", f"{data['recording']['duration_s'] / 60:.1f} min, {words} words, {len(data['segments'])} segments",
                 f"{len(data['pauses'])} pauses, {len(data['silence_candidates'])} candidates"))  # fmt: skip
    try:
        time.sleep(2)  # the server decodes the recording for re-analysis in the background; let it start
        with chromium() as driver:
            driver.set_script_timeout(300)
            driver.get(url)
            driver.execute_async_script("""const done = arguments[arguments.length - 1];
              (function w() { if (document.body.dataset.ready === 'true') done(); else setTimeout(w, 5); })();""")
            tti = driver.execute_script("return window.review.readyAt / 1000")
            rows.append(("time to interactive", f"{tti:.2f} s", "target < 2 s"))
            loaded = _audio_bytes(driver)
            rss_loaded = server.memory_info().rss
            # Wait for the background decode so the edit measures re-analysis, not the first decode.
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and server.cpu_percent(interval=0.5) > 20:
                pass
            first = _edit_seconds(driver, len(data["segments"]) // 2)
            second = _edit_seconds(driver, len(data["segments"]) // 3)
            count = driver.execute_script("return window.review.state.payload.transcript.silence_candidates.length")
            rows.append(
                ("edit to updated candidates", f"{first:.2f} s, then {second:.2f} s", f"target < 3 s; {count} candidates after")
            )
            rss = max(rss_loaded, server.memory_info().rss)
            rows.append(
                ("review server memory (RSS)", f"{rss_loaded / 2**20:.0f} MB loaded, {rss / 2**20:.0f} MB after edits", "")
            )
            _audio_bytes(driver)
            target = 55 * 60 if data["recording"]["duration_s"] > 56 * 60 else data["recording"]["duration_s"] * 55 / 60
            driver.execute_script("window.review.player.seek(arguments[0], {play: true})", target)
            started = time.monotonic()
            driver.execute_async_script(
                """const done = arguments[arguments.length - 1], target = arguments[0];
                (function w() { if (window.review.player.audio.currentTime > target + 1) done(); else setTimeout(w, 10); })();""",
                target,
            )
            seek_s = time.monotonic() - started
            fetched = _audio_bytes(driver)
            size = wav.stat().st_size
            rows.append((f"seek to minute {target / 60:.0f}, play 1 s", f"{fetched / 2**20:.2f} MB fetched in {seek_s:.2f} s",
                         f"file {size / 2**20:.0f} MB; {loaded / 2**20:.2f} MB fetched at page load"))  # fmt: skip
    finally:
        process.send_signal(2)
        process.wait(timeout=30)
    table = Table(title=f"alliance review, {args.minutes:g}-minute session, headless Chromium")
    for column in ("measure", "result", "note"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


if __name__ == "__main__":
    main()
