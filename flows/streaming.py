"""What a streaming run carries from one chunk of records to the next (flows/pipeline.py `_run`).

A run reads its records into spool files and then works chunk by chunk (`stream_chunk_articles` records):
build articles, extract, validate, quarantine, stage. Between chunks it keeps only what later chunks need
to decide the same way one pass over all records would: which stories it already took (`ArticleDedupe`)
and the running totals of the quarantine (`QuarantineTotals`). Pure: frames and series in and out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from newsfacts.expectations.quarantine import Quarantined, share_stops
from newsfacts.transforms.articles import split_new_articles


def _url_keys(articles: pl.DataFrame) -> pl.Series:
    from newsfacts.sources.urls import url_key

    if not articles.height:
        return pl.Series("_url_key", [], dtype=pl.String)
    return articles["url"].map_elements(url_key, return_dtype=pl.String, skip_nulls=True).alias("_url_key")


@dataclass
class ArticleDedupe:
    """`split_new_articles` over a run's chunks, with the result of one call over all of them at once.

    That call keeps a row when neither its text (`article_id`) nor its canonical URL is published; among those,
    when its URL key is the first of its key (or it has none); among those, the first of its text. Across
    chunks the same holds when a chunk also drops the rows whose URL key an earlier chunk's not-yet-published
    rows had (`seen_urls`) and, after the split, the rows whose text an earlier chunk kept (`seen_ids`)."""

    known_ids: pl.Series  # article ids already published
    known_urls: pl.Series  # URL keys of the published articles
    seen_urls: pl.Series = field(default_factory=lambda: pl.Series("url", [], dtype=pl.String))
    seen_ids: pl.Series = field(default_factory=lambda: pl.Series("article_id", [], dtype=pl.String))

    def split(self, articles: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        """The chunk's new articles and how many of its rows were duplicates; remembers what it saw."""
        keys = _url_keys(articles)
        published = articles["article_id"].is_in(self.known_ids.implode())
        if self.known_urls.len():
            published = published | keys.is_in(self.known_urls.cast(pl.String).implode()).fill_null(False)
        candidates = keys.filter(~published).drop_nulls()
        earlier = keys.is_in(self.seen_urls.implode()).fill_null(False) if self.seen_urls.len() else None
        rest = articles.filter(~earlier) if earlier is not None else articles
        fresh, _ = split_new_articles(rest, self.known_ids, self.known_urls)
        if self.seen_ids.len():
            fresh = fresh.filter(~pl.col("article_id").is_in(self.seen_ids.implode()))
        self.seen_urls = pl.concat([self.seen_urls, candidates.unique().alias("url")])
        self.seen_ids = pl.concat([self.seen_ids, fresh["article_id"]])
        return fresh, articles.height - fresh.height


@dataclass
class QuarantineTotals:
    """The quarantine of a run's chunks added up: rows held back and rows seen per table, and why."""

    counts: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, held: Quarantined) -> None:
        for table, n in held.counts.items():
            self.counts[table] = self.counts.get(table, 0) + n
        for table, n in held.totals.items():
            self.totals[table] = self.totals.get(table, 0) + n
        for table, reasons in held.reasons.items():
            mine = self.reasons.setdefault(table, {})
            for reason, n in reasons.items():
                mine[reason] = mine.get(reason, 0) + n

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def stops(self, max_share: float) -> list[str]:
        """The share rule (`max_quarantine_share`) over the run's totals."""
        return share_stops(self.counts, self.totals, self.reasons, max_share)


def repeated_keys(files: list[Path], key: str) -> int:
    """Rows of `files` (one table's chunks of a run) whose `key` an earlier row already had: 0 when the
    table's primary key is unique across the run. Reads the key column only."""
    if not files:
        return 0
    keys = pl.scan_parquet(files).select(key).collect()[key]
    return keys.len() - keys.n_unique()
