"""REFI-QDA project (.qdpx): the transcript, the alliance codebook, and the coding coders start from.

A ZIP holding project.qde (QDA-XML 1.0, validated against data/Project.xsd before it is
returned) and a lowercase sources/ folder. Selections count Unicode characters in the exact text
written (LF line endings). Code GUIDs derive from code names, so projects exported from different
sessions share one code system when a QDA tool merges them.

Importers dereference attributes the schema calls optional (QualCoder reads creationDateTime on a
Transcript and calls .replace on it; it names a coding's owner from the selection's creatingUser),
so every element that can carry creation and modification times and users carries them. What a
coder decided is read through ``silence_statuses`` and ``coded_suggestions``: a confirmed Silence
and an accepted suggestion are codings owned by that coder, at the time they decided.
"""

from __future__ import annotations

import functools
import hashlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .. import __version__
from ..analysis.suggestions import load_rules
from ..codebook import load_codebook
from ..errors import EngineError, InvalidOptionError
from ..review.decisions import coded_suggestions, silence_statuses
from ..schema import ROLES, SILENCE_CODE, ReviewDecision, Transcript
from .authorship import Made, ProjectAuthors, by_coder, guid, user_guid
from .base import ExportOptions
from .document import RenderedDocument, RenderedPause, render, role_label

NS = "urn:QDA-XML:project:1.0"
XSD = Path(__file__).with_name("data") / "Project.xsd"
REVIEW_CODE = "Long pause without emotional trigger"
SUGGESTED_SUFFIX = " (suggested)"
_UNSAFE_IN_NAME = str.maketrans({c: "_" for c in '/\\:*?"<>|'})
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed entry times: the same transcript gives the same bytes


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


def file_name(title: str, extension: str) -> str:
    """A source name importers can use as a file name: the title with its real extension."""
    safe = " ".join(title.translate(_UNSAFE_IN_NAME).split()).strip(". ") or "Consultation"
    return f"{safe}.{extension}"


@dataclass(frozen=True)
class _Selection:
    start: int
    end: int
    name: str
    code_guid: str
    description: str
    made: Made


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
        who = ProjectAuthors.of(transcript)
        made = who.automatic
        project = _el(
            "Project",
            name=options.title,
            origin=f"alliance {__version__}",
            creatingUserGUID=made.user,
            creationDateTime=made.at,
            modifyingUserGUID=made.modified_by,
            modifiedDateTime=made.modified_at,
        )
        users = _el("Users", project)
        for name in who.users:
            _el("User", users, guid=user_guid(name), name=name)
        _codebook(_el("CodeBook", project))
        sources = _el("Sources", project)
        text_source = _el(
            "TextSource",
            sources,
            guid=source_guid,
            name=file_name(options.title, "txt"),
            plainTextPath=f"internal://{source_guid}.txt",
            **made.attrs(),
        )
        _el("Description", text_source, text=f"Transcript {key[:12]}, schema {transcript.schema_version}, written by alliance.")
        for sel in sorted(_selections(transcript, document, made), key=lambda s: (s.start, s.end, s.name)):
            node = _el(
                "PlainTextSelection",
                text_source,
                guid=guid(key, "sel", sel.name, str(sel.start), sel.code_guid),
                name=sel.name,
                startPosition=str(sel.start),
                endPosition=str(sel.end),
                **sel.made.attrs(),
            )
            _el("Description", node, text=sel.description)
            coding = _el("Coding", node, guid=guid(key, "coding", sel.name, str(sel.start), sel.code_guid), **sel.made.coding())
            _el("CodeRef", coding, targetGUID=sel.code_guid)
        if options.audio_path is not None:
            files.update(_audio_source(sources, transcript, document, options, made))
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
            # Names are unique across the whole tree: QualCoder keeps one category per name, so a
            # sub-category named like its theme would pour the suggestions into the real codebook.
            theme_el = _code(suggested, f"Suggested / {theme.name}", theme.name + SUGGESTED_SUFFIX, False)
            for code in wanted:
                _code(theme_el, f"Suggested / {code.path}", code.name + SUGGESTED_SUFFIX, True, code.description)


def _selections(transcript: Transcript, document: RenderedDocument, automatic: Made) -> Iterable[_Selection]:
    for turn in document.turns:
        yield _Selection(
            turn.start,
            turn.end,
            f"{turn.label} at {turn.start_s:.1f} s",
            code_guid(f"Speaker roles / {turn.role}"),
            f"Turn by {turn.label} ({role_label(turn.role)}), {turn.start_s:.1f}-{turn.end_s:.1f} s.",
            automatic,
        )
    labels = {t.speaker_id: t.label for t in document.turns}
    for rp in document.pauses:
        decision = rp.status.decision if rp.status is not None else None
        if rp.is_silence and decision is not None:
            yield _Selection(
                rp.start,
                rp.end,
                f"Silence {rp.pause.duration_s:.1f} s",
                code_guid(SILENCE_CODE),
                _confirmed_description(rp, decision, labels),
                by_coder(decision),
            )
        elif rp.candidate is not None:
            yield _Selection(
                rp.start,
                rp.end,
                f"Silence candidate {rp.pause.duration_s:.1f} s",
                code_guid(SILENCE_CODE),
                _silence_description(rp, labels) + (_unsure(decision) if decision is not None else ""),
                automatic,
            )
        elif rp.open_long_pause is not None:
            yield _Selection(
                rp.start,
                rp.end,
                f"Long pause {rp.pause.duration_s:.1f} s",
                code_guid(f"Review / {REVIEW_CODE}"),
                f"{rp.pause.duration_s:.1f} s pause at {rp.pause.start_s:.1f} s with no emotional trigger: "
                "check whether it is a Silence.",
                automatic,
            )
    accepted = _suggestion_decisions(transcript)
    for sug, is_coding in coded_suggestions(transcript):
        rendered = document.segments.get(sug.segment_id)
        if rendered is None:
            continue
        start, end = rendered.doc_offset(sug.start_char), rendered.doc_offset(sug.end_char, end=True)
        decision = accepted.get(sug.id)
        if is_coding and decision is not None:
            yield _Selection(
                start,
                end,
                sug.code,
                code_guid(sug.code),
                f"Coded by {decision.coder} on {decision.decided_at:%Y-%m-%d}, accepting the suggestion of rule "
                f"{sug.rule} ('{sug.text}')." + (f" Note: {decision.note}" if decision.note else ""),
                by_coder(decision),
            )
        else:
            yield _Selection(
                start,
                end,
                f"Suggested: {sug.code}",
                code_guid(f"Suggested / {sug.code}"),
                f"Suggestion (not a code): rule {sug.rule} matched '{sug.text}', confidence {sug.confidence:.2f}. "
                "Accept by recoding with the codebook code, or delete.",
                automatic,
            )


