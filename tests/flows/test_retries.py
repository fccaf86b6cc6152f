"""The ingest flow against a real local HTTP server: a URL answering 503 is retried (and lands once it
answers), one that keeps failing becomes one `fetch_error` reject, and the Prefect run graph shows one
`read <source>` task per source and `extract batch i/n` tasks."""
from __future__ import annotations

import collections
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import duckdb
import polars as pl
import pytest
from newsfacts.flows.pipeline import newsfacts_run
from newsfacts.warehouse.publish import LocalWarehouse

from tests.httpserver import QuietHandler, serving

ARTICLES = {
    "/ok.txt": "Floods in Dhaka\nFloods displaced about 12,000 people in Dhaka, Bangladesh, on Monday.\n",
    "/flaky.txt": "Protest in Nairobi\nAbout 2,000 people marched in Nairobi, Kenya, on Tuesday.\n",
}


class _Server(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()


class _Handler(QuietHandler):
    server: _Server

    def do_GET(self):  # noqa: N802
        with self.server.lock:
            self.server.hits[self.path] += 1
            hit = self.server.hits[self.path]
        if self.path == "/dead.txt" or (self.path == "/flaky.txt" and hit <= 2):
            status, body = 503, b"try later"
        elif self.path in ARTICLES:
            status, body = 200, ARTICLES[self.path].encode()
        else:
            status, body = 404, b"no"
        self.reply(status, body)


@pytest.fixture
def server():
    with serving(_Server()) as srv:
        yield srv


def _task_runs(flow_run_id, expected: int, timeout: float = 30.0):
    """The flow run's task runs (the server records them from events, so wait until all have arrived)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    runs = []
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            if len(runs) >= expected and all(r.state and r.state.is_final() for r in runs):
                break
            time.sleep(0.5)
    return runs


def test_transient_urls_are_retried_then_rejected(prefect_harness, server, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NEWSFACTS_FETCH_RETRY_DELAY_S", "0")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    url_ok, url_flaky, url_dead = f"{base}/ok.txt", f"{base}/flaky.txt", f"{base}/dead.txt"
    wh_dir = tmp_path / "wh"

    state = newsfacts_run(
        sources=[url_ok, url_flaky, url_dead], warehouse_dir=str(wh_dir), fetch_retries=2, batch_size=1,
        return_state=True,
    )
    assert state.is_completed(), state.message
    summary = state.result()

    assert server.hits == {"/ok.txt": 1, "/flaky.txt": 3, "/dead.txt": 3}  # 1 try + 2 retries each
    assert summary.articles_new == 2 and summary.rejects == 1 and summary.sources_seen == 3
    assert summary.stage_seconds["load"] < 2.0  # the env's 0 s retry delay applied (default: 2 s, then 4 s)
    warehouse = LocalWarehouse(wh_dir)
    articles = pl.read_parquet(warehouse.parts("articles"))
    assert sorted(articles["url"].to_list()) == sorted([url_ok, url_flaky])
    assert articles.filter(pl.col("url") == url_flaky)["title"].to_list() == ["Protest in Nairobi"]
    rejects = pl.read_parquet(warehouse.parts("rejects"))
    assert rejects.select("source", "reason").rows() == [(url_dead, "fetch_error")]
    assert "503" in rejects["detail"][0]
    con = duckdb.connect(str(warehouse.db_path), read_only=True)
    try:
        assert con.execute("select count(*) from articles where url = ?", [url_flaky]).fetchone() == (1,)
        assert con.execute("select source, reason from rejects").fetchall() == [(url_dead, "fetch_error")]
    finally:
        con.close()

    task_runs = _task_runs(state.state_details.flow_run_id, expected=9)
    names = collections.Counter(r.name for r in task_runs)
    reads = {r.name: r for r in task_runs if r.name.startswith("read ")}
    assert sorted(reads) == sorted(f"read {u}" for u in (url_ok, url_flaky, url_dead))
    assert all(names[n] == 1 for n in reads), names  # retries re-run the same task run, not new ones
    assert reads[f"read {url_flaky}"].state.is_completed() and reads[f"read {url_flaky}"].run_count == 3
    assert reads[f"read {url_dead}"].state.is_failed() and reads[f"read {url_dead}"].run_count == 3
    assert reads[f"read {url_ok}"].run_count == 1
    assert sorted(n for n in names if n.startswith("extract")) == ["extract batch 1/2", "extract batch 2/2"]
    # and besides: build articles, load reference, validate, publish, once each (nothing per article)
    assert len(task_runs) == 3 + 2 + 4, names
