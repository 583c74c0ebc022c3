"""The export test transcript with names and identifiers spoken in it (a fake of our own schema, not of an engine)."""

from __future__ import annotations

import re

from audio_pipeline.analysis.suggestions import suggest
from audio_pipeline.schema import Transcript
from tests.audio_pipeline.export.transcripts import LINES, _segment, sample_transcript

NAMES = "patient=Emma Carter/Em,parent=Sarah,sibling=Will,oncologist=Patel"
# Every form of a supplied name, and the identifiers, that must never survive (case-sensitive: "we will" is fine).
LEAKS = re.compile(r"Emma|Emmah|\bEm\b|Sarah|\bWill\b|Patel|Carter|555-123-4567|March 3rd|Reyes|Jayden")
NAMED_TEXT = {
    "seg-00001": "Thanks for coming in, Sarah. I'm afraid I don't have good news about Emma.",
    "seg-00002": "The scan from March 3rd shows Emma's tumor has grown. I think we should talk about what comes next.",
    "seg-00003": "Is Em going to be okay?",
    "seg-00004": "I'm so sorry, Sarah. Dr Patel and Dr Reyes will be there for you every step of the way.",
    "seg-00005": "Can Will still come at 10:30 tomorrow? Call 555-123-4567.",
    "seg-00007": "Zoë's café drawing — Jayden made it for Emmah Carter.",
}


def named_transcript() -> Transcript:
    base = sample_transcript()
    segments = [
        _segment(seg_id, start, end, speaker, NAMED_TEXT.get(seg_id, text)) for seg_id, start, end, speaker, text in LINES
    ]
    candidates = [c.model_copy(update={"breaking_words": "I'm so sorry, Sarah."}) for c in base.silence_candidates]
    return base.model_copy(update={"segments": segments, "silence_candidates": candidates, "code_suggestions": suggest(segments)})
