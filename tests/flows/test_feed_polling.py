"""Polling an RSS feed with `newsfacts run FEED_URL` against a real news site on 127.0.0.1.

The feed lists 20 stories: one page answers 500, one never answers within the timeout, one is another story
under a second URL. The first run lands 17 articles and 2 rejects; polling again with no change makes no page
request (the feed answers 304 to the stored ETag); 3 new entries fetch exactly 3 pages. A run that dies before
its commit leaves no watermark, so the next poll fetches its entries again."""
from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pytest
from newsfacts.flows.pipeline import newsfacts_run
from newsfacts.sources.state import state_path
from newsfacts.warehouse.publish import LocalWarehouse, PublishError
from typer.testing import CliRunner

from newsfacts.cli import app
from tests.feedsite import news_site


@pytest.fixture
def fast_fetching(monkeypatch):
    monkeypatch.setenv("NEWSFACTS_FETCH_TIMEOUT_S", "1")
    monkeypatch.setenv("NEWSFACTS_FETCH_RETRIES", "1")
    monkeypatch.setenv("NEWSFACTS_FETCH_RETRY_DELAY_S", "0")
    monkeypatch.setenv("NEWSFACTS_FETCH_RATE_PER_HOST", "200")
    monkeypatch.setenv("NEWSFACTS_EXECUTOR", "threads")


