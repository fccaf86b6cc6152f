"""Two and three `newsfacts run` processes into one warehouse at once: the union of their inputs, each row once."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.flows.servers import BIN

TABLES = {"articles": "article_id", "locations": "location_id", "figures": "figure_id", "events": "event_id"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, project_root: Path) -> dict[str, Path]:
    """Three overlapping folders of bundled articles: a = 0-11, b = 6-17, c = 12-23."""
    articles = sorted((project_root / "seeds" / "articles").glob("*.txt"))[:24]
    root = tmp_path_factory.mktemp("inputs")
    folders = {}
    for name, window in {"a": range(0, 12), "b": range(6, 18), "c": range(12, 24), "all": range(0, 24)}.items():
        folder = root / name
        folder.mkdir()
        for i in window:
            shutil.copy(articles[i], folder / articles[i].name)
        folders[name] = folder
    return folders


def _runs(prefect_server, warehouse: Path, *sources: Path) -> None:
    env = {**prefect_server.env, "PREFECT_API_URL": prefect_server.api}
    procs = [
        subprocess.Popen(
            [str(BIN / "newsfacts"), "run", str(source), "--warehouse", str(warehouse)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for source in sources
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-3000:]


def _ids(warehouse: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(warehouse / "newsfacts.duckdb"), read_only=True)
    try:
        return {t: sorted(r[0] for r in con.execute(f"select {key} from {t}").fetchall()) for t, key in TABLES.items()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def control(prefect_server, inputs, tmp_path_factory) -> dict[str, list[str]]:
    warehouse = tmp_path_factory.mktemp("control") / "wh"
    _runs(prefect_server, warehouse, inputs["all"])
    return _ids(warehouse)


def test_two_runs_of_the_same_input(prefect_server, inputs, tmp_path: Path):
    _runs(prefect_server, tmp_path / "wh", inputs["a"], inputs["a"])
    ids = _ids(tmp_path / "wh")
    for table, values in ids.items():
        assert len(values) == len(set(values)), f"{table} has rows twice"
    assert len(ids["articles"]) == 12


def test_three_runs_of_overlapping_inputs(prefect_server, inputs, control, tmp_path: Path):
    _runs(prefect_server, tmp_path / "wh", inputs["a"], inputs["b"], inputs["c"])
    assert _ids(tmp_path / "wh") == control  # the union, each row once, as one run over all of it
