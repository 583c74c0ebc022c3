"""summary.csv: the existing columns, then coders' decisions per session read from the transcripts as they are now."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from service.batch.summary import COLUMNS, summary_csv
from service.naming import export_file_name
from tests.audio_pipeline.export.transcripts import reviewed_transcript

from .sessions import write_study

OLD_COLUMNS = (
    "session_id", "dyad_id", "oncologist_id", "date", "setting", "status", "error_code", "error", "duration_s",
    "speakers", "roles", "talk_s_oncologist", "talk_s_other_clinician", "talk_s_parent", "talk_s_patient",
    "talk_s_other_family", "talk_s_unknown", "turns", "pauses_2s", "pauses_5s", "silence_candidates",
    "emotional_segments", "warnings",
)  # fmt: skip
REVIEW = ("candidates_confirmed", "candidates_rejected", "candidates_unreviewed", "silences_added_by_coder")


def rows(data: bytes) -> dict[str, dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return {r["session_id"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}


def test_existing_columns_are_kept_in_order_and_review_counts_follow() -> None:
    assert COLUMNS == (*OLD_COLUMNS, *REVIEW)


def test_each_session_counts_confirmed_rejected_and_unreviewed_candidates(tmp_path: Path) -> None:
    state, results = write_study(tmp_path)
    table = rows(summary_csv(results, state))
    assert [table["S01"][c] for c in REVIEW] == ["1", "0", "0", "1"]
    assert [table["S02"][c] for c in REVIEW] == ["0", "0", "1", "0"]
    assert [table["S03"][c] for c in REVIEW] == ["", "", "", ""], "failed: nothing to count"
    assert [table["S04"][c] for c in REVIEW] == ["0", "1", "0", "0"]
    assert table["S02"]["warnings"] == "synthetic_models" and table["S01"]["silence_candidates"] == "1"


def test_a_review_saved_after_the_batch_is_counted_on_the_next_summary(tmp_path: Path) -> None:
    state, results = write_study(tmp_path)
    path = state.session_dir("S02") / export_file_name("S02", "json", "json")
    path.write_text(reviewed_transcript("rejected", add_missed=False).to_json())
    assert [rows(summary_csv(results, state))["S02"][c] for c in REVIEW] == ["0", "1", "0", "0"]


def test_without_the_batch_folder_the_review_columns_stay_empty(tmp_path: Path) -> None:
    _, results = write_study(tmp_path)
    assert all(r[c] == "" for r in rows(summary_csv(results)).values() for c in REVIEW)
