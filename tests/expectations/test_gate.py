"""Data-quality gate: suites load from JSON, good frames pass, each violation is named.

GX import costs seconds, so the gate's GX work happens in module-scoped fixtures
(one `run_gate` per scenario, all scenarios validated once per module).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import polars as pl
import pytest

from newsfacts.expectations.derive import prepare_for_validation
from newsfacts.expectations.suites import (
    SUITE_TABLES,
    build_suite_dicts,
    read_suite_dict,
    suite_path,
)
from newsfacts.schema import ARTICLES, EVENTS, FIGURES, LOCATIONS, conform

TEXT_A = "Russian missiles struck Kyiv on Thursday, killing at least seven people."
TEXT_B = "Über 200 Menschen protestierten in Zürich."


def good_tables() -> dict[str, pl.DataFrame]:
    now = datetime(2024, 5, 2, 12, tzinfo=timezone.utc)
    articles = pl.DataFrame(
        {
            "article_id": ["art_a", "art_b"],
            "doc_id": ["d1", "d2"],
            "source": ["test", "test"],
            "title": ["A", None],
            "published_at": [now, None],
            "text": [TEXT_A, TEXT_B],
            "language": ["en", "de"],
            "ingested_at": [now, now],
            "run_id": ["run1", "run1"],
        }
    )
    kyiv = TEXT_A.index("Kyiv")
    zurich = TEXT_B.index("Zürich")
    locations = pl.DataFrame(
        {
            "location_id": ["loc_1", "loc_2", "loc_3"],
            "article_id": ["art_a", "art_a", "art_b"],
            "start_char": [0, kyiv, zurich],
            "end_char": [7, kyiv + 4, zurich + 6],
            "mention_text": ["Russian", "Kyiv", "Zürich"],
            "mention_kind": ["demonym", "toponym", "toponym"],
            "place_id": ["2017370", "703448", "2657896"],
            "place_name": ["Russia", "Kyiv", "Zurich"],
            "feature_type": ["country", "city", "city"],
            "country_code": ["RU", "UA", "CH"],
            "latitude": [60.0, 50.45, 47.37],
            "longitude": [100.0, 30.52, 8.54],
            "confidence": [0.9, 0.95, 1.0],
        }
    )
    phrase = "at least seven people"
    f0 = TEXT_A.index(phrase)
    figures = pl.DataFrame(
        {
            "figure_id": ["fig_1", "fig_2"],
            "article_id": ["art_a", "art_b"],
            "start_char": [f0, 0],
            "end_char": [f0 + len(phrase), len("Über 200 Menschen")],
            "mention_text": [phrase, "Über 200 Menschen"],
            "value": [7.0, 200.0],
            "value_low": [7.0, 201.0 - 1],
            "value_high": [None, None],
            "qualifier": ["at_least", "more_than"],
            "unit": [None, None],
            "object": ["people", "Menschen"],
            "category": ["KILL", "CROWD"],
            "event_id": ["evt_1", None],
        }
    )
    struck = TEXT_A.index("struck")
    protest = TEXT_B.index("protestierten")
    events = pl.DataFrame(
        {
            "event_id": ["evt_1", "evt_2"],
            "article_id": ["art_a", "art_b"],
            "trigger_text": ["struck", "protestierten"],
            "trigger_start": [struck, protest],
            "trigger_end": [struck + 6, protest + len("protestierten")],
            "sentence_start": [0, 0],
            "sentence_end": [len(TEXT_A), len(TEXT_B)],
            "event_type": ["ASSAULT", "PROTEST"],
            "event_mode": ["aerial", None],
            "acled_event_type": ["Explosions/Remote violence", None],
            "acled_sub_event_type": ["Shelling/artillery/missile attack", None],
            "actor_country": ["RU", None],
            "recipient_country": ["UA", None],
            "location_id": ["loc_2", "loc_3"],
            "latitude": [50.45, 47.37],
            "longitude": [30.52, 8.54],
            "country_code": ["UA", "CH"],
            "event_date": [date(2024, 5, 2), None],
            "date_precision": ["day", "unknown"],
            "fatalities": [7, None],
            "negated": [False, False],
            "confidence": [0.8, 0.6],
        }
    )
    schemas = {"articles": ARTICLES, "locations": LOCATIONS, "figures": FIGURES, "events": EVENTS}
    frames = {"articles": articles, "locations": locations, "figures": figures, "events": events}
    return {t: conform(frames[t], schemas[t]).collect() for t in frames}


def _set(frame: pl.DataFrame, column: str, row: int, value) -> pl.DataFrame:
    values = frame[column].to_list()
    values[row] = value
    return frame.with_columns(pl.Series(column, values, dtype=frame.schema[column]))


def _bad(table: str, change) -> dict[str, pl.DataFrame]:
    tables = good_tables()
    tables[table] = change(tables[table])
    return tables


# scenario -> (tables, (table, expectation_type, column) that must fail, row expected)
SCENARIOS = {
    "duplicate_key": (
        _bad("locations", lambda f: _set(f, "location_id", 2, "loc_1")),
        ("locations", "expect_column_values_to_be_unique", "location_id"),
        2,
    ),
    "null_article_id": (
        _bad("figures", lambda f: _set(f, "article_id", 1, None)),
        ("figures", "expect_column_values_to_not_be_null", "article_id"),
        1,
    ),
    "unknown_article": (
        _bad("events", lambda f: _set(f, "article_id", 1, "art_zzz")),
        ("events", "expect_column_values_to_be_in_set", "_article_exists"),
        1,
    ),
    "mention_mismatch": (
        _bad("locations", lambda f: _set(f, "mention_text", 1, "Kiev")),
        ("locations", "expect_column_values_to_be_in_set", "_mention_matches_text"),
        1,
    ),
    "trigger_mismatch": (
        _bad("events", lambda f: _set(f, "trigger_text", 0, "strike")),
        ("events", "expect_column_values_to_be_in_set", "_trigger_matches_text"),
        0,
    ),
    "negative_start": (
        _bad("figures", lambda f: _set(f, "start_char", 0, -1)),
        ("figures", "expect_column_values_to_be_between", "start_char"),
        0,
    ),
    "end_before_start": (
        _bad("locations", lambda f: _set(f, "end_char", 0, 0)),
        ("locations", "expect_column_pair_values_a_to_be_greater_than_b", "end_char,start_char"),
        0,
    ),
    "end_past_text": (
        _bad("locations", lambda f: _set(f, "end_char", 2, len(TEXT_B) + 5)),
        ("locations", "expect_column_pair_values_a_to_be_greater_than_b", "_text_length,end_char"),
        2,
    ),
    "bad_latitude": (
        _bad("locations", lambda f: _set(f, "latitude", 1, 95.0)),
        ("locations", "expect_column_values_to_be_between", "latitude"),
        1,
    ),
    "bad_longitude": (
        _bad("events", lambda f: _set(f, "longitude", 0, -200.0)),
        ("events", "expect_column_values_to_be_between", "longitude"),
        0,
    ),
    "value_low_above_value": (
        _bad("figures", lambda f: _set(f, "value_low", 0, 8.0)),
        ("figures", "expect_column_pair_values_a_to_be_greater_than_b", "value,value_low"),
        0,
    ),
    "unknown_qualifier": (
        _bad("figures", lambda f: _set(f, "qualifier", 1, "roughly")),
        ("figures", "expect_column_values_to_be_in_set", "qualifier"),
        1,
    ),
    "unknown_category": (
        _bad("figures", lambda f: _set(f, "category", 0, "KILLED")),
        ("figures", "expect_column_values_to_be_in_set", "category"),
        0,
    ),
    "unknown_mention_kind": (
        _bad("locations", lambda f: _set(f, "mention_kind", 0, "adjective")),
        ("locations", "expect_column_values_to_be_in_set", "mention_kind"),
        0,
    ),
    "unknown_event_type": (
        _bad("events", lambda f: _set(f, "event_type", 1, "DEMONSTRATE")),
        ("events", "expect_column_values_to_be_in_set", "event_type"),
        1,
    ),
    "acled_inconsistent": (
        _bad("events", lambda f: _set(f, "acled_event_type", 0, "Battles")),
        ("events", "expect_column_values_to_be_in_set", "_acled_consistent"),
        0,
    ),
    "bad_confidence": (
        _bad("events", lambda f: _set(f, "confidence", 1, 1.5)),
        ("events", "expect_column_values_to_be_between", "confidence"),
        1,
    ),
    "dangling_event_fk": (
        _bad("figures", lambda f: _set(f, "event_id", 0, "evt_missing")),
        ("figures", "expect_column_values_to_be_in_set", "_event_exists"),
        0,
    ),
    "missing_column": (
        _bad("locations", lambda f: f.drop("confidence")),
        ("locations", "expect_table_columns_to_match_set", None),
        None,
    ),
}


@pytest.fixture(scope="module")
def gate():
    from newsfacts.expectations import gate as gate_module

    return gate_module


@pytest.fixture(scope="module")
def good_result(gate):
    return gate.run_gate(good_tables())


@pytest.fixture(scope="module")
def bad_results(gate):
    return {name: gate.run_gate(tables) for name, (tables, _, _) in SCENARIOS.items()}


# --- suites ------------------------------------------------------------------------


@pytest.mark.parametrize("table", SUITE_TABLES)
def test_suite_json_is_up_to_date(table):
    assert suite_path(table).exists()
    assert read_suite_dict(table) == json.loads(json.dumps(build_suite_dicts()[table]))


def test_suites_contain_expected_expectation_types():
    types = {t: {e["type"] for e in read_suite_dict(t)["expectations"]} for t in SUITE_TABLES}
    for t in SUITE_TABLES:
        assert {
            "expect_table_columns_to_match_set",
            "expect_column_values_to_be_unique",
            "expect_column_values_to_not_be_null",
        } <= types[t]
    for t in ("locations", "figures", "events"):
        assert {
            "expect_column_values_to_be_in_set",
            "expect_column_values_to_be_between",
            "expect_column_pair_values_a_to_be_greater_than_b",
        } <= types[t]
    assert "expect_column_values_to_be_in_type_list" not in set().union(*types.values())
    figure_sets = {
        e["kwargs"]["column"]: e["kwargs"]["value_set"]
        for e in read_suite_dict("figures")["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set"
    }
    assert "range" in figure_sets["qualifier"] and "KILL" in figure_sets["category"]


def test_load_suite_from_json(gate):
    from newsfacts.expectations.suites import load_suite

    suite = load_suite("events")
    assert suite.name == "newsfacts.events"
    assert len(suite.expectations) == len(read_suite_dict("events")["expectations"])


# --- derive (pure polars) ----------------------------------------------------------


def test_prepare_keeps_rows_and_order_and_flags_mismatch():
    tables = good_tables()
    locations = _set(tables["locations"], "mention_text", 1, "Kiev")
    out = prepare_for_validation("locations", locations, tables["articles"])
    assert out.height == locations.height
    assert out["location_id"].to_list() == locations["location_id"].to_list()
    assert out["_mention_matches_text"].to_list() == [True, False, True]
    assert out["_text_length"].to_list() == [len(TEXT_A), len(TEXT_A), len(TEXT_B)]
    assert out["_article_exists"].to_list() == [True, True, True]


def test_prepare_non_ascii_offsets_are_code_points():
    tables = good_tables()
    out = prepare_for_validation("figures", tables["figures"], tables["articles"], events=tables["events"])
    assert out["_mention_matches_text"].to_list() == [True, True]
    assert out["_event_exists"].to_list() == [True, True]


def test_prepare_acled_consistency():
    tables = good_tables()
    events = _set(tables["events"], "acled_sub_event_type", 1, "Peaceful protest")
    events = _set(events, "acled_event_type", 1, "Protests")
    out = prepare_for_validation("events", events, tables["articles"])
    assert out["_acled_consistent"].to_list() == [True, True]
    events = _set(events, "acled_event_type", 1, None)
    out = prepare_for_validation("events", events, tables["articles"])
    assert out["_acled_consistent"].to_list() == [True, False]


# --- gate --------------------------------------------------------------------------


def test_good_tables_pass(good_result):
    assert good_result.success, good_result.summary()
    assert good_result.row_counts == {"articles": 2, "locations": 3, "figures": 2, "events": 2}
    assert "PASSED" in good_result.summary()
    assert all(o.error is None for o in good_result.outcomes)


def test_empty_tables_pass(gate):
    result = gate.run_gate({})
    assert result.success, result.summary()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_violation_is_named(bad_results, scenario):
    _, (table, expectation_type, column), row = SCENARIOS[scenario]
    result = bad_results[scenario]
    assert not result.success
    failed = {(o.table, o.expectation_type, o.column): o for o in result.failures()}
    assert (table, expectation_type, column) in failed, result.summary()
    outcome = failed[(table, expectation_type, column)]
    if row is not None:
        assert row in [e.row for e in outcome.examples]
    assert "FAILED" in result.summary() and outcome.label() in result.summary()


def test_report_is_self_contained(good_result, bad_results, gate, tmp_path):
    html_path, json_path = gate.write_report(bad_results["duplicate_key"], tmp_path / "dq.html")
    assert html_path.name == "dq.html" and json_path.name == "dq.json"
    page = html_path.read_text(encoding="utf-8")
    assert "<style>" in page and "FAILED" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "expect_column_values_to_be_unique" in page
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["success"] is False
    assert data["tables"]["locations"]["success"] is False
    assert data["tables"]["articles"]["success"] is True
    html_ok, _ = gate.write_report(good_result, tmp_path)
    assert html_ok == tmp_path / "dq_report.html" and "PASSED" in html_ok.read_text()
