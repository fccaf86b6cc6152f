"""Column names and polars dtypes of the contract tables (../shared/CONTRACT.md).

One place that says what every stage must hand to the next: transforms cast
their output with `conform`, publishing and the data-quality gate read the
same schemas, so a renamed or retyped column fails loudly in tests.
"""
from __future__ import annotations

import polars as pl

UTC = pl.Datetime("us", "UTC")

ARTICLES = pl.Schema(
    {
        "article_id": pl.String,
        "doc_id": pl.String,
        "source": pl.String,
        "url": pl.String,
        "title": pl.String,
        "published_at": UTC,
        "text": pl.String,
        "language": pl.String,
        "ingested_at": UTC,
        "run_id": pl.String,
    }
)

SENTENCES = pl.Schema(
    {
        "article_id": pl.String,
        "sentence_idx": pl.Int32,
        "sentence_start": pl.Int32,
        "sentence_end": pl.Int32,
    }
)

LOCATIONS = pl.Schema(
    {
        "location_id": pl.String,
        "article_id": pl.String,
        "start_char": pl.Int32,
        "end_char": pl.Int32,
        "mention_text": pl.String,
        "mention_kind": pl.String,
        "place_id": pl.String,
        "place_name": pl.String,
        "feature_type": pl.String,
        "country_code": pl.String,
        "admin1_code": pl.String,
        "latitude": pl.Float64,
        "longitude": pl.Float64,
        "confidence": pl.Float64,
    }
)

FIGURES = pl.Schema(
    {
        "figure_id": pl.String,
        "article_id": pl.String,
        "start_char": pl.Int32,
        "end_char": pl.Int32,
        "mention_text": pl.String,
        "value": pl.Float64,
        "value_low": pl.Float64,
        "value_high": pl.Float64,
        "qualifier": pl.String,
        "unit": pl.String,
        "object": pl.String,
        "category": pl.String,
        "event_id": pl.String,
    }
)

EVENTS = pl.Schema(
    {
        "event_id": pl.String,
        "article_id": pl.String,
        "trigger_text": pl.String,
        "trigger_start": pl.Int32,
        "trigger_end": pl.Int32,
        "sentence_start": pl.Int32,
        "sentence_end": pl.Int32,
        "event_type": pl.String,
        "event_mode": pl.String,
        "acled_event_type": pl.String,
        "acled_sub_event_type": pl.String,
        "actor_text": pl.String,
        "actor_country": pl.String,
        "recipient_text": pl.String,
        "recipient_country": pl.String,
        "location_id": pl.String,
        "latitude": pl.Float64,
        "longitude": pl.Float64,
        "country_code": pl.String,
        "event_date": pl.Date,
        "date_precision": pl.String,
        "fatalities": pl.Int32,
        "negated": pl.Boolean,
        "confidence": pl.Float64,
        # extensions (issue 7): the mention's same-event group and where its toll was read
        "same_event_id": pl.String,
        "fatalities_start": pl.Int32,
        "fatalities_end": pl.Int32,
    }
)

REJECTS = pl.Schema(
    {
        "reject_id": pl.String,
        "source": pl.String,
        "reason": pl.String,
        "detail": pl.String,
        "run_id": pl.String,
        "rejected_at": UTC,
    }
)

RUNS = pl.Schema(
    {
        "run_id": pl.String,
        "started_at": UTC,
        "finished_at": UTC,
        "status": pl.String,
        "inputs_seen": pl.Int64,
        "articles_new": pl.Int64,
        "duplicates_skipped": pl.Int64,
        "rejects": pl.Int64,
        "locations_rows": pl.Int64,
        "figures_rows": pl.Int64,
        "events_rows": pl.Int64,
        "dq_outcome": pl.String,
        "seconds": pl.Float64,
        "quarantined_rows": pl.Int64,
        "reason": pl.String,
        "articles_not_english": pl.Int64,
    }
)

