"""The Parquet datasets as tools that read files see them: each table folder read by pyarrow, polars and
DuckDB (hive partitioning) holds the same rows and column types as the DuckDB table, and so do the
`parquet_<table>` views in the DuckDB file, also when a client opens the file from another folder."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pytest
from newsfacts.warehouse.compaction import CompactionPolicy
from newsfacts.warehouse.layout import TRIPWIRE
from newsfacts.warehouse.publish import LocalWarehouse
from polars.testing import assert_frame_equal

from newsfacts.schema import PRIMARY_KEYS, TABLES
from tests.warehouse.legacy_publish import LocalWarehouse as LegacyWarehouse
from tests.warehouse.runs import Runs, load, snapshot


def _utc(frame: pl.DataFrame) -> pl.DataFrame:
    """Time zones spelled one way: DuckDB hands Arrow `Etc/UTC` for TIMESTAMPTZ, Parquet files say `UTC`."""
    return frame.with_columns(
        pl.col(c).dt.convert_time_zone("UTC") for c, t in frame.schema.items() if isinstance(t, pl.Datetime) and t.time_zone
    )


def _readers(folder: Path) -> dict[str, pl.DataFrame]:
    return {
        "pyarrow": pl.from_arrow(ds.dataset(folder, format="parquet", partitioning="hive").to_table()),
        "polars": pl.scan_parquet(folder, hive_partitioning=True).collect(),
        "duckdb": pl.from_arrow(
            duckdb.sql(f"SELECT * FROM read_parquet('{folder}/*/*.parquet', hive_partitioning = true)").to_arrow_table()
        ),
    }


def _view(db: Path, table: str) -> pl.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return pl.from_arrow(con.sql(f"SELECT * FROM parquet_{table}").to_arrow_table())
    finally:
        con.close()


def test_every_reader_sees_the_table(runs: Runs):
    tables = snapshot(runs.control / "newsfacts.duckdb")
    assert {t for t, f in tables.items() if f.height} >= {"articles", "locations", "figures", "events", "runs"}
    for table in TABLES:
        want = tables[table]
        if not want.height:  # a folder without parts: file readers have no schema; the view has one
            assert not list((runs.control / "parquet" / table).rglob("*.parquet"))
            assert _view(runs.control / "newsfacts.duckdb", table).columns == [*want.columns, "ingest_date"]
            continue
        for reader, got in _readers(runs.control / "parquet" / table).items():
            assert got.columns == [*want.columns, "ingest_date"], (table, reader)
            assert_frame_equal(_utc(got.drop("ingest_date").sort(PRIMARY_KEYS[table])), _utc(want))
        view = _view(runs.control / "newsfacts.duckdb", table)
        assert view.schema["ingest_date"] == pl.Date
        assert_frame_equal(_utc(view.drop("ingest_date").sort(PRIMARY_KEYS[table])), _utc(want))
    days = _view(runs.control / "newsfacts.duckdb", "articles")["ingest_date"].unique().sort().cast(pl.String)
    assert days.to_list() == ["2026-03-01", "2026-03-02"]  # the days runs 1 and 2 started (UTC)


def test_views_work_from_another_folder_and_follow_a_moved_warehouse(runs: Runs, tmp_path: Path):
    root = tmp_path / "copy"
    shutil.copytree(runs.control, root)
    warehouse = LocalWarehouse(root)
    assert warehouse.is_stale()  # its views still read the original folder
    assert warehouse.recover().rebuilt
    elsewhere = tmp_path / "bi-tool"
    elsewhere.mkdir()
    script = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(json.dumps({t: con.execute(f'select count(*) from parquet_{t}').fetchone()[0] for t in sys.argv[2:]}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(root / "newsfacts.duckdb"), *TABLES],
        cwd=elsewhere, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == warehouse.row_counts()
    con = duckdb.connect(str(warehouse.db_path), read_only=True)
    try:
        sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'parquet_events'").fetchone()[0]
    finally:
        con.close()
    assert str(root.resolve()) in sql and str(runs.control) not in sql


def test_views_show_parts_from_before_partitions(runs: Runs, tmp_path: Path):
    """A legacy warehouse published into without compaction: its folders mix both layouts; the views read
    both (legacy rows with ingest_date NULL)."""
    root = tmp_path / "legacy"
    with (legacy := LegacyWarehouse(root)).locked():
        legacy.publish("run1", legacy.unpublished(load(runs.frames["run1"])))
    warehouse = LocalWarehouse(root, compaction=CompactionPolicy(auto=False))
    with warehouse.locked():
        warehouse.publish("run2", warehouse.unpublished(load(runs.frames["run2"])))
    assert list((root / "parquet" / "events").glob("part-*.parquet"))
    tables = snapshot(warehouse.db_path)
    for table in TABLES:
        view = _view(warehouse.db_path, table)
        assert_frame_equal(_utc(view.drop("ingest_date").sort(PRIMARY_KEYS[table])), _utc(tables[table]))
    nulls = _view(warehouse.db_path, "articles")["ingest_date"].null_count()
    assert nulls == runs.staged["run1"]["articles"].height


def test_reading_all_tables_at_once_fails_loudly(runs: Runs):
    with pytest.raises(Exception, match=TRIPWIRE):
        ds.dataset(runs.control / "parquet", format="parquet", partitioning="hive")
    assert ds.dataset(runs.control / "parquet" / "events", format="parquet", partitioning="hive").count_rows()
