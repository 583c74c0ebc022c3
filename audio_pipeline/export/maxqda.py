"""MAXQDA transcript with timestamps (.txt, UTF-8): 'Label: #hh:mm:ss-d# text', one paragraph per turn.

MAXQDA links '#hh:mm:ss-d#' markers to the media file and autocodes 'Name:' speaker prefixes at
the start of each paragraph. Spoken clock times ('10:30') are written with U+2236 so MAXQDA never
takes them for time markers.
"""

from __future__ import annotations

from ..schema import Transcript
from .base import ExportOptions
from .document import clock_tenths, defuse_clock_times, render


def maxqda_timestamp(seconds: float) -> str:
    return "#{:02d}:{:02d}:{:02d}-{}#".format(*clock_tenths(seconds))


class MaxqdaExporter:
    name = "maxqda"
    extension = "txt"
    media_type = "text/plain; charset=utf-8"
    description = "MAXQDA transcript with timestamps and speaker prefixes"

    def render(self, transcript: Transcript, options: ExportOptions) -> bytes:
        document = render(transcript, options.pause_threshold_s, timestamp=maxqda_timestamp, clean=defuse_clock_times)
        return document.text.encode("utf-8")
