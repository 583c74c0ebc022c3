"""Debian's chromium driven through chromium-driver by Selenium: headless, offline, a throwaway profile."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.service.cli.test_commands import ALLIANCE, ROOT

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[WebDriver]:
    if not (Path(CHROMIUM).exists() and shutil.which("chromedriver")):
        pytest.fail("chromium and chromium-driver are not installed; run scripts/setup.sh")
    profile = tempfile.mkdtemp(prefix="alliance-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-default-apps", "--mute-audio",
        "--autoplay-policy=no-user-gesture-required",
        f"--user-data-dir={profile}", f"--window-size={width},{height}",
    ):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or DRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_ready(driver: WebDriver, timeout: float = 90) -> None:
    try:
        WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
    except TimeoutException:
        logs = driver.get_log("browser")
        pytest.fail(f"the page did not become ready at {driver.current_url}: {logs}\n{driver.page_source[:2000]}")


def js(driver: WebDriver, script: str) -> object:
    return driver.execute_script(script)


@dataclass
class ReviewProcess:
    process: subprocess.Popen[str]
    url: str
    log: Path

    @property
    def origin(self) -> str:
        return self.url.split("/?")[0]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(2)  # Ctrl-C
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def _answers(origin: str) -> bool:
    try:
        return httpx.get(origin, timeout=1).status_code == 401  # up, and locked without the token
    except httpx.TransportError:
        return False


def start_review(*args: str, env: dict[str, str], log: Path) -> ReviewProcess:
    """``alliance review ... --no-browser`` as a user runs it; the URL comes from what it prints."""
    out = log.open("w")
    process = subprocess.Popen([*ALLIANCE, "review", *args, "--no-browser"], env=env, cwd=ROOT, stdout=out, stderr=out, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", log.read_text())
        if found and _answers(found.group(0).split("/?")[0]):
            return ReviewProcess(process, found.group(0), log)
        if process.poll() is not None:
            pytest.fail(f"alliance review exited: {log.read_text()}")
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"alliance review did not print its URL: {log.read_text()}")
