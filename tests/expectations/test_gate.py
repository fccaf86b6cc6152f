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


KEYS = {"articles": "article_id", "locations": "location_id", "figures": "figure_id", "events": "event_id"}

# scenario -> (table, row copied from the good table, changes, (expectation type, column) that must fail)
SCENARIOS = {
    "duplicate_key": ("locations", 0, {"location_id": "loc_1"},
                      ("expect_column_values_to_be_unique", "location_id")),
    "null_article_id": ("figures", 1, {"article_id": None},
                        ("expect_column_values_to_not_be_null", "article_id")),
    "unknown_article": ("events", 1, {"article_id": "art_zzz"},
                        ("expect_column_values_to_be_in_set", "_article_exists")),
    "mention_mismatch": ("locations", 1, {"mention_text": "Kiev"},
                         ("expect_column_values_to_be_in_set", "_mention_matches_text")),
    "trigger_mismatch": ("events", 0, {"trigger_text": "strike"},
                         ("expect_column_values_to_be_in_set", "_trigger_matches_text")),
    "negative_start": ("figures", 0, {"start_char": -1},
                       ("expect_column_values_to_be_between", "start_char")),
    "end_before_start": ("locations", 0, {"end_char": 0},
                         ("expect_column_pair_values_a_to_be_greater_than_b", "end_char,start_char")),
    "end_past_text": ("locations", 2, {"end_char": len(TEXT_B) + 5},
                      ("expect_column_pair_values_a_to_be_greater_than_b", "_text_length,end_char")),
    "trigger_outside_sentence": ("events", 0, {"sentence_start": 30},
                                 ("expect_column_pair_values_a_to_be_greater_than_b",
                                  "trigger_start,sentence_start")),
    "bad_latitude": ("locations", 1, {"latitude": 95.0},
                     ("expect_column_values_to_be_between", "latitude")),
    "bad_longitude": ("events", 0, {"longitude": -200.0},
                      ("expect_column_values_to_be_between", "longitude")),
    "half_coordinates": ("locations", 0, {"longitude": None},
                         ("expect_column_values_to_be_in_set", "_coordinates_paired")),
    "value_low_above_value": ("figures", 0, {"value_low": 8.0},
                              ("expect_column_pair_values_a_to_be_greater_than_b", "value,value_low")),
    "value_above_high": ("figures", 0, {"value_high": 6.0},
                         ("expect_column_pair_values_a_to_be_greater_than_b", "value_high,value")),
    "unknown_qualifier": ("figures", 1, {"qualifier": "roughly"},
                          ("expect_column_values_to_be_in_set", "qualifier")),
    "unknown_category": ("figures", 0, {"category": "KILLED"},
                         ("expect_column_values_to_be_in_set", "category")),
    "unknown_mention_kind": ("locations", 0, {"mention_kind": "adjective"},
                             ("expect_column_values_to_be_in_set", "mention_kind")),
    "unknown_event_type": ("events", 1, {"event_type": "DEMONSTRATE"},
                           ("expect_column_values_to_be_in_set", "event_type")),
    "unknown_date_precision": ("events", 1, {"date_precision": "days"},
                               ("expect_column_values_to_be_in_set", "date_precision")),
    "acled_inconsistent": ("events", 0, {"acled_event_type": "Battles"},
                           ("expect_column_values_to_be_in_set", "_acled_consistent")),
    "bad_country_code": ("locations", 1, {"country_code": "ua"},
                         ("expect_column_values_to_match_regex", "country_code")),
    "bad_confidence": ("events", 1, {"confidence": 1.5},
                       ("expect_column_values_to_be_between", "confidence")),
    "dangling_event_fk": ("figures", 0, {"event_id": "evt_missing"},
                          ("expect_column_values_to_be_in_set", "_event_exists")),
    "dangling_location_fk": ("events", 0, {"location_id": "loc_missing"},
                             ("expect_column_values_to_be_in_set", "_location_exists")),
    "empty_text": ("articles", 1, {"text": ""},
                   ("expect_column_values_to_be_between", "_text_length")),
}


def bad_tables() -> tuple[dict[str, pl.DataFrame], dict[str, int]]:
    """Good tables plus one appended bad row per scenario (a copy of a good row with a
    fresh key, then the scenario's changes); returns the tables and each scenario's row."""
    tables = good_tables()
    rows: dict[str, int] = {}
    for name, (table, base, changes, _) in SCENARIOS.items():
        frame = tables[table]
        row = frame.slice(base, 1).with_columns(pl.lit(f"{name}_key").alias(KEYS[table]))
        for column, value in changes.items():
            row = row.with_columns(pl.lit(value, dtype=frame.schema[column]).alias(column))
        rows[name] = frame.height
        tables[table] = pl.concat([frame, row])
    return tables, rows


@pytest.fixture(scope="module")
def gate():
    from newsfacts.expectations import gate as gate_module

    return gate_module


