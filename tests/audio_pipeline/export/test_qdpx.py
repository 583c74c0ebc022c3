"""The REFI-QDA project: valid against the schema, and every coded selection covers exactly the intended text."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from audio_pipeline.errors import InvalidOptionError
from audio_pipeline.export import ExportOptions, export
from audio_pipeline.export.qdpx import NS

from .transcripts import sample_transcript

SHARED_XSD = Path(__file__).resolve().parents[4] / "shared" / "specs" / "refi-qda" / "Project.xsd"
SHIPPED_XSD = Path(__file__).resolve().parents[3] / "audio_pipeline" / "export" / "data" / "Project.xsd"
Q = {"q": NS}


def unpack(data: bytes) -> tuple[etree._Element, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return etree.fromstring(files["project.qde"]), files


def codes_by_guid(project: etree._Element) -> dict[str, etree._Element]:
    return {c.get("guid"): c for c in project.iterfind(".//q:Code", Q)}


def code_path(code: etree._Element) -> str:
    names = [code.get("name")]
    parent = code.getparent()
    while parent is not None and parent.tag == f"{{{NS}}}Code":
        names.insert(0, parent.get("name"))
        parent = parent.getparent()
    return " / ".join(names)


def test_zip_layout_and_schema_validity() -> None:
    project, files = unpack(export(sample_transcript(), "qdpx").content)
    assert "project.qde" in files
    assert all(name == "project.qde" or name.startswith("sources/") for name in files)
    xsd = SHARED_XSD if SHARED_XSD.exists() else SHIPPED_XSD
    etree.XMLSchema(etree.parse(str(xsd))).assertValid(project)
    if SHARED_XSD.exists():
        assert SHARED_XSD.read_bytes() == SHIPPED_XSD.read_bytes()


def test_codebook_themes_codes_roles_review_and_suggested_branch() -> None:
    project, _ = unpack(export(sample_transcript(), "qdpx").content)
    top = project.findall("q:CodeBook/q:Codes/q:Code", Q)
    themes = [c for c in top if c.get("name") not in {"Speaker roles", "Review", "Suggested"}]
    assert len(themes) == 7 and all(t.get("isCodable") == "false" for t in themes)
    codes = [c for t in themes for c in t.findall("q:Code", Q)]
    assert len(codes) == 28 and all(c.get("isCodable") == "true" and c.findtext("q:Description", namespaces=Q) for c in codes)
    roles = next(c for c in top if c.get("name") == "Speaker roles")
    assert {c.get("name") for c in roles.findall("q:Code", Q)} >= {"Oncologist", "Parent", "Patient", "Other clinician"}
    suggested = next(c for c in top if c.get("name") == "Suggested")
    assert suggested.get("isCodable") == "false"
    assert all(c.get("name", "").endswith("(suggested)") for c in suggested.iterfind(".//q:Code[@isCodable='true']", Q))


def test_every_coded_selection_covers_exactly_the_intended_text() -> None:
    transcript = sample_transcript()
    project, files = unpack(export(transcript, "qdpx").content)
    source = project.find("q:Sources/q:TextSource", Q)
    assert source is not None
    text = files["sources/" + source.get("plainTextPath", "").removeprefix("internal://")].decode("utf-8")
    assert "\r" not in text
    codes = codes_by_guid(project)
    coded: dict[str, list[str]] = {}
    for sel in source.findall("q:PlainTextSelection", Q):
        start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
        target = sel.find("q:Coding/q:CodeRef", Q)
        assert target is not None
        coded.setdefault(code_path(codes[target.get("targetGUID")]), []).append(text[start:end])
    assert coded["Presence / Silence"] == ["(6.2, silence candidate)"]
    assert coded["Review / Long pause without emotional trigger"] == ["(5.5)"]
    assert coded["Speaker roles / Parent"] == [
        "Parent 1: Is she going to be okay?",
        "Parent 1: Ok (2.6) then we will see you next week.",
    ]
    assert coded["Speaker roles / Oncologist"][-1] == "Oncologist: Zoë's café drawing — let me show you the scan."
    for sug in transcript.code_suggestions:
        theme, name = sug.code.split(" / ")
        assert sug.text in coded[f"Suggested / {theme} / {name} (suggested)"]
    assert len(coded["Suggested / Partnering / Non-abandonment (suggested)"]) == 2


def test_silence_description_names_trigger_duration_and_who_broke_it() -> None:
    project, _ = unpack(export(sample_transcript(), "qdpx").content)
    (sel,) = [s for s in project.iterfind(".//q:PlainTextSelection", Q) if s.get("name", "").startswith("Silence")]
    description = sel.findtext("q:Description", namespaces=Q) or ""
    assert "6.2 s" in description and "Is she going to be okay" in description
    assert "Fell silent: Parent 1" in description and "Broke the silence: Oncologist" in description


def test_same_transcript_gives_the_same_bytes() -> None:
    assert export(sample_transcript(), "qdpx").content == export(sample_transcript(), "qdpx").content


def test_audio_source_with_synced_transcript_when_the_recording_matches(tmp_path: Path) -> None:
    audio = tmp_path / "consult.wav"
    audio.write_bytes(b"RIFF-not-really-audio")
    transcript = sample_transcript()
    with pytest.raises(InvalidOptionError, match="not the one this transcript was made from"):
        export(transcript, "qdpx", ExportOptions(audio_path=audio))
    recording = transcript.recording.model_copy(update={"sha256": hashlib.sha256(audio.read_bytes()).hexdigest()})
    matched = transcript.model_copy(update={"recording": recording})
    project, files = unpack(export(matched, "qdpx", ExportOptions(audio_path=audio)).content)
    source = project.find("q:Sources/q:AudioSource", Q)
    assert source is not None and files["sources/" + source.get("path", "").removeprefix("internal://")] == audio.read_bytes()
    sync = source.findall("q:Transcript/q:SyncPoint", Q)
    assert (0, 500) in {(int(p.get("position", "")), int(p.get("timeStamp", ""))) for p in sync}
    (silence,) = source.findall("q:AudioSelection", Q)
    assert (silence.get("begin"), silence.get("end")) == ("11000", "17200")
