"""Which recordings a batch will process: the manifest's rows plus any audio it does not list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audio_pipeline.errors import InputError

from .manifest import Manifest, ManifestProblem, SessionSpec, load_manifest, safe_session_id

# Extensions we look for in INPUT_DIR; content is still checked by the decoder, so a bad file fails its own session.
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wma", ".amr", ".mp4", ".mov", ".webm", ".3gp"}
)


class ManifestInvalidError(InputError):
    """The manifest has problems; nothing runs until they are fixed (or --skip-invalid)."""

    code = "invalid_manifest"

    def __init__(self, problems: tuple[ManifestProblem, ...]) -> None:
        super().__init__(
            f"the manifest has {len(problems)} problem(s); fix them and run again, or pass --skip-invalid to process the rest"
        )
        self.problems = problems


@dataclass(frozen=True)
class Plan:
    sessions: tuple[SessionSpec, ...]
    warnings: tuple[str, ...] = ()
    skipped_rows: tuple[ManifestProblem, ...] = ()


def find_recordings(input_dir: Path) -> list[Path]:
    """Audio files under INPUT_DIR, in a stable order; hidden files and folders are ignored."""
    found = []
    for path in sorted(input_dir.rglob("*")):
        relative = path.relative_to(input_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix.lower() in AUDIO_EXTENSIONS:
            found.append(path.resolve())
    return found


def build_plan(input_dir: Path, manifest_path: Path | None, skip_invalid: bool = False) -> Plan:
    if not input_dir.is_dir():
        raise InputError("INPUT_DIR is not a folder; give the folder that holds the recordings")
    recordings = find_recordings(input_dir)
    warnings: list[str] = []
    listed: list[SessionSpec] = []
    skipped: tuple[ManifestProblem, ...] = ()
    manifest = Manifest((), ())
    if manifest_path is not None:
        manifest = load_manifest(manifest_path, input_dir)
        if manifest.problems and not skip_invalid:
            raise ManifestInvalidError(manifest.problems)
        listed = list(manifest.sessions)
        skipped = manifest.problems
        if skipped:
            warnings.append(f"{len(manifest.invalid_rows)} manifest row(s) with problems are skipped (--skip-invalid)")
    # Rows skipped for problems keep their files out of the 'unlisted' set too: they are not to be guessed at.
    known_files = set(manifest.named_files)
    taken = {spec.session_id for spec in listed}
    unlisted = []
    for path in recordings:
        if path in known_files:
            continue
        session_id = safe_session_id(path.stem, taken)
        taken.add(session_id)
        unlisted.append(SessionSpec(session_id=session_id, audio_path=path))
    if unlisted and manifest_path is not None:
        warnings.append(
            f"{len(unlisted)} recording(s) in INPUT_DIR have no manifest row; they are processed with default options, "
            "as sessions named after their files (see summary.csv)"
        )
    sessions = tuple(listed + unlisted)
    if not sessions:
        raise InputError("no recordings to process: INPUT_DIR holds no audio files and the manifest lists none")
    return Plan(sessions, tuple(warnings), skipped)
