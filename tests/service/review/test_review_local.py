"""``alliance review`` in a real browser (Debian chromium via chromium-driver), on a consultation the real
pipeline transcribed: token, playback, keyboard decisions, corrections with re-analysis, conflicts, export, axe.

The tests share one review server and one browser, and run in order: each builds on the decisions before it,
as one coder's session would.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from axe_selenium_python import Axe
from lxml import etree
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.service.cli.test_commands import ROOT, cli_env

from .browser import ReviewProcess, chromium, js, start_review, wait_ready

pytestmark = pytest.mark.engines
SCREENSHOT = ROOT / "docs" / "review.png"
Run = tuple[ReviewProcess, Path]  # the running review server and the transcript it saves to


@pytest.fixture(scope="module")
def workspace(pipeline_transcript: Path, consultation: tuple[Path, list[dict[str, object]]],
              tmp_path_factory: pytest.TempPathFactory, tiny_models: Path) -> Iterator[tuple[ReviewProcess, Path]]:  # fmt: skip
    folder = tmp_path_factory.mktemp("review")
    transcript = folder / "consult.transcript.json"
    transcript.write_text(pipeline_transcript.read_text())
    env = cli_env(tiny_models)
    review = start_review(str(transcript), "--audio", str(consultation[0]), "--coder", "RA-1", env=env, log=folder / "review.log")
    yield review, transcript
    review.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def saved(transcript: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(transcript.read_text())


def revision(driver: WebDriver) -> int:
    return int(js(driver, "return window.review.state.payload.meta.revision"))  # type: ignore[arg-type]


def wait_revision(driver: WebDriver, above: int, timeout: float = 30) -> int:
    WebDriverWait(driver, timeout).until(lambda d: revision(d) > above and not js(d, "return window.review.state.busy"))
    return revision(driver)


def press(driver: WebDriver, keys: str) -> None:
    driver.find_element(By.TAG_NAME, "body").send_keys(keys)


def candidate_states(driver: WebDriver) -> list[str]:
    return [li.get_attribute("data-state") or "" for li in driver.find_elements(By.CSS_SELECTOR, "#candidates li.item")]


def cookie_client(review: ReviewProcess) -> httpx.Client:
    client = httpx.Client(base_url=review.origin, timeout=30)
    first = client.get(review.url.replace(review.origin, ""))
    assert first.status_code == 303
    return client


def test_the_token_opens_it_and_nothing_else_does(workspace: Run) -> None:
    review, _ = workspace
    for path in ("/", "/api/transcript", "/audio", "/export.qdpx", "/static/app.js"):
        answer = httpx.get(review.origin + path)
        assert answer.status_code == 401, path
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    assert httpx.get(review.origin + "/?token=wrong").status_code == 401
    exchange = httpx.get(review.url)
    assert exchange.status_code == 303 and exchange.headers["location"] == "/"
    cookie = exchange.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    client = cookie_client(review)
    for path in ("/", "/api/transcript", "/static/app.js"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    # Writes need our page's CSRF header and no cross-site origin, even with the cookie.
    base = client.get("/api/transcript").json()["meta"]["revision"]
    assert client.post("/api/undo", json={"base_revision": base}).status_code == 403
    forged = {"X-Alliance-Review": "1", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert client.post("/api/undo", json={"base_revision": base}, headers=forged).status_code == 403


def test_audio_is_streamed_with_range_requests(workspace: Run) -> None:
    review, _ = workspace
    client = cookie_client(review)
    part = client.get("/audio", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["accept-ranges"] == "bytes"
    assert part.headers["content-range"].startswith("bytes 1000-1999/")
    assert len(part.content) == 1000
    assert part.headers["content-type"] == "audio/wav"


def test_playback_and_a_candidate_click_seek_to_its_context(workspace: Run, browser: WebDriver) -> None:
    review, transcript = workspace
    browser.get(review.url)
    wait_ready(browser)
    assert "token" not in browser.current_url  # exchanged for the cookie, and gone from the address bar
    browser.find_element(By.ID, "play").click()
    WebDriverWait(browser, 15).until(lambda d: js(d, "return window.review.player.audio.currentTime") > 0.2)
    data = saved(transcript)
    first = sorted(data["silence_candidates"], key=lambda c: c["start_s"])[0]
    trigger = next(s for s in data["segments"] if s["id"] == first["trigger_segment"])
    expected = max(0.0, trigger["end_s"] - 5)
    browser.find_element(By.CSS_SELECTOR, "#candidates li.item button.select").click()
    now = js(browser, "return window.review.player.audio.currentTime")
    assert abs(now - expected) < 0.2, (now, expected)  # type: ignore[operator]
    browser.find_element(By.ID, "play").click()  # pause again


def test_keyboard_decisions_and_a_missed_silence_survive_a_reload(workspace: Run, browser: WebDriver) -> None:
    _, transcript = workspace
    start = revision(browser)
    press(browser, "c")  # confirm the selected (first) candidate
    start = wait_revision(browser, start)
    press(browser, "j")
    press(browser, "r")  # reject the second
    start = wait_revision(browser, start)
    browser.find_element(By.CSS_SELECTOR, "#long-pauses button.missed").click()
    wait_revision(browser, start)
    browser.refresh()
    wait_ready(browser)
    assert candidate_states(browser)[:2] == ["confirmed", "rejected"]
    assert browser.find_element(By.CSS_SELECTOR, "#long-pauses li.item").get_attribute("data-state") == "confirmed"
    decisions = saved(transcript)["review"]["decisions"]
    assert sorted(d["decision"] for d in decisions) == ["confirmed", "confirmed", "rejected"]
    assert [d["coder"] for d in decisions] == ["RA-1"] * 3
    assert sum(d["added_by_coder"] for d in decisions) == 1
    assert "of" in browser.find_element(By.ID, "progress").text


def _open_editor(browser: WebDriver, starts_with: str) -> None:
    segment = js(
        browser,
        f"return window.review.state.payload.transcript.segments.find(s => s.text.startsWith({json.dumps(starts_with)})).id",
    )
    browser.find_element(By.CSS_SELECTOR, f"#seg-{segment} button.edit").click()
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.ID, "editor").get_attribute("open") is not None)


def test_a_text_edit_makes_a_new_candidate_and_keeps_the_decisions(workspace: Run, browser: WebDriver) -> None:
    _, transcript = workspace
    before = len(saved(transcript)["silence_candidates"])
    start = revision(browser)
    _open_editor(browser, "Okay. Which day")
    box = browser.find_element(By.ID, "edit-text")
    box.clear()
    box.send_keys("I am so scared and sad. Okay. Which day works for the scan?")
    browser.find_element(By.ID, "edit-save-text").click()
    wait_revision(browser, start, timeout=60)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#candidates li.item")) == before + 1
    data = saved(transcript)
    assert len(data["silence_candidates"]) == before + 1
    assert data["review"]["corrections"][-1]["kind"] == "text"
    states = candidate_states(browser)
    assert states.count("confirmed") == 1 and states.count("rejected") == 1 and states.count("unreviewed") == before - 1
    assert not any(d["orphaned"] for d in data["review"]["decisions"])


def test_a_role_set_by_the_coder_is_kept_after_reanalysis(workspace: Run, browser: WebDriver) -> None:
    _, transcript = workspace
    start = revision(browser)
    row = browser.find_element(By.CSS_SELECTOR, '#speakers [data-speaker="S2"]')
    row.find_element(By.CSS_SELECTOR, "select.role").send_keys("parent")
    label = row.find_element(By.CSS_SELECTOR, "input")
    label.clear()
    label.send_keys("Mother")
    row.find_element(By.CSS_SELECTOR, "button.set-role").click()
    start = wait_revision(browser, start, timeout=60)
    # Another correction re-runs the analysis again: the coder's role and label stay.
    _open_editor(browser, "Thank you")
    box = browser.find_element(By.ID, "edit-text")
    box.clear()
    box.send_keys("Thank you so much.")
    browser.find_element(By.ID, "edit-save-text").click()
    wait_revision(browser, start, timeout=60)
    s2 = next(s for s in saved(transcript)["speakers"] if s["id"] == "S2")
    assert (s2["role"], s2["role_source"], s2["label"]) == ("parent", "manual", "Mother")
    row = browser.find_element(By.CSS_SELECTOR, '#speakers [data-speaker="S2"]')
    assert row.find_element(By.CSS_SELECTOR, "select.role").get_attribute("value") == "parent"
    assert "Mother" in browser.find_element(By.ID, "lanes").text


def test_a_stale_tab_gets_the_conflict_message_and_loses_nothing(workspace: Run, browser: WebDriver) -> None:
    review, transcript = workspace
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(review.origin + "/")
    wait_ready(browser)
    second = browser.current_window_handle
    browser.switch_to.window(first)
    start = revision(browser)
    browser.find_element(By.CSS_SELECTOR, "#candidates li.item:nth-child(3) button.unsure").click()
    wait_revision(browser, start)
    kept = saved(transcript)["review"]
    browser.switch_to.window(second)
    browser.find_element(By.CSS_SELECTOR, "#candidates li.item:nth-child(3) button.reject").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "alert").is_displayed())
    message = browser.find_element(By.ID, "alert").text
    assert "saved from another tab" in message and "reload" in message.lower()
    assert saved(transcript)["review"] == kept  # the first tab's decision stands; nothing half-saved
    browser.close()
    browser.switch_to.window(first)


def _exporters_read_decisions() -> bool:
    import inspect

    from audio_pipeline.export import qdpx

    return "silence_statuses" in inspect.getsource(qdpx)


@pytest.mark.xfail(
    not _exporters_read_decisions(), reason="the REFI-QDA exporter follows decisions from branch exports on", strict=True
)
def test_export_codes_the_confirmed_silence_and_not_the_rejected_one(workspace: Run) -> None:
    review, transcript = workspace
    answer = cookie_client(review).get("/export.qdpx")
    assert answer.status_code == 200
    decisions = saved(transcript)["review"]["decisions"]
    confirmed = next(d for d in decisions if d["decision"] == "confirmed" and not d["added_by_coder"])
    rejected = next(d for d in decisions if d["decision"] == "rejected")
    with zipfile.ZipFile(io.BytesIO(answer.content)) as project:
        root = etree.fromstring(project.read("project.qde"))
    ns = {"q": root.nsmap[None]}
    silence = {c.get("guid") for c in root.iterfind(".//q:Code", ns) if c.get("name") == "Silence"}
    assert silence
    coded: list[tuple[str, str]] = []  # (selection name, description) of every selection coded Silence
    for selection in root.iterfind(".//q:PlainTextSelection", ns):
        if {r.get("targetGUID") for r in selection.iterfind(".//q:CodeRef", ns)} & silence:
            described = " ".join(d.text or "" for d in selection.iterfind(".//q:Description", ns))
            coded.append((selection.get("name") or "", described))
    at = lambda d: f"at {d['start_s']:.1f} s"  # noqa: E731
    assert any(name.startswith("Silence ") and not name.startswith("Silence candidate") and at(confirmed) in text
               for name, text in coded), coded  # fmt: skip
    assert not any(at(rejected) in text for _, text in coded), coded


def test_no_serious_accessibility_violations_and_every_control_takes_the_keyboard(workspace: Run, browser: WebDriver) -> None:
    browser.get(workspace[0].url)
    wait_ready(browser)
    axe = Axe(browser)  # axe-core ships inside the wheel: nothing is downloaded
    axe.inject()
    results = axe.run()
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, axe.report(serious)
    controls = js(browser, """
        const all = document.querySelectorAll('button, select, input, textarea, a[href], [tabindex="0"]');
        return Array.from(all).filter(e => !e.disabled && e.offsetParent !== null && !e.closest('dialog'))
                    .map((e, i) => { e.dataset.k = String(i); return String(i); });""")  # fmt: skip
    seen = set()
    body = browser.find_element(By.TAG_NAME, "body")
    js(browser, "document.activeElement.blur()")
    for _ in range(len(controls) + 5):  # type: ignore[arg-type]
        body.send_keys(Keys.TAB) if not seen else browser.switch_to.active_element.send_keys(Keys.TAB)
        seen.add(browser.switch_to.active_element.get_attribute("data-k"))
    missing = set(controls) - seen  # type: ignore[arg-type]
    assert not missing, f"{len(missing)} controls not reachable by Tab"
    names = js(
        browser,
        """return Array.from(document.querySelectorAll('button, select, input, a[href], [role=slider]'))
        .filter(e => !e.closest('dialog'))
        .map(e => e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent)""",
    )
    assert all(name and name.strip() for name in names)  # type: ignore[union-attr]
    SCREENSHOT.parent.mkdir(exist_ok=True)
    browser.set_window_size(1280, 800)
    js(browser, "document.activeElement.blur(); document.querySelectorAll('.panel').forEach(p => { p.scrollTop = 0; })")
    browser.save_screenshot(str(SCREENSHOT))


def test_ctrl_c_stops_it_with_everything_saved_and_no_phi_logged(workspace: Run) -> None:
    review, transcript = workspace
    before = saved(transcript)
    assert review.stop() == 0
    assert saved(transcript) == before
    # Every earlier revision is kept beside the transcript, so any change can be undone.
    history = sorted(p.name for p in transcript.with_name(transcript.name + ".history").glob("rev-*.json"))
    assert len(history) == before.get("review", {}).get("revision", 0) if before.get("review") else not history
    log = review.log.read_text()
    assert "consult" not in log  # the file name
    for segment in before["segments"]:
        assert segment["text"] not in log
