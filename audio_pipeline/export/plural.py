"""Counts as people write them: '1 silence candidate', '2 silence candidates'."""

from __future__ import annotations


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """'1 speaker', '3 speakers'; irregular plurals are passed ('1 body', '2 bodies' needs plural='bodies')."""
    word = singular if number == 1 else (plural if plural is not None else singular + "s")
    return f"{number} {word}"