@pytest.fixture(scope="module")
def good_result(gate):
    return gate.run_gate(good_tables())


@pytest.fixture(scope="module")
def bad_result(gate):
    tables, rows = bad_tables()
    return gate.run_gate(tables, examples=50), rows


# --- suites ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_suites():
    return json.loads(json.dumps(build_suite_dicts()))


@pytest.mark.parametrize("table", SUITE_TABLES)
def test_suite_json_is_up_to_date(table, fresh_suites):
    """Regenerate with `uv run python -m newsfacts.expectations.suites` when this fails."""
    assert suite_path(table).exists()
    assert read_suite_dict(table) == fresh_suites[table]


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


def test_preload_then_gate(gate):
    gate.preload()
    gate.preload()  # idempotent: one background import at most
    assert gate._PRELOAD is not None
    result = gate.run_gate(good_tables(), fresh_context=True)
    assert not gate._PRELOAD.is_alive()
    assert result.success, result.summary()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_violation_is_named(bad_result, scenario):
    result, rows = bad_result
    table, _, _, (expectation_type, column) = SCENARIOS[scenario]
    assert not result.success
    failed = {(o.table, o.expectation_type, o.column): o for o in result.failures()}
    assert (table, expectation_type, column) in failed, result.summary(50)
    outcome = failed[(table, expectation_type, column)]
    assert rows[scenario] in [e.row for e in outcome.examples]
    assert outcome.unexpected_count >= 1
    assert f"FAIL {outcome.label()}" in result.summary(50)
    if scenario != "duplicate_key":
        example = next(e for e in outcome.examples if e.row == rows[scenario])
        assert example.key == f"{scenario}_key"


def test_single_violation_fails_only_its_expectation(gate):
    tables = good_tables()
    tables["figures"] = _set(tables["figures"], "value_low", 0, 8.0)
    result = gate.run_gate(tables)
    assert [(o.table, o.expectation_type, o.column) for o in result.failures()] == [
        ("figures", "expect_column_pair_values_a_to_be_greater_than_b", "value,value_low")
    ]
    (outcome,) = result.failures()
    assert outcome.unexpected_count == 1 and outcome.examples[0].row == 0
    assert outcome.examples[0].value == [7.0, 8.0]
    assert outcome.examples[0].key == "fig_1"
    assert result.table_success("articles") and not result.table_success("figures")


def test_non_finite_or_absurd_values_are_row_level_failures(gate):
    """A 100,000-digit number parsed to inf, or a death toll of billions: the rows are blamed (and quarantined)."""
    tables = good_tables()
    tables["figures"] = _set(tables["figures"], "value", 0, float("inf"))
    tables["events"] = _set(tables["events"], "fatalities", 0, 2_000_000_000)
    result = gate.run_gate(tables)
    failed = {(o.table, o.column): o.failing_rows for o in result.failures()}
    assert failed[("figures", "value")] == [0]
    assert failed[("events", "fatalities")] == [0]


def test_missing_column_fails_column_set(gate):
    tables = good_tables()
    tables["locations"] = tables["locations"].drop("confidence")
    result = gate.run_gate(tables)
    failed = {(o.table, o.expectation_type, o.column) for o in result.failures()}
    assert ("locations", "expect_table_columns_to_match_set", None) in failed
    assert all(o.table == "locations" for o in result.failures())


def test_report_is_self_contained(good_result, bad_result, gate, tmp_path):
    html_path, json_path = gate.write_report(bad_result[0], tmp_path / "dq.html")
    assert html_path.name == "dq.html" and json_path.name == "dq.json"
    page = html_path.read_text(encoding="utf-8")
    assert "<style>" in page and "FAILED" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "expect_column_values_to_be_unique" in page
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["success"] is False
    assert data["tables"]["locations"]["success"] is False
    html_ok, _ = gate.write_report(good_result, tmp_path)
    assert html_ok == tmp_path / "dq_report.html" and "PASSED" in html_ok.read_text()


def test_derived_failure_shows_inputs(bad_result):
    result, rows = bad_result
    (outcome,) = [
        o for o in result.failures()
        if (o.table, o.column) == ("locations", "_mention_matches_text")
    ]
    example = next(e for e in outcome.examples if e.row == rows["mention_mismatch"])
    assert example.context == {"start_char": TEXT_A.index("Kyiv"), "end_char": TEXT_A.index("Kyiv") + 4,
                               "mention_text": "Kiev"}


def test_wrongly_typed_column_fails_instead_of_crashing(gate):
    tables = good_tables()
    tables["locations"] = tables["locations"].with_columns(pl.concat_list("start_char"))
    result = gate.run_gate(tables)
    assert not result.success
    failed = {(o.table, o.expectation_type) for o in result.failures()}
    assert ("locations", "newsfacts_prepare_for_validation") in failed
    assert result.table_success("figures") and result.table_success("events")
