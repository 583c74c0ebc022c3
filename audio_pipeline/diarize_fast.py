"""pyannote's diarization with one embedding-trunk pass per chunk instead of one per local speaker.

pyannote.audio 4.0.7's ``SpeakerDiarization.get_embeddings`` feeds each 10 s chunk to the whole
WeSpeaker ResNet34 once per local speaker (three), although the speaker mask only enters the final
statistics pooling. ``OneTrunkPassDiarization`` overrides that one method: the trunk runs once per
chunk and the frame features are pooled for each local speaker with the same masks, so the numbers
are the same for a third of the work. Chunks where no local speaker is active skip the trunk: their
embeddings are the waveform-independent value pooling over zero weights gives, which pyannote never
uses (those speakers go to its throw-away cluster). Everything else is pyannote's own code.

The override copies the mask logic of 4.0.7; another version falls back to the stock pipeline.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
from pyannote.audio.pipelines import SpeakerDiarization
from pyannote.core import SlidingWindowFeature

logger = logging.getLogger(__name__)

PINNED_PYANNOTE = "4.0.7"

# fbank (batch, frames, mel) -> trunk features (batch, channels, freq, frames); the default is torch.
Trunk = Callable[[Any], Any]


def pyannote_version() -> str | None:
    try:
        return version("pyannote.audio")
    except PackageNotFoundError:
        return None


def supported() -> bool:
    """Whether the installed pyannote.audio is the version the override was checked against."""
    return pyannote_version() == PINNED_PYANNOTE


def pooling_masks(binary_segmentations: SlidingWindowFeature, min_num_frames: int, exclude_overlap: bool) -> np.ndarray:
    """The mask pyannote 4.0.7 pools each (chunk, speaker) with: (chunks, speakers, frames), float32.

    The same arithmetic as ``get_embeddings``: overlap-free frames when there are more than
    ``min_num_frames`` of them, all of the speaker's frames otherwise; NaN (partial stitching) is 0.
    """
    data = binary_segmentations.data
    masks = np.nan_to_num(data, nan=0.0).astype(np.float32)
    if exclude_overlap:
        clean_frames = 1.0 * (np.sum(data, axis=2, keepdims=True) < 2)
        clean = np.nan_to_num(data * clean_frames, nan=0.0).astype(np.float32)
    else:
        clean = masks
    use_clean = np.sum(clean, axis=1, keepdims=True) > min_num_frames  # (chunks, 1, speakers)
    return np.ascontiguousarray(np.where(use_clean, clean, masks).transpose(0, 2, 1))


class OneTrunkPassDiarization(SpeakerDiarization):  # type: ignore[misc]
    """SpeakerDiarization whose embedding step runs the ResNet trunk once per chunk."""

    trunk: Trunk | None = None  # set by the runtime (ONNX); None runs the model's own torch trunk
    chunks_per_batch: int = 4

    def get_embeddings(
        self,
        file: Any,
        binary_segmentations: SlidingWindowFeature,
        exclude_overlap: bool = False,
        hook: Callable[..., Any] | None = None,
    ) -> np.ndarray:
        import torch

        if self.training:  # hyper-parameter tuning caches embeddings across trials: pyannote's path
            return super().get_embeddings(file, binary_segmentations, exclude_overlap=exclude_overlap, hook=hook)

        model = self._embedding.model_
        duration = binary_segmentations.sliding_window.duration
        num_chunks, num_frames, num_speakers = binary_segmentations.data.shape
        min_num_frames = -1
        if exclude_overlap:
            num_samples = duration * self._embedding.sample_rate
            min_num_frames = math.ceil(num_frames * self._embedding.min_num_samples / num_samples)
        masks = pooling_masks(binary_segmentations, min_num_frames, exclude_overlap)
        needed = np.flatnonzero(masks.sum(axis=2).max(axis=1) > 0)
        if needed.size == 0:  # pyannote exits before embeddings then; keep the shapes valid anyway
            needed = np.arange(min(1, num_chunks))

        batches = [needed[i : i + self.chunks_per_batch] for i in range(0, needed.size, self.chunks_per_batch)]
        if hook is not None:
            hook("embeddings", None, total=len(batches), completed=0)
        device = self._embedding.device
        embeddings: np.ndarray | None = None
        with torch.inference_mode():
            for done, batch in enumerate(batches, 1):
                waveforms = torch.vstack(
                    [self._audio.crop(file, binary_segmentations.sliding_window[int(c)], mode="pad")[0][None] for c in batch]
                ).to(device)
                fbank = model.compute_fbank(waveforms)
                frames = self.trunk(fbank) if self.trunk is not None else model.resnet.forward_frames(fbank)
                weights = torch.from_numpy(masks[batch]).to(device)
                pooled = model.resnet.forward_embedding(frames, weights=weights)[1].cpu().numpy()
                if embeddings is None:
                    # Pooling over all-zero weights gives zero statistics whatever the frames: the
                    # value stock pyannote returns for a silent speaker, computed once.
                    silent = model.resnet.forward_embedding(frames[:1], weights=torch.zeros_like(weights[:1, :1]))[1]
                    embeddings = np.broadcast_to(silent.cpu().numpy(), (num_chunks, num_speakers, pooled.shape[-1])).copy()
                embeddings[batch] = pooled
                if hook is not None:
                    hook("embeddings", pooled, total=len(batches), completed=done)
        assert embeddings is not None
        return embeddings


def one_trunk_pass(pipeline: SpeakerDiarization) -> SpeakerDiarization:
    """The loaded stock pipeline switched to the one-pass embedding step, or unchanged (with a warning).

    Only the class changes: weights, hyper-parameters and every other step stay pyannote's own.
    """
    if not supported():
        logger.warning(
            "pyannote.audio %s is not %s: running its stock diarization (one trunk pass per speaker)",
            pyannote_version(),
            PINNED_PYANNOTE,
        )
        return pipeline
    if type(pipeline) is not SpeakerDiarization:
        logger.warning("the diarization pipeline is not pyannote's SpeakerDiarization: running it unchanged")
        return pipeline
    pipeline.__class__ = OneTrunkPassDiarization
    return pipeline