# Rows (or whole articles) held back from the fact tables: a row-level expectation failed on them, or
# extracting the article raised. The rest of the run publishes.
QUARANTINE = pl.Schema(
    {
        "quarantine_id": pl.String,
        "run_id": pl.String,
        "table_name": pl.String,
        "row_key": pl.String,
        "article_id": pl.String,
        "reason": pl.String,
        "detail": pl.String,
        "row_json": pl.String,
        "quarantined_at": UTC,
    }
)

# Every expectation's result, every run (also runs the gate stopped).
DQ_RESULTS = pl.Schema(
    {
        "dq_result_id": pl.String,
        "run_id": pl.String,
        "table_name": pl.String,
        "expectation_type": pl.String,
        "column_name": pl.String,
        "description": pl.String,
        "success": pl.Boolean,
        "row_level": pl.Boolean,
        "element_count": pl.Int64,
        "unexpected_count": pl.Int64,
        "unexpected_percent": pl.Float64,
        "observed_value": pl.String,
        "error": pl.String,
        "checked_at": UTC,
    }
)

TABLES: dict[str, pl.Schema] = {
    "articles": ARTICLES,
    "locations": LOCATIONS,
    "figures": FIGURES,
    "events": EVENTS,
    "rejects": REJECTS,
    "runs": RUNS,
    "quarantine": QUARANTINE,
    "dq_results": DQ_RESULTS,
}

PRIMARY_KEYS = {
    "articles": "article_id",
    "locations": "location_id",
    "figures": "figure_id",
    "events": "event_id",
    "rejects": "reject_id",
    "runs": "run_id",
    "quarantine": "quarantine_id",
    "dq_results": "dq_result_id",
}

FIGURE_QUALIFIERS = ("exact", "approx", "at_least", "more_than", "at_most", "less_than", "up_to", "range")
FIGURE_CATEGORIES = (
    "KILL", "WOUND", "AFFECT", "ARREST", "DISPLACE", "MISSING", "CROWD", "WEAPON",
    "MONEY", "PERCENT", "MEASURE", "DURATION", "AGE", "COUNT",
)
MENTION_KINDS = ("toponym", "demonym")
PLOVER_TYPES = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)
ACLED_SUB_EVENT_TYPES: dict[str, str] = {
    "Armed clash": "Battles",
    "Government regains territory": "Battles",
    "Non-state actor overtakes territory": "Battles",
    "Chemical weapon": "Explosions/Remote violence",
    "Air/drone strike": "Explosions/Remote violence",
    "Suicide bomb": "Explosions/Remote violence",
    "Shelling/artillery/missile attack": "Explosions/Remote violence",
    "Remote explosive/landmine/IED": "Explosions/Remote violence",
    "Grenade": "Explosions/Remote violence",
    "Sexual violence": "Violence against civilians",
    "Attack": "Violence against civilians",
    "Abduction/forced disappearance": "Violence against civilians",
    "Peaceful protest": "Protests",
    "Protest with intervention": "Protests",
    "Excessive force against protesters": "Protests",
    "Violent demonstration": "Riots",
    "Mob violence": "Riots",
    "Agreement": "Strategic developments",
    "Arrests": "Strategic developments",
    "Change to group/activity": "Strategic developments",
    "Disrupted weapons use": "Strategic developments",
    "Headquarters or base established": "Strategic developments",
    "Looting/property destruction": "Strategic developments",
    "Non-violent transfer of territory": "Strategic developments",
    "Other": "Strategic developments",
}
DATE_PRECISIONS = ("day", "week", "month", "year", "unknown")


def empty(schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(frame: pl.LazyFrame | pl.DataFrame, schema: pl.Schema) -> pl.LazyFrame:
    """Select exactly the schema's columns in its order and dtypes; absent columns become NULL."""
    lf = frame.lazy()
    have = set(lf.collect_schema().names())
    return lf.select(
        [
            (pl.col(name) if name in have else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )
