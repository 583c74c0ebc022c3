"""summary.html rendered by headless Debian Chromium: the synthetic-model banner, review flags and decisions in the DOM."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from service.batch.report import summary_html

from .sessions import write_study

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--enable-logging=stderr", "--v=0"]  # fmt: skip


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("chromium is not installed; run scripts/setup.sh")
    args = [browser, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    shown = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "CONSOLE" not in shown.stderr and "Uncaught" not in shown.stderr, "no script errors or blocked loads"
    return shown


def _text(fragment: str) -> str:
    return re.sub(r"<[^>]+>", " ", fragment).strip()


def row_of(dom: str, row_id: str) -> dict[str, str]:
    """A session's row as the browser built it: column header to cell text."""
    headers = [_text(h) for h in re.findall(r"<th>(.*?)</th>", dom, re.S)]
    row = re.search(rf"<tr[^>]*id=\"row-{row_id}\"[^>]*>(.*?)</tr>", dom, re.S)
    assert row is not None, f"no table row for {row_id}"
    cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    return dict(zip(headers, cells, strict=True))


def test_the_rendered_report_shows_the_synthetic_banner_review_flags_and_decisions(tmp_path: Path) -> None:
    state, results = write_study(tmp_path / "out")
    page = tmp_path / "summary.html"
    page.write_text(summary_html(results, state), encoding="utf-8")
    dom = chromium(page, tmp_path / "profile", "--dump-dom").stdout
    assert 'data-plots="4/4"' in dom, "one dyad plot and three timelines, every one decoded"
    banner = re.search(r"<div class=\"banner\" id=\"synthetic-banner\"[^>]*>(.*?)</div>", dom, re.S)
    assert banner is not None and "1 session used synthetic (random-weight test) models: S02" in banner.group(1)
    flags = row_of(dom, "S02")["warnings and review flags"]
    assert "synthetic_models: Random-weight test models were used" in flags
    assert "review role of Parent 1 (Parent, confidence 0.42)" in flags
    review = ("confirmed", "rejected", "to review", "added by coders")  # as the transcripts stand now
    assert [row_of(dom, "S01")[c] for c in review] == ["1", "0", "0", "1"]
    assert [row_of(dom, "S02")[c] for c in review] == ["0", "0", "1", "0"]
    assert [row_of(dom, "S04")[c] for c in review] == ["0", "1", "0", "0"]
    assert row_of(dom, "S01")["warnings and review flags"] == ""
    assert "1 failed" in dom and "unsupported_audio" in row_of(dom, "S03")["problem"]
    shot = tmp_path / "summary.png"
    chromium(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,1600", "--hide-scrollbars")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_no_banner_without_synthetic_models_and_zero_failed_is_not_red(tmp_path: Path) -> None:
    state, results = write_study(tmp_path / "out", synthetic=False)
    page = summary_html([r for r in results if r.status != "failed"], state)
    assert "synthetic-banner" not in page
    assert "0 failed" in page and "<span class='failed'>0 failed" not in page
    assert "3 sessions:" in page
    one = summary_html(results[:1], state)
    assert "1 session:" in one
