"""Recall and precision of de-identification per identifier kind, on a labelled set; prints a table.

Usage:
    .venv/bin/python scripts/eval_deid.py [--sessions 100] [--per-session 14] [--seed 7] [--show-misses]
        [--templates scripts/data/deid_templates_heldout.txt | scripts/data/deid_templates_heldout2.txt]

Builds SESSIONS sessions of PER_SESSION utterances from the hand-written templates in
scripts/data/deid_templates.txt, filling their slots from the name and identifier pools below (names that are
also words, nicknames, the recognizer's misspellings, names nobody supplied, every date and phone form). Each
session's supplied names are passed as --names would pass them. A labelled span counts as found when every one
of its characters was replaced (by any tag); a replacement is correct when it overlaps a labelled span.
It then lists what it replaces in the emotion and suggestion sets, which name nobody but a child called Emma.
Targets: recall >= 0.99 for supplied names, >= 0.95 for other names, >= 0.99 for phones, emails and dates;
precision >= 0.90.
"""

from __future__ import annotations

import argparse
import csv
import logging
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audio_pipeline.deid import Deidentifier, parse_names  # noqa: E402

logger = logging.getLogger("eval_deid")
TEMPLATES = ROOT / "scripts" / "data" / "deid_templates.txt"
# (supplied name, a nickname family or team would use, a misspelling the recognizer might write)
PATIENTS = [
    ("Emma Carter", "Em", "Ema"),
    ("Hope Alvarez", "Hopey", "Hope"),
    ("Grace Kim", "Gracie", "Grayce"),
    ("William Brooks", "Will", "Wiliam"),
    ("Faith Johnson", "Faithy", "Faythe"),
    ("Jayden Price", "Jay", "Jaden"),
    ("Aaliyah Green", "Liyah", "Aliyah"),
    ("Sophia Rossi", "Sophie", "Sofia"),
    ("Katherine Doyle", "Katie", "Catherine"),
    ("Elizabeth Moore", "Lizzie", "Elisabeth"),
    ("Isabella Cruz", "Bella", "Isabela"),
    ("Caleb Hughes", "Cal", "Kaleb"),
    ("Zoey Turner", "Zo", "Zoe"),
    ("Nevaeh Ward", "Nev", "Neveah"),
    ("Joy Okafor", "Joyful", "Joi"),
    ("Mason Reed", "Mase", "Mayson"),
    ("Rose Bennett", "Rosie", "Rosa"),
    ("Summer Hayes", "Sum", "Sommer"),
    ("Alexander Petrov", "Alex", "Alexandr"),
    ("Olivia Grant", "Liv", "Olivea"),
]
PARENTS = [
    "Sarah",
    "Jennifer",
    "Maria",
    "Michael",
    "David",
    "Jose",
    "Ashley",
    "Grace",
    "Mark",
    "Tamika",
    "DeShawn",
    "Rosa",
    "Brian",
    "Nicole",
    "Carlos",
    "Heather",
    "Ahmed",
    "Priya",
    "Will",
    "Dawn",
]
SIBLINGS = ["Will", "Hope", "Jack", "Lily", "Ben", "Mia", "Ruby", "Max", "Sunny", "Jasper", "Ivy", "Noah"]
ONCOLOGISTS = ["Patel", "Nguyen", "Okafor", "Goldberg", "Hernandez", "Young", "King", "Rivera", "Baker", "Hill"]
CLINICIANS = ["Beth", "Tom", "Kelly", "Ahmed", "Priya", "Joy", "Carol", "Dean"]
# Names nobody supplied: children's names of the last twenty years from many backgrounds, about one in ten of
# them also an everyday word ("Harper", "Willow"), and adults and doctors of all ages. Written as a pool for the
# evaluation, not taken from any list the detector ships (some are in the 1990 census list it uses; most are not).
KIDS = """Jayden Brayden Kaden Aiden Nevaeh Tyler Connor Zoe Jaxon Kinsley Declan Liam Elijah Mateo Santiago Jayce
    Greyson Kayden Braxton Bentley Easton Ryker Kingston Zayden Maddox Paxton Camden Landon Jace Colton Harper
    Paisley Brooklyn Addison Skylar Aubree Kennedy Madelyn Peyton Mackenzie Makayla Jazmin Ximena Valentina Camila
    Itzel Yaretzi Jaylen Jamari Malik Amari Imani Zainab Fatima Omar Yusuf Arjun Aarav Ananya Mei Hana Hunter
    Willow Ryder Sawyer Journey Legend""".split()
