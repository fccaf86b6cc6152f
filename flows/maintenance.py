"""Maintenance flows for a warehouse folder: rebuild the DuckDB file and its marts from the Parquet parts
(`newsfacts-rebuild`), and compact the small Parquet parts (`newsfacts-compact`).

Deployment `newsfacts-rebuild/rebuild-warehouse`. Run it after editing a mart's SQL, after copying
Parquet parts in from elsewhere, or to recover a deleted or damaged `newsfacts.duckdb`: the Parquet
parts are the source of truth. It takes the warehouse's publish lock, so it never interleaves with a run.
Afterwards it writes the warehouse report (`newsfacts report`, DIR/reports/report.html).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from newsfacts.flows.pipeline import run_settings
from newsfacts.warehouse.publish import Compaction, LocalWarehouse
from newsfacts.warehouse.report import write_report
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE


def _timed(step, warehouse_dir: str | None) -> tuple[LocalWarehouse, Any, float]:
    """The warehouse the flow parameter names, what `step(warehouse)` returned, and its seconds."""
    warehouse = LocalWarehouse(run_settings(warehouse_dir=warehouse_dir).warehouse_path)
    started = time.perf_counter()
    result = step(warehouse)
    return warehouse, result, time.perf_counter() - started


@task(name="rebuild-database", task_run_name="rebuild database", cache_policy=NO_CACHE, persist_result=False)
def rebuild_database(warehouse: LocalWarehouse) -> dict[str, int]:
    return warehouse.rebuild()


@task(name="write-report", task_run_name="write report", cache_policy=NO_CACHE, persist_result=False)
def write_warehouse_report(warehouse: LocalWarehouse) -> Path | None:
    """`newsfacts report` of the rebuilt warehouse; a failure is logged and never fails the rebuild."""
    try:
        return write_report(warehouse.root)
    except Exception as exc:  # noqa: BLE001 - the rebuild itself succeeded
        get_run_logger().warning("could not write the warehouse report: %s", exc)
        return None


@flow(name="newsfacts-rebuild", persist_result=False, validate_parameters=True)
def rebuild_warehouse(warehouse_dir: str | None = None) -> dict[str, int]:
    """Rebuild the warehouse's DuckDB file (tables and mart views) from its Parquet parts.

    Args:
        warehouse_dir: Warehouse folder, relative to the base directory (NEWSFACTS_BASE_DIR).
            Empty: NEWSFACTS_WAREHOUSE_DIR or ./data.
    """
    warehouse, counts, seconds = _timed(rebuild_database, warehouse_dir)
    report = write_warehouse_report(warehouse)
    rows = "\n".join(f"| {table} | {n} |" for table, n in counts.items())
    create_markdown_artifact(
        f"# Warehouse rebuilt\n\n`{warehouse.db_path}` in {seconds:.1f} s\n\n"
        f"| table | rows |\n|---|---:|\n{rows}\n"
        + (f"\nReport: `{report}`\n" if report else ""),
        key="newsfacts-rebuild-summary",
        description="rows per table after the rebuild",
    )
    return counts


@task(name="compact-parts", task_run_name="compact parts", cache_policy=NO_CACHE, persist_result=False)
def compact_parts(warehouse: LocalWarehouse) -> Compaction:
    return warehouse.compact()


@flow(name="newsfacts-compact", persist_result=False, validate_parameters=True)
def compact_warehouse(warehouse_dir: str | None = None) -> Compaction:
    """Merge the warehouse's small Parquet parts, per table and ingest date, into one part each (one commit of
    kind `compact`; rows and ids unchanged), then delete the parts it replaced. Same as `newsfacts compact`.

    Args:
        warehouse_dir: Warehouse folder, relative to the base directory (NEWSFACTS_BASE_DIR).
            Empty: NEWSFACTS_WAREHOUSE_DIR or ./data.
    """
    warehouse, done, seconds = _timed(compact_parts, warehouse_dir)
    create_markdown_artifact(
        f"# Warehouse compacted\n\n`{warehouse.root}` in {seconds:.1f} s: "
        + (
            f"{len(done.retired)} parts merged into {len(done.written)} ({done.rows} rows), commit `{done.manifest}`\n"
            if done.manifest
            else "nothing to merge\n"
        ),
        key="newsfacts-compact-summary",
        description="parts merged by the compaction",
    )
    return done
