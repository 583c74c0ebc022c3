"""REFI-QDA project (.qdpx): the transcript, the alliance codebook, and the coding coders start from.

A ZIP holding project.qde (QDA-XML 1.0, validated against data/Project.xsd before it is
returned) and a lowercase sources/ folder. Selections count Unicode characters in the exact text
written (LF line endings). Code GUIDs derive from code names, so projects exported from different
sessions share one code system when a QDA tool merges them.
"""

from __future__ import annotations

import functools
import hashlib
import io
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .. import __version__
from ..analysis.suggestions import load_rules
from ..codebook import load_codebook
from ..errors import EngineError, InvalidOptionError
from ..schema import ROLES, SILENCE_CODE, Transcript
from .base import ExportOptions
from .document import RenderedDocument, RenderedPause, render, role_label

NS = "urn:QDA-XML:project:1.0"
XSD = Path(__file__).with_name("data") / "Project.xsd"
_GUIDS = uuid.UUID("6f1d3c2e-9a4b-5c7d-8e0f-a1b2c3d4e5f6")
REVIEW_CODE = "Long pause without emotional trigger"
SUGGESTED_SUFFIX = " (suggested)"
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed entry times: the same transcript gives the same bytes


def guid(*parts: str) -> str:
    return str(uuid.uuid5(_GUIDS, "\x1f".join(parts)))


