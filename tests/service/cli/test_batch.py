"""alliance batch as a coordinator runs it: real engines (tiny random models), real processes, kill -9, a real browser."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import time
from pathlib import Path

import jsonschema
import psutil
import pytest

from tests.conftest import speak
from tests.service.cli.test_commands import ALLIANCE, ROOT, SCHEMA, alliance, cli_env
from tests.service.cli.test_export import check_files

TEXTS = (
    "I'm afraid the scan shows the tumor has grown. We need to talk about what comes next.",
    "The counts look good today. How has she been eating?",
    "Is he going to be okay? I am so scared.",
    "We can start the new trial next week if you agree.",
    "Thank you for explaining. Can we think about it?",
    "I am sorry. This is not the news we hoped for.",
)
FORMATS = "maxqda,qdpx,vtt,srt,csv,docx"
EXTENSIONS = {"maxqda": "maxqda.txt", "qdpx": "qdpx", "vtt": "vtt", "srt": "srt", "csv": "csv", "docx": "docx"}
MANIFEST = """session_id,file,dyad_id,oncologist_id,date,setting,attendees,num_speakers,names,notes
S01,visit1.wav,D01,ONC-1,2026-01-05,clinic,oncologist=1;parent=1,,patient=Emma/Em;parent=Sarah,
S02,visit2.wav,D01,ONC-1,2026-03-02,telephone,,,,
S03,visit3.wav,D02,ONC-2,2026-02-10,inpatient,,1,,
S04,visit4.wav,D02,ONC-2,2026-04-01,clinic,,,,second visit
S05,broken.wav,D02,ONC-2,2026-05-01,clinic,,,,
"""


def make_recordings(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [speak(TEXTS[i % len(TEXTS)], folder / f"visit{i + 1}.wav") for i in range(count)]


def events_of(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def batch(*args: str, models: Path) -> subprocess.CompletedProcess[str]:
    return alliance("batch", *args, "--log-format", "jsonl", models=models)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory, tiny_models: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """Four good recordings in the manifest, one corrupt one, one the manifest forgot; one batch run over them."""
    root = tmp_path_factory.mktemp("study")
    make_recordings(root / "in", 4)
    (root / "in" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    shutil.copy(root / "in" / "visit1.wav", root / "in" / "extra_recording.wav")
    (root / "sessions.csv").write_text(MANIFEST)
    out = root / "out"
    args = (str(root / "in"), "--out", str(out), "-m", str(root / "sessions.csv"), "--formats", FORMATS, "--workers", "2")
    return root, batch(*args, "--deidentify", models=tiny_models)


def test_batch_processes_every_session_and_isolates_the_failure(study: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    root, result = study
    assert result.returncode == 1, result.stderr  # 1: finished, with a failed session
    events = events_of(result.stderr)
    done = sorted(str(e["session_id"]) for e in events if e["event"] == "session_done")
    failed = [e for e in events if e["event"] == "session_failed"]
    assert done == ["S01", "S02", "S03", "S04", "extra_recording"]
    assert [(e["session_id"], e["error_code"]) for e in failed] == [("S05", "unsupported_audio")]
    warnings = [str(e["message"]) for e in events if e["event"] == "warning"]
    assert any("1 recording(s) in INPUT_DIR have no manifest row" in w for w in warnings)
    finished = next(e for e in events if e["event"] == "batch_finished")
    assert (finished["processed"], finished["already_done"], finished["failed"]) == (5, 0, 1)
    assert any(e["event"] == "stage" and e["stage"] == "transcribe" for e in events), "per-stage progress"
    assert "visit1.wav" not in result.stderr and "broken.wav" not in result.stderr, "no file names in logs"

    out = root / "out"
    for session_id in done:
        folder = out / "sessions" / session_id
        transcript = json.loads((folder / f"{session_id}.transcript.json").read_text())
        jsonschema.validate(transcript, SCHEMA)
        files = {fmt: folder / f"{session_id}.{ext}" for fmt, ext in (*EXTENSIONS.items(), ("json", "transcript.json"))}
        segments = transcript["segments"]
        check_files(files, len(segments), len([s for s in segments if s["text"].strip()]))
        deid = {fmt: path.with_name(path.name.replace(session_id, f"{session_id}.deid", 1)) for fmt, path in files.items()}
        check_files(deid, len(segments), len([s for s in segments if s["text"].strip()]))
        copy = json.loads(deid["json"].read_text())
        assert copy["deidentification"]["date_policy"] == "keep_year" and transcript["deidentification"] is None
        assert [(s["start_s"], s["end_s"]) for s in copy["segments"]] == [(s["start_s"], s["end_s"]) for s in segments]
        assert copy["silence_candidates"] == transcript["silence_candidates"] or copy["silence_candidates"]
        record = json.loads((folder / "session.json").read_text())
        assert sorted(record["outputs"]) == sorted(p.name for p in folder.iterdir() if p.name != "session.json")
    hints = json.loads((out / "sessions" / "S01" / "S01.transcript.json").read_text())["provenance"]["options"]
    assert hints["session_hints"]["attendees"] == {"oncologist": 1, "parent": 1}, "manifest hints reach the pipeline"
    assert not (out / "sessions" / "S05").exists()
    assert not list(out.rglob("*.part"))

    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text(encoding="utf-8-sig"))))
    by_id = {row["session_id"]: row for row in rows}
    assert sorted(by_id) == ["S01", "S02", "S03", "S04", "S05", "extra_recording"]
    assert by_id["S05"]["status"] == "failed" and by_id["S05"]["error_code"] == "unsupported_audio"
    assert by_id["S01"]["dyad_id"] == "D01" and by_id["S01"]["date"] == "2026-01-05"
    assert float(by_id["S01"]["duration_s"]) > 3 and int(by_id["S01"]["speakers"]) >= 1
    assert by_id["S03"]["speakers"] == "1", "the manifest's num_speakers reached diarization"
    for column in ("turns", "pauses_2s", "pauses_5s", "silence_candidates", "emotional_segments", "talk_s_oncologist"):
        assert by_id["S02"][column] != ""


def test_rerun_skips_finished_sessions_and_retries_failures(
    study: tuple[Path, subprocess.CompletedProcess[str]], tiny_models: Path
) -> None:
    root, _ = study
    out = root / "out"
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.transcript.json")}
    args = (str(root / "in"), "--out", str(out), "-m", str(root / "sessions.csv"), "--formats", FORMATS)
    rerun = batch(*args, "--deidentify", models=tiny_models)
    assert rerun.returncode == 1
    finished = next(e for e in events_of(rerun.stderr) if e["event"] == "batch_finished")
    assert (finished["processed"], finished["already_done"], finished["failed"]) == (0, 5, 1)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.transcript.json")} == before, "nothing redone"

    plain = alliance("batch", *args[:-2], "--formats", "maxqda", "--log-format", "plain", models=tiny_models)
    assert "6 to process, 0 already done" in plain.stderr, "other formats: a different result, so it is redone"
    assert "6 session(s): 5 processed, 0 already done, 1 failed" in plain.stderr


def test_an_invalid_manifest_stops_everything_and_lists_every_row(tiny_models: Path, tmp_path: Path) -> None:
    make_recordings(tmp_path / "in", 1)
    manifest = tmp_path / "sessions.csv"
    manifest.write_text("session_id,file,date,setting\nS1,visit1.wav,05/01/2026,clinic\nS1,gone.wav,,home\n")
    result = alliance("batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "-m", str(manifest), models=tiny_models)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("manifest row")]
    assert lines == [
        "manifest row 2: date must be written YYYY-MM-DD",
        "manifest row 3: file not found in INPUT_DIR",
        "manifest row 3, column setting must be one of clinic, inpatient or telephone",
        "manifest row 3: session_id repeats row 2; every session needs its own id",
    ]
    assert "--skip-invalid" in result.stderr.splitlines()[-1]
    assert not (tmp_path / "out").exists(), "nothing ran, nothing was written"


def test_kill_9_midway_then_rerun_finishes_every_session_exactly_once(tiny_models: Path, tmp_path: Path) -> None:
    count = 6
    make_recordings(tmp_path / "in", count)
    out = tmp_path / "out"
    command = [*ALLIANCE, "batch", str(tmp_path / "in"), "--out", str(out), "--workers", "1", "--log-format", "jsonl"]
    with (tmp_path / "first.log").open("w") as log:
        process = subprocess.Popen(command, env=cli_env(tiny_models), cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + 240
        while not list(out.glob("sessions/*/session.json")) and time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "first.log").read_text()
            time.sleep(0.05)
        workers = psutil.Process(process.pid).children(recursive=True)
        process.kill()  # SIGKILL: no cleanup of any kind runs in the parent
        process.wait()
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, "workers stop by themselves when their parent is killed"

    done_first = {p.parent.name: p.read_text() for p in out.glob("sessions/*/session.json")}
    assert 0 < len(done_first) < count, "the kill landed mid-batch"

    rerun = subprocess.run(command, env=cli_env(tiny_models), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    events = events_of(rerun.stderr)
    redone = [str(e["session_id"]) for e in events if e["event"] == "session_done"]
    finished = next(e for e in events if e["event"] == "batch_finished")
    assert finished["already_done"] == len(done_first)
    assert sorted(redone) == sorted({f"visit{i + 1}" for i in range(count)} - set(done_first)), "each remaining one, once"
    for session_id, record in done_first.items():
        assert (out / "sessions" / session_id / "session.json").read_text() == record, "finished sessions untouched"
    for i in range(count):
        transcript = out / "sessions" / f"visit{i + 1}" / f"visit{i + 1}.transcript.json"
        jsonschema.validate(json.loads(transcript.read_text()), SCHEMA)
    assert not list(out.rglob("*.part")), "no half-written file anywhere"


def test_summary_html_opens_in_headless_chromium_with_its_plots(study: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    root, _ = study
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("chromium is not installed; run scripts/setup.sh")
    page = root / "out" / "summary.html"
    profile = root / "chromium-profile"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-quic", f"--user-data-dir={profile}",
             "--enable-logging=stderr", "--v=0"]  # fmt: skip
    shown = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr[-2000:]
    # 2 dyads + 5 timelines (the failed session has none), every one decoded by the browser.
    assert 'data-plots="7/7"' in shown.stdout, shown.stdout[:500]
    assert "CONSOLE" not in shown.stderr and "Uncaught" not in shown.stderr, "no script errors or blocked loads"
    assert "S05" in shown.stdout and "unsupported_audio" in shown.stdout, "failures are in the report"
