"""The two diarization networks exported to ONNX from the loaded weights and run with ONNX Runtime.

At first use the segmentation network (PyanNet) and the embedding trunk (WeSpeaker ResNet34 from
filterbanks to frame features) are exported with torch's ONNX exporter and cached beside the models
as ``onnx/<part>-<hash of the weights>.onnx``: new weights get a new file, never a stale one. A
read-only models folder caches under ALLIANCE_DATA_DIR instead. Filterbanks, pooling and everything
after stay pyannote's torch code. Any failure warns and leaves that part on PyTorch.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

OPSET = 17
CHUNK_SAMPLES = 160_000  # pyannote's 10 s chunks at 16 kHz; export and run at this fixed length


def weights_hash(module: Any) -> str:
    """A short digest of a module's weights, so an export is reused only for the same weights."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def cache_dir(models_path: Path, data_dir: Path) -> Path:
    """``<models>/onnx`` when it can be written, else a folder under the data directory."""
    beside = models_path / "onnx"
    with contextlib.suppress(OSError):
        beside.mkdir(exist_ok=True)
        if os.access(beside, os.W_OK):
            return beside
    fallback = data_dir / "onnx-cache" / models_path.name
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


class _TrunkModule:
    """Built lazily so importing this module does not import torch."""

    @staticmethod
    def build(resnet: Any) -> Any:
        import torch

        class Trunk(torch.nn.Module):
            # ResNet.forward_frames without its in-place unsqueeze_, which the exporter mistraces.
            def __init__(self) -> None:
                super().__init__()
                self.resnet = resnet

            def forward(self, fbank: torch.Tensor) -> torch.Tensor:
                r = self.resnet
                x = torch.relu(r.bn1(r.conv1(fbank.permute(0, 2, 1).unsqueeze(1))))
                return r.layer4(r.layer3(r.layer2(r.layer1(x))))

        return Trunk().eval()


def _export(module: Any, example: Any, target: Path, input_name: str) -> None:
    import torch

    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as tmp:
        partial = Path(tmp.name)
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer notes
            torch.onnx.export(
                module,
                (example,),
                str(partial),
                dynamo=False,
                input_names=[input_name],
                output_names=["output"],
                dynamic_axes={input_name: {0: "batch"}, "output": {0: "batch"}},
                opset_version=OPSET,
            )
        os.replace(partial, target)  # atomic: a concurrent reader never sees half a file
    finally:
        partial.unlink(missing_ok=True)


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # 0: ONNX Runtime's own choice (one per physical core)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxRunner:
    """Runs one exported network on torch tensors; other shapes go to the torch fallback."""

    def __init__(self, session: Any, input_shape: tuple[int, ...], fallback: Any) -> None:
        self.session = session
        self.input_name = session.get_inputs()[0].name
        self.input_shape = input_shape  # without the batch axis
        self.fallback = fallback

    def __call__(self, batch: Any) -> Any:
        import torch

        if tuple(batch.shape[1:]) != self.input_shape:
            return self.fallback(batch)
        array = np.ascontiguousarray(batch.detach().cpu().numpy(), dtype=np.float32)
        return torch.from_numpy(self.session.run(None, {self.input_name: array})[0])


def _prepared(part: str, module: Any, example: Any, folder: Path, threads: int, fallback: Any) -> OnnxRunner:
    target = folder / f"{part}-{weights_hash(module)}.onnx"
    if not target.is_file():
        logger.info("exporting the diarization %s network to ONNX (once per weights)", part)
        _export(module, example, target, "input")
    return OnnxRunner(_session(target, threads), tuple(example.shape[1:]), fallback)


def use_onnx(pipeline: Any, models_path: Path, data_dir: Path, threads: int = 0) -> bool:
    """Switch a loaded one-pass pipeline's two networks to ONNX Runtime; False (with a warning) if not.

    Each part falls back to PyTorch on its own, so one failed export keeps the other's gain.
    """
    import torch

    try:
        folder = cache_dir(models_path, data_dir)
    except OSError as exc:
        logger.warning("no folder to cache ONNX exports in (%s): diarization runs on PyTorch", type(exc).__name__)
        return False
    switched = False
    segmentation = pipeline._segmentation.model
    try:
        example = torch.zeros(1, 1, CHUNK_SAMPLES)
        runner = _prepared("segmentation", segmentation, example, folder, threads, segmentation.forward)
        segmentation.forward = runner  # pyannote's Inference calls model(chunks): this answers it
        switched = True
    except Exception as exc:  # noqa: BLE001  (exporter and runtime raise many types; keep PyTorch)
        logger.warning("ONNX export of the segmentation network failed (%s): running it on PyTorch", type(exc).__name__)
    embedding = pipeline._embedding.model_
    try:
        with torch.inference_mode():
            example = embedding.compute_fbank(torch.zeros(1, 1, CHUNK_SAMPLES))
        trunk = _TrunkModule.build(embedding.resnet)
        pipeline.trunk = _prepared("embedding", trunk, example, folder, threads, embedding.resnet.forward_frames)
        switched = True
    except Exception as exc:  # noqa: BLE001  (as above)
        logger.warning("ONNX export of the embedding network failed (%s): running it on PyTorch", type(exc).__name__)
    return switched
