"""A streaming run validates chunk by chunk: merging the chunks' gate results gives what one gate run over the
concatenated tables gives (except uniqueness across chunks, which the run checks on its own)."""
from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest
from newsfacts.expectations.quarantine import split_quarantine

from tests.expectations.test_gate import bad_tables, good_tables

UNIQUE = "expect_column_values_to_be_unique"
NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def gate():
    from newsfacts.expectations import gate as gate_module

    return gate_module


@pytest.fixture(scope="module")
def results(gate):
    first, (second, _) = good_tables(), bad_tables()
    whole = {t: pl.concat([first[t], second[t]]) for t in first}
    return gate.run_gate(first), gate.run_gate(second), gate.run_gate(whole)


def _key(o) -> tuple:
    return o.table, o.expectation_type, o.column, o.description


def test_merged_chunks_equal_one_pass_over_the_concatenation(gate, results):
    first, second, whole = results
    merged = gate.merge_results([first, second])
    assert merged.row_counts == whole.row_counts
    assert [_key(o) for o in merged.outcomes] == [_key(o) for o in whole.outcomes]
    compared = 0
    for m, w in zip(merged.outcomes, whole.outcomes):
        if m.expectation_type == UNIQUE:  # ids repeat across the two chunks: only the whole sees that
            continue
        assert (m.success, m.element_count, m.unexpected_count, m.failing_rows) == (
            w.success, w.element_count, w.unexpected_count, w.failing_rows
        ), _key(m)
        if m.unexpected_count:  # over all rows of the run (GX's own: over the column's non-null values)
            assert m.unexpected_percent == pytest.approx(100 * m.unexpected_count / m.element_count), _key(m)
        compared += 1
    assert compared > 50 and len(merged.failures()) >= 20
    # examples point at rows of the concatenation: their keys are the rows' keys there
    whole_tables = {t: pl.concat([good_tables()[t], bad_tables()[0][t]]) for t in whole.row_counts}
    for o in merged.failures():
        for e in o.examples:
            if e.row is not None and e.key is not None and o.expectation_type != UNIQUE:
                key = {"articles": "article_id", "locations": "location_id", "figures": "figure_id",
                       "events": "event_id"}[o.table]
                assert whole_tables[o.table][key][e.row] == e.key


def test_quarantine_of_merged_results_blames_rows_of_the_concatenation(gate, results):
    first, second, _ = results
    merged = gate.merge_results([first, second])
    tables = {t: pl.concat([good_tables()[t], bad_tables()[0][t]]) for t in merged.row_counts}
    held = split_quarantine(tables, merged, run_id="r", now=NOW, max_share=1.0)
    assert "null_article_id_key" in held.quarantine["row_key"].to_list()
    assert "fig_1" not in held.quarantine.filter(pl.col("reason") != "depends_on_quarantined")["row_key"].to_list()


def test_one_result_is_returned_as_it_is(gate, results):
    first, _, _ = results
    assert gate.merge_results([first]) is first


def test_ids_repeated_across_chunks_fail_uniqueness_for_the_table_as_a_whole(gate, results):
    first, second, _ = results
    merged = gate.with_cross_chunk_duplicates(gate.merge_results([first, second]), {"figures": 2, "events": 0})
    [unique] = [o for o in merged.outcomes if o.table == "figures" and o.expectation_type == UNIQUE]
    assert not unique.success and unique.failing_rows is None and "earlier chunk" in unique.observed_value
    others = [o for o in merged.outcomes if o.table == "events" and o.expectation_type == UNIQUE]
    assert all(o.success for o in others)
    held = split_quarantine(
        {t: pl.concat([good_tables()[t], bad_tables()[0][t]]) for t in merged.row_counts}, merged,
        run_id="r", now=NOW, max_share=1.0,
    )
    assert any("figures.expect_column_values_to_be_unique(figure_id)" in s for s in held.stops)
