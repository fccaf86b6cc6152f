"""`newsfacts report`: the HTML page of a warehouse built by a real run, its self-containment (no external
reference at all), its helpers, and how it looks in headless Chromium (screenshot saved under tmp_path)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from newsfacts.warehouse import report
from typer.testing import CliRunner

from newsfacts.cli import app
from tests.flows.browser import (
    body_text,
    chromium,
    ensure_chromium,
    evidence_on_failure,
)
from tests.warehouse.test_marts import (
    DATED_ARTICLE,  # one dated article, so the fallback dates show
)

HEADINGS = (
    "Events per day by type", "Where events happened", "Most mentioned places",
    "Casualty and displacement figures over time", "Rejected inputs by reason", "Data quality of recent runs",
    "Latest articles",
)
# A reference the browser would fetch: src=/href= or CSS url() pointing at http(s):// or a protocol-relative //.
EXTERNAL = re.compile(r"""(?:\b(?:src|href|xlink:href|action|poster)\s*=\s*["']?\s*|url\(\s*["']?\s*)(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def warehouse(prefect_harness, tmp_path_factory, project_root: Path) -> Path:
    from newsfacts.flows.pipeline import newsfacts_run

    inputs = tmp_path_factory.mktemp("report-in")
    (inputs / "dated.jsonl").write_text(json.dumps(DATED_ARTICLE) + "\n", encoding="utf-8")
    folder = tmp_path_factory.mktemp("report") / "wh"
    newsfacts_run(sources=[str(project_root / "seeds" / "articles"), str(inputs / "dated.jsonl")], warehouse_dir=str(folder))
    return folder


@pytest.fixture(scope="module")
def page(warehouse: Path) -> Path:
    return report.write_report(warehouse)


def test_report_lands_in_the_reports_folder_and_is_self_contained(warehouse: Path, page: Path):
    assert page == warehouse / "reports" / "report.html"
    text = page.read_text(encoding="utf-8")
    assert EXTERNAL.findall(text) == []
    assert "http://" not in text and "https://" not in text  # no external URL at all, not even as text
    for tag in ("<script", "<link", "<iframe", "<img", "@import", "@font-face"):
        assert tag not in text.lower(), tag
    assert text.count("<svg") >= 6  # events, map, places, four figure panels, rejects
    assert 20_000 < page.stat().st_size < 600_000


def test_the_external_reference_check_catches_what_it_should():
    for bad in ("<img src='https://cdn.example/x.png'>", '<a href="//cdn.example/">', "background:url( 'http://x/y.png')",
                "<script src=http://x/y.js>"):
        assert EXTERNAL.search(bad), bad
    assert not EXTERNAL.search("<a href='#map'>map</a> <p>see http://example.org</p>")


def test_report_shows_every_section_and_the_data(page: Path):
    text = page.read_text(encoding="utf-8")
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in text, heading
    for expected in ("Ukraine", "Maiduguri", "no_text_field", "passed", "ASSAULT", "People killed (KILL)"):
        assert expected in text, expected


def test_report_in_headless_chromium(page: Path, tmp_path: Path):
    error = ensure_chromium()
    if error:
        pytest.fail(f"could not install Debian's chromium and chromium-driver with apt:\n{error}", pytrace=False)
    from selenium.webdriver.common.by import By

    shot = tmp_path / "report.png"
    with chromium(tmp_path / "profile") as driver, evidence_on_failure(driver, tmp_path):
        driver.get(page.as_uri())
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1400, min(height + 140, 12_000))  # the whole page in one screenshot
        text = body_text(driver)
        for heading in HEADINGS:
            assert heading in text, heading
        assert "Ukraine" in text  # the most mentioned places
        assert "Gunmen abduct 31 migrants" in text  # the newest bundled article (Date: 2024-09-17), latest articles
        svgs = driver.find_elements(By.TAG_NAME, "svg")
        assert len(svgs) >= 6 and all(s.size["width"] > 200 and s.size["height"] > 20 for s in svgs)
        assert len(driver.find_elements(By.CSS_SELECTOR, "#map svg path")) > 100  # country outlines
        assert len(driver.find_elements(By.CSS_SELECTOR, "#map svg circle")) > 20  # event places
        resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert resources == []  # the page fetched nothing
        driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 50_000
    print(f"\nreport screenshot: {shot}")


def test_report_command_writes_where_asked(warehouse: Path, tmp_path: Path):
    out = tmp_path / "elsewhere" / "r.html"
    result = CliRunner().invoke(app, ["report", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and str(out) in result.stdout
    assert not list(out.parent.glob(".*.tmp"))


def test_report_command_without_a_warehouse_is_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(app, ["report", "--warehouse", str(tmp_path)])
    assert result.exit_code == 2
    assert "no warehouse" in result.stderr and result.stdout == ""


def test_report_asks_for_a_rebuild_when_the_marts_are_missing(warehouse: Path, tmp_path: Path):
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(warehouse / "newsfacts.duckdb", old / "newsfacts.duckdb")
    con = duckdb.connect(str(old / "newsfacts.duckdb"))
    con.execute("DROP VIEW mart_places")
    con.close()
    result = CliRunner().invoke(app, ["report", "--warehouse", str(old)])
    assert result.exit_code == 1
    assert "mart_places" in result.stderr and "newsfacts rebuild" in result.stderr
    assert not (old / "reports").exists()


def test_report_names_the_lock_when_another_process_writes_the_file(warehouse: Path, tmp_path: Path):
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(warehouse / "newsfacts.duckdb", locked / "newsfacts.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
         "time.sleep(120)", str(locked / "newsfacts.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        result = CliRunner().invoke(app, ["report", "--warehouse", str(locked)])
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert result.exit_code == 1
    assert "lock" in result.stderr and f"PID {holder.pid}" in result.stderr
    assert "Traceback" not in result.output


# --- helpers --------------------------------------------------------------------------------------------

def test_fmt_num():
    assert [report.fmt_num(v) for v in (None, 0, 7, 1234, 12_241, 500_000, 2_500_000, 3e9, 2.5)] == [
        "–", "0", "7", "1,234", "12.2k", "500k", "2.5M", "3B", "2.5"]


def test_nice_ticks_cover_the_maximum():
    for maximum in (0.5, 1, 3, 7, 19, 42, 2060, 9_999, 1.2e7):
        ticks = report.nice_ticks(maximum)
        assert ticks[0] == 0 and ticks[-1] >= maximum and len(ticks) <= 6, (maximum, ticks)


def test_time_axis_picks_a_readable_unit():
    assert report.time_axis([date(2024, 3, 1), date(2024, 3, 3)]) == ("day", [date(2024, 3, d) for d in (1, 2, 3)])
    unit, buckets = report.time_axis([date(2024, 1, 10), date(2024, 12, 1)])
    assert unit == "week" and buckets[0] == date(2024, 1, 8) and len(buckets) == 47
    assert report.time_axis([date(2003, 1, 1), date(2024, 7, 22)])[0] == "year"
    unit, buckets = report.time_axis([date(2015, 1, 1), date(2024, 7, 22)], max_buckets=20)
    assert unit == "year" and len(buckets) == 10


def test_ring_path_drops_repeated_pixels():
    _, project = report.projection(360)
    square = [(0, 0), (0.1, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    assert report.ring_path(square, project) == "M180 84l10 0l0 -10l-10 0l0 10z"
    assert report.ring_path([(0, 0), (0.2, 0.1), (0.1, 0.2), (0, 0)], project) == ""


def test_short_source_never_keeps_a_url():
    assert report.short_source("https://news.example.org/a/b.html") == "news.example.org"
    assert report.short_source("/data/in/wire.jsonl:4") == "wire.jsonl:4"
    assert report.short_source(None) == ""
