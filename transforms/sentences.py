"""Rule-based sentence splitting with character offsets.

`split_sentences(articles)` returns one row per sentence (newsfacts.schema.SENTENCES):
`sentence_start`/`sentence_end` are Python string indices into `articles.text`
(end exclusive), trimmed of surrounding whitespace. Sentences are ordered,
non-overlapping, and together cover every non-space character of the text.

Boundaries:
- a blank line (paragraph break) always;
- a single line break unless the next line continues in lower case (hard-wrapped
  prose), so a headline or dateline line without final punctuation is its own sentence;
- `.`, `!`, `?` (or runs of them, and an ellipsis), optionally followed by closing
  quotes/brackets, then whitespace, then something that can start a sentence
  (upper-case letter, digit, opening quote/bracket).
A period does not end a sentence after a title or other abbreviation that is
normally followed by a name or number (Mr., Dr., Gen., No., Jan., St., ...), after a
single-letter initial ("F.W. de Klerk", "John F. Kennedy"), or inside numbers (3.5).
After acronyms such as U.S./U.N. or a.m./Inc. it ends a sentence only when the next
word is a typical sentence opener ("... in the U.S. The next day").
A "sentence" longer than MAX_SENTENCE_CHARS (text without punctuation) is cut at whitespace.
"""
from __future__ import annotations

import re

import polars as pl

from newsfacts.schema import SENTENCES, conform

# Never a boundary after these (they precede a name, a number or a noun).
_TITLE_ABBREVIATIONS = frozenset(
    """
    mr mrs ms messrs dr prof gen lt col maj capt cpt sgt cmdr adm brig cdr gov sen rep rev fr hon pres
    supt insp det cpl pvt amb sec atty
    st mt ft no nos vol art fig sec pp p op ch para
    jan feb mar apr jun jul aug sep sept oct nov dec
    vs v cf approx est
    """.split()
)
# A boundary after these only when the next word typically opens a sentence.
_WEAK_ABBREVIATIONS = frozenset(
    """
    inc ltd co corp jr sr bros plc llc etc al e.g i.e a.m p.m am pm
    u.s u.k u.n u.s.a e.u
    """.split()
)
_SENTENCE_OPENERS = frozenset(
    """
    the a an he she it they we i you his her its their our this that these those there here
    in on at but and or so yet however meanwhile after before when while if as since although
    mr mrs ms dr police officials authorities president
    """.split()
)

_CANDIDATE = re.compile(
    r"""[.!?…](?:(?<=…)|(?<!…)[.!?]*)   # terminal punctuation: "…" alone, or a run of . ! ? (what
                                        # `(?:\.{3}|…|[.!?]+)` matches; starting with a character class
                                        # lets `re` skip ahead to candidates instead of trying every position)
        ['"’”»)\]]*                     # closing quotes / brackets
        (?=\s)""",
    re.VERBOSE,
)
_LINEBREAK = re.compile(r"\n[ \t\r\f\v]*(\n\s*)?")
_LETTERS_DOT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.")
_NEXT_TOKEN = re.compile(r"\s+(\S)(\S*)")
_DOTTED_LETTERS = re.compile(r"(?:[a-z]\.)+[a-z]")  # "e.g", "u.s.a" once the last dot is stripped


def _word_before(text: str, lo: int, dot: int) -> str | None:
    """What `re.compile(r"([A-Za-z][A-Za-z.]*)$").search(text, lo, dot)` captures, scanning back from
    `dot` (the regex tried every start from `lo`): the run of letters and dots ending at `dot` (or
    before a newline right there, where `$` also matches), from its first letter; None without one."""
    end = dot - 1 if dot > lo and text[dot - 1] == "\n" else dot
    j = end
    while j > lo and text[j - 1] in _LETTERS_DOT:
        j -= 1
    while j < end and text[j] == ".":
        j += 1
    return text[j:end] if j < end else None


