"""Vectorised dictionary (phrase) matching over an articles frame.

`match_phrases` finds every occurrence of a list of literal phrases in
`articles.text` with polars' Aho-Corasick (`str.find_many` / `str.extract_many`)
and then fixes the three things Aho-Corasick does not give us:

* offsets: polars reports BYTE offsets into the UTF-8 text; outputs are
  Python string indices (code points), so non-ASCII texts are converted
  (ASCII texts, the vast majority, take a fast path where bytes == chars);
* word boundaries: a phrase that starts (ends) with a word character must not
  be preceded (followed) by a word character (Unicode `\\w`), so "Ada" does not
  match inside "Canada" but "Kyiv" matches in "Kyiv’s" and "Kyiv-based";
* selection: all overlapping candidates are collected, then per article the
  leftmost-longest non-overlapping set is kept ("New York City" beats "New
  York" beats "York").

Pure: LazyFrame in, LazyFrame out, no I/O.
"""
from __future__ import annotations

import string

import polars as pl

MATCH_SCHEMA = pl.Schema(
    {
        "article_id": pl.String,
        "pattern": pl.String,
        "start_char": pl.Int64,
        "end_char": pl.Int64,
        "matched_text": pl.String,
    }
)

_UPPER = list(string.ascii_uppercase)
_LOWER = list(string.ascii_lowercase)
_ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _ascii_fold(expr: pl.Expr) -> pl.Expr:
    """Lower-case ASCII letters only (what `ascii_case_insensitive` folds)."""
    return expr.str.replace_many(_UPPER, _LOWER)


def _prepare_patterns(patterns: list[str] | pl.Series, case_insensitive: bool) -> pl.DataFrame:
    """Distinct non-empty patterns (first spelling wins when case-folded), with lookup key
    and whether each side needs a word boundary."""
    values = patterns.to_list() if isinstance(patterns, pl.Series) else list(patterns)
    seen: set[str] = set()
    keep: list[str] = []
    for p in values:
        if p is None or p == "":
            continue
        key = p.translate(_ASCII_FOLD) if case_insensitive else p
        if key in seen:
            continue
        seen.add(key)
        keep.append(p)
    return pl.DataFrame({"pattern": keep}, schema={"pattern": pl.String}).with_columns(
        key=_ascii_fold(pl.col("pattern")) if case_insensitive else pl.col("pattern"),
        word_left=pl.col("pattern").str.contains(r"^\w"),
        word_right=pl.col("pattern").str.contains(r"\w$"),
    )


_PREFILTER_ABOVE = 200


def _row_patterns(lf: pl.LazyFrame, pats: pl.DataFrame, case_insensitive: bool) -> pl.LazyFrame:
    """Per article, the list of patterns that can occur in it (by first word)."""
    fold = _ascii_fold if case_insensitive else (lambda e: e)
    keyed = pats.lazy().select("pattern", first=fold(pl.col("pattern").str.extract(r"^(\w+)", 1)))
    always = keyed.filter(pl.col("first").is_null()).select("pattern")
    words = (
        lf.select("article_id", first=fold(pl.col("text")).str.extract_all(r"\w+").list.unique())
        .explode("first")
        .drop_nulls("first")
    )
    hits = words.join(keyed.drop_nulls("first"), on="first", how="inner").select("article_id", "pattern")
    hits = pl.concat([hits, lf.select("article_id").join(always, how="cross")])
    return hits.group_by("article_id").agg(row_patterns=pl.col("pattern").unique())


def _leftmost_longest(df: pl.DataFrame) -> pl.DataFrame:
    """Greedy non-overlapping selection; `df` sorted by article, start asc, length desc."""
    if df.height == 0:
        return df
    ids = df["article_id"].to_list()
    starts = df["start_char"].to_list()
    ends = df["end_char"].to_list()
    keep = [False] * df.height
    current = None
    last_end = -1
    for i, (a, s, e) in enumerate(zip(ids, starts, ends)):
        if a != current:
            current, last_end = a, -1
        if s >= last_end:
            keep[i] = True
            last_end = e
    return df.filter(pl.Series(keep, dtype=pl.Boolean))


def match_phrases(
    articles: pl.LazyFrame | pl.DataFrame,
    patterns: list[str] | pl.Series,
    *,
    case_insensitive: bool = False,
    id_column: str = "article_id",
    text_column: str = "text",
) -> pl.LazyFrame:
    """Leftmost-longest, word-bounded, non-overlapping occurrences of `patterns`.

    Returns a LazyFrame with `article_id`, `pattern` (as given), `start_char`,
    `end_char` (code-point offsets, end exclusive) and `matched_text`
    (== text[start_char:end_char]), sorted by article then start. With
    `case_insensitive` only ASCII letters are folded (Aho-Corasick's
    `ascii_case_insensitive`); when two patterns fold to the same key the first
    one given is reported.
    """
    pats = _prepare_patterns(patterns, case_insensitive)
    lf = articles.lazy().select(
        pl.col(id_column).cast(pl.String).alias("article_id"),
        pl.col(text_column).cast(pl.String).alias("text"),
    )
    if pats.height == 0:
        return pl.LazyFrame(schema=MATCH_SCHEMA)
    opts = dict(ascii_case_insensitive=case_insensitive, overlapping=True)
    lf = lf.filter(pl.col("text").is_not_null())
    if pats.height <= _PREFILTER_ABOVE:
        plist: list[str] | pl.Expr = pats["pattern"].to_list()
    else:
        # polars builds the automaton per row: with a large dictionary, give each row only the
        # patterns whose first word occurs in it (patterns starting with punctuation always)
        lf = lf.join(_row_patterns(lf, pats, case_insensitive), on="article_id", how="inner")
        plist = pl.col("row_patterns")
    cand = (
        lf.with_columns(
            byte_start=pl.col("text").str.find_many(plist, **opts),
            matched_text=pl.col("text").str.extract_many(plist, **opts),
            is_ascii=pl.col("text").str.len_bytes() == pl.col("text").str.len_chars(),
        )
        .filter(pl.col("byte_start").list.len() > 0)
        .explode("byte_start", "matched_text")
        .unique(["article_id", "byte_start", "matched_text"], maintain_order=True)
        .with_columns(
            start_char=pl.when(pl.col("is_ascii"))
            .then(pl.col("byte_start").cast(pl.Int64))
            .otherwise(
                pl.col("text")
                .cast(pl.Binary)
                .bin.head(pl.col("byte_start").cast(pl.Int64))
                .cast(pl.String)
                .str.len_chars()
                .cast(pl.Int64)
            ),
            key=_ascii_fold(pl.col("matched_text")) if case_insensitive else pl.col("matched_text"),
        )
        .with_columns(end_char=pl.col("start_char") + pl.col("matched_text").str.len_chars().cast(pl.Int64))
        .join(pats.lazy(), on="key", how="inner")
        .with_columns(
            before=pl.col("text").str.slice(pl.col("start_char") - 1, 1),
            after=pl.col("text").str.slice(pl.col("end_char"), 1),
        )
        # start_char == 0 -> slice(-1, 1) would wrap to the last char: guard explicitly
        .filter(
            ~pl.col("word_left") | (pl.col("start_char") == 0) | ~pl.col("before").str.contains(r"^\w"),
            ~pl.col("word_right") | ~pl.col("after").str.contains(r"^\w"),
        )
        .select(MATCH_SCHEMA.names())
        .sort(
            ["article_id", "start_char", "end_char", "pattern"],
            descending=[False, False, True, False],
        )
    )
    return cand.map_batches(_leftmost_longest, schema=MATCH_SCHEMA)
