"""Nothing lost, nothing half-done: a publish SIGKILLed at every step, in a real process.

Run 1 is published without faults; run 2 is published by a separate process that `NEWSFACTS_FAULT_AT`
kills (SIGKILL: no except, no finally) at one step. Afterwards the DuckDB file must open read-only and be
consistent, the committed Parquet must show run 2 either completely or not at all, and the next publish
must end with exactly the rows of an uninterrupted run 1 + run 2 (the control warehouse).
"""
from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest
from newsfacts.warehouse.faults import PUBLISH_STEPS
from newsfacts.warehouse.publish import LocalWarehouse
from polars.testing import assert_frame_equal

from newsfacts.schema import PRIMARY_KEYS, TABLES
from tests.warehouse.runs import (
    FACT_TABLES,
    STAGED,
    Runs,
    committed_view,
    dangling_references,
    database_commits,
    files_on_disk,
    folder_rows,
    load,
    publish_like_flow,
    run_process,
    snapshot,
)

STEPS = [f"staged:{t}" for t in STAGED] + list(PUBLISH_STEPS)
COMMITTED_FROM = STEPS.index("after_commit")  # killed at this step or later: run 2 is committed
STALE_AT = {"after_commit", "after_move", "before_db_rename"}  # committed, but the DuckDB file shows run 1
NOT_MOVED_AT = {"after_commit"}  # committed, its parts still in `_staging/`: folder readers show run 1


def _assert_same_tables(db_path: Path, control_db: Path) -> None:
    got, want = snapshot(db_path), snapshot(control_db)
    assert list(got) == list(want) == list(TABLES)
    for table in TABLES:
        assert_frame_equal(got[table], want[table])


def _assert_runs_complete(db_path: Path, runs: Runs) -> None:
    """Every run the DuckDB file includes has all the facts it staged, and no others."""
    db = snapshot(db_path)
    included = [name.split("-", 1)[1].removesuffix(".json") for name in database_commits(db_path)]
    for run_id in included:
        staged = runs.staged[run_id]
        articles = set(staged["articles"]["article_id"].to_list())
        assert articles <= set(db["articles"]["article_id"].to_list())
        for table in FACT_TABLES:
            key = PRIMARY_KEYS[table]
            in_db = set(db[table].filter(db[table]["article_id"].is_in(list(articles)))[key].to_list())
            assert in_db == set(staged[table][key].to_list()), f"{run_id}: {table} of its articles"
    assert sum(runs.staged[r]["articles"].height for r in included) == db["articles"].height


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_at_every_step_loses_nothing_and_leaves_nothing_half_done(runs: Runs, tmp_path: Path, step: str):
    root = tmp_path / "wh"
    shutil.copytree(runs.after_run1, root)
    before = committed_view(root)

    proc = run_process(root, "publish", runs.frames["run2"], "run2", fault=step)
    assert proc.returncode == -signal.SIGKILL, f"not killed at {step}: {proc.returncode} {proc.stderr[-2000:]}"

    # the DuckDB file: readable, consistent, and showing whole runs only
    db = root / "newsfacts.duckdb"
    assert not any(dangling_references(db).values()), dangling_references(db)
    _assert_runs_complete(db, runs)
    if step == "after_db_rename":
        _assert_same_tables(db, runs.control / "newsfacts.duckdb")
    else:
        _assert_same_tables(db, runs.after_run1 / "newsfacts.duckdb")

    # the committed Parquet: run 2 entirely or not at all
    committed = STEPS.index(step) >= COMMITTED_FROM
    view = committed_view(root)
    assert view == (committed_view(runs.control) if committed else before)
    warehouse = LocalWarehouse(root)
    assert warehouse.is_stale() == (step in STALE_AT)
    leftovers = files_on_disk(root) - files_on_disk(runs.after_run1)
    # tools reading the table folders see whole commits only: never a staged part
    moved = committed and step not in NOT_MOVED_AT
    assert folder_rows(root) == (committed_view(runs.control) if moved else before)["rows"]
    if not committed:  # what the dead publish staged is on disk, outside every table folder
        last_staged = STAGED[STEPS.index(step)] if step.startswith("staged:") else STAGED[-1]
        assert f"_staging/{last_staged}/ingest_date=2026-03-02/part-run2.parquet" in leftovers, leftovers
        assert not [f for f in leftovers if f.startswith("parquet/")], leftovers
        assert "_commits/.pending-run2.json" in leftovers

    # the next publish (the flow re-running run 2) recovers and ends exactly where no kill would have
    publish_like_flow(root, "run2", load(runs.frames["run2"]))
    assert committed_view(root) == committed_view(runs.control)
    _assert_same_tables(db, runs.control / "newsfacts.duckdb")
    assert database_commits(db) == database_commits(runs.control / "newsfacts.duckdb")
    assert not warehouse.is_stale()
    assert files_on_disk(root) == files_on_disk(runs.control), "uncommitted leftovers were not removed"
    assert folder_rows(root) == committed_view(runs.control)["rows"]


def test_sigkill_while_recovery_rebuilds_the_stale_database(runs: Runs, tmp_path: Path):
    """Recovery is itself crash-safe: killed while rebuilding a stale DuckDB file, it starts over next time."""
    root, db = tmp_path / "wh", tmp_path / "wh" / "newsfacts.duckdb"
    shutil.copytree(runs.after_run1, root)
    assert run_process(root, "publish", runs.frames["run2"], "run2", fault="after_commit").returncode == -signal.SIGKILL
    assert LocalWarehouse(root).is_stale()

    assert run_process(root, "rebuild", fault="rebuild:before_db_rename").returncode == -signal.SIGKILL
    assert LocalWarehouse(root).is_stale()  # still the old file: readable, consistent, run 1 only
    _assert_same_tables(db, runs.after_run1 / "newsfacts.duckdb")
    assert [f for f in files_on_disk(root) if f.endswith(".tmp")], "the killed rebuild left its tmp file"

    assert run_process(root, "rebuild", fault="rebuild:after_db_rename").returncode == -signal.SIGKILL
    assert not LocalWarehouse(root).is_stale()
    _assert_same_tables(db, runs.control / "newsfacts.duckdb")

    publish_like_flow(root, "run2", load(runs.frames["run2"]))  # finds run 2 committed: nothing to add
    _assert_same_tables(db, runs.control / "newsfacts.duckdb")
    assert committed_view(root) == committed_view(runs.control)
    assert files_on_disk(root) == files_on_disk(runs.control)
