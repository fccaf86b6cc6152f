"""Recovery: a warehouse from before the commit log is adopted, leftovers of a dead publish are removed,
part files copied in are kept (and adopted by a rebuild), and a failed publish says what state it left."""
from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest
from newsfacts.warehouse.faults import PUBLISH_STEPS
from newsfacts.warehouse.publish import STALE, LocalWarehouse, PublishError
from polars.testing import assert_frame_equal

from newsfacts.schema import TABLES
from tests.warehouse.legacy_publish import LocalWarehouse as LegacyWarehouse
from tests.warehouse.runs import (
    STAGED,
    Runs,
    committed_view,
    database_commits,
    files_on_disk,
    folder_rows,
    load,
    publish_like_flow,
    run_process,
    snapshot,
)


def _assert_same_tables(db_path: Path, control_db: Path) -> None:
    got, want = snapshot(db_path), snapshot(control_db)
    for table in TABLES:
        assert_frame_equal(got[table], want[table])


def _assert_like_control(root: Path, runs: Runs) -> None:
    _assert_same_tables(root / "newsfacts.duckdb", runs.control / "newsfacts.duckdb")
    assert committed_view(root) == committed_view(runs.control)
    assert files_on_disk(root) == files_on_disk(runs.control)
    assert not LocalWarehouse(root).is_stale()


def test_legacy_warehouse_is_adopted_then_published_into(runs: Runs, tmp_path: Path):
    """A folder the previous version wrote (parts and DuckDB file, no `_commits/`) keeps working: readers see
    its parts as before, and the first publish adopts them into a first manifest under the lock."""
    root = tmp_path / "legacy"
    with (legacy := LegacyWarehouse(root)).locked():
        legacy.publish("run1", legacy.unpublished(load(runs.frames["run1"])))
    # what a legacy publish killed mid-way left: tmp parts and a tmp DuckDB file
    (root / "parquet" / "articles" / ".part-run9.parquet.tmp").write_bytes(b"PAR1 half a part")
    (root / ".newsfacts.duckdb.run9.tmp").write_bytes(b"half a database")
    legacy_parts = sorted(p.relative_to(root).as_posix() for p in (root / "parquet").rglob("part-*.parquet"))
    assert legacy_parts and not (root / "_commits").exists()

    warehouse = LocalWarehouse(root)  # reading adopts nothing and shows what the old code showed
    assert committed_view(root)["rows"] == committed_view(runs.after_run1)["rows"]
    assert committed_view(root)["keys"] == committed_view(runs.after_run1)["keys"]
    assert warehouse.is_stale()  # its DuckDB file records no commit
    assert not (root / "_commits").exists()

    fresh = publish_like_flow(root, "run2", load(runs.frames["run2"]))
    assert {t: f.height for t, f in fresh.items()} == {t: f.height for t, f in runs.staged["run2"].items()}
    # run 2 went into partitions, so the folders mixed both layouts: the publish moved the legacy parts into
    # the partition of the day their run started (`runs.started_at`: 2026-03-01)
    commits = ["0000000001-legacy.json", "0000000002-run2.json", "0000000003-compact.json"]
    assert [m.name for m in warehouse.commits()] == commits
    manifest = json.loads((root / "_commits" / "0000000001-legacy.json").read_text())
    assert sorted(p["path"] for p in manifest["parts"]) == legacy_parts
    assert manifest["kind"] == "legacy" and sum(p["rows"] for p in manifest["parts"]) == sum(
        committed_view(runs.after_run1)["rows"].values()
    )
    compact = json.loads((root / "_commits" / "0000000003-compact.json").read_text())
    assert compact["format"] == 2 and sorted(p["path"] for p in compact["retires"]) == legacy_parts
    assert sorted(p["path"] for p in compact["parts"]) == sorted(
        f"parquet/{t}/ingest_date=2026-03-01/part-compact-0000000003.parquet" for t in STAGED
    )
    assert database_commits(warehouse.db_path) == commits
    _assert_same_tables(warehouse.db_path, runs.control / "newsfacts.duckdb")
    assert not any(f.endswith(".tmp") for f in files_on_disk(root)), "legacy leftovers were not removed"
    assert committed_view(root)["rows"] == folder_rows(root) == committed_view(runs.control)["rows"]
    assert committed_view(root)["keys"] == committed_view(runs.control)["keys"]
    assert not list((root / "parquet").glob("*/part-*.parquet")), "parts left outside the partitions"


