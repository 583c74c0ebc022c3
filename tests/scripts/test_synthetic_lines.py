"""make_synthetic_consults.py --lines: conversations spoken from a labelled set's lines (issue 21)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.make_synthetic_consults import load_lines
from scripts.make_synthetic_consults import main as make

ROWS = [
    ("the scan shows it has spread to her bones", 1, "bad_news_worsening"),
    ("we're so frightened of what comes next", 1, "fear"),
    ("I don't want to be sick anymore", 1, "child_voice"),
    ("the nurse will call you with the times", 0, "neg_medical_neutral"),
    ("the parking garage was full again today", 0, "neg_logistics"),
    ("I drew a dragon in the playroom", 0, "neg_child_everyday"),
]


def _csv(path: Path, rows: list[tuple[str, int, str]]) -> Path:
    path.write_text("text,emotional,category,source\n" + "".join(f"{t},{e},{c},test\n" for t, e, c in rows))
    return path


def test_turns_come_from_the_labelled_lines_with_their_labels_and_the_same_seeds(tmp_path: Path) -> None:
    lines = _csv(tmp_path / "lines.csv", ROWS)
    labels = {text: (bool(emotional), category) for text, emotional, category in ROWS}
    for run in ("a", "b"):
        assert make([str(tmp_path / run), "--count", "1", "--lines", str(lines)]) == 0
    (truth_path,) = (tmp_path / "a").glob("*.json")
    truth = json.loads(truth_path.read_text())
    assert truth == json.loads((tmp_path / "b" / truth_path.name).read_text())  # deterministic by seed
    spoken = truth["utterances"]
    assert {u["text"] for u in spoken} <= set(labels)
    assert all(labels[u["text"]] == (u["emotional"], u["category"]) for u in spoken)
    # the clinician speaks the bad news, the parent the fear; every turn of a label keeps its role
    assert {u["category"] for u in spoken if u["role"] == "oncologist" and u["emotional"]} == {"bad_news_worsening"}
    assert {u["category"] for u in spoken if u["role"] == "parent" and u["emotional"]} == {"fear"}
    # the script is kept: long pauses right after emotional rows, and the scans pause after a neutral one
    long = [p for p in truth["pauses"] if p["duration_s"] >= 5.0]
    before = [max((u for u in spoken if u["end_s"] <= p["start_s"] + 1e-6), key=lambda u: u["end_s"]) for p in long]
    assert any(u["emotional"] for u in before) and not before[-1]["emotional"]
    assert any(p["follows_emotion"] for p in long)


def test_a_role_without_rows_of_a_label_borrows_that_labels_rows(tmp_path: Path) -> None:
    lines = load_lines(_csv(tmp_path / "lines.csv", [ROWS[1], ROWS[4]]))
    assert all(pool == [(ROWS[1][0], "fear")] for pool in lines[True].values())
    assert all(pool == [(ROWS[4][0], "neg_logistics")] for pool in lines[False].values())


def test_a_set_without_both_labels_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no rows with emotional=0"):
        load_lines(_csv(tmp_path / "lines.csv", ROWS[:3]))


def test_eval_silences_builds_its_conversations_from_the_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scripts.eval_silences import main as evaluate

    lines = str(_csv(tmp_path / "lines.csv", ROWS))
    assert evaluate(["--count", "1", "--lines", lines, "--tuning", lines, "--blind", lines]) == 0
    out = capsys.readouterr().out
    assert "lines: lines.csv" in out and "Silence candidates: sensitivity" in out
