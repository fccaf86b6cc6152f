"""End to end: the `newsfacts` CLI over the bundled seeds, in-process under one Prefect test harness."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from newsfacts.cli import app

CONTRACT_TABLES = ("articles", "locations", "figures", "events", "rejects")


def _counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in (*CONTRACT_TABLES, "runs")}
    finally:
        con.close()


@pytest.fixture(scope="module")
def seeded_warehouse(prefect_harness, tmp_path_factory, project_root: Path):
    folder = tmp_path_factory.mktemp("wh")
    inputs = tmp_path_factory.mktemp("in")
    (inputs / "articles").symlink_to(project_root / "seeds" / "articles")
    (inputs / "broken.jsonl").write_text('{"text": "A valid line about Paris, France."}\n{oops\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(inputs), "--warehouse", str(folder)])
    assert result.exit_code == 0, result.output
    return folder, inputs, result.output


def test_first_run_fills_every_table_and_prints_summary(seeded_warehouse):
    folder, _, output = seeded_warehouse
    counts = _counts(folder / "newsfacts.duckdb")
    assert counts["articles"] >= 21
    for table in ("locations", "figures", "events"):
        assert counts[table] > counts["articles"], (table, counts)
    assert counts["rejects"] == 2  # broken.jsonl line 2 and the bundled photo-only wire item
    assert counts["runs"] == 1
    con = duckdb.connect(str(folder / "newsfacts.duckdb"), read_only=True)
    try:
        run = con.execute(
            "select status, articles_new, rejects, locations_rows, figures_rows, events_rows, dq_outcome from runs"
        ).fetchall()
    finally:
        con.close()
    assert run == [("completed", counts["articles"], 2, counts["locations"], counts["figures"], counts["events"], "passed")]
    for word in ("new articles", "duplicates", "rejects", "data quality", "passed", "seconds", "SELECT"):
        assert word in output
    for table in CONTRACT_TABLES:
        assert list((folder / "parquet" / table).glob("ingest_date=*/part-*.parquet")), table


def test_offsets_index_the_article_text(seeded_warehouse):
    folder, _, _ = seeded_warehouse
    con = duckdb.connect(str(folder / "newsfacts.duckdb"), read_only=True)
    try:
        for table, start, end, mention in (
            ("locations", "start_char", "end_char", "mention_text"),
            ("figures", "start_char", "end_char", "mention_text"),
            ("events", "trigger_start", "trigger_end", "trigger_text"),
        ):
            bad = con.execute(
                f"select count(*) from {table} t join articles a using (article_id) "
                f"where substring(a.text, t.{start} + 1, t.{end} - t.{start}) <> t.{mention}"
            ).fetchall()[0][0]
            assert bad == 0, table
    finally:
        con.close()


def test_second_run_adds_nothing(seeded_warehouse):
    folder, inputs, _ = seeded_warehouse
    before = _counts(folder / "newsfacts.duckdb")
    result = CliRunner().invoke(app, ["run", str(inputs), "--warehouse", str(folder)])
    assert result.exit_code == 0, result.output
    after = _counts(folder / "newsfacts.duckdb")
    assert {t: after[t] for t in CONTRACT_TABLES} == {t: before[t] for t in CONTRACT_TABLES}
    assert after["runs"] == before["runs"] + 1


def test_new_input_adds_only_new_articles(seeded_warehouse, tmp_path: Path):
    folder, inputs, _ = seeded_warehouse
    before = _counts(folder / "newsfacts.duckdb")
    extra = tmp_path / "extra.txt"
    extra.write_text(
        "Floods in Lagos\nFloods killed at least 12 people in Lagos, Nigeria, on Monday, officials said.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["run", str(inputs), str(extra), "--warehouse", str(folder)])
    assert result.exit_code == 0, result.output
    after = _counts(folder / "newsfacts.duckdb")
    assert after["articles"] == before["articles"] + 1
    assert after["figures"] > before["figures"]


def test_query_command(seeded_warehouse):
    folder, _, _ = seeded_warehouse
    result = CliRunner().invoke(app, ["query", "select count(*) as n from articles", "--warehouse", str(folder)])
    assert result.exit_code == 0, result.output
    assert "n" in result.output


def test_query_csv_and_json_formats(seeded_warehouse):
    import csv
    import io
    import json

    folder, _, _ = seeded_warehouse
    sql = "select event_type, count(*) as n from events group by 1 order by 2 desc, 1"
    as_csv = CliRunner().invoke(app, ["query", sql, "--warehouse", str(folder), "--format", "csv"])
    as_json = CliRunner().invoke(app, ["query", sql, "--warehouse", str(folder), "--format", "json"])
    assert as_csv.exit_code == 0 and as_json.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    objects = [json.loads(line) for line in as_json.output.splitlines()]
    assert rows and [r["event_type"] for r in rows] == [o["event_type"] for o in objects]
    assert [int(r["n"]) for r in rows] == [o["n"] for o in objects]


def test_query_errors_are_usage_errors(seeded_warehouse, tmp_path: Path):
    folder, _, _ = seeded_warehouse
    assert CliRunner().invoke(app, ["query", "select nope", "--warehouse", str(folder)]).exit_code == 2
    assert CliRunner().invoke(app, ["query", "select 1", "--warehouse", str(tmp_path)]).exit_code == 2


def test_missing_source_is_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(app, ["run", str(tmp_path / "nope.txt"), "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 2
    assert not (tmp_path / "wh").exists()


def test_gazetteer_command_builds_then_reuses_cache(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NEWSFACTS_CACHE_DIR", str(tmp_path))
    (tmp_path / "gazetteer-0000000000000000.parquet").write_bytes(b"stale")
    built = CliRunner().invoke(app, ["gazetteer", "--rebuild"])
    assert built.exit_code == 0, built.output
    [cached] = list(tmp_path.glob("gazetteer-*.parquet"))
    assert cached.name != "gazetteer-0000000000000000.parquet"
    again = CliRunner().invoke(app, ["gazetteer"])
    assert again.exit_code == 0 and "names" in again.output
    assert list(tmp_path.glob("gazetteer-*.parquet")) == [cached]
