"""Download the pinned model revisions into models/ (run on a machine that can reach the model hub).

Usage:
    python scripts/fetch_models.py [--only NAME ...] [--dest DIR] [--token TOKEN]

The diarization pipeline (pyannote/speaker-diarization-community-1) is gated: accept its
conditions on the hub with your account once, then give a token with --token, HF_TOKEN, or
at the prompt. Copy the resulting folder to the machine that processes recordings and set
ALLIANCE_MODELS_DIR there (or keep it at models/ in the checkout).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audio_pipeline.errors import AllianceError
from audio_pipeline.models import ASR_MODELS, DIARIZATION_MODELS, REPO_MODELS_DIR, download

logger = logging.getLogger("fetch_models")


def main(argv: list[str] | None = None) -> int:
    every = {**{n: ("whisper", p) for n, p in ASR_MODELS.items()}, **{n: ("pyannote", p) for n, p in DIARIZATION_MODELS.items()}}
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=sorted(every), help="fetch only these (default: all)")
    parser.add_argument("--dest", type=Path, default=REPO_MODELS_DIR, help=f"models folder (default {REPO_MODELS_DIR})")
    parser.add_argument("--token", help="hub token for gated models (default: HF_TOKEN, else prompt)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    token = args.token or os.environ.get("HF_TOKEN")
    names = args.only or sorted(every)
    for name in names:
        kind, pin = every[name]
        if pin.gated and not token and sys.stdin.isatty():
            token = getpass.getpass(f"{pin.repo_id} is gated; hub token: ") or None
        try:
            path = download(pin, args.dest / kind / name, token=token)
        except AllianceError as exc:
            logger.error("error: %s", exc.message)
            return exc.exit_code
        logger.info("%s@%s -> %s", pin.repo_id, pin.revision[:10], path)
    logger.info("done; set ALLIANCE_MODELS_DIR=%s where recordings are processed", args.dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
