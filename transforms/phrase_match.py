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

A dictionary matched against many batches (the gazetteer) is prepared once with
`compile_phrases` and the resulting `PhraseIndex` passed instead of the patterns.

Pure: LazyFrame in, LazyFrame out, no I/O.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field

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
    series = patterns if isinstance(patterns, pl.Series) else pl.Series("pattern", list(patterns), dtype=pl.String)
    frame = (
        pl.DataFrame({"pattern": series.cast(pl.String)})
        .filter(pl.col("pattern").is_not_null(), pl.col("pattern") != "")
        .with_columns(key=_ascii_fold(pl.col("pattern")) if case_insensitive else pl.col("pattern"))
        # vectorised: the first spelling of each key wins, order kept
        .unique("key", keep="first", maintain_order=True)
    )
    keep = frame["pattern"]
    return pl.DataFrame({"pattern": keep}, schema={"pattern": pl.String}).with_columns(
        key=_ascii_fold(pl.col("pattern")) if case_insensitive else pl.col("pattern"),
        word_left=pl.col("pattern").str.contains(r"^\w"),
        word_right=pl.col("pattern").str.contains(r"\w$"),
    )


_PREFILTER_ABOVE = 200
_MAX_NGRAM = 4


def _row_patterns(lf: pl.LazyFrame, pats: pl.DataFrame, case_insensitive: bool) -> pl.LazyFrame:
    """Per article, the patterns whose rarest word (fewest patterns share it) occurs in it;
    patterns without any word character always qualify. A cheap hash-join filter that keeps
    the per-row Aho-Corasick automata small."""
    fold = _ascii_fold if case_insensitive else (lambda e: e)
    listed = pats.select("pattern", word=fold(pl.col("pattern")).str.extract_all(r"\w+").list.unique())
    always = listed.filter(pl.col("word").list.len() == 0).select("pattern").lazy()
    words_of = listed.filter(pl.col("word").list.len() > 0).explode("word")
    keyed = (
        words_of.drop_nulls("word")
        .with_columns(freq=pl.len().over("word"), wlen=pl.col("word").str.len_chars())
        .sort(["pattern", "freq", "wlen"], descending=[False, False, True])
        .unique("pattern", keep="first")
        .select("pattern", "word")
        .lazy()
    )
    words = (
        lf.select("article_id", word=fold(pl.col("text")).str.extract_all(r"\w+").list.unique())
        .explode("word")
        .drop_nulls("word")
    )
    hits = words.join(keyed, on="word", how="inner").select("article_id", "pattern")
    hits = pl.concat([hits, lf.select("article_id").join(always, how="cross")])
    return hits.group_by("article_id").agg(row_patterns=pl.col("pattern"))


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


@dataclass(frozen=True)
class PhraseIndex:
    """A dictionary prepared once for many `match_phrases` calls (what depends on the patterns only).

    `patterns`: distinct non-empty patterns with lookup key and word-boundary flags; `aligned`:
    those the n-gram join finds (large dictionaries only), `rest`: those Aho-Corasick finds.
    `first_words` (each of `aligned`'s first words -> the most words of a key it starts) and
    `pattern_of` (key -> pattern) are Python dicts: probing them with a batch's few distinct tokens
    costs less than the hash table polars builds over the whole dictionary at every `is_in` / join."""

    patterns: pl.DataFrame
    aligned: pl.DataFrame
    rest: pl.DataFrame
    case_insensitive: bool
    # the distinct first words of `aligned`'s keys (where an n-gram can start), each with the most words
    # of a key it starts (longer n-grams from there are not built)
    first_words: dict[str, int] = field(default_factory=dict)
    pattern_of: dict[str, str] = field(default_factory=dict)  # `aligned`'s key -> pattern