ADULTS = """Linda Tasha Carmen Denise Keisha Brenda Monique Yolanda Gloria Shonda Latoya Ebony Tiffany Crystal Misty
    Candace Marisol Guadalupe Xiomara Nkechi Oluwaseun Thanh Siobhan Niamh Deepa Rajesh Jamal Tremaine Dwayne
    Reggie Travis Cody Dustin Wyatt Hank""".split()
DOCTORS = """Ramirez Feldman Chen Osei Morgan Whitfield Novak Alvarado Sandoval Nakamura Abernathy Oyelaran Kowalski
    Lindqvist Brooks Fox Wolf Bell Rich Strong""".split()
PHONES = ["555-123-4567", "(901) 555-0199", "615.555.0142", "555 0173", "8015550123", "+1 312 555 0148"]
EMAILS = ["{first}.{last}@gmail.com", "{first}{n}@yahoo.com", "{last}.family@outlook.com", "{first} at gmail dot com"]
DATES = [
    "March 3rd",
    "March 3, 2024",
    "the 14th of February",
    "4/12/2015",
    "June 2nd",
    "October 21st, 2023",
    "January 5",
    "12/01/19",
    "September twenty-first",
    "May 9th, 2016",
]
ADDRESSES = ["1423 Maple Street", "88 North Oak Avenue, Apt 4B", "301 Cedar Lane", "7 Willow Court", "PO Box 2231"]
RECORD_NUMBERS = ["4471903", "MR-4432190", "88120045", "00312987"]
SCHOOLS = ["Lincoln Elementary School", "Jefferson Middle School", "Oak Ridge High School", "St. Mary's Academy"]
HOSPITALS = ["St. Jude Children's Hospital", "Mercy Medical Center", "Riverside Hospital", "Vanderbilt Children's Hospital"]
TOWNS = ["Memphis", "Knoxville", "Springfield", "Cedar Rapids", "Bowling Green", "Jackson"]
SUPPLIED_SLOTS = ["patient", "patient_nick", "patient_typo", "parent1", "parent2", "sibling", "onc", "clin"]
KIND_OF_SLOT = {
    **dict.fromkeys(SUPPLIED_SLOTS, "names supplied"),
    **dict.fromkeys(["kid", "adult", "doc"], "names not supplied"),
    "phone": "phone", "email": "email", "date": "date", "address": "address", "mrn": "record number",
    "school": "place", "hospital": "place", "town": "place",
}  # fmt: skip
KINDS = ["names supplied", "names not supplied", "phone", "email", "date", "address", "record number", "place"]
TARGETS = {"names supplied": 0.99, "names not supplied": 0.95, "phone": 0.99, "email": 0.99, "date": 0.99}


@dataclass(frozen=True)
class Labelled:
    text: str
    spans: tuple[tuple[int, int, str], ...]  # start, end, kind


def templates(path: Path = TEMPLATES) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def session(rng: random.Random, lines: list[str], size: int) -> tuple[str, list[Labelled]]:
    full, nick, typo = rng.choice(PATIENTS)
    first, last = full.split()
    parent1, parent2 = rng.sample(PARENTS, 2)
    values = {
        "patient": first, "patient_nick": nick, "patient_typo": typo, "parent1": parent1, "parent2": parent2,
        "sibling": rng.choice([s for s in SIBLINGS if s != first]), "onc": rng.choice(ONCOLOGISTS),
        "clin": rng.choice([c for c in CLINICIANS if c not in (parent1, parent2)]),
        "kid": rng.choice([k for k in KIDS if k != first]), "adult": rng.choice(ADULTS), "doc": rng.choice(DOCTORS),
        "phone": rng.choice(PHONES), "date": rng.choice(DATES), "address": rng.choice(ADDRESSES),
        "mrn": rng.choice(RECORD_NUMBERS), "school": rng.choice(SCHOOLS), "hospital": rng.choice(HOSPITALS),
        "town": rng.choice(TOWNS),
        "email": rng.choice(EMAILS).format(first=parent1.lower(), last=last.lower(), n=rng.randint(1, 99)),
    }  # fmt: skip
    # Half the sessions name the nickname in the hints; the rest rely on the nickname table or the misspelling rules.
    patient = f"{full}/{nick}" if rng.random() < 0.5 else full
    names = f"patient={patient},parent={parent1} {last},parent={parent2} {last},sibling={values['sibling']},"
    names += f"oncologist={values['onc']},clinician={values['clin']}"
    return names, [_fill(line, values) for line in rng.sample(lines, size)]


