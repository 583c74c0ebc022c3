"""Hallucination guards: recognizer output that is not speech is set aside before attribution.

Whisper writes text where nobody spoke: tokens such as ``[BLANK_AUDIO]``, ``[ Pause ]`` or
``(music)``, and phrases from its training subtitles ("Thank you.", "you", "Thanks for
watching!", a phrase repeated) over silence and noise. Inside a long pause such a word would
split it, become the Silence's "breaking words", or count as someone's talk. Three rules:

- tag: a bracketed token naming no sound a coder needs (blank audio, pause, music, silence...).
  Affective tags such as "(crying)" or "[sighs]" are kept: the pause analysis already treats
  them as non-speech inside a pause, and a coder wants to see them;
- non_speech: a word that lies wholly outside every stretch Silero's speech map calls speech
  (with a margin for loose word times);
- silence_phrase: a known silence phrase, or a segment that repeats the one before it or loops
  on itself, when its audio is quiet (little of it is speech, or it is far below the recording's
  speech level); a known phrase also when Whisper itself says no speech (its own test: no-speech
  probability >= 0.6 with an average log-probability below -1). Whisper's no-speech figures alone
  dropped real repeated lines of telephone speech in the evaluation, so a repeat needs quiet audio.

Nothing is deleted: the dropped words go to ``Transcript.dropped_words`` with their reason,
and the run carries a warning with the count.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .frame_power import frame_db
from .schema import DroppedWord, TranscriptWarning
from .transcribe import AsrSegment, AsrWord
from .vad import SAMPLE_RATE_HZ, SpeechRegion

# Inner text of bracketed tokens Whisper writes over silence, noise or music (lower case, "_" as " ").
HALLUCINATED_TAGS = frozenset(
    {
        "blank audio",
        "blank",
        "pause",
        "silence",
        "music",
        "music playing",
        "upbeat music",
        "soft music",
        "no speech",
        "no audio",
        "audio",
        "noise",
        "background noise",
        "static",
        "applause",
        "sound",
        "beep",
        "beeping",
        "buzzing",
        "clicking",
        "typing",
        "wind",
        "inaudible",
        "silent",
    }
)
SILENCE_PHRASES = frozenset(
    {
        "you",
        "thank you",
        "thank you very much",
        "thank you so much",
        "thanks",
        "bye",
        "bye bye",
        "so",
        "the end",
        "thanks for watching",
        "thank you for watching",
        "thank you so much for watching",
    }
)
_OUTRO = re.compile(r"\b(for watching|subscribe|subtitles by|see you (in the )?next (time|video))\b")
_OPENERS, _CLOSERS = "[(<", "])>"
_MUSIC = re.compile(r"^[\s♪♫#~*]+$")
_WORD_MARGIN_S = 0.5  # recognizer word times run this loose against the speech map
_QUIET_DB = 20.0  # this far under the recording's typical speech level is not talk
_MIN_SPEECH_SHARE = 0.5


@dataclass(frozen=True)
class GuardResult:
    segments: list[AsrSegment]
    dropped: list[DroppedWord]


def normalise(text: str) -> str:
    """Lower case, letters, digits and apostrophes only, single spaces."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def _tag_groups(words: Sequence[AsrWord]) -> list[tuple[int, int]]:
    """Index ranges [i, j) of words that form one bracketed token: Whisper splits '[BLANK_AUDIO]' across words."""
    groups: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        text = words[i].text.strip()
        if text and _MUSIC.match(text):
            groups.append((i, i + 1))
            i += 1
            continue
        if not text or text[0] not in _OPENERS:
            i += 1
            continue
        closer = _CLOSERS[_OPENERS.index(text[0])]
        j = i
        while j < len(words):
            part = words[j].text.strip()
            if part.endswith(closer) and (j > i or len(part) > 1):
                break
            j += 1
        end = min(j, len(words) - 1) + 1  # an unclosed token runs to the end of the segment
        groups.append((i, end))
        i = end
    return groups


def is_hallucinated_tag(text: str) -> bool:
    """'[BLANK_AUDIO]', '[ Pause ]', '(music)', '♪': yes. '(crying)', '[sighs]': no (a coder wants those)."""
    stripped = text.strip()
    if not stripped:
        return False
    if _MUSIC.match(stripped):
        return True
    if stripped[0] not in _OPENERS:
        return False
    inner = stripped.strip(_OPENERS + _CLOSERS + " .").replace("_", " ").replace("-", " ")
    return " ".join(inner.lower().split()) in HALLUCINATED_TAGS


