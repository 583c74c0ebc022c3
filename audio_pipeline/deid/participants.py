"""The names a study team supplies for a session, and every form of them a transcript may show.

`--names "patient=Emma Smith/Em,parent=Sarah,parent=John Smith,sibling=Will,oncologist=Patel"`: one entry per
person, ROLE=NAME, with extra spellings or nicknames after a slash. Nicknames of common names ("Liz" for
Elizabeth) are added from data/nicknames.csv.
"""

from __future__ import annotations

import functools
import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidOptionError

DATA = Path(__file__).with_name("data")
# The tag a person's name becomes, by the role the study team gives them.
ROLE_TAGS: dict[str, str] = {
    "patient": "patient",
    "parent": "parent",
    "sibling": "sibling",
    "family": "family",
    "other_family": "family",
    "oncologist": "oncologist",
    "clinician": "clinician",
    "other_clinician": "clinician",
}
_WORD = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*")
_TITLES = frozenset({"dr", "doctor", "nurse", "mr", "mrs", "ms", "miss", "mx", "prof", "professor"})


@dataclass(frozen=True)
class Participant:
    tag: str
    forms: frozenset[str]  # lowercase single words: given names, surnames, nicknames


def parse_names(spec: str | None) -> tuple[Participant, ...]:
    """From the --names option (or a manifest's names column); a bad entry is one clear InvalidOptionError."""
    people: list[Participant] = []
    for entry in (spec or "").split(","):
        if not entry.strip():
            continue
        role, _, names = entry.partition("=")
        role = role.strip().lower().replace("-", "_").replace(" ", "_")
        if role not in ROLE_TAGS or not names.strip():
            roles = ", ".join(sorted({r for r in ROLE_TAGS if "_" not in r}))
            raise InvalidOptionError(f"--names takes ROLE=NAME entries separated by commas, with roles {roles}")
        forms = {w.lower() for w in _WORD.findall(names) if w.lower() not in _TITLES}
        if not forms:
            raise InvalidOptionError("--names: an entry has no name in it")
        people.append(Participant(ROLE_TAGS[role], frozenset(forms | _nicknames_of(forms))))
    return tuple(people)


def _nicknames_of(forms: set[str]) -> set[str]:
    found: set[str] = set()
    for group in nickname_groups():
        if forms & group:
            found |= group
    return found


@functools.lru_cache(maxsize=1)
def nickname_groups() -> tuple[frozenset[str], ...]:
    groups = []
    for line in (DATA / "nicknames.csv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            groups.append(frozenset(w.strip().lower() for w in line.split(",") if w.strip()))
    return tuple(groups)


@functools.lru_cache(maxsize=1)
def ambiguous_names() -> frozenset[str]:
    return _word_list("ambiguous_names.txt", lower=True)


@functools.lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """US Census 1990 first names (public domain), as shipped in the MIT-licensed `names` package."""
    from importlib.resources import files

    found: set[str] = set()
    for table in ("dist.female.first", "dist.male.first"):
        text = (files("names") / table).read_text(encoding="utf-8")
        found.update(line.split()[0].lower() for line in text.splitlines() if line.strip())
    return frozenset(found)


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Everyday words (SCOWL American English, lower-case entries; see scripts/build_deid_words.py) and the
    clinical and spoken words of data/clinical_words.txt."""
    packed = gzip.decompress((DATA / "english_words.txt.gz").read_bytes()).decode("utf-8")
    words = {line for line in packed.splitlines() if line and not line.startswith("#")}
    return frozenset(words | clinical_words())


@functools.lru_cache(maxsize=1)
def clinical_words() -> frozenset[str]:
    return _word_list("clinical_words.txt", lower=True)


@functools.lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    return _word_list("places.txt", lower=False)


def _word_list(name: str, *, lower: bool) -> frozenset[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return frozenset((s.lower() if lower else s) for line in lines if (s := line.strip()) and not s.startswith("#"))
