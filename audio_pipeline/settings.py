"""The library's settings. Every value can be set by an environment variable ALLIANCE_<NAME>."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from .audio import AudioLimits

DEFAULT_VOCABULARY = (
    "scan", "PET", "MRI", "CT", "relapse", "progression", "chemo", "chemotherapy", "radiation",
    "trial", "port", "counts", "tumor", "biopsy", "neuroblastoma", "osteosarcoma", "hospice",
    "palliative",
)  # fmt: skip


class Settings(BaseSettings):
    """What the library reads. Delivery layers extend it (service/settings.py) with their own fields."""

    model_config = SettingsConfigDict(env_prefix="ALLIANCE_", extra="ignore")

    # Models
    models_dir: Path | None = Field(None, description="Folder with whisper/ and pyannote/ model folders.")
    allow_downloads: bool = Field(False, description="Let missing models download from the hub at run time.")
    hub_token: str | None = Field(None, description="Hub token for gated models when downloads are allowed.")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    asr_model: str | None = Field(None, description="Name or folder; default large-v3-turbo on CUDA, small.en on CPU.")
    asr_compute_type: str | None = Field(None, description="Default float16 on CUDA, int8 on CPU.")
    diarization_model: str = "speaker-diarization-community-1"
    diarization_embedding_batch_size: int | None = Field(
        None,
        ge=1,
        description="Speaker-embedding batch. Our runtimes count chunks (default 4); stock pyannote counts "
        "(chunk, speaker) pairs: default 1 on CPU (2x faster and 1 GB leaner there than the pipeline's 32, "
        "measured), the pipeline's own value on CUDA.",
    )
    diarization_runtime: Literal["auto", "onnx", "torch", "stock"] = Field(
        "auto",
        description="torch: pyannote with one embedding-trunk pass per chunk (same numbers, a third of the work); "
        "onnx: that plus both networks exported to ONNX Runtime (CPU only); auto: onnx on CPU, torch on CUDA; "
        "stock: pyannote unchanged.",
    )
    cpu_threads: int = Field(0, ge=0, description="0 lets each engine choose.")
    overlap_gpu_stages: bool = Field(
        True,
        description="On CUDA, run diarization beside recognition (different engines, different CUDA streams) "
        "when the GPU has overlap_min_free_gpu_mb free after loading both; never on CPU.",
    )
    overlap_min_free_gpu_mb: int = Field(4096, ge=0)

    # Transcription
    language: str = Field("en", description="Language code, or 'auto' to detect.")
    asr_beam_size: int = Field(5, ge=1, le=20)
    asr_batch_size: int | None = Field(
        None,
        ge=0,
        le=64,
        description="0: faster-whisper's sequential decoding, each window conditioned on the last; N: its "
        "BatchedInferencePipeline, N windows at a time (same VAD and word timestamps; faster, but fewer words "
        "came back on CPU in our measurement, see README, Benchmark). Unset: 16 on CUDA, where it took an "
        "hour's pipeline from 47 s to 30 s, and 0 on CPU.",
    )
    asr_max_new_tokens: int | None = Field(None, ge=1, le=448)
    asr_prompt: str = "Um, uh, hmm. A consultation about the scan results."
    asr_vocabulary: list[str] = Field(default_factory=lambda: list(DEFAULT_VOCABULARY))
    asr_temperature_fallback: bool = Field(
        True,
        description="Re-decode a window at higher temperatures when it fails Whisper's quality checks "
        "(better text on hard audio, slower).",
    )
    asr_keep_non_speech_tags: bool = Field(True, description="Let the model write tags such as (crying).")

    # Attribution
    attribution_tolerance_s: float = Field(0.5, ge=0.0, le=5.0)

    # Analysis (pauses, emotional content, Silence candidates)
    min_pause_s: float = Field(2.0, gt=0, description="List every pause at least this long.")
    silence_min_s: float = Field(5.0, gt=0, description="Shortest pause that can be a Silence candidate.")
    silence_trigger_window_s: float = Field(10.0, ge=0, description="How far back emotional speech may be.")
    emotion_min_score: float = Field(0.5, ge=0, le=1)
    emotion_lexicon: Path | None = Field(None, description="Your own lexicon file instead of the shipped one.")

    # Exports
    export_pause_threshold_s: float = Field(2.0, ge=0, description="Pauses at least this long appear inline in text exports.")
    export_allow_audio: bool = Field(
        False, description="Allow the recording itself inside exports (REFI-QDA audio source). Audio is PHI: off by default."
    )

    # De-identified copies
    deid_date_policy: Literal["keep_year", "all", "none"] = Field(
        "keep_year", description="keep_year: replace dates more specific than a year; all: years too; none: keep dates."
    )
    deid_audio_mode: Literal["tone", "mute"] = Field("tone", description="How replaced words sound in a redacted recording.")

    # Voice enrollment of recurring clinicians (voiceprints are biometric data: owner-only files)
    data_dir: Path = Field(Path.home() / ".local" / "share" / "alliance", description="Where voiceprints are kept.")
    enrollment_threshold: float = Field(
        0.75, ge=-1, le=1, description="Cosine similarity above which a voice matches an enrolled clinician."
    )

    # Input limits
    max_duration_s: float = Field(4 * 3600.0, gt=0)
    max_channels: int = Field(32, ge=1)
    min_sample_rate_hz: int = Field(4000, ge=1)
    max_sample_rate_hz: int = Field(384_000, ge=1)

    def audio_limits(self) -> AudioLimits:
        from .audio import AudioLimits  # here, so reading settings does not load the decoder

        return AudioLimits(self.max_duration_s, self.max_channels, self.min_sample_rate_hz, self.max_sample_rate_hz)
