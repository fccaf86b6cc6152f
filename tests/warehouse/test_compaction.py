"""Compaction: many small runs' parts merged per table and ingest date into one part, as one `compact`
commit; rows and ids unchanged for every reader; a compaction SIGKILLed at any step leaves a consistent
warehouse that the next recovery finishes or undoes."""
from __future__ import annotations

import json
import shutil
import signal
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest
from newsfacts.warehouse.compaction import CompactionPolicy
from newsfacts.warehouse.faults import COMPACT_STEPS
from newsfacts.warehouse.publish import LocalWarehouse
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from newsfacts.schema import ARTICLES, EVENTS, RUNS, TABLES, conform
from tests.warehouse.runs import (
    committed_view,
    files_on_disk,
    folder_rows,
    run_process,
    snapshot,
)

OFF = CompactionPolicy(auto=False)
DAYS = (date(2026, 3, 1), date(2026, 3, 2))


def _run(n: int) -> dict[str, pl.DataFrame]:
    """One small run: two articles, one event each, and its runs row (started on one of two days)."""
    started = datetime(2026, 3, 1 + n % 2, 6, n, tzinfo=timezone.utc)
    ids = [f"a{n}-{i}" for i in range(2)]
    return {
        "articles": conform(
            pl.DataFrame({"article_id": ids, "text": [f"text {i}" for i in ids], "ingested_at": [started] * 2}), ARTICLES
        ).collect(),
        "events": conform(
            pl.DataFrame({"event_id": [f"e-{i}" for i in ids], "article_id": ids, "fatalities": [n, None]}), EVENTS
        ).collect(),
        "runs": conform(pl.DataFrame({"run_id": [f"r{n}"], "started_at": [started], "status": ["completed"]}), RUNS).collect(),
    }


def _small_runs(root: Path, count: int, policy: CompactionPolicy = OFF) -> LocalWarehouse:
    warehouse = LocalWarehouse(root, compaction=policy)
    for n in range(count):
        warehouse.publish(f"r{n}", _run(n))
    return warehouse


def _part_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / "parquet").rglob("*.parquet"))


@pytest.fixture(scope="module")
def before(tmp_path_factory) -> Path:
    """Eight small runs over two days, never compacted: copy it, never write it."""
    root = tmp_path_factory.mktemp("compact") / "wh"
    _small_runs(root, 8)
    return root


@pytest.fixture(scope="module")
def after(before: Path, tmp_path_factory) -> Path:
    """`before`, compacted without faults."""
    root = tmp_path_factory.mktemp("compacted") / "wh"
    shutil.copytree(before, root)
    LocalWarehouse(root, compaction=OFF).compact()
    return root


def test_compaction_merges_parts_per_partition_and_keeps_every_row(before: Path, after: Path):
    assert len(_part_files(before)) == 8 * 3
    assert _part_files(after) == sorted(
        f"parquet/{t}/ingest_date={d}/part-compact-0000000009.parquet" for t in ("articles", "events", "runs") for d in DAYS
    )
    got, want = committed_view(after), committed_view(before)
    assert got["rows"] == want["rows"] and got["keys"] == want["keys"]
    assert folder_rows(after) == want["rows"]
    for table, frame in snapshot(before / "newsfacts.duckdb").items():
        assert_frame_equal(snapshot(after / "newsfacts.duckdb")[table], frame)
    manifest = json.loads((after / "_commits" / "0000000009-compact.json").read_text())
    assert manifest["kind"] == "compact" and manifest["format"] == 2
    assert sorted(p["path"] for p in manifest["retires"]) == _part_files(before)
    assert sum(p["rows"] for p in manifest["parts"]) == sum(p["rows"] for p in manifest["retires"])
    warehouse = LocalWarehouse(after, compaction=OFF)
    assert not warehouse.is_stale()
    assert [p.name for p in warehouse.parts("articles")] == ["part-compact-0000000009.parquet"] * 2
    assert warehouse.compact().manifest is None  # nothing left to merge


