"""A streaming run's publish: its chunk files streamed into one part per table (without rows already published)
and committed by moving that file; the run's spool and how a publish removes the spools of dead runs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from newsfacts.warehouse.publish import LocalWarehouse, PublishError
from newsfacts.warehouse.spool import (
    SPOOL_DIR,
    RecordWriter,
    RunSpool,
    iter_frames,
    remove_dead_spools,
)
from polars.testing import assert_frame_equal

from tests.warehouse.test_publish import _articles


def test_chunk_files_publish_as_one_part_without_published_rows(tmp_path: Path):
    wh = LocalWarehouse(tmp_path / "wh")
    wh.publish("r1", {"articles": _articles("a1", "a2")})
    with RunSpool(wh.root, "r2") as spool:
        files = [spool.write_table("articles", n, _articles(*ids)).path for n, ids in
                 enumerate((["a0", "a1"], ["a2"], ["a3", "a4"]), start=1)]
        with wh.locked():
            merged = spool.path("articles.parquet")
            assert wh.merge_unpublished("articles", files, merged) == 3
            wh.publish_files("r2", {}, {"articles": merged})
        assert not merged.exists()  # moved into the committed part
    parts = wh.parts("articles")
    assert [p.name for p in parts] == ["part-r1.parquet", "part-r2.parquet"]
    assert_frame_equal(pl.read_parquet(parts[1]), _articles("a0", "a3", "a4"))
    con = duckdb.connect(str(wh.db_path), read_only=True)
    try:
        assert con.execute("select article_id from articles order by 1").fetchall() == [(f"a{i}",) for i in range(5)]
    finally:
        con.close()
    assert not (wh.root / SPOOL_DIR).exists()


def test_nothing_new_writes_no_file(tmp_path: Path):
    wh = LocalWarehouse(tmp_path / "wh")
    wh.publish("r1", {"articles": _articles("a1")})
    source = tmp_path / "chunk.parquet"
    _articles("a1").write_parquet(source)
    with wh.locked():
        assert wh.merge_unpublished("articles", [source], tmp_path / "out.parquet") == 0
    assert not (tmp_path / "out.parquet").exists()


def test_a_file_not_in_the_contract_is_refused_and_nothing_committed(tmp_path: Path):
    wh = LocalWarehouse(tmp_path / "wh")
    wrong = tmp_path / "wrong.parquet"
    pl.DataFrame({"article_id": ["a1"]}).write_parquet(wrong)
    with pytest.raises(PublishError, match="nothing committed"):
        wh.publish_files("r1", {}, {"articles": wrong})
    with pytest.raises(PublishError, match="given twice"):
        wh.publish_files("r1", {"articles": _articles("a1")}, {"articles": wrong})
    assert wh.commits() == [] and wrong.exists()


def test_record_writer_and_chunks_keep_order_and_sizes(tmp_path: Path):
    schema = pl.Schema({"doc_id": pl.String, "text": pl.String})
    first = RecordWriter(tmp_path / "a.parquet", schema, batch_rows=4)
    for i in range(10):
        first.append({"doc_id": f"d{i}", "text": "x" * i})
    second = RecordWriter(tmp_path / "b.parquet", schema, batch_rows=4)
    for i in range(10, 13):
        second.append({"doc_id": f"d{i}", "text": None})
    assert first.close().rows == 10 and second.close().rows == 3
    chunks = list(iter_frames([tmp_path / "a.parquet", tmp_path / "b.parquet"], 5))
    assert [c.height for c in chunks] == [5, 5, 3]
    assert pl.concat(chunks)["doc_id"].to_list() == [f"d{i}" for i in range(13)]
    assert [c.height for c in iter_frames([tmp_path / "a.parquet"], 3)] == [3, 3, 3, 1]


def test_record_writer_abort_removes_its_file(tmp_path: Path):
    writer = RecordWriter(tmp_path / "a.parquet", pl.Schema({"doc_id": pl.String}), batch_rows=1)
    writer.append({"doc_id": "d1"})
    writer.abort()
    assert not (tmp_path / "a.parquet").exists()


LIVE_RUN = """
import sys, time
from pathlib import Path
from newsfacts.warehouse.spool import RunSpool
spool = RunSpool(Path(sys.argv[1]), "live").__enter__()
spool.path("records-00000.parquet").write_bytes(b"x")
print("ready", flush=True)
time.sleep(120)
"""


def test_a_publish_removes_dead_runs_spools_and_keeps_live_ones(tmp_path: Path):
    wh = LocalWarehouse(tmp_path / "wh")
    dead = RunSpool(wh.root, "dead").__enter__()
    dead.path("records-00000.parquet").write_bytes(b"x")
    os.close(dead._fd)  # the run died: its lock is released with its descriptors
    live = subprocess.Popen([sys.executable, "-c", LIVE_RUN, str(wh.root)], stdout=subprocess.PIPE, text=True)
    try:
        assert live.stdout.readline().strip() == "ready"
        own = RunSpool(wh.root, "own").__enter__()  # this process's run: locked too
        wh.publish("r1", {"articles": _articles("a1")})
        assert sorted(p.name for p in (wh.root / SPOOL_DIR).iterdir()) == ["live", "own"]
        assert (wh.root / SPOOL_DIR / "live" / "records-00000.parquet").exists()
        own.remove()
    finally:
        live.kill()
        live.wait(timeout=120)
    assert remove_dead_spools(wh.root) == [f"{SPOOL_DIR}/live"]
    assert not any((wh.root / SPOOL_DIR).iterdir())