def _is_boundary(text: str, end: int, punct: str) -> bool:
    """`end` is just after the terminal punctuation (+ closing quotes)."""
    m = _NEXT_TOKEN.match(text, end)
    if m is None:
        return True  # only whitespace follows
    first, rest = m.group(1), m.group(2)
    if first.islower():
        return False
    if not (first.isupper() or first.isdigit() or first in "\"'“‘«([-–—•*#"):
        return False
    if not punct.startswith(".") or punct.startswith("..") or punct.startswith("…"):
        return True
    # period: inspect the word it ends
    dot = text.rfind(".", 0, end)
    word = _word_before(text, max(0, dot - 40), dot)
    if word is None:
        return True
    low = word.lower().rstrip(".")
    if len(word) == 1 and word.isupper():
        return False  # an initial: "John F. Kennedy", "F.W. de Klerk"
    if low in _TITLE_ABBREVIATIONS and word[0].isupper() or low in {"no", "nos"} and word[0] in "Nn":
        return False
    if low in _WEAK_ABBREVIATIONS or ("." in low and _DOTTED_LETTERS.fullmatch(low)):  # (it needs a dot)
        nxt = (first + rest).strip("\"'“‘«(").lower().rstrip(".,;:")
        return nxt in _SENTENCE_OPENERS
    return True


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets of one text; pure Python, linear."""
    if not text:
        return []
    cuts: set[int] = set()
    for m in _LINEBREAK.finditer(text):
        if m.group(1) is not None:  # blank line: paragraph break
            cuts.add(m.start())
            continue
        nxt = text[m.end(): m.end() + 1]
        j = m.start() - 1  # the last non-space character before the break (no copy of the text so far:
        while j >= 0 and text[j].isspace():  # that made a text of many short lines quadratic)
            j -= 1
        prev = text[j] if j >= 0 else ""
        if nxt and nxt.islower() and prev not in ".!?\"”’:":
            continue  # hard-wrapped prose continues on the next line
        cuts.add(m.start())
    for m in _CANDIDATE.finditer(text):
        if _is_boundary(text, m.end(), m.group(0)):
            cuts.add(m.end())
    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in sorted(cuts) + [len(text)]:
        seg = text[prev:cut]
        stripped = seg.strip()
        if stripped:
            start = prev + (len(seg) - len(seg.lstrip()))
            _append_capped(spans, text, start, start + len(stripped))
        prev = cut
    return spans


# No sentence is longer than this: text without punctuation ("a b c ..." for a megabyte) is cut
# at the last whitespace before the limit (mid-word only when there is none), so the work done
# per sentence downstream (events' context windows, figure-event pairs) stays bounded.
MAX_SENTENCE_CHARS = 2000
_LAST_SPACE = re.compile(r".*\s", re.DOTALL)


def _append_capped(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        ws = _LAST_SPACE.match(text, start + 1, limit + 1)  # greedy: the last whitespace up to the limit
        cut = ws.end() - 1 if ws else limit
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        spans.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        spans.append((start, end))


_SPANS_SCHEMA = pl.Schema({"article_id": pl.String, "sentence_start": pl.Int32, "sentence_end": pl.Int32})


def _spans_batch(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per sentence of every text in the batch, in text order (flat columns: building one
    small list of structs per article cost a fifth of the stage)."""
    ids: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for article_id, text in zip(frame["article_id"].to_list(), frame["text"].to_list()):
        if not text:
            continue
        spans = sentence_spans(text)
        ids.extend([article_id] * len(spans))
        starts.extend(s for s, _ in spans)
        ends.extend(e for _, e in spans)
    return pl.DataFrame({"article_id": ids, "sentence_start": starts, "sentence_end": ends}, schema=_SPANS_SCHEMA)


def split_sentences(articles: pl.LazyFrame) -> pl.LazyFrame:
    """One row per sentence: article_id, sentence_idx (0-based), sentence_start, sentence_end."""
    return conform(
        articles.lazy()
        .select(pl.col("article_id").cast(pl.String), pl.col("text").cast(pl.String))
        .map_batches(_spans_batch, schema=_SPANS_SCHEMA)
        .with_columns(
            pl.int_range(pl.len(), dtype=pl.Int32).over("article_id").alias("sentence_idx")
        ),
        SENTENCES,
    )
