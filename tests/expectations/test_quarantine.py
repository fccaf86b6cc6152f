"""Quarantine: blamed rows and what depends on them are held back; table-level failures and large shares stop."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import polars as pl
from polars.testing import assert_frame_equal

from newsfacts.expectations.gate import ExpectationOutcome, GateResult
from newsfacts.expectations.quarantine import dq_results, split_quarantine
from newsfacts.schema import DQ_RESULTS, QUARANTINE

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)


def tables() -> dict[str, pl.DataFrame]:
    return {
        "articles": pl.DataFrame({"article_id": ["a1", "a2"], "text": ["x" * 10, "y" * 10]}),
        "locations": pl.DataFrame({"location_id": ["l1", "l2", "l3"], "article_id": ["a1", "a1", "a2"]}),
        "events": pl.DataFrame(
            {"event_id": ["e1", "e2", "e3"], "article_id": ["a1", "a1", "a2"], "location_id": ["l1", "l2", None]}
        ),
        "figures": pl.DataFrame(
            {"figure_id": ["f1", "f2", "f3", "f4"], "article_id": ["a1", "a1", "a2", "a2"], "event_id": ["e1", "e2", None, "e3"],
             "value": [1.0, 2.0, 3.0, 4.0]}
        ),
    }


def failed(table: str, kind: str, column: str | None, rows: list[int] | None, error: str | None = None):
    return ExpectationOutcome(
        table=table, expectation_type=kind, column=column, success=False,
        unexpected_count=None if rows is None else len(rows), failing_rows=rows, error=error,
    )


def gate(*outcomes: ExpectationOutcome) -> GateResult:
    passed = ExpectationOutcome(table="articles", expectation_type="expect_column_to_exist", column="text", success=True)
    return GateResult(success=not outcomes, outcomes=[passed, *outcomes], row_counts={}, seconds=0.0)


def split(result: GateResult, **kwargs):
    return split_quarantine(tables(), result, run_id="r1", now=NOW, max_share=1.0, **kwargs)


def test_passing_gate_keeps_everything():
    held = split(gate())
    assert held.rows == 0 and held.stops == [] and held.quarantine.schema == QUARANTINE
    for name, frame in tables().items():
        assert_frame_equal(held.tables[name], frame)


def test_a_location_takes_its_events_and_their_figures_along():
    held = split(gate(failed("locations", "expect_column_values_to_be_between", "latitude", [1])))
    assert held.tables["locations"]["location_id"].to_list() == ["l1", "l3"]
    assert held.tables["events"]["event_id"].to_list() == ["e1", "e3"]
    assert held.tables["figures"]["figure_id"].to_list() == ["f1", "f3", "f4"]
    q = held.quarantine.select("table_name", "row_key", "reason")
    assert q.rows() == [
        ("locations", "l2", "locations.expect_column_values_to_be_between(latitude)"),
        ("figures", "f2", "depends_on_quarantined"),
        ("events", "e2", "depends_on_quarantined"),
    ]
    assert held.counts == {"locations": 1, "figures": 1, "events": 1}
    assert json.loads(held.quarantine["row_json"][0]) == {"location_id": "l2", "article_id": "a1"}


def test_an_article_whose_extraction_failed_takes_its_facts_and_keeps_its_text_out_of_the_json():
    failures = pl.DataFrame({"article_id": ["a2"], "error": ["OverflowError: too big"]})
    held = split(gate(), extraction_failures=failures)
    assert held.tables["articles"]["article_id"].to_list() == ["a1"]
    assert set(held.tables["figures"]["article_id"]) == {"a1"}
    article = held.quarantine.filter(pl.col("table_name") == "articles").row(0, named=True)
    assert article["reason"] == "extraction_error" and article["detail"] == "OverflowError: too big"
    assert json.loads(article["row_json"]) == {"article_id": "a2"}


def test_uniqueness_keeps_the_first_occurrence():
    frames = tables()
    frames["figures"] = pl.concat([frames["figures"], frames["figures"].head(1)])
    held = split_quarantine(
        frames, gate(failed("figures", "expect_column_values_to_be_unique", "figure_id", [0, 4])),
        run_id="r1", now=NOW, max_share=1.0,
    )
    assert held.tables["figures"]["figure_id"].to_list() == ["f1", "f2", "f3", "f4"]
    assert held.quarantine["row_key"].to_list() == ["f1"]


def test_table_level_failures_and_large_shares_stop_the_publish():
    held = split(gate(failed("events", "expect_table_columns_to_match_set", None, None)))
    assert held.stops and "events.expect_table_columns_to_match_set" in held.stops[0]
    held = split_quarantine(
        tables(), gate(failed("figures", "expect_column_values_to_be_between", "value", [3])),
        run_id="r1", now=NOW, max_share=0.05,
    )
    assert held.stops == [
        "1 of 4 figures rows quarantined (25%), above the 5% limit: figures.expect_column_values_to_be_between(value)"
    ]


def test_quarantine_ids_are_deterministic():
    one = split(gate(failed("figures", "expect_column_values_to_be_between", "value", [3])))
    two = split(gate(failed("figures", "expect_column_values_to_be_between", "value", [3])))
    assert one.quarantine["quarantine_id"].to_list() == two.quarantine["quarantine_id"].to_list()


def test_dq_results_has_a_row_per_expectation():
    result = gate(failed("figures", "expect_column_values_to_be_between", "value", [3]))
    rows = dq_results(result, run_id="r1", now=NOW)
    assert rows.schema == DQ_RESULTS
    assert rows.select("table_name", "success", "row_level").rows() == [("articles", True, None), ("figures", False, True)]
    assert rows["dq_result_id"].n_unique() == 2
