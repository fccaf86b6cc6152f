"""Raw input records -> `articles` rows: content ids, parsed timestamps, language, de-duplication."""
from __future__ import annotations

from datetime import datetime

import polars as pl

from newsfacts.schema import ARTICLES, conform
from newsfacts.transforms.ids import id_expr

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


def guess_language() -> pl.Expr:
    """'en' when English function words are frequent enough, else NULL (we do not guess other languages)."""
    words = pl.col("text").str.count_matches(r"\w+")
    function_words = pl.col("text").str.count_matches(_ENGLISH_FUNCTION_WORDS)
    return pl.when((words > 0) & (function_words / words >= 0.08)).then(pl.lit("en")).otherwise(None)


def build_articles(records: pl.LazyFrame, *, run_id: str, ingested_at: datetime) -> pl.LazyFrame:
    """One row per record, article_id from the text so the same article always gets the same id."""
    lf = conform(records, RAW_RECORDS)
    return conform(
        lf.with_columns(
            article_id=id_expr("art_", "text"),
            published_at=parse_timestamps("published_at"),
            language=pl.coalesce(pl.col("language").str.to_lowercase().str.slice(0, 2), guess_language()),
            ingested_at=pl.lit(ingested_at).cast(pl.Datetime("us", "UTC")),
            run_id=pl.lit(run_id),
        ),
        ARTICLES,
    )


def split_new_articles(articles: pl.DataFrame, known_ids: pl.Series) -> tuple[pl.DataFrame, int]:
    """Keep the first occurrence of each article not already in the warehouse; return (new, duplicates skipped)."""
    fresh = articles.filter(~pl.col("article_id").is_in(known_ids.implode())).unique(
        "article_id", keep="first", maintain_order=True
    )
    return fresh, articles.height - fresh.height