def test_a_publish_after_compaction_adds_to_the_compacted_set(after: Path, tmp_path: Path):
    root = tmp_path / "wh"
    shutil.copytree(after, root)
    warehouse = LocalWarehouse(root, compaction=OFF)
    warehouse.publish("r8", _run(8))
    assert warehouse.row_counts()["articles"] == 18
    assert warehouse.known_keys("articles").len() == 18
    assert snapshot(warehouse.db_path)["articles"].height == folder_rows(root)["articles"] == 18


def test_publish_compacts_on_its_own_past_the_threshold(tmp_path: Path):
    warehouse = _small_runs(tmp_path / "wh", 7, CompactionPolicy(auto=True, max_small_parts=5))
    kinds = [m.kind for m in warehouse.commits()]
    # day 1 collects runs 0, 2, 4, 6 and day 2 runs 1, 3, 5: after run 5, 6 parts per table could merge
    assert kinds == ["publish"] * 6 + ["compact", "publish"]
    assert warehouse.row_counts()["articles"] == 14
    assert len(_part_files(warehouse.root)) == 3 * 2 + 3  # compacted days, plus run 6's parts


@pytest.mark.parametrize("step", COMPACT_STEPS)
def test_sigkill_during_compaction_leaves_a_consistent_warehouse(before: Path, after: Path, tmp_path: Path, step: str):
    root = tmp_path / "wh"
    shutil.copytree(before, root)
    LocalWarehouse(root, compaction=OFF).recover()  # point the copy's views here
    want = committed_view(before)

    proc = run_process(root, "compact", fault=step)
    assert proc.returncode == -signal.SIGKILL, f"not killed at {step}: {proc.returncode} {proc.stderr[-2000:]}"

    committed = COMPACT_STEPS.index(step) >= COMPACT_STEPS.index("compact:after_commit")
    warehouse = LocalWarehouse(root, compaction=OFF)
    view = committed_view(root)  # through the manifests: the same rows and ids whatever the step
    assert view["rows"] == want["rows"] and view["keys"] == want["keys"]
    assert len(view["commits"]) == 8 + committed
    for table, frame in snapshot(before / "newsfacts.duckdb").items():
        assert_frame_equal(snapshot(warehouse.db_path)[table], frame)
    assert warehouse.is_stale() == (step in {"compact:after_commit", "compact:after_move", "compact:before_db_rename"})
    if not committed:  # nothing a reader of the folders sees changed
        assert folder_rows(root) == want["rows"]
        assert _part_files(root) == _part_files(before)

    report = warehouse.recover()  # the next publish starts with this
    assert not warehouse.is_stale()
    assert committed_view(root)["rows"] == folder_rows(root) == want["rows"]
    assert _part_files(root) == _part_files(after if committed else before)
    assert not list(root.glob("_staging/**/*.parquet"))
    if committed and step != "compact:deleting":
        assert report.retired, report
    con_tables = snapshot(warehouse.db_path)
    assert {t: f.height for t, f in con_tables.items()} == want["rows"]


def test_cli_compact(before: Path, tmp_path: Path):
    from newsfacts.cli import app

    root = tmp_path / "wh"
    shutil.copytree(before, root)
    done = CliRunner().invoke(app, ["compact", "--warehouse", str(root)])
    assert done.exit_code == 0, done.output
    assert "compacted 24 parts into 6 (40 rows, commit 0000000009-compact.json); 6 Parquet parts now" in done.output
    again = CliRunner().invoke(app, ["compact", "--warehouse", str(root)])
    assert again.exit_code == 0 and "nothing to compact; 6 Parquet parts" in again.output
    assert files_on_disk(root) >= {"_commits/0000000009-compact.json"}
    assert set(TABLES) <= {p.name for p in (root / "parquet").iterdir()}


def test_maintenance_flow_compacts(prefect_harness, before: Path, tmp_path: Path):
    from newsfacts.flows.maintenance import compact_warehouse

    root = tmp_path / "wh"
    shutil.copytree(before, root)
    done = compact_warehouse(warehouse_dir=str(root))
    assert done.manifest == "0000000009-compact.json" and len(done.retired) == 24 and len(done.written) == 6
    assert committed_view(root)["keys"] == committed_view(before)["keys"]
