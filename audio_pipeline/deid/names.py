"""Person names in a transcript's text: the ones the study team supplied, and the ones the text reveals.

Supplied names match in any case, with their nicknames and possessives, and tolerate the recognizer's
spellings (Jaro-Winkler similarity or the same Metaphone key). Names that are also everyday words ("Hope",
"Will") count only where the text treats them as names. Names nobody supplied are found from context (after
"Dr", "my son", "this is", a comma of address), from the census first-name list, and from a capital letter
away from a sentence start; once found, a name is replaced everywhere else in the transcript too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import jellyfish

from .participants import Participant, ambiguous_names, clinical_words, english_words, first_names

_TOKEN = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*")
_POSSESSIVE = re.compile(r"['’]s?$")
_CLINICAL_TITLES = frozenset({"dr", "doctor", "nurse", "prof", "professor"})
_TITLES = _CLINICAL_TITLES | frozenset({"mr", "mrs", "ms", "miss", "mx"})
_ABBREVIATED = frozenset({"dr", "prof", "mr", "mrs", "ms", "mx"})
_KIN = (
    r"son|daughter|boy|girl|kid|child|baby|brother|sister|husband|wife|partner|mom|mother|dad|father"
    r"|grandma|grandmother|grandpa|grandfather|granddaughter|grandson|aunt|auntie|uncle|cousin|niece|nephew"
    r"|stepson|stepdaughter|friend|nurse|doctor|oncologist|teacher|boyfriend|girlfriend|fiance|fiancee"
    r"|neighbor|neighbour|coach|babysitter|nanny|pastor|chaplain|therapist|counselor|worker|godmother|godfather"
)
_NAMING = (
    rf"\b(?:my|our|your|his|her|their|the)\s+(?:(?:little|big|older|younger|oldest|youngest|baby|step|best)\s+)?"
    rf"(?:{_KIN})s?,?|\bname\s+is|\bname['’]s|\bthis\s+is|\bI['’]m|\bI\s+am|\bcalled|\bnamed|\bcall\s+(?:him|her|me)"
)
_INTRO = re.compile(rf"(?:{_NAMING}|\bask|\btell|\btold|\bsaw|\bwith|\band|\bsays|\bsaid)\s*$", re.IGNORECASE)
# Only these make a drug's name a person's: "my friend Tremaine", but not "Zofran and Cytarabine".
_INTRODUCED = re.compile(rf"(?:{_NAMING})\s*$", re.IGNORECASE)
_NAME_VERBS = frozenset(
    "is was has had does did said says can can't could will won't would feels felt gets got wants loved loves likes"
    " went goes seems asked asks knows knew keeps kept needs".split()
)
# Capitalised words that are not names even where a name could stand.
_NOT_NAMES = frozenset(
    "i i'm i've i'll i'd ok okay god lord jesus christ christmas easter thanksgiving halloween mom mommy mama dad"
    " daddy papa grandma grandpa nana doctor dr nurse mr mrs ms miss mx sir madam ma'am english spanish american"
    " monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays fridays"
    " saturdays sundays weekends january february march april may june july august"
    " september october november december mri ct pet icu er picu nicu covid tylenol motrin advil zofran"
    " hodgkin hodgkin's wilms wilms' ewing ewing's burkitt burkitt's down down's crohn's yes no yeah hi hello hey"
    " oh um uh well so and but the a an thank thanks please sorry dear honey sweetie buddy bud kiddo".split()
)


# Everyday words that start sentences, carry a possessive ("It's", "Today's") or open a sentence with a comma
# ("Honestly,"), and that are not names; also never taken as a nickname or misspelling of a supplied name.
_COMMON = frozenset(
    "a about after again all also am an and any anyway are as at be because been before being both but by can"
    " could did do does doing don't done down each even every everyone everybody for from get go good got had"
    " has have he he's her here here's hers him his how how's however i if in is isn't it it's its just know"
    " let let's like look listen maybe me more most much my no nobody nope not now of off oh ok okay on once"
    " one only or other our out over please really right same see she she's should so some somebody someone"
    " something sometimes sure than thank thanks that that's the their them then there there's these they"
    " they're this those though through to today today's tomorrow tonight too um under until up us very want"
    " was we we'll we're well were what what's when where where's which while who who's whoever why will with"
    " would yeah yes yesterday yet you you're your actually basically honestly alright first second next last"
    " finally also unfortunately fortunately luckily obviously again everything nothing anything"
    " is are was were does did has have had can could should would might must shall".split()
)
# After a supplied name that is also a word, these make it the word: "Will you", "Hope so", "May I".
_WORD_USE_NEXT = frozenset("you i we he she they it that this so the my your our to not".split())


# Only a person does these: a census name that is also a word ("Hunter", "Faith") opening a sentence with one is
# a name. Verbs a season or a feeling also does ("came", "made", "gave") are left out.
_AGENT_VERBS = frozenset(
    "said says told tells asked asks drew draws texted texts called calls visited visits wrote writes sang sings"
    " played plays wants wanted loves loved misses missed thinks thought knows knew".split()
)
# Drug, diagnosis and procedure endings: a capitalised word with one is clinical, not a name nobody supplied.
_CLINICAL_ENDING = re.compile(
    r"(?:oma|emia|itis|osis|ectomy|otomy|ostomy|scopy|gram|graphy|plasty|mab|nib|platin|mycin|rubicin|cillin|azole"
    r"|statin|setron|sone|olone|profen|ogist|ology|pathy|penia|blast|cyte|therapy|ine|ide|ate)s?$"
)


@dataclass(frozen=True)
class NameSpan:
    start: int
    end: int
    tag: str  # patient, parent, ... for supplied names; clinician or person for the rest
    key: str  # who: "p3" for the fourth supplied participant, "n:jones" for a found name


class NameFinder:
    def __init__(self, participants: Sequence[Participant]) -> None:
        self.participants = tuple(participants)
        self.found: dict[str, tuple[str, str]] = {}  # lowercase form -> (tag, key), for names found by context
        self._ambiguous = ambiguous_names()
        self._first = first_names()
        self._words = english_words()
        self._clinical = clinical_words()

    def find(self, text: str, *, learn: bool) -> list[NameSpan]:
        spans: list[NameSpan] = []
        tokens = list(_TOKEN.finditer(text))
        for index, match in enumerate(tokens):
            word = _POSSESSIVE.sub("", match.group())
            end = match.start() + len(word)
            if spans and spans[-1].end >= match.start():
                continue
            hit = self._supplied(text, tokens, index, word) or self._revealed(text, tokens, index, word, learn=learn)
            if hit is None:
                continue
            tag, key = hit
            # A capitalised word straight after a name is its surname: "Sarah Jones", "Dr Ana Patel".
            nxt = tokens[index + 1] if index + 1 < len(tokens) else None
            if nxt is not None and text[end : nxt.start()] == " " and _capitalised(nxt.group()):
                surname = _POSSESSIVE.sub("", nxt.group())
                if surname.lower() not in _NOT_NAMES and not self._supplied(text, tokens, index + 1, surname):
                    end = nxt.start() + len(surname)
                    if learn and key.startswith("n:"):
                        self.found.setdefault(surname.lower(), (tag, key))
            spans.append(NameSpan(match.start(), end, tag, key))
        return spans

    def _supplied(self, text: str, tokens: list[re.Match[str]], index: int, word: str) -> tuple[str, str] | None:
        lower = word.lower()
        for number, person in enumerate(self.participants):
            if lower in person.forms:
                if lower in self._ambiguous or lower in _COMMON:
                    # The team told us this word is a name here, so a capital is enough, unless what follows
                    # makes it the everyday word ("Will you", "Hope so").
                    nxt = tokens[index + 1].group().lower() if index + 1 < len(tokens) else ""
                    vocative = text[tokens[index].start() + len(word) :].startswith(",")
                    initial = _sentence_initial(text, tokens[index].start())
                    if not _capitalised(word) or (initial and nxt in _WORD_USE_NEXT and not vocative):
                        return None
                return person.tag, f"p{number}"
        if not _capitalised(word) or lower in self._ambiguous or lower in _NOT_NAMES or lower in _COMMON or "'" in word:
            return None
        if len(word) < 4:
            # A short capitalised word that starts a supplied name is its short form: "Cal" for Caleb.
            for number, person in enumerate(self.participants):
                if len(word) >= 3 and any(len(form) >= 5 and form.startswith(lower) for form in person.forms):
                    return person.tag, f"p{number}"
            return None
        for number, person in enumerate(self.participants):
            if any(len(form) >= len(lower) + 2 and form.endswith(lower) for form in person.forms):
                return person.tag, f"p{number}"  # the end of a supplied name is its short form: "Liyah", "Beth"
        best: tuple[float, int] | None = None
        key = jellyfish.metaphone(lower)
        for number, person in enumerate(self.participants):
            for form in person.forms:
                if len(form) < 4 or (form[0] != lower[0] and jellyfish.metaphone(form)[:1] != key[:1]):
                    continue
                score = jellyfish.jaro_winkler_similarity(form, lower)
                if score >= 0.88 or (score >= 0.8 and jellyfish.metaphone(form) == key):
                    if best is None or score > best[0]:
                        best = (score, number)
        if best is None:
            return None
        return self.participants[best[1]].tag, f"p{best[1]}"

    def _revealed(self, text: str, tokens: list[re.Match[str]], index: int, word: str, *, learn: bool) -> tuple[str, str] | None:
        lower = word.lower()
        if not _capitalised(word) or lower in _NOT_NAMES or len(word) < 2 or word.isupper() or "'" in word:
            return None  # all capitals: an acronym (ALL, AML, ANC), not a name
        if lower in self.found:
            return self.found[lower]
        before = _previous_word(tokens, index)
        titled = _titled(text, tokens, index)
        start, end = tokens[index].start(), tokens[index].start() + len(word)
        introduced = titled or _INTRODUCED.search(text[:start]) is not None
        # Set off by commas or possessive, a word with a drug's ending is still a name: "the nurse, Tremaine, will".
        framed = introduced or text[end:].startswith(("'", "’")) or (text[:start].endswith(", ") and text[end:].startswith(","))
        if (not introduced and lower in self._clinical) or (not framed and _CLINICAL_ENDING.search(lower) and len(lower) >= 7):
            return None  # "Vincristine", "Zofran", "Mm-hmm"
        nxt = tokens[index + 1].group().lower() if index + 1 < len(tokens) else ""
        if titled:
            hit = ("clinician" if before in _CLINICAL_TITLES else "person", f"n:{lower}")
        elif lower in self._first and lower not in self._ambiguous:
            hit = ("person", f"n:{lower}")
        elif self._named_here(text, tokens, index, word, known_name=False):
            hit = ("person", f"n:{lower}")
        elif len(word) >= 3 and not self._word(lower):
            hit = ("person", f"n:{lower}")  # not a word, so a name even opening a sentence: "Jaxon made her this"
        elif lower in self._ambiguous and nxt in _AGENT_VERBS:
            hit = ("person", f"n:{lower}")  # "Hunter said", but not "Summer came"
        else:
            return None
        if learn and len(lower) >= 3:
            self.found[lower] = hit
        return hit

    def _named_here(self, text: str, tokens: list[re.Match[str]], index: int, word: str, *, known_name: bool = True) -> bool:
        """Whether the text treats this capitalised word as a name. For a known name that is also an everyday
        word ("Hope", "Will"), a possessive, a comma of address or a verb after it at a sentence start will do;
        any other word needs a title or a naming phrase before it, or a capital away from a sentence start."""
        if not _capitalised(word):
            return False
        match = tokens[index]
        initial = _sentence_initial(text, match.start())
        if _titled(text, tokens, index) or _INTRO.search(text[: match.start()]):
            return True
        if not initial:
            return True
        if word.lower() in _COMMON:
            return False
        after = text[match.start() + len(word) :]
        if after.startswith(("'s", "’s", ",")):
            return True  # "Declan's teacher", "Jayden, come here"
        nxt = tokens[index + 1].group().lower() if index + 1 < len(tokens) else ""
        return known_name and nxt in _NAME_VERBS and nxt != "will"

    def _word(self, lower: str) -> bool:
        # A listed hyphenated word ("g-tube"), or one whose parts are all words ("follow-up").
        return lower in self._words or all(part in self._words for part in lower.split("-"))


def _titled(text: str, tokens: list[re.Match[str]], index: int) -> bool:
    if index == 0 or (title := _previous_word(tokens, index)) not in _TITLES:
        return False
    gap = text[tokens[index - 1].end() : tokens[index].start()]
    return gap == " " or (gap == ". " and title in _ABBREVIATED)  # "Dr. Patel", but not "the nurse. By"


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _previous_word(tokens: list[re.Match[str]], index: int) -> str:
    return tokens[index - 1].group().lower().rstrip(".") if index > 0 else ""


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \"'“‘(")
    return not before or before[-1] in ".?!:;…"
