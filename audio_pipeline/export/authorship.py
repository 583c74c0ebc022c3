"""Who made each element of an export and when: the automatic coder at transcription, a human coder at a decision.

QDA tools show a coding's owner and date from these; importers dereference them (QualCoder calls
.replace on a Transcript's creationDateTime), so every element that can carry them does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from ..schema import ReviewDecision, Transcript

AUTOMATIC_USER = "alliance (automatic)"


# Every GUID derives from names and content, so the same transcript gives the same project bytes.
_GUIDS = uuid.UUID("6f1d3c2e-9a4b-5c7d-8e0f-a1b2c3d4e5f6")


def guid(*parts: str) -> str:
    return str(uuid.uuid5(_GUIDS, "\x1f".join(parts)))


def in_utc(moment: datetime) -> datetime:
    """The moment in UTC; a naive time (an older or hand-edited transcript) is taken as UTC already."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)


def stamp(moment: datetime) -> str:
    """xsd:dateTime in UTC with 'Z', the form REFI-QDA examples use and importers parse."""
    return in_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_guid(name: str) -> str:
    return guid("user", name)


@dataclass(frozen=True)
class Made:
    """Who made an element and when (creatingUser, creationDateTime); who changed it last and when."""

    user: str
    at: str
    modified_by: str
    modified_at: str

    def attrs(self) -> dict[str, str]:
        return {
            "creatingUser": self.user,
            "creationDateTime": self.at,
            "modifyingUser": self.modified_by,
            "modifiedDateTime": self.modified_at,
        }

    def coding(self) -> dict[str, str]:
        return {"creatingUser": self.user, "creationDateTime": self.at}


def by_coder(decision: ReviewDecision) -> Made:
    who, when = user_guid(decision.coder), stamp(decision.decided_at)
    return Made(who, when, who, when)


@dataclass(frozen=True)
class ProjectAuthors:
    """The project's users and its automatic and last-change authorship."""

    users: list[str]  # names; the automatic coder first
    automatic: Made  # made by alliance at transcription; modified by whoever changed the transcript last

    @classmethod
    def of(cls, transcript: Transcript) -> ProjectAuthors:
        when, who = last_change(transcript)
        made = Made(user_guid(AUTOMATIC_USER), stamp(transcript.provenance.created_at), user_guid(who), stamp(when))
        return cls([AUTOMATIC_USER, *coders(transcript)], made)


def coders(transcript: Transcript) -> list[str]:
    """Every human coder who decided or corrected something, by name."""
    if transcript.review is None:
        return []
    names = {d.coder for d in transcript.review.decisions} | {c.coder for c in transcript.review.corrections}
    return sorted(names - {AUTOMATIC_USER})


def last_change(transcript: Transcript) -> tuple[datetime, str]:
    """When the transcript last changed (transcription, re-analysis, a decision or a correction) and by whom."""
    changes: list[tuple[datetime, str]] = [(transcript.provenance.created_at, AUTOMATIC_USER)]
    if transcript.provenance.analyzed_at is not None:
        changes.append((transcript.provenance.analyzed_at, AUTOMATIC_USER))
    if transcript.review is not None:
        changes += [(d.decided_at, d.coder) for d in transcript.review.decisions]
        changes += [(c.at, c.coder) for c in transcript.review.corrections]
    return max(changes, key=lambda change: stamp(change[0]))