class _SpeechIndex:
    """The speech map and the 10 ms frame energy, asked about word spans."""

    def __init__(self, waveform: np.ndarray, regions: Sequence[SpeechRegion]) -> None:
        self.regions = sorted(regions, key=lambda r: r.start_s)
        self._ends = [r.end_s for r in self.regions]
        hop = SAMPLE_RATE_HZ // 100
        n = len(waveform) // hop
        self.db = frame_db(waveform, hop)
        speech = np.zeros(n, dtype=bool)
        for r in self.regions:
            speech[int(r.start_s * 100) : int(r.end_s * 100)] = True
        self.speech_frames = speech
        self.speech_db = float(np.median(self.db[speech])) if speech.any() else None

    def speech_share(self, start_s: float, end_s: float, margin_s: float = 0.0) -> float:
        """Share of [start, end] the speech map calls speech, each region widened by margin_s."""
        span = max(end_s - start_s, 0.01)
        covered = 0.0
        k = bisect.bisect_left(self._ends, start_s - margin_s)
        while k < len(self.regions) and self.regions[k].start_s - margin_s < end_s:
            region = self.regions[k]
            covered += max(0.0, min(end_s, region.end_s + margin_s) - max(start_s, region.start_s - margin_s))
            k += 1
        return min(covered / span, 1.0)

    def outside_speech(self, start_s: float, end_s: float) -> bool:
        # A zero-length word still has a place: test a 10 ms span around it.
        if end_s - start_s < 0.01:
            start_s, end_s = start_s - 0.005, end_s + 0.005
        return self.speech_share(start_s, end_s, _WORD_MARGIN_S) == 0.0

    def quiet(self, words: Sequence[AsrWord]) -> bool:
        """Little of the words' own time is speech, or even its loudest part is far under the speech level.

        Measured over the words, not the segment's span: a segment can straddle a pause (a word,
        eight seconds of nothing, the rest), and the pause must not make real speech look quiet.
        """
        spans = [(w.start_s, max(w.end_s, w.start_s + 0.01)) for w in words]
        total = sum(b - a for a, b in spans)
        covered = sum(self.speech_share(a, b) * (b - a) for a, b in spans)
        if total <= 0 or covered / total < _MIN_SPEECH_SHARE:
            return True
        frames = np.concatenate([self.db[int(a * 100) : max(int(b * 100), int(a * 100) + 1)] for a, b in spans])
        if self.speech_db is None or not len(frames):
            return True
        return float(np.percentile(frames, 90)) < self.speech_db - _QUIET_DB


def _no_speech(segment: AsrSegment) -> bool:
    """Whisper's own no-speech test (faster-whisper skips a window on the same two figures)."""
    low_logprob = segment.avg_logprob is None or segment.avg_logprob < -1.0
    return segment.no_speech_prob is not None and segment.no_speech_prob >= 0.6 and low_logprob


def _loops(text: str) -> bool:
    """A phrase of one to four words said four or more times running: Whisper's repetition loop."""
    tokens = text.split()
    for n in range(1, 5):
        for start in range(len(tokens) - 4 * n + 1):
            unit = tokens[start : start + n]
            if all(tokens[start + k * n : start + (k + 1) * n] == unit for k in range(1, 4)):
                return True
    return False


def _suspect_phrase(text: str, previous: str | None) -> bool:
    return bool(text) and (text in SILENCE_PHRASES or bool(_OUTRO.search(text)) or text == previous or _loops(text))


def guard(segments: Sequence[AsrSegment], waveform: np.ndarray, regions: Sequence[SpeechRegion]) -> GuardResult:
    """The segments with non-speech words removed, and those words with their reasons."""
    index = _SpeechIndex(waveform, regions)
    kept_segments: list[AsrSegment] = []
    dropped: list[DroppedWord] = []
    previous: str | None = None
    for segment in segments:
        reasons: dict[int, str] = {}
        tagged: set[int] = set()
        for i, j in _tag_groups(segment.words):
            tagged.update(range(i, j))
            if is_hallucinated_tag("".join(w.text for w in segment.words[i:j])):
                reasons.update({k: "tag" for k in range(i, j)})
        for k, word in enumerate(segment.words):
            # Affective tags belong in pauses; only words meant as speech must lie in speech.
            if k not in reasons and k not in tagged and word.text.strip() and index.outside_speech(word.start_s, word.end_s):
                reasons[k] = "non_speech"
        remaining = [w for k, w in enumerate(segment.words) if k not in reasons and w.text.strip()]
        text = normalise("".join(w.text for w in remaining))
        if remaining and _suspect_phrase(text, previous):
            # Whisper's no-speech figures are unreliable on band-limited speech, and people do repeat
            # themselves: a repeat or a loop needs the audio's word (quiet), a known phrase either.
            known = text in SILENCE_PHRASES or bool(_OUTRO.search(text))
            if (known and _no_speech(segment)) or index.quiet(remaining):
                reasons.update({k: "silence_phrase" for k, w in enumerate(segment.words) if k not in reasons})
                remaining = []
        if text and remaining:
            previous = text
        dropped += [_dropped(segment.words[k], reason) for k, reason in sorted(reasons.items()) if segment.words[k].text.strip()]
        if remaining:
            kept = tuple(w for k, w in enumerate(segment.words) if k not in reasons)
            kept_segments.append(replace(segment, words=kept, text="".join(w.text for w in kept)))
    return GuardResult(segments=kept_segments, dropped=dropped)


def _dropped(word: AsrWord, reason: str) -> DroppedWord:
    return DroppedWord(
        start_s=word.start_s,
        end_s=word.end_s,
        text=word.text.strip(),
        probability=round(min(max(word.probability, 0.0), 1.0), 4),
        reason=reason,  # type: ignore[arg-type]
    )


def guard_warnings(dropped: int) -> list[TranscriptWarning]:
    if not dropped:
        return []
    message = (
        f"{dropped} recognized word(s) were judged not to be speech (a tag such as [BLANK_AUDIO], words over silence, "
        "or a phrase Whisper writes over silence); they are listed in dropped_words and split no pause."
    )
    return [TranscriptWarning(code="hallucinations_dropped", message=message)]