def _fill(template: str, values: dict[str, str]) -> Labelled:
    text = ""
    spans: list[tuple[int, int, str]] = []
    cursor = 0
    for slot in re.finditer(r"\{(\w+)\}", template):
        text += template[cursor : slot.start()]
        value = values[slot[1]]
        spans.append((len(text), len(text) + len(value), KIND_OF_SLOT[slot[1]]))
        text += value
        cursor = slot.end()
    return Labelled(text + template[cursor:], tuple(spans))


def evaluate(
    sessions: int, per_session: int, seed: int, show_misses: bool, path: Path = TEMPLATES
) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    lines = templates(path)
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    for _ in range(sessions):
        names, utterances = session(rng, lines, min(per_session, len(lines)))
        engine = Deidentifier(parse_names(names))
        for item, replacements in zip(utterances, engine.learn([u.text for u in utterances]), strict=True):
            covered = {i for r in replacements for i in range(r.start, r.end)}
            for start, end, kind in item.spans:
                total[kind] += 1
                if all(i in covered for i in range(start, end)):
                    found[kind] += 1
                elif show_misses:
                    logger.info(f"missed {kind}: {item.text!r} [{item.text[start:end]}]")
            for r in replacements:
                kind = _reported_kind(r.tag)
                predicted[kind] += 1
                if any(r.start < end and r.end > start for start, end, _ in item.spans):
                    right[kind] += 1
                elif show_misses:
                    logger.info(f"false {r.tag}: {item.text!r} [{item.text[r.start : r.end]}]")
    rows = {}
    for kind in [*KINDS, "all"]:
        n = sum(total.values()) if kind == "all" else total[kind]
        hit = sum(found.values()) if kind == "all" else found[kind]
        made = sum(predicted.values()) if kind == "all" else predicted[kind]
        good = sum(right.values()) if kind == "all" else right[kind]
        rows[kind] = {"labelled": n, "recall": hit / n if n else 1.0, "replaced": made, "precision": good / made if made else 1.0}
    return rows


def other_sets_replacements() -> list[str]:
    """What gets replaced in the emotion and suggestion evaluation sets: clinical talk with no identifiers but a
    child called Emma twice, so everything else listed is a false replacement that the templates may not show."""
    texts = []
    for name in ("emotion_utterances.csv", "suggestion_utterances.csv", "suggestion_utterances_heldout.csv"):
        with (ROOT / "scripts" / "data" / name).open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    engine = Deidentifier(parse_names(""))
    return [text[r.start : r.end] for text, found in zip(texts, engine.learn(texts), strict=True) for r in found]


def _reported_kind(tag: str) -> str:
    if tag in {"patient", "parent", "sibling", "family", "oncologist", "clinician", "person"}:
        return "names supplied" if tag not in {"person", "clinician"} else "names not supplied"
    return {"id": "record number"}.get(tag, tag)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--per-session", type=int, default=14)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--templates", type=Path, default=TEMPLATES, help="e.g. scripts/data/deid_templates_heldout.txt")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    rows = evaluate(args.sessions, args.per_session, args.seed, args.show_misses, args.templates)
    title = f"De-identification: {args.sessions} sessions x {args.per_session} utterances from {args.templates.name}"
    table = Table(title=title)
    for column in ("kind", "labelled", "recall", "target", "replaced", "precision"):
        table.add_column(column)
    for kind, row in rows.items():
        target = f">= {TARGETS[kind]:.2f}" if kind in TARGETS else ""
        table.add_row(
            kind, f"{row['labelled']:.0f}", f"{row['recall']:.3f}", target, f"{row['replaced']:.0f}", f"{row['precision']:.3f}"
        )
    Console().print(table)
    others = other_sets_replacements()
    logger.info(f"emotion and suggestion sets, no names supplied: {len(others)} replaced ({', '.join(others)})")
    logger.info("precision target: >= 0.90 overall; a replacement counts as right when it overlaps any labelled span")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
