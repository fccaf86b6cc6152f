"""`newsfacts serve` against a real Prefect server: runs created as the UI's Quick run and Custom run do.

The UI's Quick run posts `/deployments/{id}/create_flow_run` with no parameters (the deployment's
defaults); Custom run posts the form's values. Both must complete, leave their artifacts and land rows.
"""
from __future__ import annotations

import time
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.flows.servers import deployment_id, start_serve, stop, wait_for_run, wait_until

ARTICLE = (
    "Floods hit Porto Alegre\n"
    "Floods killed 12 people and forced about 8,000 residents from their homes in Porto Alegre, Brazil, "
    "on Tuesday, the civil defence agency said.\n"
)


@pytest.fixture(scope="module")
def served(prefect_server, tmp_path_factory):
    base = tmp_path_factory.mktemp("base")
    proc = start_serve(prefect_server, base, "--warehouse", "wh", log=base / "serve.log")
    try:
        yield prefect_server, base
    finally:
        stop(proc)


def _artifacts(api: str, run_id: str) -> dict[str, dict]:
    found = httpx.post(
        f"{api}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}, timeout=10
    ).json()
    return {a["key"] or a["type"]: a for a in found}


def _create_run(api: str, deployment: str, body: dict) -> dict:
    # the server answers 503 while its SQLite database is busy (a loaded machine): ask again, as the UI would
    for attempt in range(5):
        response = httpx.post(f"{api}/deployments/{deployment}/create_flow_run", json=body, timeout=30)
        if response.status_code != 503:
            break
        time.sleep(2 * (attempt + 1))
    assert response.status_code == 201, response.text
    return response.json()


def _count(db: Path, table: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select count(*) from {table}").fetchone()[0]
    finally:
        con.close()


def test_deployments_show_a_parameter_form(served):
    server, base = served
    dep = httpx.get(f"{server.api}/deployments/{deployment_id(server.api, 'ingest')}", timeout=10).json()
    props = dep["parameter_openapi_schema"]["properties"]
    assert {"sources", "warehouse_dir", "batch_size", "max_workers", "fetch_timeout_s", "fetch_retries"} <= set(props)
    assert all(props[name].get("description") for name in props)
    assert dep["parameters"]["warehouse_dir"] == str(base / "wh")  # the form's default, resolved once
    assert dep["parameters"]["batch_size"] == 500
    assert deployment_id(server.api, "rebuild-warehouse")
    assert deployment_id(server.api, "compact-warehouse")


def test_quick_run_then_custom_run(served):
    server, base = served
    ingest = deployment_id(server.api, "ingest")

    triggered = time.monotonic()
    quick = _create_run(server.api, ingest, {})
    quick = wait_for_run(server.api, quick["id"])
    print(f"quick run: trigger to {quick['state_type']} in {time.monotonic() - triggered:.1f} s")
    assert quick["state_type"] == "COMPLETED", quick["state"]
    db = base / "wh" / "newsfacts.duckdb"
    assert _count(db, "articles") == 33
    assert _count(db, "events") > 0

    arts = _artifacts(server.api, quick["id"])
    summary = arts["newsfacts-run-summary"]["data"]
    assert "| new articles | 33 |" in summary and f"`{base / 'wh'}`" in summary
    assert "| data quality | passed (gate service) |" in summary  # validated by serve's warm GX
    assert arts["newsfacts-rejects"]["type"] == "table"
    assert arts["newsfacts-failed-expectations"]["type"] == "table"
    assert "dq-" in arts["newsfacts-dq-report"]["data"]
    assert arts["progress"]["data"] == 100
    def extract_logged() -> bool:  # the run's logs are shipped in batches: the last may land after Completed
        logs = httpx.post(
            f"{server.api}/logs/filter",
            json={"logs": {"flow_run_id": {"any_": [quick["id"]]}}, "limit": 200},
            timeout=10,
        ).json()
        return any(log["message"].startswith("extract: done") for log in logs)

    wait_until(extract_logged, 120, "the stage lines in the run's logs")  # stage lines reach the UI

    # Custom run: the form names a source by a path relative to the base directory.
    (base / "inbox").mkdir()
    (base / "inbox" / "floods.txt").write_text(ARTICLE, encoding="utf-8")
    custom = _create_run(server.api, ingest, {"parameters": {"sources": ["inbox/floods.txt"], "batch_size": 10}})
    custom = wait_for_run(server.api, custom["id"])
    assert custom["state_type"] == "COMPLETED", custom["state"]
    assert _count(db, "articles") == 34
    con = duckdb.connect(str(db), read_only=True)
    try:
        sources = {r[0] for r in con.execute("select source from articles").fetchall()}
        runs = con.execute("select count(*) from runs").fetchone()[0]
    finally:
        con.close()
    assert str(base / "inbox" / "floods.txt") in sources
    assert runs == 2
    assert "| new articles | 1 |" in _artifacts(server.api, custom["id"])["newsfacts-run-summary"]["data"]


def test_rebuild_deployment(served):
    server, base = served
    rebuild = deployment_id(server.api, "rebuild-warehouse")
    run = _create_run(server.api, rebuild, {})
    run = wait_for_run(server.api, run["id"])
    assert run["state_type"] == "COMPLETED", run["state"]
    assert "Warehouse rebuilt" in _artifacts(server.api, run["id"])["newsfacts-rebuild-summary"]["data"]
