"""A REFI-QDA project walker that goes beyond the XSD: what importers rely on without the schema saying so.

Modelled on what QualCoder's REFI import (src/qualcoder/refi.py) dereferences: it calls
``.replace`` on a Transcript's, a Note's and a picture selection's ``creationDateTime`` (falling back
to ``modifiedDateTime``) with no None check; it names every coding's owner from the selection's
``creatingUser`` looked up in ``<Users>`` ("default" when missing); it keeps one code and one
category per name (a second one with the same name is silently merged into the first); and it
stores sources under their ``name``, so a name without an extension becomes a file without one.
"""

from __future__ import annotations

import io
import pathlib
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path

from lxml import etree

from audio_pipeline.export.qdpx import NS

Q = {"q": NS}
XSD = Path(__file__).resolve().parents[3] / "audio_pipeline" / "export" / "data" / "Project.xsd"
# Elements whose creation/modification attributes an importer reads, and which must therefore carry them.
AUTHORED = ("TextSource", "AudioSource", "Transcript", "PlainTextSelection", "AudioSelection", "Note")
SOURCES = {"TextSource": "plainTextPath", "AudioSource": "path", "Transcript": "plainTextPath"}


def unpack(data: bytes) -> tuple[etree._Element, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return etree.fromstring(files["project.qde"]), files


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _importer_date(value: str | None) -> datetime:
    """What QualCoder does with a timestamp: strip 'T' and 'Z', store it as 'YYYY-MM-DD HH:MM:SS'."""
    assert value is not None, "an importer dereferences this timestamp"
    return datetime.strptime(value.replace("T", " ").replace("Z", ""), "%Y-%m-%d %H:%M:%S")


def problems(project: etree._Element, files: dict[str, bytes]) -> list[str]:
    """Everything an importer would trip over or silently get wrong; empty when the project is clean."""
    found: list[str] = []
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    if not schema.validate(project):
        found.append(f"schema: {schema.error_log.last_error}")
    codes = list(project.iterfind(".//q:CodeBook//q:Code", Q))
    for name, n in Counter(c.get("name") for c in codes).items():
        if n > 1:
            found.append(f"code name {name!r} is used {n} times in the code tree")
    codable = {c.get("guid") for c in codes if c.get("isCodable") == "true"}
    users = {u.get("guid") for u in project.iterfind("q:Users/q:User", Q)}
    for attr in ("creatingUserGUID", "modifyingUserGUID"):
        if project.get(attr) not in users:
            found.append(f"Project {attr} is not in <Users>")
    for attr in ("creationDateTime", "modifiedDateTime"):
        try:
            _importer_date(project.get(attr))
        except (AssertionError, ValueError) as exc:
            found.append(f"Project {attr}: {exc}")
    for element in project.iter(f"{{{NS}}}*"):
        tag = _local(element)
        if tag in AUTHORED:
            for attr in ("creatingUser", "modifyingUser"):
                if element.get(attr) not in users:
                    found.append(f"{tag} {element.get('name')!r}: {attr} {element.get(attr)!r} is not in <Users>")
            for attr in ("creationDateTime", "modifiedDateTime"):
                try:
                    _importer_date(element.get(attr))
                except (AssertionError, ValueError) as exc:
                    found.append(f"{tag} {element.get('name')!r}: {attr}: {exc}")
        if tag == "Coding":
            if element.get("creatingUser") not in users:
                found.append(f"a Coding's creatingUser {element.get('creatingUser')!r} is not in <Users>")
            if element.get("creatingUser") != element.getparent().get("creatingUser"):
                found.append("a Coding and its selection name different creating users")
            try:
                _importer_date(element.get("creationDateTime"))
            except (AssertionError, ValueError) as exc:
                found.append(f"a Coding's creationDateTime: {exc}")
            for ref in element.iterfind("q:CodeRef", Q):
                if ref.get("targetGUID") not in codable:
                    found.append(f"a Coding refers to {ref.get('targetGUID')}, not a codable code")
        if tag in SOURCES:
            name = element.get("name") or ""
            path = element.get(SOURCES[tag]) or ""
            stored = path.removeprefix("internal://")
            suffix = pathlib.PurePath(stored).suffix
            if not pathlib.PurePath(name).suffix:
                found.append(f"{tag} {name!r} has no file extension")
            elif pathlib.PurePath(name).suffix.lower() != suffix.lower():
                found.append(f"{tag} {name!r} does not end in its file's extension {suffix!r}")
            if f"sources/{stored}" not in files:
                found.append(f"{tag} {name!r}: {path} is not in the archive")
        if tag == "SyncPoint":
            transcript = element.getparent()
            text = files.get("sources/" + (transcript.get("plainTextPath") or "").removeprefix("internal://"), b"")
            if not 0 <= int(element.get("position", "-1")) <= len(text.decode("utf-8")):
                found.append("a SyncPoint lies outside its transcript")
    return found
