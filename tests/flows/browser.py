"""Headless Debian Chromium under Selenium for UI tests: install it with apt when missing, start it
with the system chromedriver only (Selenium Manager never runs, nothing is downloaded), and a few
waits and clicks that survive a slow machine."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
APT_PACKAGES = ("chromium", "chromium-driver")
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1400,1000",
)

# Selenium Manager reads these; it is never called (the driver path is given), they are belt and braces.
os.environ.setdefault("SE_AVOID_STATS", "true")
os.environ.setdefault("SE_OFFLINE", "true")


def ensure_chromium() -> str | None:
    """Install Debian's chromium and chromium-driver when /usr/bin/chromedriver is absent.

    Returns None when both binaries are there, else an error text with apt's output."""
    if CHROMEDRIVER.exists() and CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None:
        return "apt-get not found: cannot install Debian's chromium and chromium-driver"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES],
    )
    for cmd in steps:
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"`{' '.join(cmd)}` failed: {exc}"
        if done.returncode != 0:
            return f"`{' '.join(cmd)}` exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    return f"apt installed {' '.join(APT_PACKAGES)} but {missing} still missing" if missing else None


def _no_selenium_manager(*args, **kwargs):
    raise AssertionError("Selenium Manager was asked for a driver; only /usr/bin/chromedriver may be used")


@contextmanager
def chromium(profile_dir: Path, log: Path | None = None) -> Iterator:
    """A headless Chromium WebDriver with a fresh profile in `profile_dir`; quits on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile_dir.mkdir(parents=True, exist_ok=True)
    options.add_argument(f"--user-data-dir={profile_dir}")
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(log) if log else subprocess.DEVNULL)
    with mock.patch.object(SeleniumManager, "binary_paths", _no_selenium_manager):
        driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(120)
        yield driver
    finally:
        driver.quit()


def xpath_literal(text: str) -> str:
    """`text` as an XPath 1.0 string literal."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


def wait(driver, timeout: float, poll: float = 0.5):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=poll, ignored_exceptions=(StaleElementReferenceException,))


def visible(driver, xpath: str, timeout: float, poll: float = 0.5):
    """The first displayed element matching `xpath`, waiting up to `timeout` seconds."""
    from selenium.webdriver.common.by import By

    def find(d):
        shown = [e for e in d.find_elements(By.XPATH, xpath) if e.is_displayed()]
        return shown[0] if shown else False

    return wait(driver, timeout, poll).until(find, f"nothing visible matches {xpath} within {timeout:.0f} s")


def click(driver, xpath: str, timeout: float = 60) -> None:
    """Click the last displayed, enabled element matching `xpath`, retrying while it is covered or
    re-rendered (menus open with a transition; toasts are mounted twice, the last one on top)."""
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        ElementNotInteractableException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.common.by import By

    def attempt(d):
        shown = [e for e in d.find_elements(By.XPATH, xpath) if e.is_displayed() and e.is_enabled()]
        if not shown:
            return False
        try:
            shown[-1].click()
        except (ElementClickInterceptedException, ElementNotInteractableException, StaleElementReferenceException):
            return False
        return True

    wait(driver, timeout, poll=0.25).until(attempt, f"could not click {xpath} within {timeout:.0f} s")


def poll_until(check: Callable[[], object], timeout: float, what: str, interval: float = 1.0):
    """Call `check` until it returns something truthy; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


def body_text(driver) -> str:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    try:
        return driver.find_element(By.TAG_NAME, "body").text
    except WebDriverException:
        return ""


@contextmanager
def evidence_on_failure(driver, folder: Path, name: str = "failure") -> Iterator[None]:
    """On any exception, save a screenshot and the page's HTML in `folder` and add the URL and the
    page's text to the error."""
    try:
        yield
    except Exception as exc:
        shot, html = folder / f"{name}.png", folder / f"{name}.html"
        try:
            driver.save_screenshot(str(shot))
            html.write_text(driver.page_source, encoding="utf-8")
            url = driver.current_url
        except Exception:  # noqa: BLE001 - the browser may be the thing that broke
            url = "?"
        text = body_text(driver)[-3000:]
        raise AssertionError(f"{exc}\nat {url}; screenshot {shot}, HTML {html}; page text:\n{text}") from exc
