"""Regenerate the committed transcript JSON Schema: python scripts/generate_schema.py [--check]."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audio_pipeline.schema import SCHEMA_VERSION, json_schema_text

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "transcript.schema.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is out of date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    text = json_schema_text()
    if args.check:
        if not SCHEMA_PATH.exists() or SCHEMA_PATH.read_text() != text:
            logging.error("%s is out of date; run python scripts/generate_schema.py", SCHEMA_PATH.name)
            return 1
        return 0
    SCHEMA_PATH.parent.mkdir(exist_ok=True)
    SCHEMA_PATH.write_text(text)
    logging.info("wrote %s (schema %s)", SCHEMA_PATH, SCHEMA_VERSION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
