"""End to end through the Prefect UI in a real browser: Quick run of the ingest deployment served by
`newsfacts serve`, watched until the UI shows it Completed.

Headless Debian Chromium driven by Selenium with the system chromedriver (installed with apt when
missing); a real `prefect server start` on 127.0.0.1 (the `prefect_server` fixture of this folder's
conftest) serves both the API and the UI.
"""
from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from selenium.common.exceptions import TimeoutException

from tests.flows.browser import (
    body_text,
    chromium,
    click,
    ensure_chromium,
    evidence_on_failure,
    poll_until,
    visible,
    xpath_literal,
)
from tests.flows.servers import deployment_id, start_serve, stop

FLOW = "newsfacts-run"
DEPLOYMENT = "ingest"
BAD_STATES = ("Failed", "Crashed", "Cancelled", "Cancelling", "TimedOut")
COMPLETED_WITHIN_S = 300  # a run of the 33 bundled articles takes 15-30 s on 2 idle cores


@pytest.fixture(scope="session")
def chromium_installed() -> None:
    error = ensure_chromium()
    if error:
        pytest.fail(f"could not install Debian's chromium and chromium-driver with apt:\n{error}", pytrace=False)


@pytest.fixture
def served(chromium_installed, prefect_server, tmp_path: Path):
    """`newsfacts serve --base-dir TMP --warehouse TMP/wh` against the server, once `ingest` is registered."""
    log = tmp_path / "serve.log"
    proc = start_serve(prefect_server, tmp_path, "--warehouse", str(tmp_path / "wh"), log=log)
    try:
        yield prefect_server, log
    finally:
        stop(proc)


def _runs_of(api: str, deployment: str) -> list[dict]:
    return httpx.post(
        f"{api}/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": [deployment]}}}, timeout=10
    ).json()


def _header_lines(driver, run_name: str) -> list[str]:
    """The lines of the flow run page's heading (breadcrumb, state badge, flow, deployment)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    try:
        heads = driver.find_elements(By.XPATH, f"//header[.//*[normalize-space()={xpath_literal(run_name)}]]")
        return [line.strip() for h in heads if h.is_displayed() for line in h.text.splitlines() if line.strip()]
    except WebDriverException:
        return []


def test_quick_run_in_the_ui_completes(served, tmp_path: Path, record_property):
    server, serve_log = served
    ingest_id = deployment_id(server.api, DEPLOYMENT)
    assert ingest_id, "the ingest deployment is registered (start_serve waited for it)"
    before = {r["id"] for r in _runs_of(server.api, ingest_id)}

    profile, driver_log = tmp_path / "chromium-profile", tmp_path / "chromedriver.log"
    with chromium(profile, log=driver_log) as driver, evidence_on_failure(driver, tmp_path):
        # The deployments page lists `ingest` under its flow `newsfacts-run`; open it.
        driver.get(f"{server.url}/deployments")
        click(driver, f"//tr[.//*[normalize-space()='{FLOW}']]//a[normalize-space()='{DEPLOYMENT}']", timeout=120)
        poll_until(lambda: f"/deployments/deployment/{ingest_id}" in driver.current_url, 60, "deployment page opened")
        visible(driver, f"//header//*[normalize-space()='{DEPLOYMENT}']", timeout=60)

        # Run -> Quick run; the UI answers with a toast "<run name> scheduled to start now".
        click(driver, "//header//button[normalize-space()='Run']", timeout=60)
        click(driver, "//button[normalize-space()='Quick run']", timeout=30)
        triggered = time.monotonic()
        toast = visible(driver, "//*[@aria-live]//*[contains(normalize-space(), 'scheduled to start')]", 30, poll=0.2)
        run_name = toast.text.split()[0]

        def new_runs() -> list[dict]:
            return [r for r in _runs_of(server.api, ingest_id) if r["id"] not in before]

        runs = poll_until(new_runs, 30, "the Quick run's flow run in the API")
        assert [r["name"] for r in runs] == [run_name], (runs, toast.text)
        run_id = runs[0]["id"]

        # The toast's "View run" opens the flow run page; it lives 5 s, so fall back to the run's URL.
        try:
            click(driver, "//*[@aria-live]//button[normalize-space()='View run']", timeout=5)
            poll_until(lambda: f"/runs/flow-run/{run_id}" in driver.current_url, 30, "flow run page opened", 0.25)
        except (TimeoutException, AssertionError):  # the toast is gone, or the page did not change
            driver.get(f"{server.url}/runs/flow-run/{run_id}")

        # The page follows the run live (Scheduled, Pending, Running, Completed); reload now and then anyway.
        last_reload, reloads = time.monotonic(), 0

        def completed() -> list[str] | None:
            nonlocal last_reload, reloads
            lines = _header_lines(driver, run_name)
            bad = [s for s in BAD_STATES if s in lines]
            if bad:
                tail = serve_log.read_text(errors="replace")[-3000:]
                raise AssertionError(f"the UI shows the run {bad[0]}: {lines}\nserve log:\n{tail}")
            if "Completed" in lines:
                return lines
            if time.monotonic() - last_reload > 30:
                driver.refresh()
                last_reload, reloads = time.monotonic(), reloads + 1
            return None

        lines = poll_until(completed, COMPLETED_WITHIN_S, f"the UI showing {run_name} Completed", interval=1.0)
        seconds = time.monotonic() - triggered

        shot = tmp_path / "prefect-ui-completed.png"
        assert driver.save_screenshot(str(shot))
        page = body_text(driver)

    print(f"\nPrefect UI: Quick run {run_name} of {FLOW}/{DEPLOYMENT} Completed {seconds:.1f} s after the click"
          f" ({reloads} page reloads while waiting)")
    print(f"screenshot: {shot}")
    record_property("trigger_to_completed_s", round(seconds, 1))
    record_property("screenshot", str(shot))

    assert shot.stat().st_size > 1000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The flow run page's heading: breadcrumb to the run (then its tags), its state badge and details,
    # then its flow and its deployment.
    assert lines[:2] == ["Runs", run_name], lines
    flow_at = lines.index("Flow")
    assert "Completed" in lines[2:flow_at], lines
    assert lines[flow_at + 1] == FLOW, lines
    assert lines[lines.index("Deployment") + 1] == DEPLOYMENT, lines
    assert not set(BAD_STATES) & set(lines), lines
    assert "Completed" in page and run_name in page and DEPLOYMENT in page

    run = httpx.get(f"{server.api}/flow_runs/{run_id}", timeout=10).json()
    assert run["state_type"] == "COMPLETED", run["state"]
    assert (tmp_path / "wh" / "newsfacts.duckdb").exists()