def _query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _task_runs(prefix: str, expected: int, timeout: float = 30.0) -> dict:
    """Task runs whose name starts with `prefix`, by name (the server records them from events: wait for all)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    runs: dict = {}
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            found = client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_=prefix)))
            runs = {r.name: r for r in found if r.name.startswith(prefix)}
            if len(runs) >= expected and all(r.state and r.state.is_final() for r in runs.values()):
                break
            time.sleep(0.5)
    return runs


def _run(feed: str, wh: Path) -> str:
    result = CliRunner().invoke(app, ["run", feed, "--warehouse", str(wh)])
    assert result.exit_code == 0, result.output
    return result.output


def test_poll_a_feed_three_times(prefect_harness, fast_fetching, tmp_path: Path):
    wh = tmp_path / "wh"
    with news_site() as site:
        feed = f"{site.base}/feed.xml"
        _run(feed, wh)
        db = wh / "newsfacts.duckdb"
        assert _query(db, "select count(*) from articles") == [(17,)]
        rejects = _query(db, "select source, reason, detail from rejects order by source")
        assert [(s, r) for s, r, _ in rejects] == [
            (f"{site.base}/news/5", "fetch_error"), (f"{site.base}/news/9", "fetch_error"),
        ]
        assert "500" in rejects[0][2] and "timed out" in rejects[1][2]
        assert _query(db, "select articles_new, duplicates_skipped, rejects from runs") == [(17, 1, 2)]
        first = site.page_requests()
        assert sorted(set(first)) == sorted({f"/news/{n}" for n in range(1, 20)} | {"/mirror/3"})
        assert first.count("/news/5") == 2 and first.count("/news/9") == 2  # tried, then retried once
        assert all(first.count(p) == 1 for p in set(first) - {"/news/5", "/news/9"})
        # one Prefect task per page, retried as a task (not a new task run per try)
        fetches = _task_runs(f"fetch {site.base}/", expected=20)
        assert len(fetches) == 20, sorted(fetches)
        assert fetches[f"fetch {site.base}/news/5"].state.is_failed() and fetches[f"fetch {site.base}/news/5"].run_count == 2
        assert fetches[f"fetch {site.base}/news/9"].run_count == 2
        assert fetches[f"fetch {site.base}/news/1"].state.is_completed() and fetches[f"fetch {site.base}/news/1"].run_count == 1
        # the entry's metadata fills the article's columns; the page's canonical URL is the url
        row = _query(db, "select doc_id, source, url, title, published_at from articles where doc_id = 'story-4'")
        assert row[0][1:4] == ("Test News", f"{site.base}/news/4", "Floods displace 1148 people in Manila")
        assert row[0][4].isoformat().startswith("2026-11-04T08:00:00")
        # every request named newsfacts, and the watermark is with the warehouse
        assert all(headers.get("User-Agent", "").startswith("newsfacts/") for _, headers in site.requests)
        state = json.loads(state_path(wh, feed).read_text())
        assert state["documents"][feed]["etag"] and len(state["seen"]) >= 20

        # no change: the feed answers 304 to the stored ETag, no page is requested
        before = len(site.requests)
        _run(feed, wh)
        assert site.page_requests() == first
        feed_requests = [h for p, h in site.requests[before:] if p == "/feed.xml"]
        assert len(feed_requests) == 1 and feed_requests[0].get("If-None-Match") == state["documents"][feed]["etag"]
        assert _query(db, "select count(*) from articles") == [(17,)]

        # 3 new entries: exactly their 3 pages are fetched
        site.entries = 23
        _run(feed, wh)
        assert sorted(site.page_requests()[len(first):]) == ["/news/21", "/news/22", "/news/23"]
        assert _query(db, "select count(*) from articles") == [(20,)]
        assert _query(db, "select count(*) from rejects") == [(2,)]


def test_a_run_that_dies_before_its_commit_saves_no_watermark(prefect_harness, fast_fetching, tmp_path: Path, monkeypatch):
    wh = tmp_path / "wh"
    with news_site(entries=3, failing=0, hanging=0) as site:
        feed = f"{site.base}/feed.xml"

        def no_commit(self, run_id, tables):
            raise PublishError("disk full (test)", run_id=run_id, committed=False)

        with monkeypatch.context() as patched:
            patched.setattr(LocalWarehouse, "publish", no_commit)
            # a run's publish commits its streamed parts with `publish_files`
            patched.setattr(LocalWarehouse, "publish_files", lambda self, run_id, tables, files, **_: no_commit(self, run_id, tables))
            state = newsfacts_run(sources=[feed], warehouse_dir=str(wh), return_state=True)
        assert state.is_failed()
        assert not state_path(wh, feed).exists()
        assert sorted(site.page_requests()) == ["/news/1", "/news/2", "/news/3"]

        summary = newsfacts_run(sources=[feed], warehouse_dir=str(wh))
        assert summary.articles_new == 3
        assert sorted(site.page_requests()) == ["/news/1", "/news/1", "/news/2", "/news/2", "/news/3", "/news/3"]
        assert state_path(wh, feed).exists()


def test_a_sitemap_after_the_feed_fetches_only_stories_not_yet_published(prefect_harness, fast_fetching, tmp_path: Path):
    """The flow as the `newsfacts-run/ingest` deployment runs it, with a feed URL (then a sitemap URL) as its
    `sources` parameter: the sitemap names the feed's stories under other spellings of their URLs, and one new
    story; only the new one is fetched, and each story lands once."""
    wh = tmp_path / "wh"
    with news_site(entries=4, failing=0, hanging=0) as site:
        summary = newsfacts_run(sources=[f"{site.base}/feed.xml"], warehouse_dir=str(wh))
        assert summary.articles_new == 4 and summary.rejects == 0
        site.extra["/news-sitemap.xml"] = (200, "application/xml", (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{site.base}/news/1?utm_source=sitemap</loc></url>"
            f"<url><loc>{site.base}/news/2/</loc></url>"
            f"<url><loc>{site.base}/news/3#top</loc></url>"
            f"<url><loc>{site.base}/news/5</loc></url></urlset>"
        ).encode())
        before = len(site.page_requests())
        summary = newsfacts_run(sources=[f"{site.base}/news-sitemap.xml"], warehouse_dir=str(wh))
        assert site.page_requests()[before:] == ["/news/5"]
        assert summary.articles_new == 1
        db = wh / "newsfacts.duckdb"
        assert _query(db, "select count(*), count(distinct url) from articles") == [(5, 5)]


def test_served_ingest_deployment_polls_its_feed_source(prefect_server, tmp_path: Path):
    """`newsfacts serve --source FEED_URL`: the ingest deployment's default `sources` is the feed, so a run with
    the deployment's parameters (what its --cron schedule creates, and a Quick run) polls it."""
    import httpx

    from tests.flows.servers import deployment_id, start_serve, stop, wait_for_run

    with news_site(entries=3, failing=0, hanging=0) as site:
        feed = f"{site.base}/feed.xml"
        proc = start_serve(prefect_server, tmp_path, "--warehouse", "wh", "--source", feed, log=tmp_path / "serve.log")
        try:
            ingest = deployment_id(prefect_server.api, "ingest")
            dep = httpx.get(f"{prefect_server.api}/deployments/{ingest}", timeout=10).json()
            assert dep["parameters"]["sources"] == [feed]
            for expected_pages in (["/news/1", "/news/2", "/news/3"], []):
                before = len(site.page_requests())
                created = httpx.post(f"{prefect_server.api}/deployments/{ingest}/create_flow_run", json={}, timeout=10)
                assert created.status_code == 201, created.text
                run = wait_for_run(prefect_server.api, created.json()["id"])
                assert run["state_type"] == "COMPLETED", run["state"]
                assert sorted(site.page_requests()[before:]) == expected_pages
            assert _query(tmp_path / "wh" / "newsfacts.duckdb", "select count(*) from articles") == [(3,)]
        finally:
            stop(proc)
