"""Code suggestions: rules from data, spans, role gating, look-alike negatives, the evaluation script."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline.analysis.suggestions import load_rules, match_text, suggest
from audio_pipeline.codebook import load_codebook
from audio_pipeline.errors import InvalidOptionError
from audio_pipeline.schema import Segment


def seg(n: int, text: str, role: str | None = "oncologist") -> Segment:
    return Segment(
        id=f"seg-{n:05d}", start_s=float(n), end_s=n + 0.9, speaker="S1", text=text, words=[], overlap=False,
        asr_confidence=1.0, role=role,
    )  # fmt: skip


def test_codebook_has_seven_themes_and_twenty_eight_codes() -> None:
    book = load_codebook()
    assert len(book.themes) == 7
    assert len(book.paths) == 28
    assert "Presence / Silence" in book.paths


def test_every_rule_names_a_codebook_code() -> None:
    assert {r.code for r in load_rules()} <= load_codebook().paths
    assert len({r.code for r in load_rules()}) == 12


def test_suggestion_carries_code_span_rule_and_is_labelled_a_suggestion() -> None:
    text = "I'm afraid I don't have good news. The bottom line is the tumor grew."
    (first, second) = suggest([seg(1, text)])
    assert (first.code, first.status) == ("Honesty / Warning shot", "suggested")
    assert text[first.start_char : first.end_char] == first.text
    assert first.rule.startswith("warning.")
    assert second.code == "Honesty / Summarizing" and second.segment_id == "seg-00001"
    assert 0 < second.confidence <= 1


@pytest.mark.parametrize(
    "text",
    [
        "I think it's going to rain later.",
        "We reviewed her scan at tumor board on Tuesday.",
        "Sorry, could you say that again?",
        "Overall survival has improved.",
        "I'll show you out, the exit is to the left.",
        "It's like an hour drive from here.",
    ],
)
def test_look_alike_negatives_are_not_suggested(text: str) -> None:
    assert match_text(text, "oncologist") == []


def test_clinician_behaviours_are_not_suggested_for_family_speech() -> None:
    assert match_text("I think we should get a second opinion.", "parent") == []
    assert match_text("I think we should get a second opinion.", None)  # role not known yet: still suggested


def test_rules_file_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - {id: x, code: Made / Up, confidence: 0.9, pattern: 'x'}\n")
    with pytest.raises(InvalidOptionError, match="not in the codebook"):
        load_rules(bad)
    bad.write_text("rules: [{id: x}]\n")
    with pytest.raises(InvalidOptionError, match="could not be read"):
        load_rules(bad)
