"""Where the warehouse's Parquet parts live, and the DuckDB views that read exactly the committed ones.

    DIR/parquet/<table>/ingest_date=YYYY-MM-DD/part-<run id>.parquet   a run's rows of one table
    DIR/parquet/<table>/ingest_date=YYYY-MM-DD/part-compact-<seq>.parquet   merged by a compaction
    DIR/parquet/<table>/part-<run id>.parquet                           written before partitions existed
    DIR/_staging/<table>/ingest_date=YYYY-MM-DD/part-….parquet          written, not yet committed

Each table folder is one hive-partitioned dataset. `ingest_date` (the run's ingest date, UTC) lives in the
folder name only, not inside the files, so a reader with hive partitioning gets the table's own columns
plus `ingest_date`. Parts are written under `DIR/_staging/` and renamed into their partition after the
commit, so folder readers never see a part no manifest names.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import PurePosixPath

from newsfacts.warehouse.commits import PartFile

PARQUET_DIR = "parquet"
STAGING_DIR = "_staging"
PARTITION = "ingest_date"
VIEW_PREFIX = "parquet_"
# A non-Parquet file in `parquet/` itself: `pyarrow.dataset("DIR/parquet")` (every table at once) fails on
# it, naming it, instead of merging all tables into one; table folders are unaffected (docs/bi.md).
TRIPWIRE = "README-read-one-table-folder.txt"
TRIPWIRE_TEXT = """\
Each folder here is one table, hive-partitioned by ingest_date. Read ONE table folder, for example:

    pyarrow.dataset.dataset("parquet/events", partitioning="hive")
    polars.scan_parquet("parquet/events", hive_partitioning=True)
    SELECT * FROM read_parquet('parquet/events/*/*.parquet', hive_partitioning = true)

Reading this folder as one dataset would mix every table. This file is not Parquet on purpose, so that
tools reading the whole folder stop with an error naming it. See docs/bi.md of newsfacts.
Only committed parts are ever in the table folders; DIR/_commits/ lists which run wrote which part.
"""

_PARTITION_DIR = re.compile(rf"^{PARTITION}=(\d{{4}}-\d{{2}}-\d{{2}})$")


def partition_dir(day: date) -> str:
    return f"{PARTITION}={day.isoformat()}"


def part_path(table: str, day: date, name: str) -> str:
    """The committed path (relative to DIR, POSIX) of part `name` (`part-<name>.parquet`) of `table` on `day`."""
    return f"{PARQUET_DIR}/{table}/{partition_dir(day)}/part-{name}.parquet"


def staged_path(path: str) -> str:
    """Where the part committed as `path` is written before its commit (outside every table folder)."""
    return f"{STAGING_DIR}/{PurePosixPath(path).relative_to(PARQUET_DIR)}"


def partition_of(path: str) -> date | None:
    """The ingest date of a part from its folder; None for a part written before partitions existed."""
    match = _PARTITION_DIR.match(PurePosixPath(path).parent.name)
    return date.fromisoformat(match.group(1)) if match else None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_list(paths: Iterable[str]) -> str:
    return "[" + ", ".join(_literal(p) for p in paths) + "]"


def parquet_view_sql(table: str, root: str, parts: list[PartFile]) -> str:
    """`CREATE VIEW parquet_<table>` over exactly `parts` (the committed ones), by absolute path under `root`.

    Columns: the table's own (same names and types; `union_by_name` fills columns older parts lack with
    NULL) plus `ingest_date DATE` from the folder (NULL for parts from before partitions). Absolute paths,
    because DuckDB resolves relative ones against the reading process's working folder, not the database
    file's; the file records `root` in `warehouse_commits.parquet_root` and is rebuilt when the folder moves.
    """
    partitioned = [f"{root}/{p.path}" for p in parts if p.table == table and partition_of(p.path) is not None]
    flat = [f"{root}/{p.path}" for p in parts if p.table == table and partition_of(p.path) is None]
    selects = [f"SELECT *, NULL::DATE AS {PARTITION} FROM {table} WHERE false"]  # the columns and types, no rows
    if partitioned:
        selects.append(
            f"SELECT * FROM read_parquet({_file_list(partitioned)}, hive_partitioning = true, "
            f"hive_types = {{'{PARTITION}': DATE}}, union_by_name = true)"
        )
    if flat:
        selects.append(f"SELECT * FROM read_parquet({_file_list(flat)}, hive_partitioning = false, union_by_name = true)")
    return f"CREATE VIEW {VIEW_PREFIX}{table} AS\n" + "\nUNION ALL BY NAME\n".join(selects)
