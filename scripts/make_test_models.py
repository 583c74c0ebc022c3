"""Build random-weight models that run the real faster-whisper and pyannote.audio code paths offline.

Usage:
    python scripts/make_test_models.py OUT_DIR [--whisper-size tiny|small|large-v3-turbo] [--asr-name NAME]

OUT_DIR gets the same layout as ``scripts/fetch_models.py`` produces, so
``ALLIANCE_MODELS_DIR=OUT_DIR alliance transcribe recording.wav`` runs end to end
with no model hub. The text such models produce is nonsense; the code path is real.

The recipes are those of ``../shared/docs/engineering-notes.md``. The ``small`` and
``large-v3-turbo`` sizes give architecture-faithful models (real layer counts, widths,
mel bins and vocabulary size) for ``scripts/bench.py``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

os.environ["PYANNOTE_METRICS_ENABLED"] = "0"

logger = logging.getLogger("make_test_models")

DIARIZATION_DIR_NAME = "speaker-diarization-community-1"
SYNTHETIC_REVISION = "random-weights"


@dataclass(frozen=True)
class WhisperDims:
    d_model: int
    encoder_layers: int
    decoder_layers: int
    heads: int
    ffn_dim: int
    num_mel_bins: int
    vocab_size: int | None  # None: only the byte, special and timestamp tokens


WHISPER_SIZES: dict[str, WhisperDims] = {
    "tiny": WhisperDims(64, 1, 1, 4, 128, 80, None),
    # Dimensions of openai/whisper-small.en and openai/whisper-large-v3-turbo.
    "small": WhisperDims(768, 12, 12, 12, 3072, 80, 51864),
    "large-v3-turbo": WhisperDims(1280, 32, 4, 20, 5120, 128, 51866),
}

# Which ASR model name each size stands in for, so the default lookup finds it.
DEFAULT_ASR_NAME = {"tiny": "small.en", "small": "small.en", "large-v3-turbo": "large-v3-turbo"}

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|startoftranscript|>",
    "<|en|>",
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nospeech|>",
    "<|notimestamps|>",
]
TIMESTAMP_TOKENS = [f"<|{i * 0.02:.2f}|>" for i in range(1501)]


def _write_marker(model_dir: Path, repo_id: str, extra: dict[str, object]) -> None:
    marker = {"repo_id": repo_id, "revision": SYNTHETIC_REVISION, "synthetic": True, **extra}
    (model_dir / "alliance-model.json").write_text(json.dumps(marker, indent=2) + "\n")


def _build_tokenizer(text_vocab_size: int, path: Path) -> dict[str, int]:
    """Byte-level BPE tokenizer: 256 byte symbols (+ filler symbols), specials, timestamps."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {symbol: i for i, symbol in enumerate(alphabet)}
    # Filler tokens pad the text vocabulary to a real model's size; they are two-byte
    # strings so that the byte-level decoder can always turn them back into text.
    fill = 0
    while len(vocab) < text_vocab_size:
        token = alphabet[fill // len(alphabet)] + alphabet[fill % len(alphabet)]
        vocab.setdefault(token, len(vocab))
        fill += 1
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(SPECIAL_TOKENS + TIMESTAMP_TOKENS)
    tokenizer.save(str(path))
    return {token: tokenizer.token_to_id(token) for token in SPECIAL_TOKENS}


def _favour_letters(model: object, tokenizer_path: Path) -> None:
    """Make the random decoder prefer letters and spaces, so its output always has words to time.

    Unbiased random weights often emit only byte tokens that decode to nothing printable, which
    leaves segments without words. The final layer norm gets a bias along one direction and the
    (tied) embeddings of letter and space tokens point along it, which raises their logits; the
    weights stay random and every code path stays the real one.
    """
    import torch
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    preferred = [tokenizer.token_to_id(c) for c in "abcdefghijklmnopqrstuvwxyzĠ"]
    decoder = model.model.decoder  # type: ignore[attr-defined]
    with torch.no_grad():
        decoder.layer_norm.bias.zero_()
        decoder.layer_norm.bias[0] = 4.0
        decoder.embed_tokens.weight[:, 0] = 0.0
        decoder.embed_tokens.weight[preferred, 0] = 2.0


def build_whisper(out_dir: Path, size: str = "tiny", name: str | None = None, quantization: str | None = None) -> Path:
    """Build a random-weight Whisper model converted to CTranslate2 under OUT/whisper/NAME.

    ``quantization`` is CTranslate2's storage type (e.g. float16); by default the weights stay float32
    on disk and CTranslate2 converts them to the compute type at load.
    """
    import torch
    from transformers import GenerationConfig, WhisperConfig, WhisperForConditionalGeneration

    dims = WHISPER_SIZES[size]
    name = name or DEFAULT_ASR_NAME[size]
    target = out_dir / "whisper" / name
    n_fixed = len(SPECIAL_TOKENS) + len(TIMESTAMP_TOKENS)
    text_vocab = (dims.vocab_size - n_fixed) if dims.vocab_size else 256

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        hf_dir = Path(tmp) / "hf"
        hf_dir.mkdir()
        ids = _build_tokenizer(text_vocab, hf_dir / "tokenizer.json")
        vocab_size = text_vocab + n_fixed
        eot, sot = ids["<|endoftext|>"], ids["<|startoftranscript|>"]
        config = WhisperConfig(
            vocab_size=vocab_size,
            num_mel_bins=dims.num_mel_bins,
            encoder_layers=dims.encoder_layers,
            decoder_layers=dims.decoder_layers,
            encoder_attention_heads=dims.heads,
            decoder_attention_heads=dims.heads,
            encoder_ffn_dim=dims.ffn_dim,
            decoder_ffn_dim=dims.ffn_dim,
            d_model=dims.d_model,
            max_source_positions=1500,
            max_target_positions=448,
            decoder_start_token_id=sot,
            bos_token_id=eot,
            eos_token_id=eot,
            pad_token_id=eot,
            suppress_tokens=[],
            begin_suppress_tokens=[eot],
        )
        model = WhisperForConditionalGeneration(config)
        _favour_letters(model, hf_dir / "tokenizer.json")
        generation = GenerationConfig(
            decoder_start_token_id=sot,
            eos_token_id=eot,
            pad_token_id=eot,
            bos_token_id=eot,
            suppress_tokens=[],
            begin_suppress_tokens=[eot],
            lang_to_id={"<|en|>": ids["<|en|>"]},
            task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
            no_timestamps_token_id=ids["<|notimestamps|>"],
            is_multilingual=not name.endswith(".en"),
        )
        model.generation_config = generation
        model.save_pretrained(hf_dir)
        (hf_dir / "preprocessor_config.json").write_text(json.dumps({"feature_size": dims.num_mel_bins, "sampling_rate": 16000}))
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        # The converter's own entry point, run by this interpreter: its console script is not always
        # beside it (a package installed with --target, say).
        converter = "import sys; from ctranslate2.converters.transformers import main; sys.exit(main())"
        storage = ["--quantization", quantization] if quantization else []
        subprocess.run(
            [
                sys.executable,
                "-c",
                converter,
                *storage,
                "--model",
                str(hf_dir),
                "--output_dir",
                str(target),
                "--copy_files",
                "tokenizer.json",
                "preprocessor_config.json",
            ],
            check=True,
            capture_output=True,
        )
    # Random weights never emit end-of-text, so every window would decode to the 448-token limit;
    # the cap keeps the real code path while giving a realistic number of tokens per window.
    _write_marker(target, f"random/{size}", {"size": size, "recommended_max_new_tokens": 24 if size == "tiny" else 96})
    logger.info("built random-weight Whisper (%s) at %s", size, target)
    return target


def build_diarization(out_dir: Path) -> Path:
    """Build a random-weight pyannote speaker-diarization pipeline under OUT/pyannote/..."""
    import lightning
    import numpy as np
    import torch
    import yaml
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding import WeSpeakerResNet34
    from pyannote.audio.models.segmentation import PyanNet

    target = out_dir / "pyannote" / DIARIZATION_DIR_NAME
    if target.exists():
        shutil.rmtree(target)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    segmentation = PyanNet()
    segmentation.specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION,
        resolution=Resolution.FRAME,
        duration=10.0,
        classes=["speaker#1", "speaker#2", "speaker#3"],
        powerset_max_classes=2,
        permutation_invariant=True,
    )
    segmentation.build()
    with torch.no_grad():
        # Powerset classes are (none, 1, 2, 3, 1+2, 1+3, 2+3). Unbiased random weights make
        # all three local speakers active everywhere, tripling the embedding work a real
        # two-party consultation causes; favour one speaker, sometimes two, as real speech does.
        segmentation.classifier.bias.copy_(torch.tensor([0.5, 3.0, 1.5, -3.0, -1.0, -3.0, -3.0]))
    embedding = WeSpeakerResNet34()
    # Checkpoints carry specifications; an untrained embedding model has none of its own.
    embedding.specifications = Specifications(problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=10.0)

    for sub, model in (("segmentation", segmentation), ("embedding", embedding)):
        checkpoint: dict[str, object] = {
            "state_dict": model.state_dict(),
            "hyper_parameters": dict(model.hparams),
            "pytorch-lightning_version": lightning.__version__,
        }
        model.on_save_checkpoint(checkpoint)
        (target / sub).mkdir(parents=True)
        torch.save(checkpoint, target / sub / "pytorch_model.bin")

    plda_dir = target / "plda"
    plda_dir.mkdir()
    np.savez(
        plda_dir / "xvec_transform.npz",
        mean1=rng.standard_normal(256),
        mean2=rng.standard_normal(128),
        lda=rng.standard_normal((256, 128)),
    )
    orthogonal, _ = np.linalg.qr(rng.standard_normal((128, 128)))
    np.savez(
        plda_dir / "plda.npz",
        mu=rng.standard_normal(128),
        tr=orthogonal,
        psi=rng.uniform(0.5, 2.0, 128),
    )
    config = {
        "pipeline": {
            "name": "pyannote.audio.pipelines.SpeakerDiarization",
            "params": {
                "segmentation": "$model/segmentation",
                "embedding": "$model/embedding",
                "plda": "$model/plda",
                "clustering": "VBxClustering",
                "embedding_exclude_overlap": True,
                "embedding_batch_size": 32,
                "segmentation_batch_size": 32,
            },
        },
        "params": {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {"threshold": 0.6, "Fa": 0.07, "Fb": 0.8},
        },
    }
    (target / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _write_marker(target, "random/speaker-diarization", {})
    logger.info("built random-weight diarization pipeline at %s", target)
    return target


def models_for_bench(given: Path | None, tmp: Path) -> Path:
    """The models folder a benchmark was given, else tiny random-weight models built under tmp."""
    if given is not None:
        return given
    models = tmp / "models"
    logger.info("building tiny random-weight models")
    build_whisper(models, "tiny")
    build_diarization(models)
    return models


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--whisper-size", choices=sorted(WHISPER_SIZES), default="tiny")
    parser.add_argument("--asr-name", help="folder name under whisper/ (default: the model it stands in for)")
    parser.add_argument("--skip-diarization", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    build_whisper(args.out_dir, args.whisper_size, args.asr_name)
    if not args.skip_diarization:
        build_diarization(args.out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
