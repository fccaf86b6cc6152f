"""The docs/bi.md recipe, for real: Apache Superset (its own pinned environment) reads the published warehouse.

A real `superset run` server with a SQLite metadata database is set up the documented way (db upgrade,
fab create-admin, init), the DuckDB file is registered through the REST API read-only, a dataset on
`mart_event_map` and a saved chart on it return the rows DuckDB itself returns, and after another publish
(a new DuckDB file renamed over the old one while the server runs) the same chart returns the new rows.
A second test checks the SQLAlchemy settings docs/bi.md recommends (read-only forms, pools) against a real
publish, in the same environment.

Slow (installing about 150 packages the first time; then about two minutes of Superset setup and server), so:
the environment is cached under ~/.cache/newsfacts-ci/superset-<hash of the pinned requirements>, and the
module runs once per change to warehouse/ or tests/bi/: after a pass it writes
~/.cache/newsfacts-ci/superset-passed-<hash> and later runs skip. NEWSFACTS_SUPERSET_FORCE=1 runs anyway.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from tests.bi.superset_env import (
    FORCE,
    HERE,
    Api,
    Superset,
    SupersetEnv,
    code_hash,
    ensure_env,
    pass_marker,
)

MART = "mart_event_map"
TESTS = ("test_superset_charts_a_mart_and_sees_the_next_publish", "test_engine_settings_in_docs")

NEW_ARTICLE = """\
Gunmen kill nine farmers in attack on village in northwest Nigeria
Date: 2026-03-03

GUSAU — Gunmen killed nine farmers and abducted at least 15 others in an attack on the village of Kware in
Nigeria's Zamfara State on Monday, police and residents said.

The attackers arrived on motorcycles shortly after dawn and opened fire on people working in the fields, a
police spokesman in Gusau said on Tuesday. Troops were deployed to the area after the attack.
"""


class Gate:
    def __init__(self, project_root: Path) -> None:
        self.hash = code_hash(project_root)
        self.marker = pass_marker(project_root)
        self.passed: set[str] = set()
        self.report: dict = {"code_hash": self.hash}
        self.started = time.monotonic()


@pytest.fixture(scope="module")
def gate(project_root: Path):
    """Skips the module when it already passed for this exact warehouse code; writes the marker after a pass."""
    state = Gate(project_root)
    if state.marker.exists() and not FORCE:
        pytest.skip(f"Superset tests already passed for this exact warehouse code (hash {state.hash} of "
                    f"warehouse/ and tests/bi/; marker {state.marker}); NEWSFACTS_SUPERSET_FORCE=1 runs them again")
    yield state
    if state.passed >= set(TESTS):
        state.report["seconds_total"] = round(time.monotonic() - state.started, 1)
        state.marker.parent.mkdir(parents=True, exist_ok=True)
        state.marker.write_text(json.dumps(state.report, indent=1))
        print(f"\n[superset] passed; marker written: {state.marker}\n{json.dumps(state.report, indent=1)}")


@pytest.fixture(scope="module")
def superset_env(gate: Gate) -> SupersetEnv:
    started = time.monotonic()
    env = ensure_env()
    gate.report.update(versions=env.versions, env=str(env.root), env_built_now=env.built_now,
                       env_seconds=round(time.monotonic() - started, 1))
    print(f"\n[superset] environment {env.root} ({'built' if env.built_now else 'cached'}, "
          f"{gate.report['env_seconds']} s): {env.versions}")
    return env


@pytest.fixture(scope="module")
def superset_setup(superset_env: SupersetEnv, gate: Gate, tmp_path_factory):
    """A throwaway Superset; its first-time setup runs in the background while the warehouse is built."""
    superset = Superset(superset_env, tmp_path_factory.mktemp("superset"))
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield superset, pool.submit(superset.initialise)


@pytest.fixture(scope="module")
def warehouse(gate: Gate, request, tmp_path_factory) -> Path:
    """A warehouse published by the project's own flow from the bundled articles."""
    request.getfixturevalue("prefect_harness")
    from newsfacts.flows.pipeline import newsfacts_run

    started = time.monotonic()
    folder = tmp_path_factory.mktemp("bi") / "wh"
    newsfacts_run(warehouse_dir=str(folder))
    gate.report["warehouse_seconds"] = round(time.monotonic() - started, 1)
    return folder


