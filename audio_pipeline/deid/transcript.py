"""A de-identified copy of a transcript: names and identifiers become tags, every timestamp stays.

The canonical transcript is never changed. In the copy, each replaced span becomes a tag of its kind
(`[patient]`, `[parent 2]`, `Dr [oncologist]`, `[date]`...), the same tag for the same person throughout;
words keep their times (the words of one replaced span merge into one); emotion cues and code suggestions
keep pointing at the right characters; free text elsewhere (silence evidence, role evidence) is scrubbed the
same way. `deidentification` records the kinds replaced and how many, never what they were.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..schema import Deidentification, Segment, Transcript, Word, word_offsets
from .identifiers import DatePolicy, find_identifiers
from .names import NameFinder
from .participants import Participant

_IDENTIFIER_KINDS = ("email", "phone", "address", "id", "date", "place")
_HARD_KINDS = frozenset({"email", "phone", "address", "id"})


@dataclass(frozen=True)
class Replacement:
    start: int
    end: int
    tag: str
    key: str  # who or what: the same key gets the same label


@dataclass(frozen=True)
class Deidentified:
    transcript: Transcript
    spans_s: tuple[tuple[float, float], ...]  # audio time spans of the replaced words, for audio redaction


class Deidentifier:
    def __init__(self, participants: Sequence[Participant], date_policy: DatePolicy = "keep_year") -> None:
        self.participants = tuple(participants)
        self.date_policy = date_policy
        self.names = NameFinder(self.participants)
        self.labels: dict[str, str] = {}

    def find(self, text: str) -> list[Replacement]:
        """Non-overlapping replacements: emails, phones, addresses and record numbers first, then supplied names
        and places, then dates, then names found in context; longer before shorter."""
        found = self.names.find(text, learn=False)
        candidates = [(1 if n.key.startswith("p") else 3, Replacement(n.start, n.end, n.tag, n.key)) for n in found]
        for start, end, kind in find_identifiers(text, self.date_policy):
            # An email or street address often holds a name; the whole of it goes.
            # A place as long as a supplied name or longer wins: "St. Mary's Academy" holds a name but is a place.
            candidates.append((0 if kind in _HARD_KINDS else 1 if kind == "place" else 2, Replacement(start, end, kind, kind)))
        chosen: list[Replacement] = []
        for _, item in sorted(candidates, key=lambda c: (c[0], c[1].start - c[1].end, c[1].start)):
            if all(item.end <= other.start or item.start >= other.end for other in chosen):
                chosen.append(item)
        return sorted(chosen, key=lambda r: r.start)

    def learn(self, texts: Sequence[str]) -> list[list[Replacement]]:
        """Read every text once to learn the names it reveals, then find replacements in each."""
        for text in texts:
            self.names.find(text, learn=True)
        found = [self.find(text) for text in texts]
        by_tag: dict[str, list[str]] = {}
        for replacements in found:
            for r in replacements:
                keys = by_tag.setdefault(r.tag, [])
                if r.key not in keys:
                    keys.append(r.key)
        for tag, keys in by_tag.items():
            numbered = len(keys) > 1 and tag not in _IDENTIFIER_KINDS
            for number, key in enumerate(keys, start=1):
                self.labels[key] = f"[{tag} {number}]" if numbered else f"[{tag}]"
        return found

    def rewrite(self, text: str, replacements: Sequence[Replacement]) -> tuple[str, list[tuple[int, int, int, int]]]:
        """The new text, and (old start, old end, new start, new end) for each replacement."""
        parts: list[str] = []
        moves: list[tuple[int, int, int, int]] = []
        cursor = 0
        length = 0
        for r in replacements:
            parts.append(text[cursor : r.start])
            length += r.start - cursor
            label = self.labels.get(r.key, f"[{r.tag}]")
            moves.append((r.start, r.end, length, length + len(label)))
            parts.append(label)
            length += len(label)
            cursor = r.end
        parts.append(text[cursor:])
        return "".join(parts), moves

    def scrub(self, text: str) -> str:
        return self.rewrite(text, self.find(text))[0]


def deidentify(
    transcript: Transcript, participants: Sequence[Participant], date_policy: DatePolicy = "keep_year"
) -> Deidentified:
    engine = Deidentifier(participants, date_policy)
    found = engine.learn([segment.text for segment in transcript.segments])
    counts: Counter[str] = Counter()
    segments: list[Segment] = []
    spans_s: list[tuple[float, float]] = []
    rewritten: dict[str, tuple[str, list[tuple[int, int, int, int]]]] = {}
    for segment, replacements in zip(transcript.segments, found, strict=True):
        counts.update(r.tag for r in replacements)
        text, moves = rewritten[segment.id] = engine.rewrite(segment.text, replacements)
        words, redacted = _words(segment, replacements, text, moves, engine)
        spans_s.extend(redacted)
        segments.append(segment.model_copy(update={"text": text, "words": words, "emotion": _emotion(segment, text, moves)}))
    suggestions = [
        s.model_copy(update=_moved(s.start_char, s.end_char, *rewritten[s.segment_id]))
        for s in transcript.code_suggestions
        if s.segment_id in rewritten
    ]
    candidates = [
        c.model_copy(
            update={
                "trigger_cues": [engine.scrub(cue) for cue in c.trigger_cues],
                "breaking_words": engine.scrub(c.breaking_words),
            }
        )
        for c in transcript.silence_candidates
    ]
    speakers = [s.model_copy(update={"evidence": [engine.scrub(e) for e in s.evidence]}) for s in transcript.speakers]
    record = Deidentification(replaced=dict(sorted(counts.items())), date_policy=date_policy, names_supplied=len(participants))
    copy = transcript.model_copy(
        update={
            "segments": segments,
            "code_suggestions": suggestions,
            "silence_candidates": candidates,
            "speakers": speakers,
            "dropped_words": [w.model_copy(update={"text": engine.scrub(w.text)}) for w in transcript.dropped_words],
            "deidentification": record,
        }
    )
    return Deidentified(copy, tuple(spans_s))


def _map(offset: int, moves: Sequence[tuple[int, int, int, int]], *, end: bool) -> int:
    """Where a character offset of the old text lands in the new one; inside a replacement, at its edge."""
    shift = 0
    for old_start, old_end, new_start, new_end in moves:
        if offset <= old_start:
            break
        if offset < old_end:
            return new_end if end else new_start
        shift = new_end - old_end
    return offset + shift


def _moved(start: int, end: int, text: str, moves: Sequence[tuple[int, int, int, int]]) -> dict[str, object]:
    new_start, new_end = _map(start, moves, end=False), _map(end, moves, end=True)
    return {"start_char": new_start, "end_char": new_end, "text": text[new_start:new_end]}


def _emotion(segment: Segment, text: str, moves: Sequence[tuple[int, int, int, int]]) -> object:
    if segment.emotion is None:
        return None
    cues = [cue.model_copy(update=_moved(cue.start_char, cue.end_char, text, moves)) for cue in segment.emotion.cues]
    return segment.emotion.model_copy(update={"cues": cues})


def _words(
    segment: Segment,
    replacements: Sequence[Replacement],
    text: str,
    moves: Sequence[tuple[int, int, int, int]],
    engine: Deidentifier,
) -> tuple[list[Word], list[tuple[float, float]]]:
    """The words with replaced spans merged into one tagged word each, and the audio spans to redact."""
    offsets = word_offsets(segment)
    if offsets is None:
        # The text was edited away from its words: scrub each word alone and redact the whole segment if any changed.
        words = [w.model_copy(update={"text": engine.scrub(w.text)}) for w in segment.words]
        changed = replacements or any(w.text != o.text for w, o in zip(words, segment.words, strict=True))
        return words, [(segment.start_s, segment.end_s)] if changed else []
    out: list[Word] = []
    redacted: list[tuple[float, float]] = []
    covered: set[int] = set()  # positions in offsets
    for r, (_, _, new_start, new_end) in zip(replacements, moves, strict=True):
        hit = [i for i, (_, a, b) in enumerate(offsets) if a < r.end and b > r.start]
        if not hit:
            continue
        if covered.intersection(hit):
            continue  # two replacements inside one word: the segment text has both, the word shows the first
        (first, first_at, _), (last, _, last_end) = offsets[hit[0]], offsets[hit[-1]]
        lead = first.text[: len(first.text) - len(first.text.lstrip())] + segment.text[first_at : r.start]
        tail = segment.text[r.end : max(r.end, last_end)]
        merged = first.model_copy(update={"text": lead + text[new_start:new_end] + tail, "end_s": last.end_s})
        covered.update(hit)
        out.append(merged)
        redacted.append((first.start_s, last.end_s))
    merged_away = {id(offsets[i][0]) for i in covered}
    out.extend(word for word in segment.words if id(word) not in merged_away)
    out.sort(key=lambda w: (w.start_s, w.end_s))
    return out, redacted
