from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl
import pytest
from newsfacts.warehouse.publish import LocalWarehouse, PublishError

from newsfacts.schema import ARTICLES, conform

NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)


def _articles(*ids: str) -> pl.DataFrame:
    return conform(
        pl.DataFrame({"article_id": list(ids), "text": [f"text {i}" for i in ids], "published_at": [NOW] * len(ids)}),
        ARTICLES,
    ).collect()


def test_publish_adds_parts_and_rebuilds_database(tmp_path: Path):
    wh = LocalWarehouse(tmp_path)
    wh.publish("r1", {"articles": _articles("a1", "a2")})
    wh.publish("r2", {"articles": _articles("a3")})
    assert wh.row_counts()["articles"] == 3
    assert sorted(wh.known_keys("articles").to_list()) == ["a1", "a2", "a3"]
    con = duckdb.connect(str(wh.db_path), read_only=True)
    try:
        assert con.execute("select count(*) from articles").fetchall() == [(3,)]
        types = dict(con.execute("select column_name, data_type from information_schema.columns where table_name='articles'").fetchall())
        assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
        views = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
        assert {"mart_event_map", "mart_country_daily", "mart_figure_totals"} <= views
    finally:
        con.close()
    assert not list(tmp_path.rglob("*.tmp"))
    assert {p.name for p in (tmp_path / "parquet").iterdir()} >= {"articles", "locations", "figures", "events", "rejects", "runs"}


def test_failed_publish_leaves_warehouse_unchanged(tmp_path: Path):
    wh = LocalWarehouse(tmp_path)
    wh.publish("r1", {"articles": _articles("a1")})
    before = wh.db_path.read_bytes()
    with pytest.raises(PublishError, match="nothing committed; staged files removed") as failure:
        wh.publish("r2", {"articles": _articles("a1")})  # duplicate primary key: the DuckDB build refuses it
    assert not failure.value.committed
    assert wh.db_path.read_bytes() == before
    assert wh.row_counts()["articles"] == 1
    assert not list(tmp_path.rglob("*.tmp"))
    assert not (tmp_path / "parquet" / "articles" / "part-r2.parquet").exists()
    assert [m.name for m in wh.commits()] == ["0000000001-r1.json"]


def test_database_readable_while_next_publish_builds(tmp_path: Path):
    wh = LocalWarehouse(tmp_path)
    wh.publish("r1", {"articles": _articles("a1")})
    reader = duckdb.connect(str(wh.db_path), read_only=True)
    try:
        wh.publish("r2", {"articles": _articles("a2")})
        assert reader.execute("select count(*) from articles").fetchall() == [(1,)]
    finally:
        reader.close()
    fresh = duckdb.connect(str(wh.db_path), read_only=True)
    assert fresh.execute("select count(*) from articles").fetchall() == [(2,)]
    fresh.close()


def test_a_publish_reads_only_its_own_parts_when_the_database_is_current(tmp_path: Path):
    """Publishing costs what the run adds: the current file is extended, earlier parts' rows are not read
    again (proved by swapping an earlier part for other rows: a full build would load those; only the
    `parquet_articles` view, which reads the files, shows them)."""
    wh = LocalWarehouse(tmp_path)
    wh.publish("r1", {"articles": _articles("a1", "a2")})
    [old_part] = wh.parts("articles")
    _articles("x1", "x2").write_parquet(old_part)
    wh.publish("r2", {"articles": _articles("a3")})
    con = duckdb.connect(str(wh.db_path), read_only=True)
    try:
        assert sorted(r[0] for r in con.execute("select article_id from articles").fetchall()) == ["a1", "a2", "a3"]
        assert [r[0] for r in con.execute("select run_id from warehouse_commits order by seq").fetchall()] == ["r1", "r2"]
        in_files = sorted(r[0] for r in con.execute("select article_id from parquet_articles").fetchall())
        assert in_files == ["a3", "x1", "x2"]
    finally:
        con.close()
    assert not wh.is_stale()


def test_a_stale_database_is_rebuilt_in_full(tmp_path: Path):
    wh = LocalWarehouse(tmp_path)
    wh.publish("r1", {"articles": _articles("a1")})
    wh.db_path.unlink()  # e.g. lost: the next publish cannot extend it and builds from every part
    wh.publish("r2", {"articles": _articles("a2")})
    con = duckdb.connect(str(wh.db_path), read_only=True)
    try:
        assert con.execute("select count(*) from articles").fetchone() == (2,)
    finally:
        con.close()


def _key_indexes(wh: LocalWarehouse) -> int:
    con = duckdb.connect(str(wh.db_path), read_only=True)
    try:
        return con.execute("select count(*) from duckdb_constraints() where constraint_type = 'PRIMARY KEY' "
                           "and table_name in ('articles', 'locations', 'figures', 'events')").fetchone()[0]
    finally:
        con.close()


def test_fact_keys_are_checked_without_an_index(tmp_path: Path):
    """The fact tables carry no key index (rewritten whole at every checkpoint); the publish checks the keys."""
    wh = LocalWarehouse(tmp_path)
    wh.publish("r1", {"articles": _articles("a1", "a2")})
    wh.publish("r2", {"articles": _articles("a3")})  # extends the file
    assert _key_indexes(wh) == 0
    with pytest.raises(PublishError, match='Duplicate key "article_id: a4"'):
        wh.publish("r3", {"articles": _articles("a4", "a4")})  # twice in the run's own rows
    with pytest.raises(PublishError, match='Duplicate key "article_id: a2"'):
        wh.publish("r4", {"articles": _articles("a5", "a2")})  # already published
    assert [m.name.split("-", 1)[1] for m in wh.commits()] == ["r1.json", "r2.json"]
    assert wh.row_counts()["articles"] == 3 and not wh.is_stale()


def test_a_file_built_with_key_indexes_is_rebuilt_once_without(tmp_path: Path):
    wh = LocalWarehouse(tmp_path)
    wh.publish("r1", {"articles": _articles("a1")})
    con = duckdb.connect(str(wh.db_path))  # as an earlier version built it
    try:
        con.execute("alter table articles add primary key (article_id)")
    finally:
        con.close()
    assert _key_indexes(wh) == 1
    wh.publish("r2", {"articles": _articles("a2")})
    assert _key_indexes(wh) == 0
    con = duckdb.connect(str(wh.db_path), read_only=True)
    try:
        assert con.execute("select article_id from articles order by 1").fetchall() == [("a1",), ("a2",)]
    finally:
        con.close()