def compile_phrases(patterns: list[str] | pl.Series, *, case_insensitive: bool = False) -> PhraseIndex:
    """Prepare `patterns` for `match_phrases`; pass the result instead of the patterns when one
    dictionary is matched against many batches (a gazetteer of 250,000 names costs ~0.2 s to prepare)."""
    pats = _prepare_patterns(patterns, case_insensitive)
    if pats.height <= _PREFILTER_ABOVE:
        return PhraseIndex(pats, pats.clear(), pats, case_insensitive)
    # large dictionary: word-aligned patterns of <= _MAX_NGRAM words are found by joining the
    # texts' word n-grams against them; the rest by Aho-Corasick with a per-row prefilter
    # (polars builds one automaton per row, so each row gets only the patterns it may contain)
    words = pl.col("pattern").str.extract_all(r"\w+").list.len()
    aligned = pats.filter(
        pl.col("word_left"), pl.col("pattern").str.contains(r"\w\.?$"), words <= _MAX_NGRAM
    )
    rest = pats.join(aligned.select("pattern"), on="pattern", how="anti")
    return PhraseIndex(
        pats, aligned, rest, case_insensitive, _first_words(aligned),
        dict(zip(aligned["key"].to_list(), aligned["pattern"].to_list())),
    )


def _first_words(aligned: pl.DataFrame) -> dict[str, int]:
    firsts = aligned.select(
        first=pl.col("key").str.extract(r"^(\w+)", 1), words=pl.col("key").str.count_matches(r"\w+")
    ).drop_nulls("first").group_by("first").agg(pl.col("words").max())
    return dict(zip(firsts["first"].to_list(), firsts["words"].to_list()))


def _members(values: pl.Series, allowed: dict[str, int] | dict[str, str]) -> list[str]:
    """The distinct non-null `values` that are in `allowed` (a Python hash lookup per distinct value)."""
    return [v for v in values.drop_nulls().unique().to_list() if v in allowed]