def _el(tag: str, parent: etree._Element | None = None, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.Element(f"{{{NS}}}{tag}", nsmap={None: NS}) if parent is None else etree.SubElement(parent, f"{{{NS}}}{tag}")
    for key, value in attrs.items():
        element.set(key, value)
    if text is not None:
        element.text = text
    return element


@functools.lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def validate(qde: bytes) -> None:
    """Raise EngineError when project.qde does not satisfy the REFI-QDA schema (a bug of ours, never the user's)."""
    schema = _schema()
    if not schema.validate(etree.fromstring(qde)):
        raise EngineError(f"the REFI-QDA project failed schema validation: {schema.error_log.last_error}")


@dataclass(frozen=True)
class _Selection:
    start: int
    end: int
    name: str
    code_guid: str
    description: str


class QdpxExporter:
    name = "qdpx"
    extension = "qdpx"
    media_type = "application/zip"
    description = "REFI-QDA project: transcript, alliance codebook, role coding, silences, suggestions"

    def render(self, transcript: Transcript, options: ExportOptions) -> bytes:
        document = render(transcript, options.pause_threshold_s)
        key = transcript.recording.sha256
        source_guid = guid(key, "text-source")
        files: dict[str, bytes] = {f"sources/{source_guid}.txt": document.text.encode("utf-8")}
        project = _el(
            "Project",
            name=options.title,
            origin=f"alliance {__version__}",
            creationDateTime=transcript.provenance.created_at.isoformat(),
        )
        user_guid = guid("user", "alliance")
        users = _el("Users", project)
        _el("User", users, guid=user_guid, name="alliance (automatic)")
        project.set("creatingUserGUID", user_guid)
        _codebook(_el("CodeBook", project))
        sources = _el("Sources", project)
        text_source = _el(
            "TextSource", sources, guid=source_guid, name=options.title, plainTextPath=f"internal://{source_guid}.txt"
        )
        _el("Description", text_source, text=f"Transcript {key[:12]}, schema {transcript.schema_version}, written by alliance.")
        for sel in sorted(_selections(transcript, document), key=lambda s: (s.start, s.end, s.name)):
            node = _el(
                "PlainTextSelection",
                text_source,
                guid=guid(key, "sel", sel.name, str(sel.start), sel.code_guid),
                name=sel.name,
                startPosition=str(sel.start),
                endPosition=str(sel.end),
            )
            _el("Description", node, text=sel.description)
            coding = _el("Coding", node, guid=guid(key, "coding", sel.name, str(sel.start), sel.code_guid))
            _el("CodeRef", coding, targetGUID=sel.code_guid)
        if options.audio_path is not None:
            files.update(_audio_source(sources, transcript, document, options.audio_path))
        qde = etree.tostring(project, xml_declaration=True, encoding="utf-8", pretty_print=True)
        validate(qde)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in [("project.qde", qde), *sorted(files.items())]:
                archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
        return buffer.getvalue()


def code_guid(path: str) -> str:
    return guid("code", path)


def _code(
    parent: etree._Element, path: str, name: str, codable: bool, description: str = "", color: str | None = None
) -> etree._Element:
    attrs = {"guid": code_guid(path), "name": name, "isCodable": "true" if codable else "false"}
    if color:
        attrs["color"] = color
    node = _el("Code", parent, **attrs)
    if description:
        _el("Description", node, text=description)
    return node


def _codebook(codebook_el: etree._Element) -> None:
    codes = _el("Codes", codebook_el)
    book = load_codebook()
    for theme in book.themes:
        theme_el = _code(codes, theme.name, theme.name, False, theme.description, theme.color)
        for code in theme.codes:
            _code(theme_el, code.path, code.name, True, code.description)
    roles = _code(codes, "Speaker roles", "Speaker roles", False, "Each turn is coded with its speaker's role.", "#999999")
    for role in (*ROLES, "unknown"):
        _code(roles, f"Speaker roles / {role}", role_label(role), True)
    review = _code(codes, "Review", "Review", False, "Automatic findings for a coder to check.", "#777777")
    _code(
        review,
        f"Review / {REVIEW_CODE}",
        REVIEW_CODE,
        True,
        "A pause of Silence length with no emotional content just before it: check whether it is a Silence.",
    )
    suggested = _code(
        codes,
        "Suggested",
        "Suggested",
        False,
        "Codes suggested by lexical rules. Suggestions, not codes: accept (recode) or delete them.",
        "#BBBBBB",
    )
    suggested_codes = {r.code for r in load_rules()}
    for theme in book.themes:
        wanted = [c for c in theme.codes if c.path in suggested_codes]
        if wanted:
            theme_el = _code(suggested, f"Suggested / {theme.name}", theme.name, False)
            for code in wanted:
                _code(theme_el, f"Suggested / {code.path}", code.name + SUGGESTED_SUFFIX, True, code.description)


def _selections(transcript: Transcript, document: RenderedDocument) -> Iterable[_Selection]:
    for turn in document.turns:
        yield _Selection(
            turn.start,
            turn.end,
            f"{turn.label} at {turn.start_s:.1f} s",
            code_guid(f"Speaker roles / {turn.role}"),
            f"Turn by {turn.label} ({role_label(turn.role)}), {turn.start_s:.1f}-{turn.end_s:.1f} s.",
        )
    labels = {t.speaker_id: t.label for t in document.turns}
    for rp in document.pauses:
        if rp.candidate is not None:
            yield _Selection(
                rp.start,
                rp.end,
                f"Silence candidate {rp.pause.duration_s:.1f} s",
                code_guid(SILENCE_CODE),
                _silence_description(rp, labels),
            )
        elif rp.long_pause is not None:
            yield _Selection(
                rp.start,
                rp.end,
                f"Long pause {rp.pause.duration_s:.1f} s",
                code_guid(f"Review / {REVIEW_CODE}"),
                f"{rp.pause.duration_s:.1f} s pause at {rp.pause.start_s:.1f} s with no emotional trigger: "
                "check whether it is a Silence.",
            )
    for sug in transcript.code_suggestions:
        rendered = document.segments.get(sug.segment_id)
        if rendered is None:
            continue
        start, end = rendered.doc_offset(sug.start_char), rendered.doc_offset(sug.end_char, end=True)
        yield _Selection(
            start,
            end,
            f"Suggested: {sug.code}",
            code_guid(f"Suggested / {sug.code}"),
            f"Suggestion (not a code): rule {sug.rule} matched '{sug.text}', confidence {sug.confidence:.2f}. "
            "Accept by recoding with the codebook code, or delete.",
        )


def _silence_description(rp: RenderedPause, labels: dict[str, str]) -> str:
    c = rp.candidate
    assert c is not None
    cues = "; ".join(f"'{cue}'" for cue in c.trigger_cues) or "none"
    fell = labels.get(c.fell_silent or "", c.fell_silent or "nobody")
    broke = labels.get(c.broke_silence or "", c.broke_silence or "nobody (the recording ended)")
    return (
        f"Silence candidate: {c.duration_s:.1f} s pause at {c.start_s:.1f} s after emotional content "
        f"({', '.join(c.trigger_categories)}) in {c.trigger_segment}, cues {cues}. Fell silent: {fell}. "
        f"Broke the silence: {broke}"
        + (f", '{c.breaking_words}'" if c.breaking_words else "")
        + f". Response: {c.response}. Confidence {c.confidence:.2f}. Confirm or reject."
    )


def _audio_source(sources: etree._Element, transcript: Transcript, document: RenderedDocument, audio: Path) -> dict[str, bytes]:
    """The recording as an audio source, its transcript synchronised at every turn and pause, silences coded on the audio."""
    key = transcript.recording.sha256
    try:
        data = audio.read_bytes()
    except OSError as exc:
        raise InvalidOptionError(f"the recording to embed could not be read ({exc.strerror})") from exc
    if hashlib.sha256(data).hexdigest() != key:
        raise InvalidOptionError("the recording to embed is not the one this transcript was made from (SHA-256 differs)")
    audio_guid, transcript_guid = guid(key, "audio-source"), guid(key, "audio-transcript")
    ext = (audio.suffix.lower().lstrip(".") or "audio")[:8]
    node = _el("AudioSource", sources, guid=audio_guid, name="Recording", path=f"internal://{audio_guid}.{ext}")
    tr = _el("Transcript", node, guid=transcript_guid, name="Transcript", plainTextPath=f"internal://{transcript_guid}.txt")
    points: list[tuple[int, int]] = [(t.start, round(t.start_s * 1000)) for t in document.turns]
    points += [(t.end, round(t.end_s * 1000)) for t in document.turns]
    points += [(p.start, round(p.pause.start_s * 1000)) for p in document.pauses]
    points += [(p.end, round(p.pause.end_s * 1000)) for p in document.pauses]
    for position, millis in sorted(set(points)):
        _el("SyncPoint", tr, guid=guid(key, "sync", str(position), str(millis)), timeStamp=str(millis), position=str(position))
    for c in transcript.silence_candidates:
        sel = _el(
            "AudioSelection",
            node,
            guid=guid(key, "audio-sel", c.id),
            name=f"Silence candidate {c.duration_s:.1f} s",
            begin=str(round(c.start_s * 1000)),
            end=str(round(c.end_s * 1000)),
        )
        _el("Description", sel, text=f"Silence candidate after {', '.join(c.trigger_categories)} in {c.trigger_segment}.")
        coding = _el("Coding", sel, guid=guid(key, "audio-coding", c.id))
        _el("CodeRef", coding, targetGUID=code_guid(SILENCE_CODE))
    return {f"sources/{audio_guid}.{ext}": data, f"sources/{transcript_guid}.txt": document.text.encode("utf-8")}
