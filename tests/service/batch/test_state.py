"""Resume keys, session records, leftovers of killed writes, one batch per folder, worker counts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from audio_pipeline.errors import InputError
from audio_pipeline.settings import Settings
from service.batch.display import session_fraction
from service.batch.manifest import SessionSpec
from service.batch.runner import default_workers
from service.batch.state import BatchState, RunOptions, SessionRecord, SessionStats, exclusive, session_key

GIB = 1024**3


def stats() -> SessionStats:
    return SessionStats(
        duration_s=60.0,
        speakers=2,
        roles=["oncologist", "parent"],
        talk_s_by_role={"oncologist": 40.0, "parent": 15.0},
        turns=9,
        pauses_2s=3,
        pauses_5s=1,
        silence_candidates=1,
        emotional_segments=2,
        warnings=[],
    )


def test_the_key_changes_with_anything_that_changes_the_result() -> None:
    spec = SessionSpec("S1", Path("/in/a.wav"))
    options = RunOptions.from_settings(("json",), Settings())
    key = session_key(spec, "aa", options)
    assert key == session_key(spec, "aa", RunOptions.from_settings(("json",), Settings()))
    assert key != session_key(spec, "bb", options), "other audio"
    assert key != session_key(SessionSpec("S1", Path("/in/a.wav"), num_speakers=2), "aa", options), "other hints"
    assert key != session_key(spec, "aa", RunOptions.from_settings(("json", "maxqda"), Settings())), "other formats"
    assert key != session_key(spec, "aa", RunOptions.from_settings(("json",), Settings(silence_min_s=4.0))), "other analysis"
    assert key == session_key(spec, "aa", RunOptions.from_settings(("json",), Settings(cpu_threads=3))), "threads change nothing"
    assert key == session_key(spec, "aa", RunOptions.from_settings(("json",), Settings(service_port=9999))), "nor the service"
    assert key == session_key(spec, "aa", RunOptions.from_settings(("json",), Settings(data_dir=Path("/elsewhere"))))
    assert key == session_key(SessionSpec("S1", Path("/elsewhere/a.wav"), notes="moved"), "aa", options), "same bytes, moved"


def test_a_session_is_done_only_with_its_record_and_every_output(tmp_path: Path) -> None:
    state = BatchState(tmp_path)
    assert not state.is_done("S1", "k")
    state.write_outputs("S1", {"S1.transcript.json": b"{}", "S1.csv": b"a"})
    assert not state.is_done("S1", "k"), "outputs without a record are not done"
    record = SessionRecord(
        session_id="S1",
        key="k",
        package_version="0",
        audio_sha256="aa",
        outputs=["S1.csv", "S1.transcript.json"],
        stats=stats(),
        finished_at=datetime.now(UTC),
        elapsed_s=1.0,
    )
    state.commit(record)
    assert state.is_done("S1", "k") and not state.is_done("S1", "other key")
    assert (tmp_path / "sessions" / "S1" / "session.json").stat().st_mode & 0o077 == 0
    (tmp_path / "sessions" / "S1" / "S1.csv").unlink()
    assert not state.is_done("S1", "k"), "a missing output means redo"
    (tmp_path / "sessions" / "S1" / "session.json").write_text("{broken")
    assert state.record("S1") is None
    state.forget("S1")
    assert not (tmp_path / "sessions" / "S1" / "session.json").exists()


def test_leftovers_of_killed_writes_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "sessions" / "S1"
    folder.mkdir(parents=True)
    (folder / ".S1.transcript.json.abc123.part").write_bytes(b"half")
    (folder / "S1.transcript.json").write_bytes(b"whole")
    assert BatchState(tmp_path).remove_partial_files() == 1
    assert [p.name for p in folder.iterdir()] == ["S1.transcript.json"]


def test_one_batch_per_output_folder(tmp_path: Path) -> None:
    with exclusive(tmp_path / "out"):
        with pytest.raises(InputError, match="another batch"), exclusive(tmp_path / "out"):
            pass
    with exclusive(tmp_path / "out"):
        pass  # released


@pytest.mark.parametrize(
    ("cores", "memory_gib", "device", "expected"),
    [
        (2, 24, "cpu", 1),  # our CI machine
        (16, 128, "cpu", 8),
        (16, 8, "cpu", 2),  # memory bound
        (1, 1, "cpu", 1),  # never zero
        (16, 128, "cuda", 2),  # two workers share one GPU
        (16, 4, "cuda", 1),
    ],
)
def test_default_workers_follow_the_machine(cores: int, memory_gib: int, device: str, expected: int) -> None:
    assert default_workers(cores, memory_gib * GIB, device) == expected


def test_session_progress_moves_forward_through_the_stages() -> None:
    points = [session_fraction(stage, f) for stage in ("decode", "transcribe", "diarize", "analyze") for f in (0.0, 0.5, 1.0)]
    assert points == sorted(points) and points[0] == 0.0 and points[-1] == pytest.approx(1.0)
    assert session_fraction("unknown-stage", 0.5) == 0.0