def test_recover_removes_leftovers_but_keeps_parts_copied_in(runs: Runs, tmp_path: Path):
    root = tmp_path / "wh"
    shutil.copytree(runs.after_run1, root)
    assert run_process(root, "publish", runs.frames["run2"], "run2", fault="before_commit").returncode == -signal.SIGKILL
    # someone copies run 2's parts in from another warehouse (`newsfacts rebuild` is the documented next step)
    copied = []
    for table in STAGED:
        target = root / "parquet" / table / "ingest_date=2026-03-02" / "part-imported.parquet"
        source = runs.control / "parquet" / table / "ingest_date=2026-03-02" / "part-run2.parquet"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, target)
        copied.append(target.relative_to(root).as_posix())

    report = LocalWarehouse(root).recover()
    staged = {f"_staging/{t}/ingest_date=2026-03-02/part-run2.parquet" for t in STAGED}
    assert staged | {"_commits/.pending-run2.json", ".newsfacts.duckdb.run2.tmp"} == set(report.removed)
    assert report.foreign == copied and not report.rebuilt
    assert files_on_disk(root) == files_on_disk(runs.after_run1) | set(copied)  # copied parts kept...
    assert committed_view(root) == committed_view(runs.after_run1)  # ...and not visible

    assert LocalWarehouse(root).rebuild() == committed_view(runs.control)["rows"]  # adopted by a rebuild
    assert [m.name for m in LocalWarehouse(root).commits()] == ["0000000001-run1.json", "0000000002-adopted.json"]
    _assert_same_tables(root / "newsfacts.duckdb", runs.control / "newsfacts.duckdb")


def test_missing_database_is_rebuilt_from_the_commits(runs: Runs, tmp_path: Path):
    root = tmp_path / "wh"
    shutil.copytree(runs.control, root)
    (root / "newsfacts.duckdb").unlink()
    assert LocalWarehouse(root).is_stale()
    assert LocalWarehouse(root).recover().rebuilt
    _assert_like_control(root, runs)


# --- what a failed publish says ---------------------------------------------------------------------

def test_failure_before_commit_says_nothing_committed(runs: Runs, tmp_path: Path):
    """A real failure: a directory where the new DuckDB file is built, so the build fails before the commit."""
    root = tmp_path / "wh"
    shutil.copytree(runs.after_run1, root)
    LocalWarehouse(root).recover()  # a copied warehouse: its parquet_<table> views are pointed here first
    db_before = (root / "newsfacts.duckdb").read_bytes()
    (root / ".newsfacts.duckdb.run2.tmp").mkdir()
    with pytest.raises(PublishError) as failure:
        publish_like_flow(root, "run2", load(runs.frames["run2"]))
    assert "publish of run run2 failed: nothing committed; staged files removed (" in str(failure.value)
    assert not failure.value.committed
    assert (root / "newsfacts.duckdb").read_bytes() == db_before
    assert committed_view(root) == committed_view(runs.after_run1)
    assert files_on_disk(root) == files_on_disk(runs.after_run1), "staged files were left behind"

    (root / ".newsfacts.duckdb.run2.tmp").rmdir()
    publish_like_flow(root, "run2", load(runs.frames["run2"]))
    _assert_like_control(root, runs)


@pytest.mark.parametrize("step", [f"staged:{t}" for t in STAGED[:1]] + list(PUBLISH_STEPS))
def test_failed_publish_says_what_state_it_left(runs: Runs, tmp_path: Path, monkeypatch, step: str):
    """An exception at each step (the test-only hook in raise mode): the message names the state, and the
    state is what it says."""
    root = tmp_path / "wh"
    shutil.copytree(runs.after_run1, root)
    monkeypatch.setenv("NEWSFACTS_FAULT_AT", step)
    monkeypatch.setenv("NEWSFACTS_FAULT_MODE", "raise")
    with pytest.raises(PublishError) as failure:
        publish_like_flow(root, "run2", load(runs.frames["run2"]))
    monkeypatch.delenv("NEWSFACTS_FAULT_AT")
    message = str(failure.value)
    warehouse = LocalWarehouse(root)
    if step in ("after_commit", "after_move", "before_db_rename"):
        assert f"publish of run run2 failed: committed run run2; {STALE} (" in message
        assert STALE == "the DuckDB file is stale and will be rebuilt by the next publish or `newsfacts rebuild`"
        assert failure.value.committed and warehouse.is_stale()
        assert committed_view(root) == committed_view(runs.control)
        _assert_same_tables(warehouse.db_path, runs.after_run1 / "newsfacts.duckdb")
    elif step == "after_db_rename":
        assert "publish of run run2 failed: committed run run2; the DuckDB file is up to date (" in message
        _assert_like_control(root, runs)
    else:
        assert "publish of run run2 failed: nothing committed; staged files removed (" in message
        assert not failure.value.committed and not warehouse.is_stale()
        assert committed_view(root) == committed_view(runs.after_run1)
        assert files_on_disk(root) == files_on_disk(runs.after_run1)
    assert "InjectedFault: injected fault at " + step in message

    publish_like_flow(root, "run2", load(runs.frames["run2"]))  # the next publish finishes the job
    _assert_like_control(root, runs)
