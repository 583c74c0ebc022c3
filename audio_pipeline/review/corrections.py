"""Corrections a coder makes to a transcript: text, speaker, split, merge, role and label.

Applying one is pure (no audio): it returns a corrected copy whose words stay in order and inside
their segments, whose segment ids stay unique and whose speakers are recounted. The analysis
(pauses, emotion, roles of the other speakers, candidates) is then re-run by the caller.
Errors name the field at fault and never quote the transcript's text or a client-supplied id (PHI).
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..analysis.roles import LABELS, with_labels
from ..attribute import build_speakers
from ..errors import ReviewInputError
from ..schema import UNKNOWN_SPEAKER, Role, Segment, Speaker, Transcript, Word, word_offsets

# Speaker ids are short tokens such as "S4"; anything else is refused rather than stored.
_SPEAKER_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_MAX_LABEL = 60
_MAX_TEXT = 20_000
# Punctuation and case do not make a word "changed": "die" and "die." keep the recognizer's timing.
_KEY = re.compile(r"[^\w']+")


class _Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextEdit(_Correction):
    kind: Literal["text"] = "text"
    segment_id: str
    text: str


class SpeakerChange(_Correction):
    kind: Literal["speaker"] = "speaker"
    segment_id: str
    speaker_id: str = Field(description="An existing speaker, or a new id such as 'S4' that creates a speaker.")


class Split(_Correction):
    kind: Literal["split"] = "split"
    segment_id: str
    word_index: int = Field(description="The word at this index (0-based) starts the new segment.")


class Merge(_Correction):
    kind: Literal["merge"] = "merge"
    segment_id: str
    next_segment_id: str = Field(description="The segment right after segment_id in time; it is merged into it.")


class RoleChange(_Correction):
    kind: Literal["role"] = "role"
    speaker_id: str
    role: Role
    label: str | None = Field(None, description="Display label; None: the role's usual label.")


class LabelChange(_Correction):
    kind: Literal["label"] = "label"
    speaker_id: str
    label: str


Correction = Annotated[
    TextEdit | SpeakerChange | Split | Merge | RoleChange | LabelChange,
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[Correction] = TypeAdapter(Correction)
_KINDS = ("text", "speaker", "split", "merge", "role", "label")


def parse_correction(data: object) -> Correction:
    """A Correction from JSON-like data (the web page's request body); bad data is one ReviewInputError."""
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        kinds = ", ".join(_KINDS)
        # Messages never echo what the client sent (it may be transcript text): only our own names.
        if first["type"] in ("union_tag_invalid", "union_tag_not_found", "model_attributes_type", "dict_type"):
            raise ReviewInputError(f"kind: must be one of {kinds}") from exc
        if first["type"] == "extra_forbidden":
            raise ReviewInputError("kind: the correction has a field this kind does not take") from exc
        # The first element of the location is the union's tag ('split'); the field follows it.
        where = ".".join(str(p) for p in first["loc"][1:]) or "kind"
        raise ReviewInputError(f"{where}: {first['msg']}") from exc


def apply_correction(transcript: Transcript, correction: Correction) -> Transcript:
    """A corrected copy of the transcript; raises ReviewInputError naming the field that cannot be applied."""
    if isinstance(correction, TextEdit):
        edited = _edit_text(_segment(transcript, correction), correction.text)
        return _replace_segments(transcript, {edited.id: [edited]})
    if isinstance(correction, SpeakerChange):
        return _change_speaker(transcript, correction)
    if isinstance(correction, Split):
        return _split(transcript, correction)
    if isinstance(correction, Merge):
        return _merge(transcript, correction)
    if isinstance(correction, RoleChange):
        return _set_role(transcript, correction)
    return _set_label(transcript, correction)


# -- segments --------------------------------------------------------------------------------


def _segment(transcript: Transcript, correction: TextEdit | SpeakerChange | Split | Merge) -> Segment:
    for seg in transcript.segments:
        if seg.id == correction.segment_id:
            return seg
    raise ReviewInputError("segment_id: no segment of this transcript has this id")


def _key(token: str) -> str:
    return _KEY.sub("", token.lower()) or token


def _spread(tokens: list[str], start_s: float, end_s: float) -> list[tuple[float, float]]:
    """Times for new words over [start_s, end_s], in proportion to their length, in order."""
    weights = [len(t) + 1 for t in tokens]
    total = sum(weights)
    span = max(end_s - start_s, 0.0)
    times, at = [], start_s
    for weight in weights:
        end = min(at + span * weight / total, end_s)
        # Rounded to the millisecond like recognizer times, clamped so rounding never leaves the span.
        start = min(max(round(at, 3), start_s), end_s)
        times.append((start, min(max(round(end, 3), start), end_s)))
        at = end
    return times


def _edit_text(segment: Segment, text: str) -> Segment:
    """New text for a segment: unchanged words keep their timing; new or changed words share the time
    between the kept words around them (or the segment's edges), so words stay in order and inside."""
    tokens = text.split()
    if not tokens:
        raise ReviewInputError("text: a segment cannot be empty; merge it into its neighbour instead")
    if len(text) > _MAX_TEXT:
        raise ReviewInputError(f"text: longer than {_MAX_TEXT} characters")
    old = [w for w in segment.words if w.text.strip()]
    spaced = any(w.text.startswith(" ") for w in old[1:])
    matcher = difflib.SequenceMatcher(a=[_key(w.text.strip()) for w in old], b=[_key(t) for t in tokens], autojunk=False)
    words: list[Word] = []
    opcodes = matcher.get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            for kept, token in zip(old[i1:i2], tokens[j1:j2], strict=True):
                lead = " " if kept.text.startswith(" ") else ""
                words.append(kept.model_copy(update={"text": lead + token}))
            continue
        if op == "delete":
            continue
        # New words share the time between the words kept around them (or the segment's edges); a
        # replacement keeps to the replaced words' own time within that. An insertion between two
        # adjacent words has no time of its own: its words then sit at one instant, still in order.
        lower = words[-1].end_s if words else segment.start_s
        following = next((old[k1] for o, k1, _, _, _ in opcodes[index + 1 :] if o == "equal"), None)
        upper = max(following.start_s if following is not None else segment.end_s, lower)
        start_s, end_s = lower, upper
        if op == "replace":
            start_s = min(max(lower, old[i1].start_s), upper)
            end_s = max(min(upper, old[i2 - 1].end_s), start_s)
        for offset, (w_start, w_end) in enumerate(_spread(tokens[j1:j2], start_s, end_s)):
            j = j1 + offset
            words.append(
                Word(start_s=w_start, end_s=w_end, text=_spaced(tokens[j], j, spaced), probability=1.0, speaker=segment.speaker)
            )
    return _with_words(segment, words, " ".join(tokens))


def _spaced(token: str, index: int, spaced: bool) -> str:
    return (" " if spaced and index else "") + token


def _with_words(segment: Segment, words: list[Word], text: str) -> Segment:
    confidence = sum(w.probability for w in words) / len(words) if words else segment.asr_confidence
    return segment.model_copy(update={"words": words, "text": text, "asr_confidence": round(confidence, 3)})


def _replace_segments(transcript: Transcript, replaced: dict[str, list[Segment]]) -> Transcript:
    segments: list[Segment] = []
    for seg in transcript.segments:
        segments.extend(replaced.get(seg.id, [seg]))
    segments.sort(key=lambda s: (s.start_s, s.end_s))
    return transcript.model_copy(update={"segments": segments, "speakers": _recount(segments, transcript.speakers)})


def _recount(segments: list[Segment], previous: list[Speaker]) -> list[Speaker]:
    """Talk time, turns and words from the corrected segments (as re-analysis counts them); every
    other field (role, label, evidence) stays as it was. A new speaker starts unknown."""
    talk: dict[str, float] = {}
    for seg in segments:
        talk[seg.speaker] = talk.get(seg.speaker, 0.0) + seg.end_s - seg.start_s
    before = {s.id: s for s in previous}
    counted = []
    for speaker in build_speakers(segments, talk):
        counts = {"talk_time_s": speaker.talk_time_s, "turn_count": speaker.turn_count, "word_count": speaker.word_count}
        if speaker.id in before:
            counted.append(before[speaker.id].model_copy(update=counts))
        else:
            counted.append(speaker.model_copy(update={"label": LABELS["unknown"], "needs_review": True}))
    return counted


def _change_speaker(transcript: Transcript, correction: SpeakerChange) -> Transcript:
    segment = _segment(transcript, correction)
    speaker_id = correction.speaker_id.strip()
    if speaker_id != UNKNOWN_SPEAKER and not _SPEAKER_ID.match(speaker_id):
        raise ReviewInputError("speaker_id: use letters, digits, '-' or '_' (at most 32), such as S4")
    words = [w.model_copy(update={"speaker": speaker_id}) for w in segment.words]
    known = {s.id: s.role for s in transcript.speakers}
    changed = segment.model_copy(update={"speaker": speaker_id, "words": words, "role": known.get(speaker_id, "unknown")})
    return _replace_segments(transcript, {segment.id: [changed]})


def _new_id(taken: set[str], after: str) -> str:
    """A segment id no segment has: the next number in the 'seg-00001' series, or a suffix."""
    numbers = [int(m.group(1)) for sid in taken if (m := re.fullmatch(r"seg-(\d+)", sid))]
    if re.fullmatch(r"seg-\d+", after) and numbers:
        return f"seg-{max(numbers) + 1:05d}"
    n = 2
    while f"{after}-{n}" in taken:
        n += 1
    return f"{after}-{n}"


def _split(transcript: Transcript, correction: Split) -> Transcript:
    segment = _segment(transcript, correction)
    words = segment.words
    if not 1 <= correction.word_index < len(words):
        raise ReviewInputError(f"word_index: must be between 1 and {len(words) - 1} (the word that starts the new segment)")
    first, second = words[: correction.word_index], words[correction.word_index :]
    offsets = word_offsets(segment)
    if offsets is not None and len(offsets) == len(words):
        cut = offsets[correction.word_index][1]
        first_text, second_text = segment.text[:cut].strip(), segment.text[cut:].strip()
    else:  # the text no longer follows the words: rebuild both halves from the words
        first_text = " ".join(w.text.strip() for w in first)
        second_text = " ".join(w.text.strip() for w in second)
    head = _with_words(segment.model_copy(update={"end_s": max(first[-1].end_s, segment.start_s)}), list(first), first_text)
    # Ids a merge removed stay retired: the review's correction history still names them.
    retired = {c.segment_id for c in transcript.review.corrections if c.segment_id} if transcript.review else set()
    tail_id = _new_id({s.id for s in transcript.segments} | retired, segment.id)
    tail = _with_words(
        segment.model_copy(update={"id": tail_id, "start_s": min(second[0].start_s, segment.end_s)}),
        list(second),
        second_text,
    )
    return _replace_segments(transcript, {segment.id: [head, tail]})


def _merge(transcript: Transcript, correction: Merge) -> Transcript:
    segment = _segment(transcript, correction)
    ordered = sorted(transcript.segments, key=lambda s: (s.start_s, s.end_s))
    position = next(i for i, s in enumerate(ordered) if s.id == segment.id)
    following = ordered[position + 1] if position + 1 < len(ordered) else None
    if following is None or following.id != correction.next_segment_id:
        raise ReviewInputError("next_segment_id: must be the segment right after segment_id")
    # The merged segment is the first one's speaker: merging says "these words belong together".
    moved = [w.model_copy(update={"speaker": segment.speaker}) for w in following.words]
    if moved and any(w.text.startswith(" ") for w in segment.words[1:]) and not moved[0].text.startswith(" "):
        moved[0] = moved[0].model_copy(update={"text": " " + moved[0].text})
    merged = _with_words(
        segment.model_copy(
            update={"end_s": max(segment.end_s, following.end_s), "overlap": segment.overlap or following.overlap}
        ),
        [*segment.words, *moved],
        f"{segment.text.rstrip()} {following.text.lstrip()}",
    )
    return _replace_segments(transcript, {segment.id: [merged], following.id: []})


# -- speakers --------------------------------------------------------------------------------


def _speaker(transcript: Transcript, speaker_id: str) -> Speaker:
    for speaker in transcript.speakers:
        if speaker.id == speaker_id:
            return speaker
    raise ReviewInputError("speaker_id: no speaker of this transcript has this id")


def _clean_label(label: str) -> str:
    cleaned = " ".join(label.split())
    if not cleaned:
        raise ReviewInputError("label: must not be empty")
    if len(cleaned) > _MAX_LABEL:
        raise ReviewInputError(f"label: at most {_MAX_LABEL} characters")
    return cleaned


def _set_role(transcript: Transcript, correction: RoleChange) -> Transcript:
    target = _speaker(transcript, correction.speaker_id)
    label = _clean_label(correction.label) if correction.label is not None else None
    update: dict[str, object] = {
        "role": correction.role,
        "role_source": "manual",
        "role_confidence": 1.0,
        "evidence": ["role set by a coder"],
        "needs_review": False,
    }
    speakers = [s.model_copy(update=update) if s.id == target.id else s for s in transcript.speakers]
    if label is None:  # the role's usual label, numbered if the role is shared ('Parent 2')
        label = next(s.label for s in with_labels(speakers) if s.id == target.id)
    speakers = [s.model_copy(update={"label": label}) if s.id == target.id else s for s in speakers]
    segments = [s.model_copy(update={"role": correction.role}) if s.speaker == target.id else s for s in transcript.segments]
    return transcript.model_copy(update={"speakers": speakers, "segments": segments})


def _set_label(transcript: Transcript, correction: LabelChange) -> Transcript:
    target = _speaker(transcript, correction.speaker_id)
    label = _clean_label(correction.label)
    speakers = [s.model_copy(update={"label": label}) if s.id == target.id else s for s in transcript.speakers]
    return transcript.model_copy(update={"speakers": speakers})


def kept_labels(transcript: Transcript) -> dict[str, str]:
    """Labels a coder set (a 'label' correction), to put back after re-analysis relabels every speaker."""
    if transcript.review is None:
        return {}
    labelled = {c.speaker_id for c in transcript.review.corrections if c.kind == "label" and c.speaker_id}
    return {s.id: s.label for s in transcript.speakers if s.id in labelled}


def restore_labels(transcript: Transcript, labels: dict[str, str]) -> Transcript:
    if not labels:
        return transcript
    speakers = [s.model_copy(update={"label": labels[s.id]}) if s.id in labels else s for s in transcript.speakers]
    return transcript.model_copy(update={"speakers": speakers})
