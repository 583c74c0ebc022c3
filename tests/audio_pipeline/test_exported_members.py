"""The library's public surface is deliberate: what __all__ lists resolves, and nothing is listed by accident."""

from __future__ import annotations

import audio_pipeline

EXPECTED = {
    "__version__",
    "TranscriptionPipeline",
    "ProgressCallback",
    "RunRequest",
    "RunHints",
    "RunRequestError",
    "Settings",
    "Transcript",
    "load_transcript",
    "SCHEMA_VERSION",
    "AllianceError",
    "InputError",
    "ModelError",
    "EngineError",
    "export",
    "exporter",
    "ExportOptions",
    "deidentified",
}


def test_all_lists_exactly_the_public_surface() -> None:
    assert set(audio_pipeline.__all__) == EXPECTED


def test_every_exported_name_resolves_and_belongs_to_the_library() -> None:
    for name in audio_pipeline.__all__:
        member = getattr(audio_pipeline, name)
        if (not isinstance(member, type) and not callable(member)) or name == "ProgressCallback":
            continue  # constants and type aliases have no module of their own
        module = getattr(member, "__module__", "audio_pipeline")
        assert module.startswith("audio_pipeline"), f"{name} comes from {module}"
