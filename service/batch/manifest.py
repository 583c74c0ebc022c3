"""The session manifest: one row per recording, validated in full before any work starts.

Problems name the row (as a spreadsheet numbers it: the header is row 1) and the column, never
the cell's content, because manifests carry dates and ids that are PHI.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from audio_pipeline.errors import InputError
from audio_pipeline.request import RunHints, RunRequest, RunRequestError, run_request

REQUIRED = ("session_id", "file")
OPTIONAL = (
    "dyad_id",
    "oncologist_id",
    "date",
    "setting",
    "attendees",
    "patient_age",
    "num_speakers",
    "min_speakers",
    "max_speakers",
    "speakers_from",
    "names",
    "notes",
)
COLUMNS = REQUIRED + OPTIONAL
# The columns that are run options: checked, and later run, by the one RunHints model.
_REQUEST_COLUMNS = tuple(c for c in OPTIONAL if c in RunHints.model_fields)
_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class SessionSpec:
    """One recording to process and what the coordinator knows about it."""

    session_id: str
    audio_path: Path
    row: int | None = None  # manifest row; None for a recording the manifest does not list
    dyad_id: str = ""
    oncologist_id: str = ""
    date: dt.date | None = None
    setting: str | None = None
    attendees: str = ""
    patient_age: int | None = None
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    names: str = ""  # for --deidentify only; never logged, and sent only with a --server job
    notes: str = ""

    @property
    def request(self) -> RunRequest:
        """The run request; its values were checked when the manifest was read."""
        values = self.options() | {"names": self.names or None}
        return run_request(values, RunRequest)

    def options(self) -> dict[str, object]:
        """What about this session changes its result (part of its resume key)."""
        return {
            "attendees": self.attendees,
            "patient_age": self.patient_age,
            "setting": self.setting,
            "num_speakers": self.num_speakers,
            "min_speakers": self.min_speakers,
            "max_speakers": self.max_speakers,
        }


@dataclass(frozen=True)
class ManifestProblem:
    row: int
    message: str

    def __str__(self) -> str:
        # "row 4, column max_speakers is smaller than min_speakers"; other problems read "row 4: file is empty".
        return f"row {self.row}, {self.message}" if self.message.startswith("column ") else f"row {self.row}: {self.message}"


@dataclass(frozen=True)
class Manifest:
    sessions: tuple[SessionSpec, ...]
    problems: tuple[ManifestProblem, ...]
    invalid_rows: frozenset[int] = frozenset()
    named_files: frozenset[Path] = frozenset()  # every file a row names, valid or not


Table = tuple[list[str], list[dict[str, str]]]  # header (normalized column names), rows


def read_rows(path: Path) -> Table:
    """The manifest's header and rows as text, from CSV (UTF-8, as Excel's 'CSV UTF-8' writes it) or .xlsx."""
    if not path.is_file():
        raise InputError("the manifest file does not exist; check the --manifest path")
    if path.suffix.lower() == ".xlsx":
        return _xlsx_rows(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the manifest is not UTF-8 text; in Excel use Save As > 'CSV UTF-8'") from None
    except OSError:
        raise InputError("the manifest file cannot be read") from None
    return _as_dicts(list(csv.reader(io.StringIO(text, newline=""))))


def _xlsx_rows(path: Path) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        raise InputError("the manifest is not a readable .xlsx workbook; save it again, or as CSV UTF-8") from None
    sheet = book.worksheets[0]
    table = [["" if cell is None else _xlsx_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return _as_dicts(table)


def _xlsx_text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_dicts(table: list[list[str]]) -> Table:
    if not table:
        raise InputError("the manifest is empty; it needs a header row with at least session_id and file")
    header = [_column_name(name) for name in table[0]]
    rows = []
    for values in table[1:]:
        padded = [*values, *[""] * (len(header) - len(values))]
        row = {name: padded[i].strip() for i, name in enumerate(header) if name}
        extra = [v for v in padded[len(header) :] if v.strip()]
        if extra:
            row["__extra__"] = "yes"
        rows.append(row)
    return header, rows


def _column_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def load_manifest(path: Path, input_dir: Path) -> Manifest:
    """Read and check every row; every problem is collected, none stops the check early."""
    header, body = read_rows(path)
    problems: list[ManifestProblem] = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(ManifestProblem(1, f"missing column(s) {', '.join(missing)}; the header needs {', '.join(REQUIRED)}"))
        return Manifest((), tuple(problems))
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:
        problems.append(ManifestProblem(1, f"unknown column(s) {', '.join(unknown)}; known columns are {', '.join(COLUMNS)}"))
    sessions: list[SessionSpec] = []
    invalid: set[int] = set()
    seen_ids: dict[str, int] = {}
    seen_files: dict[Path, int] = {}
    root = input_dir.resolve()
    for number, row in enumerate(body, start=2):
        if not any(v for k, v in row.items() if k != "__extra__"):
            continue  # blank line
        found = _check_row(row, root)
        session_id = row.get("session_id", "")
        if session_id in seen_ids:
            found.append(f"session_id repeats row {seen_ids[session_id]}; every session needs its own id")
        elif session_id:
            seen_ids[session_id] = number
        audio = (root / row.get("file", "")).resolve()
        if row.get("file") and audio in seen_files:
            found.append(f"file is the same recording as row {seen_files[audio]}")
        elif row.get("file"):
            seen_files[audio] = number
        if found:
            invalid.add(number)
            problems.extend(ManifestProblem(number, message) for message in found)
            continue
        sessions.append(_spec(row, audio, number))
    return Manifest(tuple(sessions), tuple(problems), frozenset(invalid), frozenset(seen_files))


def _check_row(row: dict[str, str], root: Path) -> list[str]:
    found: list[str] = []
    if row.get("__extra__"):
        found.append("has more cells than the header has columns")
    session_id = row.get("session_id", "")
    if not session_id:
        found.append("session_id is empty")
    elif not _SESSION_ID.fullmatch(session_id):
        found.append("session_id may use only letters, digits, '.', '_' and '-' (up to 64, starting with a letter or digit)")
    name = row.get("file", "")
    if not name:
        found.append("file is empty")
    else:
        audio = (root / name).resolve()
        if not audio.is_relative_to(root):
            found.append("file must be inside INPUT_DIR (give its path relative to INPUT_DIR)")
        elif not audio.is_file():
            found.append("file not found in INPUT_DIR")
    if row.get("date"):
        try:
            dt.date.fromisoformat(row["date"])
        except ValueError:
            found.append("date must be written YYYY-MM-DD")
    found.extend(_request_problems(row))
    return found


def _request_problems(row: dict[str, str]) -> list[str]:
    """The row's run options, checked by the one RunRequest model and worded as columns."""
    values: dict[str, str | None] = {column: row.get(column) or None for column in _REQUEST_COLUMNS}
    for column in ("attendees", "names"):
        text = values[column]
        values[column] = _attendees(text) if text else None
    setting = values["setting"]
    values["setting"] = setting.lower() if setting else None
    try:
        run_request(values, RunRequest)
    except RunRequestError as exc:
        return exc.describe(lambda field: f"column {field}", str)
    return []


def _spec(row: dict[str, str], audio: Path, number: int) -> SessionSpec:
    def number_or_none(column: str) -> int | None:
        return int(row[column]) if row.get(column) else None

    return SessionSpec(
        session_id=row["session_id"],
        audio_path=audio,
        row=number,
        dyad_id=row.get("dyad_id", ""),
        oncologist_id=row.get("oncologist_id", ""),
        date=dt.date.fromisoformat(row["date"]) if row.get("date") else None,
        setting=row["setting"].lower() if row.get("setting") else None,
        attendees=_attendees(row.get("attendees", "")),
        patient_age=number_or_none("patient_age"),
        num_speakers=number_or_none("num_speakers"),
        min_speakers=number_or_none("min_speakers"),
        max_speakers=number_or_none("max_speakers"),
        names=_attendees(row.get("names", "")),
        notes=row.get("notes", ""),
    )


def _attendees(text: str) -> str:
    # ';' inside a CSV cell survives Excel's re-saving better than ','; both are accepted.
    return text.replace(";", ",")


def safe_session_id(stem: str, taken: Iterable[str]) -> str:
    """A session id for a recording the manifest does not list, from its file name."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:56] or "recording"
    used = set(taken)
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate
