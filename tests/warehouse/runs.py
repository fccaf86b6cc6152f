"""Two realistic runs for the warehouse's crash tests, and what to compare warehouses by.

The frames come from a real extraction of the bundled articles (readers -> build_articles -> extract_facts
with the real reference data, chained as `flows/pipeline.py` chains them), split into two runs that overlap
(re-ingested files and a repeated bad input), and are cached as Parquet for the subprocesses to read.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl
from newsfacts.warehouse.commits import committed_parts
from newsfacts.warehouse.publish import LocalWarehouse

from newsfacts.schema import PRIMARY_KEYS, REJECTS, RUNS, TABLES, conform

FACT_TABLES = ("locations", "figures", "events")
STAGED = ("articles", *FACT_TABLES, "rejects", "runs")  # the tables each test run stages, in publish order
RUN_IDS = ("run1", "run2")


@dataclass
class Runs:
    frames: dict[str, Path]  # run id -> folder of <table>.parquet, what the run hands to publish
    staged: dict[str, dict[str, pl.DataFrame]]  # run id -> the rows it commits (after `unpublished`)
    after_run1: Path  # a warehouse holding run 1, published without faults: copy it, never write it
    control: Path  # run 1 then run 2 without faults


def load(folder: Path) -> dict[str, pl.DataFrame]:
    return {p.stem: pl.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}


def publish_like_flow(root: Path, run_id: str, tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """What the flow's publish task does; returns the rows it handed to `publish`."""
    warehouse = LocalWarehouse(root)
    with warehouse.locked():
        fresh = warehouse.unpublished(tables)
        warehouse.publish(run_id, fresh)
    return fresh


def _extract(run_id: str, inputs: list[str], known: pl.Series, now: datetime) -> dict[str, pl.DataFrame]:
    from newsfacts.reference.loader import load_reference
    from newsfacts.sources.language import detect
    from newsfacts.sources.readers import RawRecord, read_source
    from newsfacts.transforms.articles import (
        RAW_RECORDS,
        build_articles,
        split_new_articles,
    )
    from newsfacts.transforms.facts import extract_facts
    from newsfacts.transforms.ids import id_expr

    from newsfacts.settings import Settings

    settings = Settings()
    records, rejects = [], []
    for path in inputs:
        for item in read_source(path, max_chars=settings.max_article_chars, timeout_s=5):
            (records if isinstance(item, RawRecord) else rejects).append(item.__dict__)
    articles = build_articles(pl.DataFrame(records, schema=RAW_RECORDS).lazy(), run_id=run_id, ingested_at=now, detect=detect).collect()
    articles, duplicates = split_new_articles(articles, known)
    facts = extract_facts(articles.lazy(), load_reference(settings))
    reject_frame = conform(
        pl.DataFrame(rejects, schema={"source": pl.String, "reason": pl.String, "detail": pl.String}).with_columns(
            reject_id=id_expr("rej_", "source", "reason"), run_id=pl.lit(run_id), rejected_at=pl.lit(now)
        ),
        REJECTS,
    ).collect()
    run_row = {
        "run_id": run_id, "started_at": now, "finished_at": now, "status": "completed",
        "inputs_seen": len(records) + len(rejects), "articles_new": articles.height, "duplicates_skipped": duplicates,
        "rejects": len(rejects), **{f"{t}_rows": facts[t].height for t in FACT_TABLES}, "dq_outcome": "passed",
    }
    return {
        "articles": articles, **{t: facts[t] for t in FACT_TABLES}, "rejects": reject_frame,
        "runs": conform(pl.DataFrame([run_row]), RUNS).collect(),
    }


