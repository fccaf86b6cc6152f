"""The GX expectation suites of the fact tables, stored as JSON in ``suites/``.

The JSON files are what the gate loads at run time (``load_suite``). They are
generated from ``build_suite_dicts`` by

    uv run python -m newsfacts.expectations.suites

and committed; a test checks they are up to date. Great Expectations is
imported lazily (it costs seconds): only inside the functions here.

Columns starting with ``_`` are derived by ``derive.prepare_for_validation``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from newsfacts.schema import (
    ACLED_SUB_EVENT_TYPES,
    DATE_PRECISIONS,
    FIGURE_CATEGORIES,
    FIGURE_QUALIFIERS,
    MENTION_KINDS,
    PLOVER_TYPES,
    PRIMARY_KEYS,
    TABLES,
)

SUITES_DIR = Path(__file__).parent / "suites"
SUITE_TABLES = ("articles", "locations", "figures", "events")
ISO2 = r"^[A-Z]{2}$"
ISO639_1 = r"^[a-z]{2}$"


def suite_path(table: str, suites_dir: Path | None = None) -> Path:
    return (suites_dir or SUITES_DIR) / f"{table}.json"


def _specs(table: str) -> list[tuple[str, dict[str, Any], str]]:
    """(GX expectation class name, kwargs, human description) for one table."""
    key = PRIMARY_KEYS[table]
    columns = list(TABLES[table].names())
    out: list[tuple[str, dict[str, Any], str]] = [
        ("ExpectTableColumnsToMatchSet", {"column_set": columns, "exact_match": False},
         f"all contract columns of {table} are present"),
        ("ExpectColumnValuesToNotBeNull", {"column": key}, f"primary key {key} is set"),
        ("ExpectColumnValuesToBeUnique", {"column": key}, f"primary key {key} is unique"),
    ]
    if key != "article_id":
        out.append(("ExpectColumnValuesToNotBeNull", {"column": "article_id"}, "article_id is set"))

    def true(column: str, text: str) -> None:
        out.append(("ExpectColumnValuesToBeInSet", {"column": column, "value_set": [True]}, text))

    def not_null(column: str) -> None:
        out.append(("ExpectColumnValuesToNotBeNull", {"column": column}, f"{column} is set"))

    def between(column: str, low: float | None, high: float | None, text: str) -> None:
        kwargs: dict[str, Any] = {"column": column}
        if low is not None:
            kwargs["min_value"] = low
        if high is not None:
            kwargs["max_value"] = high
        out.append(("ExpectColumnValuesToBeBetween", kwargs, text))

    def in_set(column: str, values: list[str], *, required: bool) -> None:
        if required:
            not_null(column)
        out.append(("ExpectColumnValuesToBeInSet", {"column": column, "value_set": values},
                    f"{column} is in the contract vocabulary"))

    def ge(a: str, b: str, *, strict: bool = False) -> None:
        op = ">" if strict else ">="
        out.append((
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {"column_A": a, "column_B": b, "or_equal": not strict,
             "ignore_row_if": "either_value_is_missing"},
            f"{a} {op} {b}",
        ))

    def regex(column: str, pattern: str, text: str) -> None:
        out.append(("ExpectColumnValuesToMatchRegex", {"column": column, "regex": pattern}, text))

    def offsets(start: str, end: str) -> None:
        not_null(start)
        not_null(end)
        between(start, 0, None, f"{start} >= 0")
        ge(end, start, strict=True)
        ge("_text_length", end)

    def coordinates() -> None:
        between("latitude", -90, 90, "latitude in -90..90")
        between("longitude", -180, 180, "longitude in -180..180")
        true("_coordinates_paired", "latitude and longitude are both set or both NULL")

    if table == "articles":
        for column in ("doc_id", "text", "run_id"):
            not_null(column)
        between("_text_length", 1, None, "text is not empty")
        regex("language", ISO639_1, "language is an ISO 639-1 code")
        return out

    true("_article_exists", "article_id exists in articles")
    if table == "locations":
        offsets("start_char", "end_char")
        not_null("mention_text")
        true("_mention_matches_text", "mention_text == text[start_char:end_char]")
        in_set("mention_kind", list(MENTION_KINDS), required=True)
        coordinates()
        regex("country_code", ISO2, "country_code is ISO 3166-1 alpha-2")
        between("confidence", 0, 1, "confidence in 0..1")
    elif table == "figures":
        offsets("start_char", "end_char")
        not_null("mention_text")
        true("_mention_matches_text", "mention_text == text[start_char:end_char]")
        not_null("value")
        between("value", -1e15, 1e15, "value is finite and no larger than 10^15 (longer digit runs are not news figures)")
        ge("value", "value_low")
        ge("value_high", "value")
        ge("value_high", "value_low")
        in_set("qualifier", list(FIGURE_QUALIFIERS), required=True)
        in_set("category", list(FIGURE_CATEGORIES), required=True)
        true("_event_exists", "event_id is NULL or exists in events")
    elif table == "events":
        offsets("trigger_start", "trigger_end")
        not_null("trigger_text")
        true("_trigger_matches_text", "trigger_text == text[trigger_start:trigger_end]")
        between("sentence_start", 0, None, "sentence_start >= 0")
        ge("trigger_start", "sentence_start")
        ge("sentence_end", "trigger_end")
        ge("_text_length", "sentence_end")
        in_set("event_type", list(PLOVER_TYPES), required=True)
        in_set("acled_event_type", sorted(set(ACLED_SUB_EVENT_TYPES.values())), required=False)
        in_set("acled_sub_event_type", list(ACLED_SUB_EVENT_TYPES), required=False)
        true("_acled_consistent", "acled_event_type is the parent of acled_sub_event_type")
        for column in ("actor_country", "recipient_country", "country_code"):
            regex(column, ISO2, f"{column} is ISO 3166-1 alpha-2")
        true("_location_exists", "location_id is NULL or exists in locations")
        coordinates()
        in_set("date_precision", list(DATE_PRECISIONS), required=False)
        between("fatalities", 0, 1_000_000, "fatalities in 0..1,000,000 (a larger toll for one event is an error)")
        not_null("negated")
        between("confidence", 0, 1, "confidence in 0..1")
    return out


def build_suite(table: str):
    """A fresh ``gx.ExpectationSuite`` for ``table`` (imports GX)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    expectations = [
        getattr(gxe, cls)(**kwargs, description=text) for cls, kwargs, text in _specs(table)
    ]
    return gx.ExpectationSuite(
        name=f"newsfacts.{table}",
        expectations=expectations,
        meta={"table": table, "generated_by": "newsfacts.expectations.suites"},
    )


def build_suite_dicts() -> dict[str, dict[str, Any]]:
    """JSON form (``ExpectationSuite.to_json_dict``) of every suite."""
    return {table: build_suite(table).to_json_dict() for table in SUITE_TABLES}


def write_suites(suites_dir: Path | None = None) -> list[Path]:
    paths = []
    for table, data in build_suite_dicts().items():
        path = suite_path(table, suites_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def read_suite_dict(table: str, suites_dir: Path | None = None) -> dict[str, Any]:
    return json.loads(suite_path(table, suites_dir).read_text(encoding="utf-8"))


def load_suite(table: str, suites_dir: Path | None = None):
    """The stored suite for ``table`` as a ``gx.ExpectationSuite`` (imports GX)."""
    import great_expectations as gx

    data = read_suite_dict(table, suites_dir)
    return gx.ExpectationSuite(
        name=data["name"],
        expectations=data["expectations"],
        meta=data.get("meta") or {},
        notes=data.get("notes"),
    )


if __name__ == "__main__":
    for written in write_suites():
        print(written)
