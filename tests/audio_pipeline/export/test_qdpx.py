"""The REFI-QDA project: valid against the schema, clean for importers beyond it, every coding on exactly its text."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from lxml import etree

from audio_pipeline.errors import InvalidOptionError
from audio_pipeline.export import ExportOptions, export
from audio_pipeline.export.authorship import AUTOMATIC_USER
from audio_pipeline.export.qdpx import NS, file_name
from audio_pipeline.schema import Transcript

from .qdpx_check import Q, problems, unpack
from .transcripts import CODER, reviewed_transcript, sample_transcript

SHARED_XSD = Path(__file__).resolve().parents[4] / "shared" / "specs" / "refi-qda" / "Project.xsd"
SHIPPED_XSD = Path(__file__).resolve().parents[3] / "audio_pipeline" / "export" / "data" / "Project.xsd"


def codes_by_guid(project: etree._Element) -> dict[str, etree._Element]:
    return {c.get("guid"): c for c in project.iterfind(".//q:Code", Q)}


def code_path(code: etree._Element) -> str:
    names = [code.get("name")]
    parent = code.getparent()
    while parent is not None and parent.tag == f"{{{NS}}}Code":
        names.insert(0, parent.get("name"))
        parent = parent.getparent()
    return " / ".join(names)


def users_by_guid(project: etree._Element) -> dict[str, str]:
    return {u.get("guid"): u.get("name") for u in project.iterfind("q:Users/q:User", Q)}


def coded_text(transcript: Transcript) -> dict[str, list[tuple[str, str, str]]]:
    """Code path to (covered text, creating user's name, creation time) for every text coding."""
    project, files = unpack(export(transcript, "qdpx").content)
    assert problems(project, files) == []
    source = project.find("q:Sources/q:TextSource", Q)
    assert source is not None
    text = files["sources/" + source.get("plainTextPath", "").removeprefix("internal://")].decode("utf-8")
    assert "\r" not in text
    codes, users = codes_by_guid(project), users_by_guid(project)
    coded: dict[str, list[tuple[str, str, str]]] = {}
    for sel in source.findall("q:PlainTextSelection", Q):
        start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
        coding = sel.find("q:Coding", Q)
        target = sel.find("q:Coding/q:CodeRef", Q)
        assert coding is not None and target is not None
        who = users[coding.get("creatingUser")]
        coded.setdefault(code_path(codes[target.get("targetGUID")]), []).append(
            (text[start:end], who, coding.get("creationDateTime", ""))
        )
    return coded


def texts(coded: dict[str, list[tuple[str, str, str]]], code: str) -> list[str]:
    return [t for t, _, _ in coded.get(code, [])]


def test_zip_layout_schema_validity_and_the_importer_walk() -> None:
    project, files = unpack(export(sample_transcript(), "qdpx").content)
    assert "project.qde" in files
    assert all(name == "project.qde" or name.startswith("sources/") for name in files)
    xsd = SHARED_XSD if SHARED_XSD.exists() else SHIPPED_XSD
    etree.XMLSchema(etree.parse(str(xsd))).assertValid(project)
    if SHARED_XSD.exists():
        assert SHARED_XSD.read_bytes() == SHIPPED_XSD.read_bytes()
    assert problems(project, files) == []


def test_the_walker_catches_what_the_schema_lets_through() -> None:
    project, files = unpack(export(sample_transcript(), "qdpx").content)
    suggested = next(c for c in project.iterfind(".//q:Code", Q) if c.get("name") == "Empathy (suggested)")
    suggested.set("name", "Empathy")  # the old layout: a sub-category named like its theme
    transcript_less = project.find("q:Sources/q:TextSource", Q)
    assert transcript_less is not None
    transcript_less.set("name", "Consultation")
    del transcript_less.attrib["creationDateTime"], transcript_less.attrib["modifiedDateTime"]
    coding = next(project.iterfind(".//q:Coding", Q))
    coding.set("creatingUser", "00000000-0000-0000-0000-000000000000")
    found = "\n".join(problems(project, files))
    assert "code name 'Empathy' is used 2 times" in found
    assert "has no file extension" in found
    assert "creationDateTime: an importer dereferences this timestamp" in found
    assert "a Coding's creatingUser" in found


def test_codebook_themes_codes_roles_review_and_a_suggested_branch_with_unique_names() -> None:
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
    assert {c.get("name") for c in suggested.findall("q:Code", Q)} == {
        "Empathy (suggested)", "Honesty (suggested)", "Inclusivity (suggested)", "Partnering (suggested)",
    }  # fmt: skip
    assert all(c.get("name", "").endswith("(suggested)") for c in suggested.iterfind(".//q:Code", Q))
    names = [c.get("name") for c in project.iterfind(".//q:Code", Q)]
    assert len(names) == len(set(names))


def test_every_coded_selection_covers_exactly_the_intended_text_by_the_automatic_coder() -> None:
    transcript = sample_transcript()
    coded = coded_text(transcript)
    assert texts(coded, "Presence / Silence") == ["(6.2, silence candidate)"]
    assert texts(coded, "Review / Long pause without emotional trigger") == ["(5.5)"]
    assert texts(coded, "Speaker roles / Parent") == [
        "Parent 1: Is she going to be okay?",
        "Parent 1: Ok (2.6) then we will see you next week.",
    ]
    assert texts(coded, "Speaker roles / Oncologist")[-1] == "Oncologist: Zoë's café drawing — let me show you the scan."
    for sug in transcript.code_suggestions:
        theme, name = sug.code.split(" / ")
        assert sug.text in texts(coded, f"Suggested / {theme} (suggested) / {name} (suggested)")
    assert len(texts(coded, "Suggested / Partnering (suggested) / Non-abandonment (suggested)")) == 2
    assert {(who, when) for entries in coded.values() for _, who, when in entries} == {(AUTOMATIC_USER, "2026-11-22T12:00:00Z")}


def test_confirmed_and_coder_added_silences_and_accepted_suggestions_are_the_coders_codings() -> None:
    coded = coded_text(reviewed_transcript("confirmed"))
    assert coded["Presence / Silence"] == [
        ("(6.2, Silence)", CODER, "2026-11-28T09:30:00Z"),
        ("(5.5, Silence)", CODER, "2026-11-28T09:31:00Z"),  # the pause the detector missed
    ]
    assert "Review / Long pause without emotional trigger" not in coded, "decided: no longer for review"
    assert coded["Empathy / Saying sorry"] == [("I'm so sorry", CODER, "2026-11-28T09:33:00Z")]  # the real codebook code
    assert "I'm so sorry" not in texts(coded, "Suggested / Empathy (suggested) / Saying sorry (suggested)")
    assert "I'm afraid I" not in [t for code in coded if "Warning shot" in code for t in texts(coded, code)], "rejected: gone"
    assert texts(coded, "Suggested / Honesty (suggested) / Giving an opinion (suggested)") == ["I think"]  # undecided


def test_a_rejected_candidate_is_an_ordinary_pause_and_an_unsure_one_stays_a_candidate() -> None:
    rejected = coded_text(reviewed_transcript("rejected", add_missed=False))
    assert "Presence / Silence" not in rejected
    assert texts(rejected, "Review / Long pause without emotional trigger") == ["(5.5)"]
    unsure = reviewed_transcript("unsure", add_missed=False, note="hard to hear")
    assert texts(coded_text(unsure), "Presence / Silence") == ["(6.2, silence candidate)"]
    project, _ = unpack(export(unsure, "qdpx").content)
    (sel,) = [s for s in project.iterfind(".//q:PlainTextSelection", Q) if s.get("name", "").startswith("Silence")]
    assert (sel.findtext("q:Description", namespaces=Q) or "").endswith(f"Marked unsure by {CODER}: hard to hear")


def test_silence_descriptions_name_the_evidence_and_the_coders_decision() -> None:
    project, _ = unpack(export(sample_transcript(), "qdpx").content)
    (sel,) = [s for s in project.iterfind(".//q:PlainTextSelection", Q) if s.get("name", "").startswith("Silence")]
    description = sel.findtext("q:Description", namespaces=Q) or ""
    assert "6.2 s" in description and "Is she going to be okay" in description
    assert "Fell silent: Parent 1" in description and "Broke the silence: Oncologist" in description
    project, _ = unpack(export(reviewed_transcript("confirmed"), "qdpx").content)
    described = {
        s.get("name"): s.findtext("q:Description", namespaces=Q) or "" for s in project.iterfind(".//q:PlainTextSelection", Q)
    }
    assert f"confirmed by {CODER} on 2026-11-28" in described["Silence 6.2 s"]
    assert described["Silence 6.2 s"].endswith("Note: gave the parent space")
    assert "the detector missed" in described["Silence 5.5 s"]


def test_users_list_the_automatic_coder_and_every_human_coder() -> None:
    project, _ = unpack(export(reviewed_transcript(), "qdpx").content)
    assert sorted(users_by_guid(project).values()) == sorted([AUTOMATIC_USER, CODER])
    assert users_by_guid(project)[project.get("modifyingUserGUID")] == CODER
    assert project.get("modifiedDateTime") == "2026-11-28T09:33:00Z"
    source = project.find("q:Sources/q:TextSource", Q)
    assert source is not None and source.get("name") == "Consultation.txt"


def test_same_transcript_gives_the_same_bytes() -> None:
    assert export(sample_transcript(), "qdpx").content == export(sample_transcript(), "qdpx").content
    assert export(reviewed_transcript(), "qdpx").content == export(reviewed_transcript(), "qdpx").content


def _matched(transcript: Transcript, audio: Path) -> Transcript:
    recording = transcript.recording.model_copy(update={"sha256": hashlib.sha256(audio.read_bytes()).hexdigest()})
    return transcript.model_copy(update={"recording": recording})


def test_audio_source_with_synced_transcript_when_the_recording_matches(tmp_path: Path) -> None:
    audio = tmp_path / "consult.wav"
    audio.write_bytes(b"RIFF-not-really-audio")
    transcript = sample_transcript()
    with pytest.raises(InvalidOptionError, match="not the one this transcript was made from"):
        export(transcript, "qdpx", ExportOptions(audio_path=audio))
    options = ExportOptions(audio_path=audio, title="Session 12")
    project, files = unpack(export(_matched(transcript, audio), "qdpx", options).content)
    assert problems(project, files) == []
    source = project.find("q:Sources/q:AudioSource", Q)
    assert source is not None and files["sources/" + source.get("path", "").removeprefix("internal://")] == audio.read_bytes()
    assert source.get("name") == "Session 12.wav"
    (tr,) = source.findall("q:Transcript", Q)
    assert tr.get("name") == "Session 12.wav.txt" and tr.get("creationDateTime") == "2026-11-22T12:00:00Z"
    sync = tr.findall("q:SyncPoint", Q)
    assert (0, 500) in {(int(p.get("position", "")), int(p.get("timeStamp", ""))) for p in sync}
    (silence,) = source.findall("q:AudioSelection", Q)
    assert (silence.get("begin"), silence.get("end"), silence.get("name")) == ("11000", "17200", "Silence candidate 6.2 s")


def test_audio_codings_follow_the_decisions(tmp_path: Path) -> None:
    audio = tmp_path / "consult.wav"
    audio.write_bytes(b"RIFF-not-really-audio")
    options = ExportOptions(audio_path=audio)
    project, files = unpack(export(_matched(reviewed_transcript("confirmed"), audio), "qdpx", options).content)
    assert problems(project, files) == []
    users = users_by_guid(project)
    selections = project.findall("q:Sources/q:AudioSource/q:AudioSelection", Q)
    assert [(s.get("name"), s.get("begin"), users[s.get("creatingUser")]) for s in selections] == [
        ("Silence 6.2 s", "11000", CODER),
        ("Silence 5.5 s", "32000", CODER),
    ]
    rejected = _matched(reviewed_transcript("rejected", add_missed=False), audio)
    project, _ = unpack(export(rejected, "qdpx", options).content)
    assert project.findall("q:Sources/q:AudioSource/q:AudioSelection", Q) == []


def test_source_names_are_file_names_with_their_extension() -> None:
    assert file_name("Session 12", "txt") == "Session 12.txt"
    assert file_name("a/b:c*?", "wav") == "a_b_c__.wav"
    assert file_name("  ", "txt") == "Consultation.txt"