def build_runs(base: Path) -> Runs:
    from newsfacts.sources.readers import expand_sources

    from newsfacts.settings import Settings

    articles = expand_sources([str(Settings().articles_dir)])
    assert len(articles) >= 10, "the bundled articles are missing"
    bad = base / "inputs"
    bad.mkdir()
    (bad / "empty.txt").write_text("")
    (bad / "broken.jsonl").write_text('{"text": "fine"}\n{not json\n')
    half = len(articles) // 2
    inputs = {
        "run1": [*articles[:half], str(bad / "empty.txt")],
        "run2": [*articles[half - 3:], str(bad / "empty.txt"), str(bad / "broken.jsonl")],  # 3 files again
    }
    frames, staged = {}, {}
    after_run1, control = base / "after-run1", base / "control"
    known = pl.Series("article_id", [], dtype=pl.String)
    for n, run_id in enumerate(RUN_IDS):
        tables = _extract(run_id, inputs[run_id], known, datetime(2026, 3, 1 + n, 8, tzinfo=timezone.utc))
        frames[run_id] = base / "frames" / run_id
        frames[run_id].mkdir(parents=True)
        for name, frame in tables.items():
            frame.write_parquet(frames[run_id] / f"{name}.parquet")
        staged[run_id] = publish_like_flow(control, run_id, load(frames[run_id]))
        known = LocalWarehouse(control).known_keys("articles")
        if run_id == "run1":
            shutil.copytree(control, after_run1)
    empty = [f"{run_id}.{t}" for run_id in RUN_IDS for t in STAGED if not staged[run_id][t].height]
    assert not empty, f"every run must stage every table, so every staging step is reached: {empty}"
    assert staged["run2"]["rejects"].height < load(frames["run2"])["rejects"].height, "run 2 repeats a reject"
    return Runs(frames, staged, after_run1, control)


# --- running a publish in its own process ------------------------------------------------------------

PUBLISHER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import polars as pl
    from newsfacts.warehouse.publish import LocalWarehouse
    root, action = Path(sys.argv[1]), sys.argv[2]
    warehouse = LocalWarehouse(root)
    if action == "rebuild":
        warehouse.rebuild()
    elif action == "compact":
        warehouse.compact()
    else:
        frames, run_id = Path(sys.argv[3]), sys.argv[4]
        tables = {p.stem: pl.read_parquet(p) for p in sorted(frames.glob("*.parquet"))}
        with warehouse.locked():
            warehouse.publish(run_id, warehouse.unpublished(tables))
    print("done")
    """
)


def run_process(*args: object, fault: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFACTS_FAULT")}
    if fault:
        env["NEWSFACTS_FAULT_AT"] = fault
    return subprocess.run(
        [sys.executable, "-c", PUBLISHER, *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout
    )


# --- comparing warehouses ------------------------------------------------------------------------------

def snapshot(db_path: Path) -> dict[str, pl.DataFrame]:
    """Every contract table of the DuckDB file (opened read-only), sorted by primary key."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return {
            t: pl.from_arrow(con.sql(f"SELECT * FROM {t} ORDER BY {PRIMARY_KEYS[t]}").to_arrow_table())
            for t in TABLES
        }
    finally:
        con.close()


def database_commits(db_path: Path) -> list[str]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT manifest FROM warehouse_commits ORDER BY seq").fetchall()]
    finally:
        con.close()


def dangling_references(db_path: Path) -> dict[str, int]:
    """Fact rows pointing at rows that are not there (each must be 0)."""
    checks = {
        **{
            f"{t}.article_id": f"SELECT count(*) FROM {t} f WHERE NOT EXISTS "
            "(SELECT 1 FROM articles a WHERE a.article_id = f.article_id)"
            for t in FACT_TABLES
        },
        "figures.event_id": "SELECT count(*) FROM figures f WHERE f.event_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM events e WHERE e.event_id = f.event_id)",
        "events.location_id": "SELECT count(*) FROM events e WHERE e.location_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM locations l WHERE l.location_id = e.location_id)",
    }
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return {name: con.execute(sql).fetchone()[0] for name, sql in checks.items()}
    finally:
        con.close()


def committed_view(root: Path) -> dict[str, object]:
    """What the Parquet side shows through the manifests: rows per table, primary keys, part file names."""
    warehouse = LocalWarehouse(root)
    return {
        "rows": warehouse.row_counts(),
        "keys": {t: sorted(warehouse.known_keys(t).to_list()) for t in TABLES},
        "parts": {t: [p.path for p in committed_parts(warehouse.commits()) if p.table == t] for t in TABLES},
        "commits": [m.name for m in warehouse.commits()],
    }


def folder_rows(root: Path) -> dict[str, int]:
    """Rows per table as a tool reading each table folder sees them (pyarrow, hive partitioning), without
    the manifests."""
    import pyarrow.dataset as ds

    return {t: ds.dataset(root / "parquet" / t, format="parquet", partitioning="hive").count_rows() for t in TABLES}


def files_on_disk(root: Path) -> set[str]:
    """Every file under the warehouse folder except the lock and the reports (relative paths)."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name != ".publish.lock" and "reports" not in p.parts
    }
