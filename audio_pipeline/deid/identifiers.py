"""Identifiers other than person names: phone numbers, emails, dates, street addresses, record numbers, places.

Regular expressions over the recognizer's text, which writes numbers as digits and names with capitals. Dates
follow a policy: `keep_year` (default) replaces every date more specific than a year and keeps bare years;
`all` replaces bare years too; `none` keeps dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from .participants import clinical_words, place_names

DatePolicy = Literal["keep_year", "all", "none"]
DATE_POLICIES: tuple[str, ...] = ("keep_year", "all", "none")

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_ORDINAL_WORDS = (
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth"
    r"|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty[- ](?:first|second|third|fourth|fifth"
    r"|sixth|seventh|eighth|ninth)|thirtieth|thirty[- ]first"
)
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORDS})"
_YEAR = r"(?:19|20)\d{2}"
_DATES = [
    rf"\b{_MONTH}\s+(?:the\s+)?{_DAY}\b(?:,?\s+{_YEAR}\b)?",
    rf"\b(?:the\s+)?{_DAY}\s+of\s+{_MONTH}(?:,?\s+{_YEAR}\b)?",
    rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b",
    r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b",
    r"\b\d{1,2}/\d{1,2}\b",
    r"\b\d{4}-\d{2}-\d{2}\b",
]
_PHONES = [
    r"(?<![\d-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d-])",
    r"(?<![\d-])\d{3}[\s.-]\d{4}(?![\d-])",
    r"(?<!\d)\d{10}(?!\d)",
]
_EMAILS = [
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    r"\b[\w.]+\s+at\s+[\w-]+\s+dot\s+(?:com|org|net|edu|gov|us)\b",
]
_STREET = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Court|Ct|Boulevard|Blvd|Way|Place|Pl|Circle|Cir|Terrace"
    r"|Parkway|Pkwy|Highway|Hwy|Trail|Pike)\b\.?"
)
_ADDRESSES = [
    rf"\b\d{{1,6}}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\s+){{1,3}}{_STREET}(?:,?\s+(?:Apt|Apartment|Unit|Suite)\.?\s*#?\w+)?",
    r"\b(?:P\.?\s?O\.?\s+Box|PO Box)\s+\d+",
]
_RECORD_NUMBER = re.compile(
    r"\b(?:MRN|medical record(?: number)?|record number|chart number|patient (?:id|ID|number)|account number"
    r"|insurance (?:id|ID|number)|member (?:id|ID)|social security(?: number)?|SSN)\b(?:[\s:#]+[a-z]+){0,4}?[\s:#]*"
    r"(?P<id>(?:[A-Z]{1,3}-?)?\d[\d-]{3,}[A-Z\d]*)",
    re.IGNORECASE,
)
_LONG_NUMBER = r"(?<![\d,])(?<!\d\.)\d{6,}(?![\d,]|\.\d)"  # a sentence's full stop may follow; a decimal may not
_INSTITUTION = re.compile(
    r"(?:\b(?:St\.?|Saint|[A-Z][\w'’.-]*)\s+){1,4}"
    r"(?:Children['’]s Hospital|Hospital|Medical Center|Cancer Center|Cancer Institute|Health Center|Clinic"
    r"|Elementary(?: School)?|Middle School|High School|School|Academy|University|College|Church|Daycare|Preschool"
    r"|House)\b"
    r"(?:\s+of\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)?"
)
_TOWN_CONTEXT = re.compile(
    r"\b(?:live[sd]? (?:in|near|out in|up in|down in)|living in|moved (?:to|from)|(?:drive|drove|came|come|flew)"
    r"(?: (?:in|up|down|over))? from|grew up in|from (?:up|down|over|out) in|the town of|the city of|back home in"
    r"|all the way from|hometown(?: is)?|near|in|to|from)\s+(?P<place>[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})"
)
_NOT_TOWNS = frozenset(
    {"I", "The", "There", "Here", "Mom", "Dad", "Dr", "Doctor", "Nurse", "Christmas", "Easter", "Monday", "Tuesday"}
    | {"Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May"}
    | {"June", "July", "August", "September", "October", "November", "December", "Miss", "Mr", "Mrs", "Ms"}
    | {"English", "Spanish", "God", "Heaven", "ICU", "PICU", "MRI", "CT", "ER", "Hospice"}
)


def _compile(patterns: list[str], flags: int = 0) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


_DATE_RE = _compile(_DATES)
_YEAR_RE = re.compile(rf"\b{_YEAR}\b")
_PHONE_RE = _compile(_PHONES)
_EMAIL_RE = _compile(_EMAILS, re.IGNORECASE)
_ADDRESS_RE = _compile(_ADDRESSES)
_LONG_NUMBER_RE = re.compile(_LONG_NUMBER)


def find_identifiers(text: str, date_policy: DatePolicy = "keep_year") -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) for every identifier in the text; spans may overlap, the caller picks."""
    for kind, pattern in (("email", _EMAIL_RE), ("phone", _PHONE_RE), ("address", _ADDRESS_RE), ("id", _LONG_NUMBER_RE)):
        for match in pattern.finditer(text):
            yield match.start(), match.end(), kind
    for match in _RECORD_NUMBER.finditer(text):
        yield match.start("id"), match.end("id"), "id"
    if date_policy != "none":
        for match in _DATE_RE.finditer(text):
            yield match.start(), match.end(), "date"
    if date_policy == "all":
        for match in _YEAR_RE.finditer(text):
            yield match.start(), match.end(), "date"
    yield from _places(text)


def _places(text: str) -> Iterator[tuple[int, int, str]]:
    for match in _INSTITUTION.finditer(text):
        start = match.start()
        # A sentence's first word or an article is not part of the institution's name.
        while (word := re.match(r"(?:The|A|An|At|In|To|From|Our|My|Her|His|Their|Your)\s+", text[start:])) is not None:
            start += word.end()
        if match.end() - start > len("Hospital"):
            yield start, match.end(), "place"
    for match in _TOWN_CONTEXT.finditer(text):
        words = match["place"].split()
        while words and words[-1] in _NOT_TOWNS:
            words.pop()
        if words and words[0] not in _NOT_TOWNS and words[0].lower() not in clinical_words():  # not "to Zofran"
            yield match.start("place"), match.start("place") + len(" ".join(words)), "place"
    for name in place_names():
        for match in re.finditer(rf"\b{re.escape(name)}\b", text):
            yield match.start(), match.end(), "place"
