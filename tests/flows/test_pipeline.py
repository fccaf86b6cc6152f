"""The flow's gate: row-level failures are quarantined and the rest publishes; a stop publishes no facts."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from newsfacts.flows import pipeline
from newsfacts.transforms.facts import ExtractedBatch
from newsfacts.warehouse.publish import LocalWarehouse

FACTS = ("articles", "locations", "figures", "events")


def _write_article(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"Title {name}\n{body}\n", encoding="utf-8")
    return path


def _query(wh_dir: Path, sql: str):
    con = duckdb.connect(str(wh_dir / "newsfacts.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _corrupting(monkeypatch, corrupt_figures):
    real = pipeline.extract_facts_isolated

    def corrupt(articles, reference):
        batch = real(articles, reference)
        assert batch.facts["figures"].height, "the test articles must yield figures"
        return ExtractedBatch({**batch.facts, "figures": corrupt_figures(batch.facts["figures"])}, batch.failures)

    monkeypatch.setattr(pipeline, "extract_facts_isolated", corrupt)


def test_failed_gate_publishes_no_facts_and_records_the_run(prefect_harness, tmp_path: Path, monkeypatch):
    good = _write_article(tmp_path, "a.txt", "Protesters rallied in Nairobi, Kenya, on Tuesday; about 2,000 people marched.")
    wh_dir = tmp_path / "wh"
    first = pipeline.newsfacts_run(sources=[str(good)], warehouse_dir=str(wh_dir))
    assert first.status == "completed" and first.dq_outcome == "passed"
    counts_before = LocalWarehouse(wh_dir).row_counts()

    _corrupting(monkeypatch, lambda f: f.with_columns(value_low=pl.col("value") + 1))  # breaks value_low <= value
    bad = _write_article(tmp_path, "b.txt", "Police arrested 45 people in Lima, Peru, after more than 300 protesters gathered.")
    with pytest.raises(pipeline.DataQualityError) as failure:
        pipeline.newsfacts_run(sources=[str(bad)], warehouse_dir=str(wh_dir))
    summary = failure.value.summary
    assert summary.status == "stopped" and summary.dq_outcome == "failed"
    assert "value_low" in str(failure.value) and "above the 5% limit" in summary.reason
    assert Path(summary.dq_report).exists()

    counts_after = LocalWarehouse(wh_dir).row_counts()
    assert {t: counts_after[t] for t in FACTS} == {t: counts_before[t] for t in FACTS}
    assert counts_after["quarantine"] == 0
    [(status, reason)] = _query(wh_dir, f"select status, reason from runs where run_id = '{summary.run_id}'")
    assert status == "stopped" and "value_low" in reason
    failed = _query(wh_dir, f"select expectation_type, column_name from dq_results where run_id = '{summary.run_id}' and not success")
    assert ("expect_column_pair_values_a_to_be_greater_than_b", "value,value_low") in failed


def test_row_level_failures_are_quarantined_and_the_rest_publishes(prefect_harness, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NEWSFACTS_MAX_QUARANTINE_SHARE", "0.5")
    first = _write_article(tmp_path, "a.txt", "Floods forced 3,000 people from their homes in Dhaka, Bangladesh, on Monday.")
    second = _write_article(tmp_path, "b.txt", "About 150 people were injured and 12 killed in clashes in Tripoli, Libya.")

    def break_one(figures: pl.DataFrame) -> pl.DataFrame:  # the first figure of the batch only
        return figures.with_columns(
            value_low=pl.when(pl.int_range(pl.len()) == 0).then(pl.col("value") + 1).otherwise(pl.col("value_low"))
        )

    _corrupting(monkeypatch, break_one)
    wh_dir = tmp_path / "wh"
    summary = pipeline.newsfacts_run(sources=[str(first), str(second)], warehouse_dir=str(wh_dir))
    assert summary.status == "completed" and summary.dq_outcome == "quarantined" and summary.quarantined >= 1
    [(table, row_key, reason, row_json)] = _query(
        wh_dir, "select table_name, row_key, reason, row_json from quarantine where reason <> 'depends_on_quarantined'"
    )
    assert table == "figures" and "value_low" in reason
    assert json.loads(row_json)["figure_id"] == row_key
    published = {r[0] for r in _query(wh_dir, "select figure_id from figures")}
    assert row_key not in published and published  # held back; the other figures landed
    assert _query(wh_dir, "select count(*) from articles") == [(2,)]
    [(quarantined,)] = _query(wh_dir, f"select quarantined_rows from runs where run_id = '{summary.run_id}'")
    assert quarantined == summary.quarantined


def test_an_article_whose_extraction_raises_is_quarantined(prefect_harness, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NEWSFACTS_MAX_QUARANTINE_SHARE", "0.6")
    from newsfacts.transforms import facts as facts_module

    real = facts_module.extract_facts

    def fragile(articles, reference):
        if articles.select(pl.col("text").str.contains("POISON").any()).collect().item():
            raise OverflowError("cannot fit 3e9 into Int32")
        return real(articles, reference)

    monkeypatch.setattr(facts_module, "extract_facts", fragile)
    good = _write_article(tmp_path, "a.txt", "Rebels killed 7 soldiers near Goma, Congo, on Friday.")
    poison = _write_article(tmp_path, "b.txt", "POISON: 3 billion people in Paris.")
    wh_dir = tmp_path / "wh"
    summary = pipeline.newsfacts_run(sources=[str(good), str(poison)], warehouse_dir=str(wh_dir))
    assert summary.status == "completed"
    rows = _query(wh_dir, "select table_name, reason, detail from quarantine")
    assert [(t, r) for t, r, _ in rows] == [("articles", "extraction_error")]
    assert "OverflowError" in rows[0][2]
    assert _query(wh_dir, "select count(*) from articles") == [(1,)]
    assert _query(wh_dir, "select count(*) from events")[0][0] > 0


def test_a_file_named_twice_is_read_once_and_a_missing_source_is_a_reject(prefect_harness, tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    article = _write_article(folder, "a.txt", "Floods forced 3,000 people from their homes in Dhaka, Bangladesh.")
    (folder / "broken.bin").write_bytes(b"\x00\x01binary")
    wh_dir = tmp_path / "wh"
    summary = pipeline.newsfacts_run(
        sources=[str(folder), str(article), str(folder / "broken.bin"), str(tmp_path / "missing.txt")],
        warehouse_dir=str(wh_dir),
    )
    assert summary.status == "completed"
    assert summary.sources_seen == 2 and summary.articles_new == 1 and summary.duplicates_skipped == 0
    reasons = sorted(r[0] for r in _query(wh_dir, "select reason from rejects"))
    assert reasons == ["not_text", "read_error"]
