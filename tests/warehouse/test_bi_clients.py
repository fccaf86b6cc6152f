"""The published DuckDB file as BI tools see it, in their own environments (real installs, real clients):
DuckDB 1.5 (what most BI drivers bundle) and duckdb-engine under SQLAlchemy 1.4 and 2.0."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

CLIENTS = {
    "duckdb-1.5": ["duckdb>=1.5,<1.6"],
    "sqlalchemy-1.4": ["duckdb==2.0.1", "duckdb-engine>=0.17,<0.18", "sqlalchemy>=1.4,<1.5"],
    "sqlalchemy-2.0": ["duckdb==2.0.1", "duckdb-engine>=0.17,<0.18", "sqlalchemy>=2.0,<2.1"],
}

# What a DuckDB 1.x client does: open read-only, list every table and view, read every row.
READ_WITH_DUCKDB = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
names = [r[0] for r in con.execute(
    "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]
print(json.dumps({"version": duckdb.__version__,
                  "rows": {n: con.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names}}))
"""

# What a SQLAlchemy BI tool does: reflect tables, views and columns, then query each relation.
READ_WITH_SQLALCHEMY = """
import json, sys
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
engine = sa.create_engine(f"duckdb:///{sys.argv[1]}", connect_args={"read_only": True}, poolclass=NullPool)
inspector = sa.inspect(engine)
relations = inspector.get_table_names() + inspector.get_view_names()
columns = {name: [c["name"] for c in inspector.get_columns(name)] for name in relations}
with engine.connect() as con:
    rows = {name: con.execute(sa.text(f'select count(*) from "{name}"')).scalar() for name in relations}
print(json.dumps({"version": sa.__version__, "columns": columns, "rows": rows}))
"""


@pytest.fixture(scope="module")
def client_envs(tmp_path_factory) -> dict[str, Path]:
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the client environments"
    root = tmp_path_factory.mktemp("clients")
    pythons = {}
    for name, requirements in CLIENTS.items():
        venv = root / name
        subprocess.run([uv, "venv", "-q", str(venv), "--python", sys.executable], check=True, timeout=300)
        python = venv / "bin" / "python"
        done = subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(python), *requirements],
            capture_output=True, text=True, timeout=900,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        pythons[name] = python
    return pythons


@pytest.fixture(scope="module")
def warehouse(prefect_harness, tmp_path_factory) -> Path:
    from newsfacts.flows.pipeline import newsfacts_run

    folder = tmp_path_factory.mktemp("bi") / "wh"
    newsfacts_run(warehouse_dir=str(folder))
    return folder


def _expected(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]
        return {n: con.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names}
    finally:
        con.close()


def _read(python: Path, script: str, db: Path) -> dict:
    done = subprocess.run([str(python), "-c", script, str(db)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_duckdb_1_5_reads_every_table_and_view(client_envs, warehouse: Path):
    db = warehouse / "newsfacts.duckdb"
    seen = _read(client_envs["duckdb-1.5"], READ_WITH_DUCKDB, db)
    assert seen["version"].startswith("1.5")
    expected = _expected(db)
    assert {"articles", "events", "mart_event_map"} <= set(expected)
    assert seen["rows"] == expected


@pytest.mark.parametrize("client", ["sqlalchemy-1.4", "sqlalchemy-2.0"])
def test_sqlalchemy_lists_every_column_and_queries_every_relation(client_envs, warehouse: Path, client: str):
    db = warehouse / "newsfacts.duckdb"
    seen = _read(client_envs[client], READ_WITH_SQLALCHEMY, db)
    assert seen["version"].startswith(client.split("-")[1])
    expected = _expected(db)
    assert seen["rows"] == expected
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name, columns in seen["columns"].items():
            actual = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
                [name]).fetchall()]
            assert columns == actual, name
    finally:
        con.close()
