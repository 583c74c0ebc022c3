"""Manifest validation: every problem at once, with its row number, before any work starts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from audio_pipeline.errors import InputError
from service.batch.manifest import load_manifest, safe_session_id
from service.batch.plan import ManifestInvalidError, build_plan

HEADER = "session_id,file,dyad_id,oncologist_id,date,setting,attendees,patient_age,num_speakers,min_speakers,max_speakers,notes\n"


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.wav", "b.wav", "sub/c.m4a", "unlisted.flac"):
        (folder / name).write_bytes(b"RIFF")
    (folder / ".hidden.wav").write_bytes(b"RIFF")
    (folder / "notes.txt").write_text("not a recording")
    return folder


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "sessions.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_a_good_manifest_gives_typed_sessions(tmp_path: Path, recordings: Path) -> None:
    path = write(
        tmp_path,
        'S1,a.wav,D1,ONC-1,2026-01-05,Clinic,oncologist=1;parent=2,9,,2,4,"first visit, with a comma"\n'
        "\n"  # blank lines are fine
        "S2,sub/c.m4a,D1,ONC-1,2026-02-05,telephone,,,3,,,\n",
    )
    manifest = load_manifest(path, recordings)
    assert manifest.problems == ()
    first, second = manifest.sessions
    assert first.row == 2 and second.row == 4
    assert first.date == dt.date(2026, 1, 5) and first.setting == "clinic"
    assert first.attendees == "oncologist=1,parent=2" and first.request.attendees == {"oncologist": 1, "parent": 2}
    assert (first.patient_age, first.min_speakers, first.max_speakers) == (9, 2, 4)
    assert first.notes == "first visit, with a comma"
    assert second.audio_path == (recordings / "sub" / "c.m4a").resolve() and second.num_speakers == 3


def test_every_problem_is_listed_with_its_row(tmp_path: Path, recordings: Path) -> None:
    path = write(
        tmp_path,
        "S1,a.wav,,,2026-13-01,clinic,,,,,,\n"  # row 2: bad date
        "S1,b.wav,,,,hospital,,,,,,\n"  # row 3: duplicate id, unknown setting
        "S3,missing.wav,,,,,,,,,,\n"  # row 4: missing file
        "S4,../outside.wav,,,,,,,,,,\n"  # row 5: outside INPUT_DIR
        "bad id!,a.wav,,,,,priest=1,99,0,5,2,\n",  # row 6: id, same file as row 2, attendees, age, counts
    )
    manifest = load_manifest(path, recordings)
    rows = sorted({p.row for p in manifest.problems})
    assert rows == [2, 3, 4, 5, 6]
    text = "\n".join(str(p) for p in manifest.problems)
    for expected in (
        "row 2: date must be written YYYY-MM-DD",
        "row 3, column setting must be one of clinic, inpatient or telephone",
        "row 3: session_id repeats row 2",
        "row 4: file not found in INPUT_DIR",
        "row 5: file must be inside INPUT_DIR",
        "row 6: session_id may use only",
        "row 6: file is the same recording as row 2",
        "row 6, column attendees takes ROLE=COUNT pairs",
        "row 6, column patient_age must be at most 40",
        "row 6, column num_speakers must be at least 1",
        "row 6, column max_speakers is smaller than min_speakers",
    ):
        assert expected in text, expected
    assert "2026-13-01" not in text and "missing.wav" not in text, "problems name rows and columns, not cell contents"
    assert manifest.sessions == ()


def test_header_problems_are_row_one(tmp_path: Path, recordings: Path) -> None:
    manifest = load_manifest(write(tmp_path, "S1,a.wav\n", header="session,file\n"), recordings)
    assert [str(p) for p in manifest.problems] == ["row 1: missing column(s) session_id; the header needs session_id, file"]
    manifest = load_manifest(write(tmp_path, "S1,a.wav,x\n", header="Session ID,File,atendees\n"), recordings)
    assert [p.row for p in manifest.problems] == [1] and "unknown column(s) atendees" in manifest.problems[0].message
    manifest = load_manifest(write(tmp_path, "S1,a.wav,extra\n", header="session_id,file\n"), recordings)
    assert "more cells than the header" in manifest.problems[0].message


def test_unreadable_manifests_are_one_clear_error(tmp_path: Path, recordings: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_manifest(tmp_path / "nope.csv", recordings)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("session_id,file,notes\nS1,a.wav,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="CSV UTF-8"):
        load_manifest(latin1, recordings)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"not a readable \.xlsx"):
        load_manifest(fake, recordings)


def test_xlsx_manifests_are_read_like_csv(tmp_path: Path, recordings: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["session_id", "file", "date", "num_speakers"])
    sheet.append(["S1", "a.wav", dt.datetime(2026, 1, 5), 3])  # Excel stores dates and numbers, not text
    path = tmp_path / "sessions.xlsx"
    book.save(path)
    manifest = load_manifest(path, recordings)
    assert manifest.problems == ()
    assert manifest.sessions[0].date == dt.date(2026, 1, 5) and manifest.sessions[0].num_speakers == 3


def test_plan_adds_unlisted_recordings_with_a_warning(tmp_path: Path, recordings: Path) -> None:
    path = write(tmp_path, "a,a.wav,,,,,,,,,,\nS2,sub/c.m4a,,,,,,,,,,\n")
    plan = build_plan(recordings, path)
    ids = [s.session_id for s in plan.sessions]
    assert ids == ["a", "S2", "b", "unlisted"], "hidden files and non-audio files are ignored"
    assert any("2 recording(s) in INPUT_DIR have no manifest row" in w for w in plan.warnings)
    assert all(s.row is None and s.attendees == "" for s in plan.sessions[2:])


def test_plan_refuses_an_invalid_manifest_unless_told(tmp_path: Path, recordings: Path) -> None:
    path = write(tmp_path, "S1,a.wav,,,,,,,,,,\nS2,b.wav,,,,nowhere,,,,,,\nS3,gone.wav,,,,,,,,,,\n")
    with pytest.raises(ManifestInvalidError) as caught:
        build_plan(recordings, path)
    assert [p.row for p in caught.value.problems] == [3, 4]
    plan = build_plan(recordings, path, skip_invalid=True)
    ids = [s.session_id for s in plan.sessions]
    assert ids[0] == "S1" and "S2" not in ids and "b" not in ids, "a skipped row's file is not guessed at"
    assert any("1 manifest row(s) with problems are skipped" in w or "2 manifest row(s)" in w for w in plan.warnings)


def test_plan_needs_recordings(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no recordings"):
        build_plan(tmp_path / "empty", None)
    with pytest.raises(InputError, match="not a folder"):
        build_plan(tmp_path / "absent", None)


def test_session_ids_from_file_names_are_safe_and_unique() -> None:
    assert safe_session_id("visit 3 (final)", []) == "visit-3-final"
    assert safe_session_id("a", ["a", "a-2"]) == "a-3"
    assert safe_session_id("...", []) == "recording"


def test_the_readme_example_manifest_uses_every_column(tmp_path: Path) -> None:
    from service.batch.manifest import COLUMNS

    example = Path(__file__).resolve().parents[3] / "examples" / "sessions.csv"
    assert example.read_text().splitlines()[0].split(",") == list(COLUMNS)
    manifest = load_manifest(example, tmp_path)
    assert {p.message for p in manifest.problems} == {"file not found in INPUT_DIR"}, "valid but for the absent audio"
