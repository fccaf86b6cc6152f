"""Derived check columns for the data-quality gate (pure polars, no GX import).

Great Expectations checks one column or one column pair at a time, so facts that
need another table or a string slice are computed here as extra columns (names
start with ``_``) that the JSON suites then expect to be true or in range:

- ``_text_length``: length in code points of the row's article text (NULL when
  the article is unknown); the suites expect ``_text_length >= end_char``.
- ``_article_exists``: ``article_id`` is present in ``articles``.
- ``_mention_matches_text`` (locations, figures) / ``_trigger_matches_text``
  (events): ``text[start:end] == mention_text`` with valid offsets.
- ``_event_exists`` (figures), ``_location_exists`` (events): nullable FK is
  NULL or found in the referenced table.
- ``_acled_consistent`` (events): ``acled_event_type`` is the parent of
  ``acled_sub_event_type`` (or the sub type is NULL).
- ``_coordinates_paired`` (locations, events): latitude and longitude are both
  set or both NULL.

Derived boolean columns are never NULL (a missing input counts as False), so
``expect_column_values_to_be_in_set([True])`` sees every row. Row order is kept:
row ``i`` of the result is row ``i`` of ``frame``.
"""
from __future__ import annotations

import polars as pl

from newsfacts.schema import ACLED_SUB_EVENT_TYPES, PRIMARY_KEYS, TABLES

DERIVED_PREFIX = "_"

_ARTICLE_TEXT = "__nf_article_text"


def _key_values(frame: pl.DataFrame | None, key: str) -> pl.Series:
    if frame is None or key not in frame.columns:
        return pl.Series(key, [], dtype=pl.String)
    return frame.get_column(key).drop_nulls().unique()


def _with_article_text(frame: pl.DataFrame, articles: pl.DataFrame) -> pl.DataFrame:
    have = set(articles.columns)
    texts = (
        articles.select(
            (pl.col("article_id") if "article_id" in have else pl.lit(None, pl.String)).cast(
                pl.String
            ).alias("article_id"),
            (pl.col("text") if "text" in have else pl.lit(None, pl.String))
            .cast(pl.String)
            .alias(_ARTICLE_TEXT),
        )
        .filter(pl.col("article_id").is_not_null())
        .unique("article_id", keep="first", maintain_order=True)
    )
    return frame.join(texts, on="article_id", how="left", maintain_order="left")


def _slice_matches(text: str, start: str, end: str, mention: str) -> pl.Expr:
    """text[start:end] == mention, False on any NULL or offsets outside the text."""
    s, e, t = pl.col(start).cast(pl.Int64), pl.col(end).cast(pl.Int64), pl.col(text)
    valid = (s >= 0) & (e >= s) & (e <= t.str.len_chars())
    sliced = t.str.slice(s.clip(lower_bound=0), (e - s).clip(lower_bound=0))
    return (valid & (sliced == pl.col(mention))).fill_null(False)


def _fk_exists(column: str, keys: pl.Series, *, nullable: bool) -> pl.Expr:
    found = pl.col(column).is_in(keys.implode())
    if nullable:
        return (pl.col(column).is_null() | found).fill_null(False)
    return found.fill_null(False)


def _coordinates_paired() -> pl.Expr:
    return pl.col("latitude").is_null() == pl.col("longitude").is_null()


def _acled_consistent() -> pl.Expr:
    subs = list(ACLED_SUB_EVENT_TYPES)
    parents = [ACLED_SUB_EVENT_TYPES[s] for s in subs]
    parent = pl.col("acled_sub_event_type").replace_strict(
        subs, parents, default=None, return_dtype=pl.String
    )
    return (
        pl.col("acled_sub_event_type").is_null() | (pl.col("acled_event_type") == parent)
    ).fill_null(False)


def prepare_for_validation(
    table: str,
    frame: pl.DataFrame,
    articles: pl.DataFrame,
    *,
    locations: pl.DataFrame | None = None,
    events: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Return ``frame`` with the derived ``_``-columns the ``table`` suite expects.

    ``articles`` supplies texts and article ids; ``locations`` / ``events`` are
    the targets of the nullable FKs ``events.location_id`` / ``figures.event_id``
    (when omitted those FK checks pass). Contract columns missing from ``frame``
    are treated as NULL for the derivation only: they are not added to the
    output, so the suite's column-set expectation still reports them.
    """
    if table not in ("articles", "locations", "figures", "events"):
        raise ValueError(f"no data-quality suite for table {table!r}")
    schema = TABLES[table]
    missing = [name for name, _ in schema.items() if name not in frame.columns]
    work = frame.with_columns(
        [pl.lit(None, dtype=schema[name]).alias(name) for name in missing]
    )
    if table == "articles":
        derived = work.with_columns(
            pl.col("text").cast(pl.String).str.len_chars().alias("_text_length")
        )
    else:
        article_ids = _key_values(articles, PRIMARY_KEYS["articles"])
        work = _with_article_text(work, articles)
        exprs = [
            pl.col(_ARTICLE_TEXT).str.len_chars().alias("_text_length"),
            _fk_exists("article_id", article_ids, nullable=False).alias("_article_exists"),
        ]
        if table in ("locations", "figures"):
            exprs.append(
                _slice_matches(_ARTICLE_TEXT, "start_char", "end_char", "mention_text").alias(
                    "_mention_matches_text"
                )
            )
        if table == "locations":
            exprs.append(_coordinates_paired().alias("_coordinates_paired"))
        if table == "figures":
            if events is None:
                exprs.append(pl.lit(True).alias("_event_exists"))
            else:
                keys = _key_values(events, PRIMARY_KEYS["events"])
                exprs.append(_fk_exists("event_id", keys, nullable=True).alias("_event_exists"))
        if table == "events":
            exprs.append(
                _slice_matches(
                    _ARTICLE_TEXT, "trigger_start", "trigger_end", "trigger_text"
                ).alias("_trigger_matches_text")
            )
            if locations is None:
                exprs.append(pl.lit(True).alias("_location_exists"))
            else:
                keys = _key_values(locations, PRIMARY_KEYS["locations"])
                exprs.append(
                    _fk_exists("location_id", keys, nullable=True).alias("_location_exists")
                )
            exprs.append(_acled_consistent().alias("_acled_consistent"))
            exprs.append(_coordinates_paired().alias("_coordinates_paired"))
        derived = work.with_columns(exprs).drop(_ARTICLE_TEXT)
    return derived.drop(missing)
