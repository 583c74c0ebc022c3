"""Rebuild audio_pipeline/deid/data/english_words.txt.gz, the everyday-word list de-identification uses to tell a
name from a word at the start of a sentence ("Jaxon made her a bracelet" against "Chemo starts Monday").

Usage:
    python scripts/build_deid_words.py [--words /usr/share/dict/american-english]

The source is SCOWL's American English list as Debian's wamerican package installs it (permissive licence:
copyright Kevin Atkinson and others, "permission to use, copy, modify, distribute and sell"). Only entries
written in lower case are kept, so proper nouns ("Brooklyn", "Kennedy") are not counted as words. The output is
gzip with a fixed timestamp, so a rebuild from the same list gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "audio_pipeline" / "deid" / "data" / "english_words.txt.gz"
_LOWER = re.compile(r"[a-z]+(?:-[a-z]+)*")
logger = logging.getLogger("build_deid_words")


def build(source: Path, out: Path = OUT) -> int:
    words = sorted({line.strip() for line in source.read_text(encoding="utf-8").splitlines() if _LOWER.fullmatch(line.strip())})
    header = f"# Lower-case entries of SCOWL American English ({source.name}); rebuilt by scripts/build_deid_words.py\n"
    with out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as packed:
        packed.write((header + "\n".join(words) + "\n").encode("utf-8"))
    return len(words)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=Path, default=Path("/usr/share/dict/american-english"), help="apt-get install wamerican")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logger.info("%d words written to %s", build(args.words), OUT.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
