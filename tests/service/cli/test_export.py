"""alliance export: every format from one transcript JSON, as a user runs it, including one the real engines wrote."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import docx
import srt
import webvtt
from lxml import etree

from audio_pipeline.export.qdpx import XSD
from scripts.make_synthetic_consults import build
from tests.audio_pipeline.deid.named import LEAKS, NAMES, named_transcript
from tests.audio_pipeline.export.transcripts import sample_transcript
from tests.service.cli.test_commands import alliance, error_lines

ALL = "maxqda,qdpx,vtt,srt,csv,docx,json"


def check_every_format(folder: Path, stem: str, segments: int, cues: int | None = None) -> None:
    names = {
        "maxqda": "maxqda.txt",
        "qdpx": "qdpx",
        "vtt": "vtt",
        "srt": "srt",
        "csv": "csv",
        "docx": "docx",
        "json": "export.json",
    }
    check_files({fmt: folder / f"{stem}.{ext}" for fmt, ext in names.items()}, segments, cues)


def check_files(files: dict[str, Path], segments: int, cues: int | None = None) -> None:
    """Parse each written file back with a reader that is not ours (used by the CLI, batch and service tests)."""
    assert set(files) == set(ALL.split(","))
    assert files["maxqda"].read_text(encoding="utf-8").count("#") >= 2
    with zipfile.ZipFile(files["qdpx"]) as archive:
        etree.XMLSchema(etree.parse(str(XSD))).assertValid(etree.fromstring(archive.read("project.qde")))
    cues = segments if cues is None else cues  # captions skip segments a person emptied
    assert len(webvtt.read(str(files["vtt"]))) == cues
    assert len(list(srt.parse(files["srt"].read_text(encoding="utf-8")))) == cues
    assert len(list(csv.DictReader(io.StringIO(files["csv"].read_text(encoding="utf-8-sig"))))) == segments
    assert docx.Document(str(files["docx"])).paragraphs
    assert len(json.loads(files["json"].read_text())["segments"]) == segments


def readable_text(path: Path) -> str:
    """All the text a person could read in an export: every entry of a zip (qdpx, docx's paragraphs), else the file."""
    if path.suffix == ".docx":
        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return path.read_text(encoding="utf-8-sig")


def test_deidentified_exports_in_every_format_keep_no_supplied_name(tmp_path: Path) -> None:
    source = tmp_path / "session.json"
    source.write_text(named_transcript().to_json())
    canonical = source.read_bytes()
    out = tmp_path / "exports"
    out.mkdir()
    result = alliance("export", str(source), "--format", ALL, "-o", str(out), "--deidentify", "--names", NAMES)
    assert result.returncode == 0, result.stderr
    check_every_format(out, "session.deid", 7)
    for path in out.iterdir():
        assert LEAKS.search(readable_text(path)) is None, f"a supplied name or identifier survived in {path.name}"
    assert source.read_bytes() == canonical, "the canonical transcript is never altered"
    copy = json.loads((out / "session.deid.export.json").read_text())
    assert copy["deidentification"]["replaced"]["patient"] == 5
    assert [c["start_s"] for c in copy["silence_candidates"]] == [c.start_s for c in named_transcript().silence_candidates]
    refused = alliance("export", str(source), "-f", "maxqda", "--names", NAMES)
    assert refused.returncode == 2 and "go with --deidentify" in refused.stderr
    bad = alliance("export", str(source), "-f", "maxqda", "--deidentify", "--names", "grandma=Ruth")
    assert bad.returncode == 2 and "ROLE=NAME" in bad.stderr and "Ruth" not in bad.stderr


def test_export_every_format_into_a_folder(tmp_path: Path) -> None:
    source = tmp_path / "session.json"
    source.write_text(sample_transcript().to_json())
    out = tmp_path / "exports"
    out.mkdir()
    result = alliance("export", str(source), "--format", ALL, "-o", str(out))
    assert result.returncode == 0, result.stderr
    check_every_format(out, "session", 7)
    assert oct((out / "session.qdpx").stat().st_mode)[-3:] == "600"  # PHI: owner-only


def test_one_format_to_a_file_and_pause_threshold(tmp_path: Path) -> None:
    source = tmp_path / "session.json"
    source.write_text(sample_transcript().to_json())
    target = tmp_path / "for-maxqda.txt"
    result = alliance("export", str(source), "-f", "maxqda", "-o", str(target), "--pause-threshold", "6")
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert "(6.2, silence candidate)" in text and "(5.5)" not in text


def test_export_errors_are_one_clear_line_and_write_nothing(tmp_path: Path) -> None:
    source = tmp_path / "session.json"
    source.write_text(sample_transcript().to_json())
    cases = [
        (["--format", "pdf"], "unknown export format 'pdf'"),
        (["--format", "qdpx", "--audio", str(source)], "ALLIANCE_EXPORT_ALLOW_AUDIO=true"),
        (["--format", "vtt,srt", "-o", str(tmp_path / "missing")], "must be an existing folder"),
    ]
    for args, message in cases:
        result = alliance("export", str(source), *args)
        assert result.returncode == 2, result.stderr
        (line,) = error_lines(result.stderr)
        assert message in line
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = alliance("export", str(broken), "-f", "vtt")
    assert result.returncode == 2 and "not valid JSON" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.json", "session.json"]


def test_audio_embedding_when_the_operator_allows_it(tmp_path: Path) -> None:
    audio = tmp_path / "consult.wav"
    audio.write_bytes(b"RIFF-bytes")
    transcript = sample_transcript()
    recording = transcript.recording.model_copy(update={"sha256": hashlib.sha256(audio.read_bytes()).hexdigest()})
    source = tmp_path / "session.json"
    source.write_text(transcript.model_copy(update={"recording": recording}).to_json())
    result = alliance(
        "export", str(source), "-f", "qdpx", "--audio", str(audio), extra_env={"ALLIANCE_EXPORT_ALLOW_AUDIO": "true"}
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "session.qdpx") as archive:
        assert any(name.endswith(".wav") for name in archive.namelist())


def test_engine_transcript_exports_in_every_format(tiny_models: Path, tmp_path: Path) -> None:
    """The real path: faster-whisper, pyannote and Silero write a transcript, then every exporter reads it."""
    wav = build(1, tmp_path, {}, tmp_path)
    transcript = tmp_path / "consult.json"
    result = alliance("transcribe", str(wav), "-o", str(transcript), models=tiny_models)
    assert result.returncode == 0, result.stderr
    result = alliance("export", str(transcript), "--format", ALL)
    assert result.returncode == 0, result.stderr
    segments = json.loads(transcript.read_text())["segments"]
    check_every_format(tmp_path, "consult", len(segments), len([s for s in segments if s["text"].strip()]))