def _suggestion_decisions(transcript: Transcript) -> dict[str, ReviewDecision]:
    """The linked decision on each suggestion (who accepted it and when), as link_decisions left it."""
    if transcript.review is None:
        return {}
    return {
        d.suggestion_id: d
        for d in transcript.review.decisions
        if d.target == "suggestion" and not d.orphaned and d.suggestion_id is not None
    }


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


def _unsure(decision: ReviewDecision) -> str:
    return f" Marked unsure by {decision.coder}" + (f": {decision.note}" if decision.note else ".")


def _confirmed_description(rp: RenderedPause, decision: ReviewDecision, labels: dict[str, str]) -> str:
    p = rp.pause
    found = "marked as a Silence the detector missed" if rp.status is None or rp.status.candidate is None else "confirmed"
    before = labels.get(p.speaker_before or "", p.speaker_before or "nobody")
    after = labels.get(p.speaker_after or "", p.speaker_after or "nobody (the recording ended)")
    return (
        f"Silence: {p.duration_s:.1f} s pause at {p.start_s:.1f} s, {found} by {decision.coder} on "
        f"{decision.decided_at:%Y-%m-%d}. Fell silent: {before}. Broke the silence: {after}."
        + (f" Note: {decision.note}" if decision.note else "")
    )


def _audio_source(
    sources: etree._Element, transcript: Transcript, document: RenderedDocument, options: ExportOptions, automatic: Made
) -> dict[str, bytes]:
    """The recording as an audio source, its transcript synchronised at every turn and pause, silences coded on the audio."""
    audio = options.audio_path
    assert audio is not None
    key = transcript.recording.sha256
    try:
        data = audio.read_bytes()
    except OSError as exc:
        raise InvalidOptionError(f"the recording to embed could not be read ({exc.strerror})") from exc
    if hashlib.sha256(data).hexdigest() != key:
        raise InvalidOptionError("the recording to embed is not the one this transcript was made from (SHA-256 differs)")
    audio_guid, transcript_guid = guid(key, "audio-source"), guid(key, "audio-transcript")
    ext = (audio.suffix.lower().lstrip(".") or "audio")[:8]
    audio_name = file_name(options.title, ext)
    node = _el(
        "AudioSource", sources, guid=audio_guid, name=audio_name, path=f"internal://{audio_guid}.{ext}", **automatic.attrs()
    )
    # QualCoder files the transcript as '<audio name>.txt'; naming it so keeps one name everywhere.
    tr = _el(
        "Transcript",
        node,
        guid=transcript_guid,
        name=f"{audio_name}.txt",
        plainTextPath=f"internal://{transcript_guid}.txt",
        **automatic.attrs(),
    )
    points: list[tuple[int, int]] = [(t.start, round(t.start_s * 1000)) for t in document.turns]
    points += [(t.end, round(t.end_s * 1000)) for t in document.turns]
    points += [(p.start, round(p.pause.start_s * 1000)) for p in document.pauses]
    points += [(p.end, round(p.pause.end_s * 1000)) for p in document.pauses]
    for position, millis in sorted(set(points)):
        _el("SyncPoint", tr, guid=guid(key, "sync", str(position), str(millis)), timeStamp=str(millis), position=str(position))
    for status in silence_statuses(transcript):
        if not (status.is_silence or status.is_open_candidate):
            continue  # rejected: an ordinary pause
        pause, c = status.pause, status.candidate
        made = by_coder(status.decision) if status.is_silence and status.decision else automatic
        kind = "Silence" if status.is_silence else "Silence candidate"
        sel = _el(
            "AudioSelection",
            node,
            guid=guid(key, "audio-sel", pause.id if status.is_silence else (c.id if c else pause.id), kind),
            name=f"{kind} {pause.duration_s:.1f} s",
            begin=str(round(pause.start_s * 1000)),
            end=str(round(pause.end_s * 1000)),
            **made.attrs(),
        )
        if status.is_silence and status.decision is not None:
            text = f"Silence confirmed by {status.decision.coder}." + (
                f" Note: {status.decision.note}" if status.decision.note else ""
            )
        else:
            assert c is not None
            text = f"Silence candidate after {', '.join(c.trigger_categories)} in {c.trigger_segment}."
        _el("Description", sel, text=text)
        coding = _el("Coding", sel, guid=guid(key, "audio-coding", pause.id, kind), **made.coding())
        _el("CodeRef", coding, targetGUID=code_guid(SILENCE_CODE))
    return {f"sources/{audio_guid}.{ext}": data, f"sources/{transcript_guid}.txt": document.text.encode("utf-8")}
