"""The same review flow inside ``alliance serve``: a finished job's page for its owner only, a key exchanged for
a short-lived cookie, every save audited, the de-identified view, and a job whose audio was deleted."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import speak
from tests.service.api.test_server import Server, auth, make_server, upload, wait_for
from tests.service.cli.test_commands import ALLIANCE, ROOT
from tests.service.conftest import Deployment

from .browser import chromium, js, wait_ready
from .test_review_local import candidate_states, press, revision, wait_revision

pytestmark = pytest.mark.engines


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tiny_models: Path, deployment: Deployment) -> Iterator[Server]:
    running = make_server(tmp_path_factory.mktemp("service"), tiny_models, deployment, ALLIANCE_KEEP_AUDIO="true")
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def keys(server: Server) -> dict[str, str]:
    return {"a": server.key("site-a"), "b": server.key("site-b")}


def _finished_job(server: Server, key: str, wav: Path) -> str:
    recording = upload(server, key, wav.read_bytes()).json()["id"]
    job = httpx.post(f"{server.url}/v1/jobs", json={"recording_id": recording, "names": "parent=Sarah"}, headers=auth(key))
    assert job.status_code == 202, job.text
    assert wait_for(server, key, job.json()["id"], ("succeeded", "failed"), timeout_s=1200)["state"] == "succeeded"
    return str(job.json()["id"])


@pytest.fixture(scope="module")
def job(
    server: Server, keys: dict[str, str], consultation: tuple[Path, list[dict[str, object]]], pipeline_transcript: Path
) -> str:
    job_id = _finished_job(server, keys["a"], consultation[0])
    # The tiny random-weight recognizer writes nonsense; the job's transcript is replaced by the same recording's
    # transcript with its true words (what a coder would have typed), so there are Silence candidates to decide.
    stored = server.data_dir / "service" / "results" / job_id / "transcript.json"
    assert stored.is_file()
    stored.write_text(pipeline_transcript.read_text())
    return job_id


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def test_only_the_owner_gets_the_page(server: Server, keys: dict[str, str], job: str) -> None:
    page = f"{server.url}/v1/jobs/{job}/review"
    anonymous = httpx.get(page)
    assert anonymous.status_code == 401 and 'name="key"' in anonymous.text  # the sign-in form
    assert anonymous.headers["content-security-policy"].startswith("default-src 'self'")
    assert httpx.get(f"{page}/api/transcript").status_code == 401
    assert httpx.get(page, headers=auth(keys["b"])).status_code == 404
    assert httpx.get(f"{page}/api/transcript", headers=auth(keys["b"])).status_code == 404
    assert httpx.get(f"{page}/audio", headers=auth(keys["b"])).status_code == 404
    # Another owner signed in through the form, with a cookie, still gets 404.
    other = httpx.Client(base_url=server.url)
    signed = other.post(f"/v1/jobs/{job}/review/session", data={"key": keys["b"], "deidentify": "false"})
    assert signed.status_code == 303
    assert other.get(f"/v1/jobs/{job}/review/api/transcript").status_code == 404
    owner = httpx.get(page, headers=auth(keys["a"]))
    assert owner.status_code == 303
    cookie = owner.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Max-Age=3600" in cookie


def test_the_owner_reviews_in_the_browser(server: Server, keys: dict[str, str], job: str, browser: WebDriver) -> None:
    browser.get(f"{server.url}/v1/jobs/{job}/review")
    browser.find_element(By.ID, "key").send_keys(keys["a"])
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_ready(browser)
    cookie = next(c for c in browser.get_cookies() if c["name"] == "alliance_review_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert not js(browser, "return document.cookie")  # HttpOnly: the page's scripts cannot read it
    browser.find_element(By.ID, "play").click()
    WebDriverWait(browser, 15).until(lambda d: js(d, "return window.review.player.audio.currentTime") > 0.2)
    browser.find_element(By.CSS_SELECTOR, "#candidates li.item button.select").click()
    browser.find_element(By.ID, "play").click()
    start = revision(browser)
    press(browser, "c")
    start = wait_revision(browser, start)
    press(browser, "j")
    press(browser, "r")
    start = wait_revision(browser, start)
    browser.find_element(By.CSS_SELECTOR, "#long-pauses button.missed").click()
    wait_revision(browser, start)
    browser.refresh()
    wait_ready(browser)
    assert candidate_states(browser)[:2] == ["confirmed", "rejected"]
    # A correction re-analyses with the kept audio.
    before = len(candidate_states(browser))
    start = revision(browser)
    segment = js(
        browser, "return window.review.state.payload.transcript.segments.find(s => s.text.startsWith('Okay. Which day')).id"
    )
    browser.find_element(By.CSS_SELECTOR, f"#seg-{segment} button.edit").click()
    box = browser.find_element(By.ID, "edit-text")
    box.clear()
    box.send_keys("I am so scared and sad. Okay. Which day works for the scan?")
    browser.find_element(By.ID, "edit-save-text").click()
    wait_revision(browser, start, timeout=90)
    assert len(candidate_states(browser)) == before + 1


def test_cross_site_writes_are_refused(server: Server, keys: dict[str, str], job: str) -> None:
    client = httpx.Client(base_url=server.url)
    client.post(f"/v1/jobs/{job}/review/session", data={"key": keys["a"], "deidentify": "false"})
    base = client.get(f"/v1/jobs/{job}/review/api/transcript").json()["meta"]["revision"]
    assert client.post(f"/v1/jobs/{job}/review/api/undo", json={"base_revision": base}).status_code == 403
    cross = {"X-Alliance-Review": "1", "Origin": "http://evil.example"}
    assert client.post(f"/v1/jobs/{job}/review/api/undo", json={"base_revision": base}, headers=cross).status_code == 403


def test_saves_are_audited_without_content(server: Server, keys: dict[str, str], job: str, pipeline_transcript: Path) -> None:
    result = subprocess.run([*ALLIANCE, "audit"], env=server.env, cwd=ROOT, capture_output=True, text=True, check=True)
    rows = [r for r in csv.DictReader(io.StringIO(result.stdout)) if r["resource_id"] == job]
    actions = {r["action"] for r in rows}
    assert {"review_opened", "review_decision", "review_correction"} <= actions
    assert {r["owner"] for r in rows if r["action"].startswith("review_")} == {"site-a"}
    for segment in json.loads(pipeline_transcript.read_text())["segments"]:
        assert segment["text"] not in result.stdout
    assert "Sarah" not in server.log() and "scared" not in server.log()


def test_the_deidentified_view_has_tags_and_no_audio(server: Server, keys: dict[str, str], job: str, browser: WebDriver) -> None:
    browser.get(f"{server.url}/v1/jobs/{job}/review?deidentify=true")
    wait_ready(browser)
    assert browser.current_url.endswith("/review/deidentified/")
    assert "De-identified copy" in browser.find_element(By.ID, "notes").text
    assert browser.find_element(By.ID, "play").get_attribute("disabled") is not None
    client = httpx.Client(base_url=server.url, headers=auth(keys["a"]))
    assert client.get(f"/v1/jobs/{job}/review/deidentified/audio").status_code == 404
    payload = client.get(f"/v1/jobs/{job}/review/deidentified/api/transcript").json()
    assert payload["transcript"]["deidentification"] is not None and payload["meta"]["can_correct"] is False


def test_without_the_audio_the_page_opens_and_says_why(
    server: Server, keys: dict[str, str], tmp_path: Path, browser: WebDriver
) -> None:
    short = speak("I'm afraid the scan shows the tumor has grown.", tmp_path / "short.wav")
    job_id = _finished_job(server, keys["a"], short)
    recording = httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=auth(keys["a"])).json()["recording_id"]
    (server.data_dir / "service" / "recordings" / recording).unlink()  # what the service does unless ALLIANCE_KEEP_AUDIO
    browser.get(f"{server.url}/v1/jobs/{job_id}/review")
    wait_ready(browser)
    notes = browser.find_element(By.ID, "notes").text
    assert "ALLIANCE_KEEP_AUDIO=true" in notes and "Playback and re-analysis need the audio kept" in notes
    assert browser.find_element(By.ID, "play").get_attribute("disabled") is not None
