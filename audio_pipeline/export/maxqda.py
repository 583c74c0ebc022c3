"""MAXQDA transcript with timestamps (.txt, UTF-8 with a byte-order mark): 'Label: #hh:mm:ss-d# text'.

MAXQDA links '#hh:mm:ss-d#' markers to the media file and, in its focus-group import, codes every
paragraph that starts with 'Name:' for that speaker "up to the point where the next speaker is
indicated" (MAXQDA manual, "Importing focus group transcripts"). An unlabelled pause paragraph
would therefore be credited to whoever spoke before it, so every pause between turns is written
as its own labelled, timed paragraph, 'Pause: #00:00:11-0# (6.2, Silence)': MAXQDA codes it
"Pause", which coders leave out of speaker analyses. Pauses inside a turn stay inline: they are
that speaker's pause. Spoken clock times ('10:30') are written with U+2236 so MAXQDA never takes
them for time markers, and a line break inside a segment's text becomes a space, so it can never
start a paragraph (and a false speaker).

MAXQDA's manual does not say how a BOM-less .txt is decoded; the text holds U+2236 and accented
letters, and Windows tools guess a legacy code page for BOM-less text, so the file starts with a
UTF-8 byte-order mark, as the CSV export does.
"""

from __future__ import annotations

import re

from ..schema import Transcript
from .base import ExportOptions
from .document import clock_tenths, defuse_clock_times, render

PAUSE_LABEL = "Pause"
BOM = "\ufeff"
_LINE_BREAK = re.compile(r"[\r\n\v\f\x85\u2028\u2029]")


def maxqda_timestamp(seconds: float) -> str:
    return "#{:02d}:{:02d}:{:02d}-{}#".format(*clock_tenths(seconds))


def maxqda_clean(text: str) -> str:
    """Same length in, same length out (offsets stay exact): clock times defused, line breaks made spaces."""
    return _LINE_BREAK.sub(" ", defuse_clock_times(text))


class MaxqdaExporter:
    name = "maxqda"
    extension = "txt"
    media_type = "text/plain; charset=utf-8"
    description = "MAXQDA transcript with timestamps and speaker prefixes (pauses under the 'Pause' label)"

    def render(self, transcript: Transcript, options: ExportOptions) -> bytes:
        document = render(
            transcript,
            options.pause_threshold_s,
            timestamp=maxqda_timestamp,
            clean=maxqda_clean,
            pause_label=PAUSE_LABEL,
        )
        return (BOM + document.text).encode("utf-8")