@pytest.fixture(scope="module")
def superset(superset_setup, warehouse: Path, gate: Gate) -> Superset:
    instance, initialising = superset_setup
    gate.report["setup_seconds"] = initialising.result()
    return instance


@pytest.fixture
def new_article(tmp_path: Path) -> Path:
    path = tmp_path / "articles" / "zamfara_attack.txt"
    path.parent.mkdir()
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    return path


def _copy(warehouse: Path, to: Path) -> Path:
    shutil.copytree(warehouse, to, ignore=shutil.ignore_patterns(".publish.lock"))
    return to


def _publish(folder: Path, source: Path) -> None:
    from newsfacts.flows.pipeline import newsfacts_run

    newsfacts_run(sources=[str(source)], warehouse_dir=str(folder))


def _duckdb(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _counts_by_type(db: Path) -> dict[str, int]:
    return dict(_duckdb(db, f"select event_type, count(*) from {MART} group by 1"))


def _chart_rows(result: dict) -> dict[str, int]:
    rows = result["result"][0]["data"]
    return {r["event_type"]: r["count"] for r in rows}


def test_superset_charts_a_mart_and_sees_the_next_publish(
        superset: Superset, warehouse: Path, gate: Gate, tmp_path: Path, new_article: Path):
    folder = _copy(warehouse, tmp_path / "wh")
    db = (folder / "newsfacts.duckdb").resolve()
    expected_columns = [r[0] for r in _duckdb(
        db, f"select column_name from information_schema.columns where table_name = '{MART}' "
            "order by ordinal_position")]
    before = _counts_by_type(db)
    assert sum(before.values()) > 0, "the bundled articles give mart_event_map rows"

    with superset.serve() as base:
        user, password = superset.admin
        api = Api(base, user, password, on_error=superset.log_tail)

        # 1. Register the file the way docs/bi.md says: absolute path, read-only (Superset uses NullPool).
        database = api.post("/api/v1/database/", {
            "database_name": "newsfacts",
            "sqlalchemy_uri": f"duckdb:///{db}",
            "extra": json.dumps({"engine_params": {"connect_args": {"read_only": True}}}),
            "expose_in_sqllab": True,
        })
        database_id = database["id"]
        tables = {t["value"] for t in api.get(
            f"/api/v1/database/{database_id}/tables/?q=(force:!t,schema_name:main)")["result"]}
        assert {"articles", "events", "figures", "locations", MART} <= tables
        mode = api.sql(database_id, "select current_setting('access_mode') as mode")
        assert mode == [{"mode": "read_only"}], "Superset's connections to the warehouse are read-only"
        # The URL form (nothing to fill in under Advanced) is read-only too.
        url_form_id = api.post("/api/v1/database/", {"database_name": "newsfacts (URL form)",
                                                     "sqlalchemy_uri": f"duckdb:///{db}?access_mode=read_only"})["id"]
        assert api.sql(url_form_id, "select current_setting('access_mode') as mode, count(*) as n from articles") \
            == [{"mode": "read_only", "n": _duckdb(db, "select count(*) from articles")[0][0]}]

        # 2. A dataset on the mart: Superset lists its columns from the file.
        dataset_id = api.post("/api/v1/dataset/", {"database": database_id, "schema": "main", "table_name": MART})["id"]
        columns = [c["column_name"] for c in api.get(f"/api/v1/dataset/{dataset_id}")["result"]["columns"]]
        assert sorted(columns) == sorted(expected_columns)

        # 3. Chart data: events per type, what a bar chart on the map mart asks for.
        query = {"datasource": {"id": dataset_id, "type": "table"},
                 "queries": [{"columns": ["event_type"], "metrics": ["count"], "row_limit": 1000,
                              "orderby": [["count", False]]}],
                 "result_format": "json", "result_type": "full"}
        assert _chart_rows(api.post("/api/v1/chart/data", query)) == before

        # 4. A saved chart (what a dashboard tile is) returns the same rows.
        chart_id = api.post("/api/v1/chart/", {
            "slice_name": "Events by type", "viz_type": "table", "datasource_id": dataset_id,
            "datasource_type": "table", "params": json.dumps({"groupby": ["event_type"], "metrics": ["count"]}),
            "query_context": json.dumps(query)})["id"]
        assert _chart_rows(api.get(f"/api/v1/chart/{chart_id}/data/")) == before
        commits = api.sql(database_id, "select count(*) as n from warehouse_commits")[0]["n"]
        articles = api.sql(database_id, "select count(*) as n from articles")[0]["n"]

        # 5. Publish again while the server runs (a new file renamed over the one Superset read).
        _publish(folder, new_article)
        after = _counts_by_type(db)
        assert _duckdb(db, "select count(*) from warehouse_commits")[0][0] == commits + 1
        assert api.sql(database_id, "select count(*) as n from warehouse_commits")[0]["n"] == commits + 1
        assert api.sql(database_id, "select count(*) as n from articles")[0]["n"] == articles + 1
        assert _chart_rows(api.get(f"/api/v1/chart/{chart_id}/data/")) == after
        assert _chart_rows(api.post("/api/v1/chart/data", query)) == after

    gate.report["chart_rows_before_after"] = [sum(before.values()), sum(after.values())]
    gate.passed.add("test_superset_charts_a_mart_and_sees_the_next_publish")


def _probe(env: SupersetEnv, *args: str) -> dict:
    done = subprocess.run([str(env.python), str(HERE / "engine_probe.py"), *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_engine_settings_in_docs(superset_env: SupersetEnv, warehouse: Path, gate: Gate, tmp_path: Path,
                                 new_article: Path):
    """What docs/bi.md says about the SQLAlchemy URL, read-only mode and pools, with duckdb-engine 0.17."""
    folder = _copy(warehouse, tmp_path / "wh")
    db = str((folder / "newsfacts.duckdb").resolve())

    # Read-only: connect_args={"read_only": True} and ?access_mode=read_only work; ?read_only=true does not.
    seen = {form: _probe(superset_env, "read-only", form, db)
            for form in ("connect_args", "url-access_mode", "url-read_only")}
    for form in ("connect_args", "url-access_mode"):
        assert seen[form]["access_mode"] == "read_only", seen[form]
        assert "read-only" in seen[form]["write"].lower() or "cannot execute" in seen[form]["write"].lower(), seen
    assert "read_only" in seen["url-read_only"]["error"], seen["url-read_only"]

    # Pools: one long-lived engine per process, each queried before and after a real publish.
    settings = ["default", "pool_pre_ping", "pool_recycle=1", "NullPool", "NullPool+url-access_mode"]
    procs = {s: subprocess.Popen([str(superset_env.python), str(HERE / "engine_probe.py"), "publish", s, db],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s in settings}
    try:
        before = {}
        for s, proc in procs.items():
            line = proc.stdout.readline()
            assert line, f"{s}: {proc.stderr.read()[-3000:]}"
            before[s] = json.loads(line)
        _publish(folder, new_article)
        time.sleep(1.5)  # older than pool_recycle=1
        after = {}
        for s, proc in procs.items():
            out, err = proc.communicate("published\n", timeout=120)
            assert proc.returncode == 0, f"{s}: {err[-3000:]}"
            after[s] = json.loads(out.strip().splitlines()[-1])
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    commits = before["NullPool"]["commits"]
    assert all(b["commits"] == commits for b in before.values()), before
    fresh = {s for s, a in after.items() if a["commits"] == commits + 1}
    stale = {s for s, a in after.items() if a["commits"] == commits}
    assert fresh == {"pool_recycle=1", "NullPool", "NullPool+url-access_mode"}, after
    assert stale == {"default", "pool_pre_ping"}, after
    assert before["default"]["pool"] == "QueuePool"
    gate.report["pools_after_publish"] = {s: ("new file" if s in fresh else "old file") for s in settings}
    gate.report["engine_versions"] = _probe(superset_env, "versions", "-", "-")
    gate.passed.add("test_engine_settings_in_docs")
