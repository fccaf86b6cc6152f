"""`newsfacts run` over 3,000 articles, SIGKILLed at points of the run (real processes, real kills: during
extraction, and through the publish fault hook just before and just after the commit): the previous warehouse
stays readable and consistent, and the next run leaves exactly the rows of an uninterrupted run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.flows.servers import BIN

TABLES = {"articles": "article_id", "locations": "location_id", "figures": "figure_id", "events": "event_id"}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory, project_root: Path) -> tuple[Path, Path]:
    """A first run of 200 articles, then the 3,000-article run that gets killed."""
    bodies = [p.read_text(encoding="utf-8").split("\n", 3)[3] for p in sorted((project_root / "seeds" / "articles").glob("*.txt"))]
    folder = tmp_path_factory.mktemp("corpora")
    paths = []
    for name, ids in (("first", range(200)), ("big", range(200, 3200))):
        path = folder / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for i in ids:
                out.write(json.dumps({"id": f"k{i}", "text": bodies[i % len(bodies)] + f"\nUpdate {i}: {i % 70 + 2} people were hurt."}) + "\n")
        paths.append(path)
    return paths[0], paths[1]


def _run(prefect_server, source: Path, warehouse: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "newsfacts"), "run", str(source), "--warehouse", str(warehouse)],
        env={**prefect_server.env, "PREFECT_API_URL": prefect_server.api, **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=900)
    return proc.returncode, out


def _state(warehouse: Path) -> dict:
    con = duckdb.connect(str(warehouse / "newsfacts.duckdb"), read_only=True)
    try:
        ids = {t: sorted(r[0] for r in con.execute(f"select {k} from {t}").fetchall()) for t, k in TABLES.items()}
        dangling = con.execute(
            "select count(*) from (select article_id from locations union all select article_id from figures "
            "union all select article_id from events) f anti join articles a using (article_id)"
        ).fetchone()[0]
    finally:
        con.close()
    return {"ids": ids, "dangling": dangling}


@pytest.fixture(scope="module")
def control(prefect_server, corpora, tmp_path_factory) -> dict:
    first, big = corpora
    warehouse = tmp_path_factory.mktemp("control") / "wh"
    for source in (first, big):
        code, out = _finish(_run(prefect_server, source, warehouse))
        assert code == 0, out[-3000:]
    return _state(warehouse)


@pytest.mark.parametrize("kill_at", ["extracting", "before_commit", "after_commit"])
def test_a_killed_run_leaves_a_consistent_warehouse_and_the_next_run_completes_it(
    prefect_server, corpora, control, tmp_path: Path, kill_at: str
):
    first, big = corpora
    warehouse = tmp_path / "wh"
    code, out = _finish(_run(prefect_server, first, warehouse))
    assert code == 0, out[-3000:]
    before = _state(warehouse)

    if kill_at == "extracting":
        proc = _run(prefect_server, big, warehouse)
        for line in proc.stdout:
            if "extract: started" in line:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(timeout=60)
    else:
        proc = _run(prefect_server, big, warehouse, NEWSFACTS_FAULT_AT=kill_at)
        code, out = _finish(proc)
        assert code == -signal.SIGKILL, out[-3000:]

    after_kill = _state(warehouse)  # readable, consistent, and either the old warehouse or the whole run
    assert after_kill["dangling"] == 0
    if kill_at == "after_commit":  # committed: the Parquet holds the run; the DuckDB file may lag one commit
        assert after_kill["ids"] in (before["ids"], control["ids"])
    else:  # every fact of the warehouse is the first run's, with all of them: the ids equal the first run's
        assert after_kill["ids"] == before["ids"]

    code, out = _finish(_run(prefect_server, big, warehouse))
    assert code == 0, out[-3000:]
    assert _state(warehouse)["ids"] == control["ids"]