def match_phrases(
    articles: pl.LazyFrame | pl.DataFrame,
    patterns: list[str] | pl.Series | PhraseIndex,
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
    one given is reported. `patterns` may be a `compile_phrases` index (whose own
    `case_insensitive` then applies).
    """
    index = patterns if isinstance(patterns, PhraseIndex) else compile_phrases(patterns, case_insensitive=case_insensitive)
    case_insensitive = index.case_insensitive
    pats = index.patterns
    lf = articles.lazy().select(
        pl.col(id_column).cast(pl.String).alias("article_id"),
        pl.col(text_column).cast(pl.String).alias("text"),
    )
    if pats.height == 0:
        return pl.LazyFrame(schema=MATCH_SCHEMA)
    lf = lf.filter(pl.col("text").is_not_null())
    if pats.height <= _PREFILTER_ABOVE:
        return _select(_ac_candidates(lf, pats, case_insensitive, pats["pattern"].to_list()))
    aligned, rest = index.aligned, index.rest
    parts = [_ngram_candidates(lf, aligned, case_insensitive, index)]
    if rest.height:
        rows = lf.join(_row_patterns(lf, rest, case_insensitive), on="article_id", how="inner")
        parts.append(_ac_candidates(rows, rest, case_insensitive, pl.col("row_patterns")))
    return _select(pl.concat(parts, how="vertical"))


def _ac_candidates(lf: pl.LazyFrame, pats: pl.DataFrame, case_insensitive: bool, plist) -> pl.LazyFrame:
    """All word-bounded (possibly overlapping) matches found by Aho-Corasick."""
    opts = dict(ascii_case_insensitive=case_insensitive, overlapping=True)
    return (
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
    )


def _ngram_candidates(
    lf: pl.LazyFrame, pats: pl.DataFrame, case_insensitive: bool, index: PhraseIndex | None = None
) -> pl.LazyFrame:
    """Token-aligned substrings of 1.._MAX_NGRAM words (plus a trailing ".") that equal a pattern.

    `\\w+|\\W+` splits a text into alternating word / non-word runs covering every character,
    so cumulative run lengths give exact character offsets and any word-bounded occurrence
    of a pattern is a concatenation of consecutive runs starting and ending at word runs, whose
    first run is a pattern's first word (so only runs in `index.first_words` start candidates).

    The runs of the batch are materialised once; the following runs of each starting run are
    gathered by row number (only for the few runs that start a candidate, not shifted over all of
    them), n-grams are built only up to the most words of a pattern their first word starts, and the
    candidates are looked up in `index.pattern_of` by their distinct surfaces."""
    fold = _ascii_fold if case_insensitive else (lambda e: e)
    if index is None:
        index = PhraseIndex(pats, pats, pats.clear(), case_insensitive, _first_words(pats),
                            dict(zip(pats["key"].to_list(), pats["pattern"].to_list())))
    runs = (
        lf.select(
            "article_id",
            tok=pl.col("text").str.extract_all(r"\w+|\W+"),
            # rows sharing an article_id count as one text, as a running sum over article_id does
            _before=(pl.col("text").str.len_chars().cast(pl.Int64).cum_sum() - pl.col("text").str.len_chars().cast(pl.Int64))
            .over("article_id"),
            _group=pl.col("article_id").rank("dense"),
        )
        .with_columns(end_char=pl.col("tok").list.eval(pl.element().str.len_chars().cast(pl.Int64).cum_sum()))
        .explode("tok", "end_char")
        .drop_nulls("tok")
        .select(
            "article_id", "tok", "_group",
            start_char=pl.col("_before") + pl.col("end_char") - pl.col("tok").str.len_chars().cast(pl.Int64),
            end_char=pl.col("_before") + pl.col("end_char"),
        )
        .collect()
    )
    folded = runs.select(fold(pl.col("tok"))).to_series()
    starting_words = _members(folded, index.first_words)
    starting = pl.Series("tok", starting_words, dtype=pl.String)
    at = folded.is_in(starting.implode()).arg_true()
    n_runs = runs.height
    gathered = {c: runs[c].gather(at) for c in ("article_id", "start_char", "tok", "end_char", "_group")}
    # the most words of a pattern this run starts: no longer n-gram from it can be one
    gathered["_max_words"] = folded.gather(at).replace_strict(
        starting, pl.Series([index.first_words[w] for w in starting_words], dtype=pl.Int64), return_dtype=pl.Int64
    ).cast(pl.Int64)  # (an empty series comes back with its own dtype)
    following = []
    for k in range(1, 2 * _MAX_NGRAM):
        j = (at + k).clip(upper_bound=max(n_runs - 1, 0))
        gathered[f"_t{k}"], gathered[f"_e{k}"], gathered[f"_g{k}"] = (
            runs["tok"].gather(j), runs["end_char"].gather(j), runs["_group"].gather(j)
        )
        gathered[f"_in{k}"] = (at + k) < n_runs
        # run at + k: null past the last run, its text null past the starting run's article
        inside = pl.col(f"_in{k}")
        following += [
            pl.when(inside & (pl.col(f"_g{k}") == pl.col("_group"))).then(pl.col(f"_t{k}")).alias(f"t{k}"),
            pl.when(inside).then(pl.col(f"_e{k}")).alias(f"e{k}"),
        ]
    base = pl.DataFrame(gathered).select("article_id", "start_char", "tok", "end_char", "_max_words", *following).lazy()
    frames = []
    surface = pl.col("tok")
    for n in range(1, _MAX_NGRAM + 1):
        last = 2 * (n - 1)
        if n > 1:
            surface = pl.concat_str([surface, pl.col(f"t{last - 1}"), pl.col(f"t{last}")])
        end = pl.col("end_char") if last == 0 else pl.col(f"e{last}")
        sep = pl.col(f"t{last + 1}")
        longer = base.filter(pl.col("_max_words") >= n)
        frames.append(longer.select("article_id", "start_char", end_char=end, matched_text=surface))
        frames.append(
            longer.filter(sep.str.starts_with("."))
            .select("article_id", "start_char", end_char=end + 1, matched_text=pl.concat_str([surface, pl.lit(".")]))
        )
    cands = pl.concat(frames, how="vertical").drop_nulls("matched_text").with_columns(key=fold(pl.col("matched_text")))
    cands = cands.collect()
    found = _members(cands["key"], index.pattern_of)
    keys = pl.DataFrame(
        {"pattern": [index.pattern_of[k] for k in found], "key": found}, schema={"pattern": pl.String, "key": pl.String}
    )
    return cands.lazy().join(keys.lazy(), on="key", how="inner").select(MATCH_SCHEMA.names())


def _select(cands: pl.LazyFrame) -> pl.LazyFrame:
    """Leftmost-longest non-overlapping choice among candidate matches."""
    return cands.sort(
        ["article_id", "start_char", "end_char", "pattern"],
        descending=[False, False, True, False],
    ).map_batches(_leftmost_longest, schema=MATCH_SCHEMA)
