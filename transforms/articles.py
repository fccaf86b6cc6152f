"""Raw input records -> `articles` rows: content ids, parsed timestamps, language, de-duplication."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import polars as pl
from newsfacts.transforms.ids import id_expr

from newsfacts.schema import ARTICLES, conform

RAW_RECORDS = pl.Schema(
    {
        "doc_id": pl.String,
        "source": pl.String,
        "text": pl.String,
        "title": pl.String,
        "url": pl.String,
        "published_at": pl.String,
        "language": pl.String,
    }
)

# Function words that make up roughly a fifth of running English text and are rare as words elsewhere.
_ENGLISH_FUNCTION_WORDS = r"(?i)\b(?:the|of|and|to|in|is|was|that|for|on|with|said|by|from|at|have|has)\b"


def parse_timestamps(column: str) -> pl.Expr:
    """ISO-8601 strings -> UTC timestamps; naive values are taken as UTC, unparseable ones become NULL."""
    return (
        pl.col(column)
        .str.strip_chars()
        .str.replace(r"Z$", "+00:00")
        .map_elements(_parse_iso, return_dtype=pl.Datetime("us", "UTC"), skip_nulls=True)
    )


def _parse_iso(value: str) -> datetime | None:
    from datetime import timezone

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


# A text of at least this many words with at least this share of English function words is English without
# asking the detector (English news: 95% of the shared eval documents reach the share; paragraphs of news in
# 12 other languages at most 0.06, single sentences of ten words up to 0.2, hence the word floor).
CLEARLY_ENGLISH_WORDS = 30
CLEARLY_ENGLISH_SHARE = 0.12


def _function_word_share() -> pl.Expr:
    words = pl.col("text").str.count_matches(r"\w+")
    return pl.when(words > 0).then(pl.col("text").str.count_matches(_ENGLISH_FUNCTION_WORDS) / words)


def english_by_function_words() -> pl.Expr:
    """'en' when English function words are frequent enough (8% of the words), else NULL."""
    return pl.when(_function_word_share() >= 0.08).then(pl.lit("en")).otherwise(None)


def _clearly_english() -> pl.Expr:
    words = pl.col("text").str.count_matches(r"\w+")
    return (words >= CLEARLY_ENGLISH_WORDS) & (_function_word_share() >= CLEARLY_ENGLISH_SHARE)


# a language detector: the ISO 639-1 code of a text when it is confident, else None
Detector = Callable[[str | None], str | None]


def _detect_unskipped(detect: Detector) -> Callable[[pl.Series], pl.Series]:
    def run(rows: pl.Series) -> pl.Series:
        """The detected language of each (text, skip) row not skipped; NULL for the skipped ones."""
        texts, skip = rows.struct.field("text"), rows.struct.field("skip")
        return pl.Series([None if s else detect(t) for t, s in zip(texts, skip, strict=True)], dtype=pl.String)

    return run


def guess_language(detect: Detector | None = None) -> pl.Expr:
    """The language of rows whose input does not say (rows with a `language` get NULL: their own value is used):
    'en' for clearly English text (long enough, English function words frequent); else `detect`'s confident
    ISO 639-1 code (the flow passes `sources.language.detect`; without one this step is skipped); else 'en' by
    the function-word share alone; else NULL. The detector runs only on rows that need it."""
    given = pl.col("language").str.strip_chars().str.len_chars() > 0
    clear = _clearly_english()
    skip = (given | clear).fill_null(False)
    fallback = english_by_function_words()
    if detect is not None:
        detected = pl.struct(pl.col("text"), skip=skip).map_batches(_detect_unskipped(detect), return_dtype=pl.String)
        fallback = pl.coalesce(detected, fallback)
    return pl.when(given.fill_null(False)).then(None).when(clear).then(pl.lit("en")).otherwise(fallback)


def _given_language() -> pl.Expr:
    """The input's own language as an ISO 639-1 code ('EN', 'en-GB' -> 'en'); blank -> NULL."""
    code = pl.col("language").str.strip_chars().str.to_lowercase().str.slice(0, 2)
    return pl.when(code.str.len_chars() > 0).then(code).otherwise(None)


def build_articles(
    records: pl.LazyFrame, *, run_id: str, ingested_at: datetime, detect: Detector | None = None
) -> pl.LazyFrame:
    """One row per record, article_id from the text so the same article always gets the same id; `detect`
    names the language of texts whose input does not (`guess_language`)."""
    lf = conform(records, RAW_RECORDS)
    return conform(
        lf.with_columns(
            article_id=id_expr("art_", "text"),
            published_at=parse_timestamps("published_at"),
            language=pl.coalesce(_given_language(), guess_language(detect)),
            ingested_at=pl.lit(ingested_at).cast(pl.Datetime("us", "UTC")),
            run_id=pl.lit(run_id),
        ),
        ARTICLES,
    )


def split_new_articles(
    articles: pl.DataFrame, known_ids: pl.Series, known_urls: pl.Series | None = None
) -> tuple[pl.DataFrame, int]:
    """Keep the first occurrence of each story not already in the warehouse; return (new, duplicates skipped).

    One story, one article: rows with the same canonical URL (`sources.urls.url_key`: tracking parameters,
    fragments, default ports, host case and trailing slashes do not count; a site's front page is no key)
    are one story, the first kept, and so are rows with the same text (`article_id`). `known_urls` holds the
    URL keys of the published articles (`sources.state.known_url_keys`): a row with one of them is a duplicate
    too, so a story reached again by a feed, a sitemap or a WARC under the same URL is not added twice."""
    from newsfacts.sources.urls import url_key

    keys = articles["url"].map_elements(url_key, return_dtype=pl.String, skip_nulls=True) if articles.height else None
    keyed = articles.with_columns(_url_key=keys if keys is not None else pl.lit(None, dtype=pl.String))
    keep = ~pl.col("article_id").is_in(known_ids.implode())
    if known_urls is not None and known_urls.len():
        keep &= ~pl.col("_url_key").is_in(known_urls.cast(pl.String).implode()).fill_null(False)
    fresh = (
        keyed.filter(keep)
        .filter(pl.col("_url_key").is_null() | pl.col("_url_key").is_first_distinct())
        .unique("article_id", keep="first", maintain_order=True)
        .drop("_url_key")
    )
    return fresh, articles.height - fresh.height
