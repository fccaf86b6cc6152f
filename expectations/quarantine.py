"""Quarantine instead of all-or-nothing: hold back the rows the gate blames, publish the rest.

Pure (polars frames in and out). Given the run's tables, the gate's result and the articles whose
extraction raised, `split_quarantine` returns the tables to publish, the `quarantine` rows (one per
held-back row and reason, with the row as JSON) and the reasons, if any, that the publish must stop:

- a failed expectation that names no rows (column set, types, an error inside GX) stops the publish;
- a row-level failure quarantines the failing rows (for uniqueness: every occurrence after the first);
- held-back rows take what depends on them along (`depends_on_quarantined`): an article its
  locations, figures and events; a location the events placed there; an event the figures linked to it;
- a table whose quarantined share is above `max_share` (default 5 %) stops the publish.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
from newsfacts.expectations.gate import GateResult
from newsfacts.transforms.ids import id_expr

from newsfacts.schema import DQ_RESULTS, PRIMARY_KEYS, QUARANTINE, conform

FACT_TABLES = ("articles", "locations", "figures", "events")
# (child table, its column, parent table): a held-back parent takes its children along
DEPENDENCIES = (
    ("locations", "article_id", "articles"),
    ("figures", "article_id", "articles"),
    ("events", "article_id", "articles"),
    ("events", "location_id", "locations"),
    ("figures", "event_id", "events"),
)
UNIQUENESS = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
EXTRACTION_ERROR = "extraction_error"
DEPENDS = "depends_on_quarantined"


@dataclass
class Quarantined:
    tables: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    stops: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # rows per table before the split
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> reason -> held rows

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _blamed_rows(frame: pl.DataFrame, outcome) -> list[int]:
    rows = outcome.failing_rows or []
    if outcome.expectation_type in UNIQUENESS and outcome.column and outcome.column in frame.columns:
        seen = frame.with_row_index("_row").filter(pl.col(outcome.column).is_first_distinct())["_row"]
        keep = set(seen.to_list())
        rows = [r for r in rows if r not in keep]
    return [r for r in rows if 0 <= r < frame.height]


def _row_json(frame: pl.DataFrame) -> pl.Expr:
    columns = [c for c in frame.columns if c != "text"]  # an article's text is in the input already
    return pl.struct(columns).struct.json_encode()


def split_quarantine(
    tables: Mapping[str, pl.DataFrame],
    gate: GateResult,
    *,
    run_id: str,
    now: datetime,
    extraction_failures: pl.DataFrame | None = None,
    max_share: float = 0.05,
) -> Quarantined:
    """Tables without the blamed rows, the `quarantine` rows, and why the publish must stop (if it must).

    `extraction_failures`: articles whose extraction raised (columns `article_id`, `error`); their
    facts are absent already, the articles themselves are held back here.
    """
    blamed: dict[str, dict[int, tuple[str, str]]] = {t: {} for t in FACT_TABLES}
    stops: list[str] = []
    for outcome in gate.failures():
        if outcome.table not in blamed:
            continue
        if outcome.failing_rows is None or outcome.error:
            stops.append(f"{outcome.label()}: {outcome.error or 'fails for the table as a whole'}")
            continue
        detail = f"{outcome.unexpected_count} rows fail {outcome.label()}"
        for row in _blamed_rows(tables[outcome.table], outcome):
            blamed[outcome.table].setdefault(row, (outcome.label(), detail))
    if extraction_failures is not None and extraction_failures.height:
        positions = tables["articles"].with_row_index("_row").join(extraction_failures, on="article_id")
        for row, error in zip(positions["_row"].to_list(), positions["error"].to_list()):
            blamed["articles"].setdefault(row, (EXTRACTION_ERROR, error))

    pieces: list[pl.DataFrame] = []
    kept: dict[str, pl.DataFrame] = {}
    held: dict[str, pl.DataFrame] = {}
    for table in FACT_TABLES:
        frame = tables[table].with_row_index("_row")
        reasons = pl.DataFrame(
            {
                "_row": list(blamed[table]),
                "reason": [r for r, _ in blamed[table].values()],
                "detail": [d for _, d in blamed[table].values()],
            },
            schema={"_row": pl.UInt32, "reason": pl.String, "detail": pl.String},
        )
        held[table] = frame.join(reasons, on="_row", how="inner")
        kept[table] = frame.join(reasons, on="_row", how="anti")
    changed = True
    while changed:  # take dependants along until nothing more moves
        changed = False
        for child, column, parent in DEPENDENCIES:
            if column not in kept[child].columns or held[parent].height == 0:
                continue
            parent_key = PRIMARY_KEYS[parent]
            gone = held[parent].select(pl.col(parent_key).alias(column), pl.col(parent_key).alias("_parent"))
            moving = kept[child].join(gone, on=column, how="inner")
            if moving.height == 0:
                continue
            moving = moving.with_columns(
                reason=pl.lit(DEPENDS), detail=pl.lit(f"its {parent} row ") + pl.col("_parent") + pl.lit(" is quarantined")
            ).drop("_parent")
            held[child] = pl.concat([held[child], moving], how="vertical_relaxed")
            kept[child] = kept[child].join(moving.select("_row"), on="_row", how="anti")
            changed = True

    for table in FACT_TABLES:
        frame = held[table]
        if frame.height == 0:
            continue
        key = PRIMARY_KEYS[table]
        pieces.append(
            frame.sort("_row").select(
                table_name=pl.lit(table),
                row_key=pl.col(key).cast(pl.String),
                article_id=pl.col("article_id").cast(pl.String),
                reason=pl.col("reason"),
                detail=pl.col("detail"),
                row_json=_row_json(frame.drop("_row", "reason", "detail")),
            )
        )
    quarantine = (
        pl.concat(pieces, how="vertical") if pieces
        else pl.DataFrame(schema={c: QUARANTINE[c] for c in ("table_name", "row_key", "article_id", "reason", "detail", "row_json")})
    )
    quarantine = conform(
        quarantine.with_columns(
            quarantine_id=id_expr("qua_", "table_name", "row_key", "reason"),
            run_id=pl.lit(run_id),
            quarantined_at=pl.lit(now),
        ).unique("quarantine_id", keep="first", maintain_order=True),
        QUARANTINE,
    ).collect()

    counts = {table: held[table].height for table in FACT_TABLES if held[table].height}
    reasons = {
        table: dict(held[table]["reason"].value_counts(sort=True).iter_rows()) for table in counts
    }
    totals = {table: tables[table].height for table in FACT_TABLES}
    stops.extend(share_stops(counts, totals, reasons, max_share))
    return Quarantined(
        tables={t: kept[t].drop("_row") for t in FACT_TABLES},
        quarantine=quarantine,
        counts=counts,
        stops=stops,
        totals=totals,
        reasons=reasons,
    )


def share_stops(
    counts: Mapping[str, int], totals: Mapping[str, int], reasons: Mapping[str, Mapping[str, int]], max_share: float
) -> list[str]:
    """Why the publish must stop for the quarantine share: one message per table whose quarantined rows
    (`counts`) are more than `max_share` of its rows (`totals`, quarantined ones included), naming the three
    commonest reasons (`reasons`: table -> reason -> rows). A streaming run applies it to its totals."""
    stops = []
    for table, n in counts.items():
        total = totals.get(table, 0)
        if total and n / total > max_share:
            why = sorted(reasons.get(table, {}).items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            stops.append(
                f"{n} of {total} {table} rows quarantined ({n / total:.0%}), above the {max_share:.0%} limit: "
                + ", ".join(reason for reason, _ in why)
            )
    return stops


def dq_results(gate: GateResult, *, run_id: str, now: datetime) -> pl.DataFrame:
    """One `dq_results` row per expectation of this run's gate."""
    rows = [
        {
            "table_name": o.table,
            "expectation_type": o.expectation_type,
            "column_name": o.column,
            "description": o.description,
            "success": o.success,
            "row_level": None if o.success else o.failing_rows is not None and not o.error,
            "element_count": o.element_count,
            "unexpected_count": o.unexpected_count,
            "unexpected_percent": o.unexpected_percent,
            "observed_value": None if o.observed_value is None else str(o.observed_value)[:1000],
            "error": o.error,
        }
        for o in gate.outcomes
    ]
    columns = ("table_name", "expectation_type", "column_name", "description", "success", "row_level",
               "element_count", "unexpected_count", "unexpected_percent", "observed_value", "error")
    frame = pl.DataFrame(rows, schema={c: DQ_RESULTS[c] for c in columns}, strict=False)
    return conform(
        frame.with_columns(
            run_id=pl.lit(run_id),
            checked_at=pl.lit(now),
        ).with_columns(
            dq_result_id=id_expr(
                "dqr_", "run_id", "table_name", "expectation_type",
                pl.col("column_name").fill_null(""), pl.col("description").fill_null(""),
            )
        ).unique("dq_result_id", keep="first", maintain_order=True),
        DQ_RESULTS,
    ).collect()
