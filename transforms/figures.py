"""Figures: numeric facts in article text ("at least seven people", "$2.5bn", "tens of thousands").

Pure transform: `extract_figures(articles, lexicon)` takes the articles LazyFrame and
the figure lexicon (`newsfacts.reference.figures.load_figure_lexicon`) and returns
rows of the FIGURES contract table. No I/O.

How it works: a rule-based scanner run per article text (Python `re`, one pass of a
"number core" pattern: digits, number words, vague amounts), then each core is grown
into a phrase by looking at its neighbourhood:

* left: currency prefix (`$`, `US$`, `€`), sign (`-`, `minus`), qualifier
  ("at least", "more than", "roughly", "up to", "between"/"from" for ranges);
* right: scale ("million", "bn", "m"), a range's second number ("20-30",
  "20 to 30", "between 20 and 30"), a unit or currency word ("%", "per cent",
  "km", "dollars", "years old"), a rate ("a day", "per year"), and the counted
  object (the short noun phrase after the number: "people", "cruise missiles").

Digits may be grouped in thousands by commas ("25,000") or by a space, no-break space,
narrow no-break space or thin space ("25 000", "1 250 000": groups of exactly three digits
after a first group of one to three; not after a month name, "+", a phone word or another
digit group, nor before a digit group that breaks the pattern, see `_spaced_merge_ok`).

Rejected as non-figures: dates (next to a month name), years (1000..2100 with no
unit, currency or plural counted noun), clock times ("11 a.m.", "9:35"), ordinals
("3rd"), numbers in names ("MH17", "G20", "COVID-19", "iPhone 11", "Group of 20",
"3 Men Punished" in title-case), phone-number shapes, numbers of more than
MAX_SIGNIFICANT_DIGITS (18) significant digits (IDs, digit dumps). No figure has an
infinite or NaN value.

Category: unit category first (MONEY, PERCENT, MEASURE, DURATION, AGE), then the
counted object's category (lexicon `object`: "missiles" -> WEAPON, "fatalities" ->
KILL), then the nearest sentence-context trigger (lexicon `context`: "killed" ->
KILL, "without power" -> AFFECT), else COUNT. Inanimate counted nouns (lexicon
`thing`: "tornadoes", "homes") take only AFFECT from the sentence; a context noun
counted by an earlier number ("17 protesters and 9 members ... injured") is left to
that number; "one of ..." is a plain count. Ambiguous currency words ("pesos") follow
the article's first country cue (lexicon `currency`). A bracketed conversion shares
the qualifier of the figure it converts ("just under 296 hp (224 kW)").

Speed: candidates (digit runs, number words) and context-term occurrences are found
for a whole batch with polars' Aho-Corasick (`str.find_many`, byte offsets converted
to characters for non-ASCII texts); the per-candidate Python rules put cheap
necessary-condition tests (`_qual_search`, `_time_right`, ...) in front of regexes,
so the output is exactly what the plain regex scan (`figures_in_text`) gives.

Vague amounts follow reference/taxonomy.md: dozens 24..99, hundreds 200..999,
thousands 2000..9999, tens of thousands 10000..99999, millions 1e6..9999999, ...;
their `value` is the lower bound and their qualifier `approx`. A range's `value`
is the midpoint of its bounds.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl
from newsfacts.transforms.ids import stable_id
from newsfacts.transforms.offsets import byte_to_char_offsets

from newsfacts.schema import FIGURES, conform

# --------------------------------------------------------------------------- numbers

_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_BIG = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SCALE_WORDS = {"hundred": 100.0, **_BIG}
_SCALE_ABBR = {
    "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "mn": 1e6, "mln": 1e6, "mil": 1e6, "mio": 1e6,
    "b": 1e9, "B": 1e9, "bn": 1e9, "bln": 1e9, "tn": 1e12, "tr": 1e12, "trn": 1e12,
}
_FRACTIONS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
    "fourth": 4, "fourths": 4, "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6,
    "tenth": 10, "tenths": 10,
}
_WORD_ALT = "|".join(
    sorted([*_SMALL, *_TENS, "hundred", *_BIG, "dozen"], key=len, reverse=True)
)
# at most 30 number words in a row (an amount below a trillion has at most 19: "nine hundred
# ninety-seven billion nine hundred ninety-seven million ..."): an unbounded repeat made
# "one one one ..." rescan the rest of the run at every word, quadratic in its length
_WORDSEQ = (
    rf"(?:(?:half\s+an?|an?|one)\s+)?(?:{_WORD_ALT})"
    rf"(?:(?:\s*-\s*|\s+and\s+|\s+)(?:{_WORD_ALT})){{0,29}}"
)

# vague amounts: (pattern, low, high)
_VAGUE = [
    (r"hundreds\s+of\s+millions", 1e8, 999_999_999.0),
    (r"tens\s+of\s+millions", 1e7, 99_999_999.0),
    (r"hundreds\s+of\s+thousands", 1e5, 999_999.0),
    (r"tens\s+of\s+thousands", 1e4, 99_999.0),
    (r"billions", 1e9, 9_999_999_999.0),
    (r"millions", 1e6, 9_999_999.0),
    (r"thousands", 2e3, 9_999.0),
    (r"hundreds", 200.0, 999.0),
    (r"dozens", 24.0, 99.0),
    (r"scores(?=\s+of\b)", 40.0, 99.0),
]
_SEVERAL = {"several": (3, 9), "a few": (2, 9), "a couple of": (2, 3), "a handful of": (2, 5)}

# thousands separators besides the comma: space, no-break space, narrow no-break space (the
# French / SI style "25 000", "1 250 000"), thin space; one character between groups of exactly
# three digits after a first group of one to three ("2023 300 people" is two numbers); at most
# seven groups (more is no news figure, see MAX_SIGNIFICANT_DIGITS), so a long run of groups
# that `_spaced_merge_ok` refuses costs a bounded match at each of its numbers, not the run
_GROUP_SEPS = " \u00a0\u202f\u2009"
_SPACED_GROUPS = rf"\d{{1,3}}(?:[{_GROUP_SEPS}]\d{{3}}(?!\d)){{1,6}}"
_SEP_DELETE = str.maketrans("", "", "," + _GROUP_SEPS)


def _core_numerals(spaced: bool) -> str:
    return (
        r"(?P<frac>(?<![\w/.,])\d{1,3}/\d{1,3}(?![\w/]))"
        r"|(?P<digits>(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|" + (_SPACED_GROUPS + "|" if spaced else "")
        + r"\d+)(?:\.\d+)?|(?<![\w.,])\.\d+)"
    )


def _core_re(spaced: bool) -> re.Pattern:
    return re.compile(
        r"(?P<vague>\b(?:" + "|".join(p for p, _, _ in _VAGUE) + r")\b)"
        r"|(?P<several>\b(?:several|a\s+few|a\s+couple\s+of)\s+(?:dozen|hundred|thousand|million|billion)\b)"
        r"|" + _core_numerals(spaced) +
        r"|(?P<words>\b" + _WORDSEQ + r"\b)",
        re.IGNORECASE,
    )


_CORE = _core_re(spaced=True)
# `_CORE` at a digit (its other alternatives start with a letter): same groups, fewer branches
_CORE_DIGITS = re.compile(_core_numerals(spaced=True), re.IGNORECASE)
# the same without space-separated groups: where `_spaced_merge_ok` says the groups are separate
# numbers ("on May 3 100 people", a phone number "1 877 855-3222")
_CORE_PLAIN = _core_re(spaced=False)
_CORE_DIGITS_PLAIN = re.compile(_core_numerals(spaced=False), re.IGNORECASE)
# a number of more significant digits than this is no news figure (an ID, a hash, a digit
# dump); float() would make it inexact or infinite
MAX_SIGNIFICANT_DIGITS = 18
_WORD_RE = re.compile(_WORDSEQ + r"$", re.IGNORECASE)
# where a number-word phrase may start: found by Aho-Corasick over a batch (polars
# `str.find_many`), or by this regex for a single text
_WORD_CANDIDATES = sorted(
    {*_SMALL, *_TENS, "hundred", *_BIG, "dozen", "dozens", "hundreds", "thousands", "millions",
     "billions", "tens", "scores"},
    key=len, reverse=True,
)
_DIGIT_RUN = re.compile(r"\d+")
_FRACTION_WORD = re.compile(r"(?:\s*-\s*|\s+)(halves|half|thirds?|quarters?|fourths?|fifths?|sixths?|tenths?)\b", re.IGNORECASE)
_SCALE_WORD_RE = re.compile(r"\s*-?\s*(hundred|thousand|million|billion|trillion)\b", re.IGNORECASE)
_SCALE_ABBR_RE = re.compile(r"(bn|mn|mln|bln|mil|mio|tn|trn|k|K|M|B|m|b)(?![A-Za-z0-9])")
_SCALE_ABBR_SPACED = re.compile(r"\s(bn|mn|mln|bln|tn|M|B)(?![A-Za-z0-9])")
_MILLION_NEXT = re.compile(r"\s+(?:of\s+)?(?:[a-z]+s\b|people|tonnes|barrels|users|viewers|visitors)")
_METRE_NEXT = re.compile(r"\s+(?:long|high|tall|wide|deep|away|above|below|race|sprint|dash)\b")
_MINUS_SUB_LEFT = re.compile(r"(?:minus|sub)-$", re.IGNORECASE)
_HYPHEN_WORD = re.compile(r"-[A-Za-z]")
_NEXT_WORD = re.compile(r"\s+([A-Za-z][\w'’-]*)")
_PREV_WORD = re.compile(r"([A-Za-z]+)\s+$")
_WS_RUN = re.compile(r"\s+")
_ALPHA_RUN = re.compile(r"[A-Za-z]+")
_WORD_LEAD = re.compile(r"\b(?:half\s+an?|an?|several|a\s+few|a\s+couple\s+of)\s+$", re.IGNORECASE)
_AND_A_HALF = re.compile(r"\s+and\s+a\s+half\b", re.IGNORECASE)
_PLAIN_TERM = re.compile(r"[a-z](?:[a-z ]*[a-z])?")
_INDEX_NAMES = ("s&p", "sp", "ftse", "nikkei", "russell", "stoxx", "dax", "cac", "msci", "kospi", "nifty", "asx")
_INDEX_LEFT = re.compile(r"(?<![\w&])(?:s&p|sp|ftse|nikkei|russell|stoxx|dax|cac|msci|kospi|nifty|asx)\s+$", re.IGNORECASE)
_ONE_OF = re.compile(r"\s+of\b", re.IGNORECASE)
_STRONG = re.compile(r"-strong\b", re.IGNORECASE)
_SUBSET_GAP = re.compile(r"\b(?:including|among|of whom|of them)\b", re.IGNORECASE)
_CLAUSE_GAP = re.compile(r"\b(?:and|while|but|whereas|as)\b")


def _words_value(tokens: list[str]) -> tuple[float | None, int]:
    """Value of the longest well-formed prefix of number-word tokens, and its length."""
    total = 0.0
    current = 0.0
    last = None  # class of the previous token
    used = 0
    best: tuple[float | None, int] = (None, 0)
    for i, tok in enumerate(tokens):
        t = tok.lower()
        if t == "and":
            if last != "hundred" and last != "big":
                break
            continue
        if t in ("a", "an"):
            if i != 0:
                break
            current = 1.0
            last = "a"
            continue
        if t in _SMALL:
            if last in ("small", "teen") or (last == "tens" and _SMALL[t] >= 10) or (last == "tens" and _SMALL[t] == 0):
                break
            if last == "a":
                break
            current += _SMALL[t]
            last = "teen" if _SMALL[t] >= 10 else "small"
        elif t in _TENS:
            if last in ("small", "teen", "tens", "a"):
                break
            current += _TENS[t]
            last = "tens"
        elif t == "hundred":
            if last == "hundred" or (current >= 100 and last not in (None,)):
                break
            current = (current or 1.0) * 100.0
            last = "hundred"
        elif t == "dozen":
            if last == "hundred" or last == "dozen":
                break
            current = (current or 1.0) * 12.0
            last = "dozen"
        elif t in _BIG:
            scale = _BIG[t]
            if last == "big" and total and total < scale:
                break
            total += (current or 1.0) * scale
            current = 0.0
            last = "big"
        else:
            break
        used = i + 1
        best = (total + current, used)
    return best


def _digits_value(s: str) -> float:
    return float(s.translate(_SEP_DELETE))


def _significant_digits(raw: str) -> int:
    """Significant digits of a digits core ("0012,345.6700" -> 7): leading zeros and the
    fraction's trailing zeros do not count."""
    whole, _, frac = raw.translate(_SEP_DELETE).partition(".")
    whole = whole.lstrip("0")
    frac = frac.rstrip("0")
    return len(whole) + len(frac) if whole else len(frac.lstrip("0"))


def _has_group_space(raw: str) -> bool:
    return any(c in raw for c in _GROUP_SEPS)


_PHONE_TAIL = re.compile(r"[-./:]\d{4}(?!\d)|[./:]\d")
_ZERO_GROUP = re.compile(rf"[{_GROUP_SEPS}]0")
_PHONE_LEFT = re.compile(  # "call the hotline on 131 564", "phone: 0800 123 456"
    r"\b(?:hotline|helpline|phone|telephone|tel|fax|dial|call|ring|contact|sms|text|whatsapp)"
    r"(?:\s+(?:us|them|him|her|me))?(?:\s+(?:on|at))?\s*[:.]?\s*$",
    re.IGNORECASE,
)


def _spaced_merge_ok(text: str, m: re.Match) -> bool:
    """May the space-separated digit groups of `m` ("25 000") be read as one number? Not in a
    date ("on May 3 100 people"), after "+" or "#", in a longer digit sequence that does not
    follow the grouping (phone numbers "1 877 855-3222", "+1 212 555 0100"), after a phone word
    ("the hotline on 131 564"), nor, unless a group starts with 0, after a name-like
    capitalised word ("Flight 370 200 passengers")."""
    s, e = m.start(), m.end()
    before = text[s - 1] if s else ""
    if before and (before in "+#" or (before in _GROUP_SEPS and s > 1 and text[s - 2].isdigit())):
        return False
    if _PHONE_TAIL.match(text, e) or (e + 1 < len(text) and text[e] in _GROUP_SEPS and text[e + 1].isdigit()):
        return False
    if _month_left_search(text[max(0, s - 12):s]) or _PHONE_LEFT.search(text[max(0, s - 30):s]):
        return False
    if _ZERO_GROUP.search(m.group(0)):
        return True  # a group with a leading zero ("25 000", "1 050") is never a number of its own
    cm = _cap_token_left_search(text[max(0, s - 30):s])
    if cm:
        tok = cm.group(1)
        if (tok[:1].isupper() or any(ch.isupper() for ch in tok[1:])) and tok.lower() not in _ALLOWED_CAPS:
            return False
    return True


def _core_match(text: str, pos: int, digits_only: bool = False) -> re.Match | None:
    """`_CORE` (or `_CORE_DIGITS`) at `pos`, reading space-separated digit groups as one number
    only where `_spaced_merge_ok`."""
    m = (_CORE_DIGITS if digits_only else _CORE).match(text, pos)
    if m is not None and m.lastgroup == "digits" and _has_group_space(m.group(0)) and not _spaced_merge_ok(text, m):
        m = (_CORE_DIGITS_PLAIN if digits_only else _CORE_PLAIN).match(text, pos)
    return m


def parse_number(text: str) -> float | None:
    """Parse a standalone amount: "1,200", "3.5", "twenty-one", "a dozen",
    "one hundred and five", "10 million", "2.5bn", "1/2". None when it is not one."""
    s = text.strip()
    if not s:
        return None
    m = re.fullmatch(
        r"(-)?((?:\d{1,3}(?:,\d{3})+|" + _SPACED_GROUPS + r"|\d+)(?:\.\d+)?|\.\d+)\s*"
        r"(hundred|thousand|million|billion|trillion|bn|mn|mln|tn|k|m|b|K|M|B)?",
        s,
    )
    if m:
        if _significant_digits(m.group(2)) > MAX_SIGNIFICANT_DIGITS:
            return None
        v = _digits_value(m.group(2))
        if m.group(3):
            v *= _SCALE_WORDS.get(m.group(3).lower(), _SCALE_ABBR.get(m.group(3), 1.0))
        return -v if m.group(1) else v
    m = re.fullmatch(r"(\d{1,3})/(\d{1,3})", s)
    if m:
        den = int(m.group(2))
        return int(m.group(1)) / den if den else None
    tokens = re.findall(r"[A-Za-z]+", s)
    if not tokens or not _WORD_RE.match(s):
        return None
    value, used = _words_value(tokens)
    if value is None or used != len(tokens):
        return None
    return value


# --------------------------------------------------------------------------- context rules

_MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)
_MONTH_LEFT = re.compile(_MONTHS + r",?\s+$")
_MONTH_RIGHT = re.compile(r"(?:st|nd|rd|th)?,?\s+(?:of\s+)?" + _MONTHS + r"(?![A-Za-z])")
_TIME_RIGHT = re.compile(
    r"\s?(?:[ap]\.\s?m\.|[ap]m\b|[AP]M\b|[AP]\.M\.|GMT\b|UTC\b|[ECMP][SD]T\b|BST\b|CET\b|hrs\b|o'clock)"
    r"|[:h]\d\d(?!\d)|\.\d\d\s?(?:[ap]\.?m\.?)\b"
)
_ORDINAL_RIGHT = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)
_ORDINAL_FIRST = frozenset("snrtSNRT")
_DECADE_RIGHT = re.compile(r"'?s\b")
_PHONE = re.compile(r"\(?\d{3}\)?[-.\s]\d{3}[-.\s]\d{4}")
_QUALIFIERS = [
    # (regex on the words right before the number, qualifier)
    (r"at\s+least|no\s+fewer\s+than|no\s+less\s+than|a\s+minimum\s+of", "at_least"),
    (r"more\s+than|over|upwards\s+of|in\s+excess\s+of|above|just\s+over|exceeding", "more_than"),
    (r"at\s+most|no\s+more\s+than|a\s+maximum\s+of", "at_most"),
    (r"less\s+than|fewer\s+than|under|below|just\s+under|sub", "less_than"),
    (r"up\s+to|as\s+many\s+as|as\s+much\s+as|as\s+high\s+as", "up_to"),
    (
        r"about|around|roughly|approximately|approx\.|nearly|almost|some|close\s+to|an\s+estimated"
        r"|estimated|circa|c\.|~|≈|an\s+approximate|more\s+or\s+less|just\s+about|upward\s+of",
        "approx",
    ),
]
_QUAL_RE = re.compile(
    r"(?:^|(?<=[^\w]))(?:" + "|".join(f"(?P<q{i}>{p})" for i, (p, _) in enumerate(_QUALIFIERS)) + r")[\s-]*$",
    re.IGNORECASE,
)
_RANGE_LEFT = re.compile(r"(?:^|(?<=\W))(?P<w>between|from)\s+$", re.IGNORECASE)
_BY_LEFT = re.compile(r"\bby\s+$", re.IGNORECASE)
_NEG_LEFT = re.compile(r"(?:(?<=[\s(:,])|^)(?:-|−|–|minus[\s-]?)$", re.IGNORECASE)
_AGED_LEFT = re.compile(r"\b(?:aged|age of|ages of|age)\s+$", re.IGNORECASE)
_NAME_AGE_LEFT = re.compile(r"[A-Z][a-z]+,\s$")
_CAP_TOKEN_LEFT = re.compile(r"(?:^|(?<=[\s(\"'“]))([A-Za-z][\w&'’./-]*)(?:\s+of)?\s+$")


# Cheap necessary conditions in front of the end-anchored left-context searches above:
# Python's `re` tries every start position of an end-anchored `search`, which costs
# several microseconds per 40-character window, while almost no window ends with a
# qualifier, a currency or a month. Each test only rules out windows the regex cannot
# match (right-strip what the pattern's tail may consume, then `endswith` on the words
# the pattern can end with), so results are the same, only faster.
_QUAL_TAILS = (  # last four characters of the qualifier phrases
    "east", "than", "of", "over", "bove", "ding", "most", "nder", "elow", "sub", "to", "as",
    "bout", "ound", "ghly", "tely", "rox.", "arly", "most", "some", "ated", "irca", "c.", "~", "≈",
    "mate", "less",
)
_QUAL_PHRASES = tuple(
    alt.replace(r"\s+", " ").replace("\\.", ".") for pattern, _ in _QUALIFIERS for alt in pattern.split("|")
)
_MONTH_TAILS = tuple(
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)


def _strip_ws_dash(left: str) -> str:
    t = left.rstrip()
    while t.endswith("-"):
        t = t.rstrip("-").rstrip()
    return t


def _qual_search(left: str) -> re.Match | None:
    t = _strip_ws_dash(left)
    if not t[-4:].lower().endswith(_QUAL_TAILS):
        return None
    if not " ".join(t.lower().split()).endswith(_QUAL_PHRASES):
        return None
    # a qualifier has at most three words: the match starts within the last three tokens
    parts = t.rsplit(None, 3)
    return _QUAL_RE.search(left, len(parts[0]) if len(parts) == 4 else 0)


def _range_left_search(left: str) -> re.Match | None:
    if not left[-1:].isspace() or not left.rstrip()[-8:].lower().endswith(("between", "from")):
        return None
    return _RANGE_LEFT.search(left)


def _neg_left_search(left: str) -> re.Match | None:
    if not left.rstrip()[-6:].lower().endswith(("-", "−", "–", "minus")):
        return None
    return _NEG_LEFT.search(left)


def _aged_left_search(left: str) -> re.Match | None:
    if not left[-1:].isspace() or not left.rstrip()[-5:].lower().endswith(("aged", "of", "age")):
        return None
    return _AGED_LEFT.search(left)


def _month_left_search(left: str) -> re.Match | None:
    if not left[-1:].isspace():
        return None
    t = left.rstrip().rstrip(",")
    if not t.rstrip(".").endswith(_MONTH_TAILS):
        return None
    return _MONTH_LEFT.search(left)


# Same idea on the right: a `match` at `pos` only when the next character (or the one
# after a single space) can start the pattern.
_TIME_FIRST = frozenset("apAPGUECMBho")
_TIME_FIRST0 = _TIME_FIRST | frozenset(":h.")
_MONTH_FIRST = frozenset("JFMASONDo")
_UPPER_AZ = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_RANGE_FIRST = frozenset("-–—‐tau")
_SCALE_WORD_FIRST = frozenset("htmbHTMB")
_SCALE_ABBR_FIRST = frozenset("bmtkKMB")
_SCALE_SPACED_FIRST = frozenset("bmtMB")


_NONSPACE = re.compile(r"\S")


def _next_nonspace(text: str, pos: int) -> str:
    """First non-whitespace character at or after `pos` ('' at the end)."""
    t = text[pos:pos + 40].lstrip()
    if not t:
        # a long whitespace run: search it rather than copy the rest of the text (a copy per
        # number made "1" + 50 spaces repeated quadratic)
        m = _NONSPACE.search(text, pos)
        return m.group() if m else ""
    return t[:1]


def _time_right(text: str, pos: int) -> re.Match | None:
    c = text[pos:pos + 1]
    if c in _TIME_FIRST0 or (c.isspace() and text[pos + 1:pos + 2] in _TIME_FIRST):
        return _TIME_RIGHT.match(text, pos)
    return None


def _month_right(text: str, pos: int) -> re.Match | None:
    c = text[pos:pos + 1]
    if c in ("s", "n", "r", "t", ",") or (c.isspace() and _next_nonspace(text, pos) in _MONTH_FIRST):
        return _MONTH_RIGHT.match(text, pos)
    return None


def _sci_right(text: str, pos: int) -> re.Match | None:
    c = text[pos:pos + 1]
    if c in ("x", "×") or (c.isspace() and text[pos + 1:pos + 2] in ("x", "×")):
        return _SCI.match(text, pos)
    return None


def _out_of_right(text: str, pos: int) -> re.Match | None:
    if text[pos:pos + 1].isspace() and _next_nonspace(text, pos) in ("o", "i"):
        return _OUT_OF.match(text, pos)
    return None


def _spaced_cap(text: str, pos: int) -> bool:
    """Could `\s+[A-Z]` match at `pos`?"""
    return text[pos:pos + 1].isspace() and _next_nonspace(text, pos) in _UPPER_AZ


def _digit_run_end(text: str, s: int, raw: str) -> int:
    """End of the plain digit run starting at `s` (`raw`: the digits core text)."""
    if raw.isascii():
        return s + len(raw) - len(raw.lstrip("0123456789"))
    for i, ch in enumerate(raw):
        if not ch.isdecimal():
            return s + i
    return s + len(raw)


def _date_or_phone(text: str, s: int, run_end: int) -> re.Match | None:
    c = text[run_end:run_end + 1]
    if c in ("-", "/", "."):
        return _ISO_DATE.match(text, s) or _PHONE.match(text, s - (text[s - 1:s] == "("))
    if run_end - s == 3 and (c == ")" or c.isspace()):
        return _PHONE.match(text, s - (text[s - 1:s] == "("))
    return None


def _phone_at(text: str, s: int, run_end: int) -> re.Match | None:
    if run_end - s == 3:
        c = text[run_end:run_end + 1]
        if c in ("-", ".", ")") or c.isspace():
            return _PHONE.match(text, s)
    return None


def _has_upper(s: str) -> bool:
    return s != s.lower()


def _cap_token_left_search(left: str) -> re.Match | None:
    """`_CAP_TOKEN_LEFT` when its token may hold a capital (callers ignore lower-case tokens)."""
    if not left[-1:].isspace():
        return None
    parts = left.split()
    if not parts:
        return None
    if not _has_upper(parts[-1]) and not (parts[-1] == "of" and len(parts) > 1 and _has_upper(parts[-2])):
        return None
    return _CAP_TOKEN_LEFT.search(left)
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d(?:[T ][\d:.]+Z?)?|\d{1,2}/\d{1,2}/\d{2,4}\b|\d{1,2}\.\d{1,2}\.\d{4}\b")
_SCI = re.compile(r"\s?[×x]\s?10\s?(?:\^|−|-)?\s?\d*")
_OUT_OF = re.compile(r"\s+(?:out\s+of|in)\s+(?:every\s+)?")
_NEXT_TWO_CAPS = re.compile(r"\s+[A-Z][\w'’.-]*\s+[A-Z][\w'’.-]*")
_NEXT_CAP = re.compile(r"\s+([A-Z][a-z][\w'’-]*)")

_ALLOWED_CAPS = {
    "the", "a", "an", "about", "some", "around", "only", "just", "nearly", "almost", "over",
    "under", "at", "in", "on", "to", "from", "with", "by", "for", "of", "and", "or", "than",
    "least", "more", "less", "all", "another", "per", "as", "up", "down", "those", "these",
    "its", "their", "his", "her", "our", "my", "your", "another", "roughly", "approximately",
    "between", "after", "before", "since", "until", "during", "within", "another", "while",
    "when", "where", "if", "but", "so", "yet", "also", "still", "even", "another", "some",
    "another", "estimated", "an", "nearly", "another", "killing", "killed", "leaving", "left",
    "another", "every", "each", "last", "next", "first", "top", "latest", "past", "further",
    "another", "other", "approx.", "than", "another", "fewer", "another", "above", "below",
    "another", "most", "another", "many", "another", "several", "another", "today", "yesterday",
    "it", "they", "we", "he", "she", "there", "here", "that", "this", "which", "who", "whom",
    "what", "are", "is", "was", "were", "be", "been", "had", "has", "have", "will", "would",
    "could", "should", "may", "might", "can", "did", "do", "does", "said", "says", "say",
    "no", "not", "nor", "total", "overall", "another", "like", "into", "onto", "across",
    "against", "among", "amid", "despite", "including", "via", "per", "towards", "toward",
    "through", "throughout", "near", "because", "though", "although", "then", "now",
}

_STOP = {
    "a", "an", "the", "of", "and", "or", "but", "nor", "to", "in", "on", "at", "by", "for",
    "from", "with", "without", "into", "onto", "over", "under", "as", "than", "that", "which",
    "who", "whom", "whose", "this", "these", "those", "it", "its", "they", "their", "them",
    "he", "his", "him", "she", "her", "we", "our", "you", "your", "i", "my", "me", "is",
    "are", "was", "were", "be", "been", "being", "has", "have", "had", "will", "would", "can",
    "could", "should", "may", "might", "must", "shall", "do", "does", "did", "not", "no",
    "so", "if", "then", "there", "here", "when", "where", "while", "after", "before", "since",
    "during", "until", "about", "around", "across", "against", "among", "amid", "between",
    "per", "each", "every", "all", "also", "more", "less", "most", "least", "other", "another",
    "such", "said", "says", "say", "according", "including", "like", "near", "what", "how",
    "why", "up", "down", "out", "off", "away", "back", "again", "still", "just", "only",
    "even", "very", "too", "yet", "ago", "later", "earlier", "times", "time", "percent",
    "apiece", "each", "both", "either", "neither", "via", "whom", "within", "toward", "towards",
    "through", "throughout", "behind", "beyond", "despite", "above", "below", "because",
    "whereas", "although", "though", "however", "thus", "hence", "now", "today", "yesterday",
    "tomorrow", "last", "next", "this", "got", "get", "gets", "went", "go", "goes", "came",
    "come", "comes", "made", "make", "makes", "took", "take", "takes", "gave", "give",
    "others", "one", "ones", "overnight", "tonight", "nationwide", "worldwide", "abroad",
    "inside", "outside", "alone", "together", "apart", "instead", "respectively", "another", "s", "'s", "’s", "new-", "respectively", "overall",
}
_VERBS = {
    "struck", "spent", "left", "came", "went", "held", "took", "told", "met", "fell", "rose", "won",
    "lost", "ran", "saw", "began", "broke", "brought", "built", "bought", "caught", "chose", "drove",
    "fought", "found", "gave", "got", "grew", "heard", "hit", "kept", "knew", "led", "lay", "made",
    "meant", "paid", "put", "sent", "set", "shot", "sat", "slept", "sold", "stood", "stole", "swept",
    "taught", "thought", "threw", "wore", "wrote", "close", "remain", "remains", "live", "lives",
    "need", "needs", "face", "faces", "include", "includes", "work", "works", "say", "says",
    "attend", "attended", "died", "die", "fled", "flee", "return", "returned", "became", "become",
    "seem", "seems", "appear", "appears", "want", "wants", "like", "left", "felt", "run", "come",
}
_ONE_FOLLOW_STOP = {"another", "or", "and", "per", "percent", "hundred", "thousand", "million", "billion"}
_ONE_PREV_STOP = {"the", "this", "that", "any", "no", "every", "each", "which", "same", "only", "someone",
                  "anyone", "no-one", "last", "first", "next", "little", "big", "new", "old", "other", "a"}

_OBJ_WORD = re.compile(r"\s+(?!of\b)([A-Za-z][A-Za-z'’-]*)")
_OBJ_WORD0 = re.compile(r"\s*([A-Za-z][A-Za-z'’-]*)")
_OF_WORD = re.compile(r"\s+of\s+(?:the\s+|their\s+|his\s+|her\s+|its\s+)?")
_RANGE_MID = re.compile(r"(?P<sep>\s*(?:-|–|—|‐)\s*|\s+(?:to|and|through|up\s+to)\s+)")
_YEAR = re.compile(r"1[89]\d\d|2[01]\d\d")
_RATE = re.compile(
    r"(?:\s+|-)(?:a|an|per|each|every)[\s-]+"
    r"(year|month|week|day|hour|minute|second|barrel|share|gallon|ounce|gram|kilo|kilogram|"
    r"tonne|ton|pound|person|capita|head|litre|liter|night|unit|game|season|quarter)\b"
    r"|\s*/\s*(year|month|week|day|hour|barrel|share|gallon|oz|kg|g|tonne|t|lb|person|night)\b",
    re.IGNORECASE,
)
_WS_BEFORE_CORE = re.compile(r"\s+$")


@dataclass(slots=True)
class _Num:
    start: int
    end: int
    value: float
    low: float
    high: float
    kind: str  # digits | words | vague | frac | several
    scaled: bool = False
    raw: str = ""
    base: float = 0.0


@dataclass
class _Lexicon:
    prefix_re: re.Pattern | None
    prefix_units: dict[str, tuple[str, str]]
    suffix_cs: re.Pattern | None
    suffix_ci: re.Pattern | None
    suffix_units: dict[str, tuple[str, str]]
    suffix_units_ci: dict[str, tuple[str, str]]
    objects: dict[str, str]
    context_re: re.Pattern | None
    context: dict[str, str]
    prefix_at: re.Pattern | None
    # gates (see `_qual_search`): what a prefix unit ends with / starts with, what a suffix unit
    # starts with (case-insensitive ones lower-cased; None when a non-ASCII start makes it moot)
    prefix_ends: tuple[str, ...] = ()
    prefix_first: frozenset = frozenset()
    suffix_first_cs: frozenset = frozenset()
    suffix_first_ci: frozenset | None = None
    things: frozenset = frozenset()  # inanimate counted nouns ("homes", "flights")
    # context terms for the batch Aho-Corasick scan; empty when a term could make it differ from
    # `context_re` (a term must be lower-case ASCII starting and ending with a letter)
    context_terms: list = field(default_factory=list)
    # ambiguous currency word -> (regex of country cues, cue -> ISO code): "pesos" + "Manila" -> PHP
    currency: dict = field(default_factory=dict)


_DEFAULT_ROWS = (
    # honest minimum when no lexicon is given: percent, the big currencies, deaths/injuries
    ("unit", "$", "USD", "MONEY", "prefix", "cs"),
    ("unit", "€", "EUR", "MONEY", "prefix", "cs"),
    ("unit", "£", "GBP", "MONEY", "prefix", "cs"),
    ("unit", "%", "percent", "PERCENT", "suffix", "cs"),
    ("unit", "per cent", "percent", "PERCENT", "suffix", "ci"),
    ("unit", "percent", "percent", "PERCENT", "suffix", "ci"),
    ("unit", "dollars", "USD", "MONEY", "suffix", "ci"),
    ("unit", "years old", "year", "AGE", "suffix", "ci"),
    ("unit", "year-old", "year", "AGE", "suffix", "ci"),
    ("unit", "days", "day", "DURATION", "suffix", "ci"),
    ("unit", "years", "year", "DURATION", "suffix", "ci"),
    ("context", "killed", None, "KILL", None, "ci"),
    ("context", "dead", None, "KILL", None, "ci"),
    ("context", "injured", None, "WOUND", None, "ci"),
    ("context", "wounded", None, "WOUND", None, "ci"),
)


def _alt(terms: list[str]) -> str:
    """A regex alternation of literal terms as a character trie (greedy: longest term first).

    Python's `re` tries every branch of a flat alternation at each position; a trie
    shares prefixes, which makes the big unit and context lists several times faster."""
    return _trie(sorted(set(terms)))


def _trie(terms: list[str]) -> str:
    groups: dict[str, list[str]] = {}
    for t in terms:
        groups.setdefault(t[0], []).append(t[1:])
    parts = []
    for first, rests in groups.items():
        tails = [r for r in rests if r]
        if tails:
            sub = _trie(tails)
            parts.append(re.escape(first) + "(?:" + sub + ")" + ("?" if len(tails) < len(rests) else ""))
        else:
            parts.append(re.escape(first))
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def _compile(rows: tuple[tuple, ...]) -> _Lexicon:
    prefix_units: dict[str, tuple[str, str]] = {}
    suffix_cs: dict[str, tuple[str, str]] = {}
    suffix_ci: dict[str, tuple[str, str]] = {}
    objects: dict[str, str] = {}
    context: dict[str, str] = {}
    things: set[str] = set()
    currency: dict[str, list[tuple[str, str]]] = {}
    for kind, term, unit, category, position, case, *extra in rows:
        if not term:
            continue
        if kind == "unit":
            if position == "prefix":
                prefix_units.setdefault(term, (unit, category))
            elif case == "ci":
                suffix_ci.setdefault(term.lower(), (unit, category))
            else:
                suffix_cs.setdefault(term, (unit, category))
        elif kind == "object":
            objects.setdefault(term.lower(), category)
        elif kind == "context":
            context.setdefault(term.lower(), category)
        elif kind == "thing":
            things.add(term.lower())
        elif kind == "currency" and extra and extra[0] and unit:
            # as written, and in capitals as in wire datelines ("MANILA —")
            currency.setdefault(term.lower(), []).extend([(extra[0], unit), (extra[0].upper(), unit)])
    prefix_re = (
        re.compile(r"(?:^|(?<=[^A-Za-z]))(" + _alt(list(prefix_units)) + r")\s?$") if prefix_units else None
    )
    end = r"(?![A-Za-z0-9])"
    cs_re = re.compile(r"(?:\s?|-)(" + _alt(list(suffix_cs)) + r")" + end) if suffix_cs else None
    ci_re = (
        re.compile(r"(?:\s?|-)(" + _alt(list(suffix_ci)) + r")" + end, re.IGNORECASE) if suffix_ci else None
    )
    # context terms are matched on lower-cased text
    ctx_re = re.compile(r"\b(" + _alt(list(context)) + r")\b") if context else None
    prefix_at = re.compile("(" + _alt(list(prefix_units)) + r")\s?") if prefix_units else None
    ci_first = {t[0].lower() for t in suffix_ci}
    return _Lexicon(
        prefix_re, prefix_units, cs_re, ci_re, suffix_cs, suffix_ci, objects, ctx_re, context, prefix_at,
        prefix_ends=tuple(prefix_units),
        prefix_first=frozenset(t[0] for t in prefix_units),
        suffix_first_cs=frozenset(t[0] for t in suffix_cs),
        suffix_first_ci=frozenset(ci_first) if all(c.isascii() for c in ci_first) else None,
        things=frozenset(things),
        context_terms=sorted(context) if all(_PLAIN_TERM.fullmatch(t) for t in context) else [],
        currency={
            word: (re.compile(r"(?<!\w)(" + _alt([c for c, _ in cues]) + r")(?!\w)"), dict(cues))
            for word, cues in currency.items()
        },
    )


_WORD_CAND_RE = re.compile(r"\b" + _alt(_WORD_CANDIDATES), re.IGNORECASE)


@lru_cache(maxsize=8)
def _lexicon_cached(rows: tuple[tuple, ...]) -> _Lexicon:
    return _compile(rows)


def _lexicon_rows(lexicon: pl.DataFrame | None) -> tuple[tuple, ...]:
    if lexicon is None:
        return _DEFAULT_ROWS
    cols = ["kind", "term", "unit", "category", "position", "case", "cue"]
    frame = lexicon.select([pl.col(c) if c in lexicon.columns else pl.lit(None, pl.String).alias(c) for c in cols])
    return tuple(frame.iter_rows())


# --------------------------------------------------------------------------- scanner


class _Scanner:
    def __init__(self, lex: _Lexicon, one_of: bool = True):
        self.lex = lex
        self.one_of = one_of

    # ---- number cores
    def _core(self, text: str, m: re.Match) -> _Num | None:
        s, e = m.span()
        g = m.lastgroup
        raw = m.group(0)
        if g == "vague":
            low = high = 0.0
            key = re.sub(r"\s+", " ", raw.lower())
            for pat, lo, hi in _VAGUE:
                if re.fullmatch(pat, key):
                    low, high = lo, hi
                    break
            return _Num(s, e, low, low, high, "vague", raw=raw)
        if g == "several":
            parts = re.sub(r"\s+", " ", raw.lower()).rsplit(" ", 1)
            lo, hi = _SEVERAL[parts[0]]
            scale = 12.0 if parts[1] == "dozen" else _SCALE_WORDS[parts[1]]
            return _Num(s, e, lo * scale, lo * scale, hi * scale, "several", raw=raw)
        if g == "frac":
            a, b = raw.split("/")
            if int(b) == 0 or int(a) >= int(b):
                return None
            v = int(a) / int(b)
            return _Num(s, e, v, v, v, "frac", raw=raw)
        if g == "digits":
            if _significant_digits(raw) > MAX_SIGNIFICANT_DIGITS:
                return None  # a digit dump, an ID: no news figure (and no inexact or infinite value)
            v = _digits_value(raw)
            am = _AND_A_HALF.match(text, e) if _next_nonspace(text, e) in ("a", "A") else None
            if am and v < 1000 and "." not in raw:
                v += 0.5
                e = am.end()
            num = _Num(s, e, v, v, v, "digits", raw=raw, base=v)
            self._scale(text, num)
            return num
        # number words
        tokens = _ALPHA_RUN.findall(raw)
        half = tokens[0].lower() == "half"
        if half:
            tokens = tokens[1:]
        value, used = _words_value(tokens)
        if value is None:
            return None
        if half:
            value *= 0.5
            used += 1
            tokens = ["half", *tokens]
        if used < len(tokens):
            # cut the match after the used tokens
            pos = s
            for tok in tokens[:used]:
                pos = text.index(tok, pos) + len(tok)
            e = pos
            raw = text[s:e]
        low_raw = raw.lower()
        if low_raw in ("a", "an"):
            return None
        # "two-thirds", "one quarter"
        fm = _FRACTION_WORD.match(text, e)
        if fm and value <= 10 and not low_raw.startswith("a"):
            v = value / _FRACTIONS[fm.group(1).lower()]
            return _Num(s, fm.end(), v, v, v, "frac", raw=text[s:fm.end()])
        am = _AND_A_HALF.match(text, e)
        if am and value < 1000:
            value += 0.5
            e = am.end()
            raw = text[s:e]
        num = _Num(s, e, value, value, value, "words", raw=raw)
        if any(t.lower() in _SCALE_WORDS for t in tokens[:used]):
            num.scaled = True
        return num

    def _scale(self, text: str, num: _Num) -> None:
        rest = text[num.end:num.end + 14]
        c = rest[:1]
        if c not in _SCALE_ABBR_FIRST:
            if not (c.isspace() or c == "-"):
                return
            t = rest.lstrip()
            if t[:1] == "-":
                t = t[1:].lstrip()
            if t[:1] not in _SCALE_WORD_FIRST and rest[1:2] not in _SCALE_SPACED_FIRST:
                return
        m = _SCALE_WORD_RE.match(rest)
        if m:
            f = _SCALE_WORDS[m.group(1).lower()]
            num.value *= f
            num.low *= f
            num.high *= f
            num.end += m.end()
            num.scaled = True
            return
        m = _SCALE_ABBR_RE.match(rest)
        if m is None:
            m = _SCALE_ABBR_SPACED.match(rest)
        if m:
            abbr = m.group(1)
            if abbr in ("m", "b"):
                # "12.3m tonnes" / "$5m" are millions, "37m (121ft)" is metres: decided by caller
                num.raw = abbr
                return
            f = _SCALE_ABBR[abbr]
            num.value *= f
            num.low *= f
            num.high *= f
            num.end += m.end()
            num.scaled = True

    def _apply_small_abbr(self, text: str, num: _Num, money: bool) -> None:
        abbr = num.raw
        if abbr not in ("m", "b") or num.kind != "digits":
            return
        after = text[num.end + 1:num.end + 40]
        millions = money or bool(
            _MILLION_NEXT.match(after)
        ) and not _METRE_NEXT.match(after)
        if abbr == "b" and not money:
            return
        if millions:
            f = 1e6 if abbr == "m" else 1e9
            num.value *= f
            num.low *= f
            num.high *= f
            num.end += 1
            num.scaled = True

    # ---- ranges
    def _range(self, text, num, pos, pre_unit, first_unit, range_word, left, money):
        if _next_nonspace(text, pos) not in _RANGE_FIRST:
            return None
        rng = _RANGE_MID.match(text, pos)
        if not rng:
            return None
        sep = _WS_RUN.sub(" ", rng.group("sep").strip().lower())
        dash = sep in ("-", "–", "—", "‐")
        if sep == "and" and range_word != "between":
            return None
        if sep == "up to" and range_word != "from":
            return None
        if sep in ("to", "through") and _BY_LEFT.search(left):
            return None
        if dash and num.kind == "words":
            return None
        raw = text[num.start:num.end]
        if (
            num.kind == "digits" and _YEAR.fullmatch(raw) and range_word is None and not dash
            and pre_unit is None and first_unit is None
        ):
            return None
        p2 = rng.end()
        pre2 = None
        if self.lex.prefix_at is not None:
            pm = self.lex.prefix_at.match(text, p2) if text[p2:p2 + 1] in self.lex.prefix_first else None
            if pm:
                pre2 = self.lex.prefix_units[pm.group(1)]
                p2 = pm.end()
        m2 = _core_match(text, p2)
        if not m2 or m2.lastgroup not in ("digits", "words"):
            return None
        if dash and m2.lastgroup != num.kind:
            return None
        if dash and num.kind == "digits" and _YEAR.fullmatch(raw) and len(m2.group(0)) == 2:
            return ("skip", m2.end())  # seasons and fiscal years: "2022-23"
        if dash and _PHONE.match(text, num.start):
            return ("skip", _PHONE.match(text, num.start).end())
        n2 = self._core(text, m2)
        if n2 is None:
            return None
        self._apply_small_abbr(text, n2, pre2 is not None or money)
        u2_end, u2, term2 = self._suffix_unit(text, n2.end)
        second_unit = u2 if u2_end > n2.end else None
        if first_unit and second_unit and first_unit[0] != second_unit[0]:
            return None
        if pre_unit and pre2 and pre_unit[0] != pre2[0]:
            return None
        if pre2 and not pre_unit:
            return None
        if not dash and (pre_unit or first_unit) and not (pre2 or second_unit) and range_word is None:
            return None
        a, b = num.value, n2.value
        if n2.scaled and not num.scaled and n2.base:
            scale = n2.value / n2.base
            if scale > 1 and a * scale <= b:
                a *= scale
        if a > b and range_word != "from":
            if dash and num.kind == "digits" and n2.kind == "digits" and float(b).is_integer() and float(a).is_integer() and a <= 200:
                return ("skip", n2.end)  # scores and votes: "3-1 win", "7-2 ruling"
            return None
        return (min(a, b), max(a, b), n2.end, (u2_end, u2, term2) if second_unit else None, pre2)

    # ---- neighbourhood
    def _prefix_unit(self, text: str, start: int) -> tuple[int, tuple[str, str] | None]:
        if self.lex.prefix_re is None:
            return start, None
        left = text[max(0, start - 12):start]
        if not left.rstrip().endswith(self.lex.prefix_ends):
            return start, None
        m = self.lex.prefix_re.search(left)
        if not m:
            return start, None
        return start - (len(left) - m.start()), self.lex.prefix_units[m.group(1)]

    def _suffix_unit(self, text: str, pos: int) -> tuple[int, tuple[str, str] | None, str]:
        best_end, best, term = pos, None, ""
        lex = self.lex
        c = text[pos:pos + 1]
        c2 = text[pos + 1:pos + 2] if (c == "-" or c.isspace()) else ""
        if (
            c not in lex.suffix_first_cs and c2 not in lex.suffix_first_cs
            and lex.suffix_first_ci is not None
            and (c.isascii() and c.lower() not in lex.suffix_first_ci)
            and (c2.isascii() and c2.lower() not in lex.suffix_first_ci)
        ):
            return best_end, best, term
        if self.lex.suffix_cs is not None:
            m = self.lex.suffix_cs.match(text, pos)
            if m:
                best_end, best, term = m.end(), self.lex.suffix_units[m.group(1)], m.group(1)
        if self.lex.suffix_ci is not None:
            m = self.lex.suffix_ci.match(text, pos)
            if m and m.end() > best_end:
                best_end, best, term = m.end(), self.lex.suffix_units_ci[m.group(1).lower()], m.group(1)
        return best_end, best, term

    def _object(self, text: str, pos: int, allow_of: bool) -> tuple[int, str | None]:
        """Short counted noun phrase starting after `pos` (lower-case content words)."""
        p = pos
        if allow_of:
            m = _OF_WORD.match(text, p)
            if m:
                p = m.end()
        words: list[str] = []
        end = pos
        q = p
        for _ in range(2):
            m = _OBJ_WORD.match(text, q) if q != p or not allow_of else _OBJ_WORD0.match(text, q)
            if not m:
                break
            w = m.group(1)
            lw = w.lower()
            if lw in _STOP or lw in _VERBS or lw in self.lex.context and lw not in self.lex.objects or lw.endswith("ly"):
                break
            if w[0].isupper() and not (w.endswith("s") and w[1:].islower()):
                break
            words.append(w)
            q = m.end()
            end = q
            if lw in self.lex.objects and len(words) >= 1 and lw.endswith("s"):
                break
        if len(words) == 1 and words[0].lower().endswith("ed") and words[0].lower() not in self.lex.objects:
            return pos, None
        if not words:
            return pos, None
        # a phrase ends at its head noun: drop trailing words that look like verbs
        while len(words) > 1 and (words[-1].lower().endswith("ed") or words[-1].lower().endswith("ing")):
            words.pop()
            end = text.rindex(words[-1], pos, end) + len(words[-1])
        return end, " ".join(words)

    def _currency(self, text: str, word: str, default: str, cache: dict) -> str:
        """The currency an ambiguous word ("pesos") means in this article: the first country cue
        in the text ("Manila" -> PHP), else the lexicon's default unit."""
        key = ("currency", word)
        if key not in cache:
            rx, codes = self.lex.currency[word]
            m = rx.search(text)
            cache[key] = codes[m.group(1)] if m else None
        return cache[key] or default

    def _context_category(self, text: str, s: int, e: int, cache: dict) -> str | None:
        if self.lex.context_re is None:
            return None
        lo = max(0, s - 100)
        hi = min(len(text), e + 100)
        left = text[lo:s]
        cut = max(left.rfind(". "), left.rfind("\n"), left.rfind("! "), left.rfind("? "))
        if cut >= 0:
            lo = lo + cut + 1
        right = text[e:hi]
        for i in (right.find(". "), right.find("\n"), right.find("! "), right.find("? ")):
            if 0 <= i < hi - e:
                hi = e + i
        best, best_d = None, 10**9
        lower = cache.get("lower")
        if lower is None:
            lower = text.lower()
            if len(lower) != len(text):
                lower = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
            cache["lower"] = lower
        occurrences = cache.get("context")
        if occurrences is None:
            found = [(m.start(), m.end(), m.group(1).lower()) for m in self.lex.context_re.finditer(lower, lo, hi)]
        else:
            found = _context_matches(lower, occurrences, lo, hi)
        for m_start, m_end, term in found:
            if m_end <= s:
                d = s - m_end
                gap = text[m_end:s]
            else:
                d = m_start - e
                gap = text[e:m_start]
            if d < 0:
                continue
            if (
                m_end <= s
                and text[max(0, m_start - 2):m_start].rstrip()[-1:].isdigit()
                and not _SUBSET_GAP.search(gap)
            ):
                # "17 protesters and 9 members of the security forces were injured": the term is
                # another figure's counted noun (unless this one is a subset: "including two ...")
                continue
            if "," in gap or ";" in gap or any(map(str.isdigit, gap)):
                d += 60
            elif _CLAUSE_GAP.search(gap):
                d += 20
            if d < best_d:
                best, best_d = self.lex.context[term], d
        return best

    # ---- one figure
    def figure(self, text: str, m: re.Match, cache: dict) -> tuple[dict | None, int]:
        num = self._core(text, m)
        if num is None:
            return None, m.end()
        s = num.start
        raw_core = text[num.start:num.end]
        if num.kind == "digits":
            run_end = _digit_run_end(text, s, m.group(0))
            dm = _date_or_phone(text, s, run_end)
            if dm:
                return None, dm.end()
            sm = _sci_right(text, num.end)
            if sm and sm.end() > num.end + 3:
                return None, sm.end()
            if text[s - 1:s] + text[num.end:num.end + 1] in ("()", "[]"):
                return None, num.end  # list markers and footnotes: "(4)", "[1]"
            if _time_right(text, num.end):
                return None, num.end
        elif num.kind == "frac":
            if _month_left_search(text[max(0, s - 12):s]) or _month_right(text, num.end):
                return None, num.end
        elif num.kind == "words":
            if text[s - 1:s] == "-" and text[s - 2:s - 1].isalpha():
                return None, num.end
            if raw_core[:1].isupper():
                if _spaced_cap(text, num.end) and _NEXT_TWO_CAPS.match(text, num.end):
                    return None, num.end  # title case: "Three Men Punished For ..."
                cm = _cap_token_left_search(text[max(0, s - 30):s])
                if cm and cm.group(1)[:1].isupper() and cm.group(1).lower() not in _ALLOWED_CAPS:
                    return None, num.end
        # "one out of three", "1 in 5"
        if num.kind in ("digits", "words") and not num.scaled:
            om = _out_of_right(text, num.end)
            if om:
                m3 = _core_match(text, om.end())
                if m3 and m3.lastgroup in ("digits", "words"):
                    n3 = self._core(text, m3)
                    if n3 is not None and n3.value > num.value > 0 and not n3.scaled:
                        v = num.value / n3.value
                        return self._emit(text, s, n3.end, v, v, v, "exact", None, None, "COUNT"), n3.end

        # --- left side
        span_start, pre_unit = self._prefix_unit(text, s)
        negative = False
        if pre_unit is None and num.kind == "digits":
            nm = _neg_left_search(text[max(0, s - 7):s])
            if nm:
                negative = True
                span_start = s - (len(text[max(0, s - 7):s]) - nm.start())
        left = text[max(0, span_start - 40):span_start]
        qualifier = None
        qm = _qual_search(left)
        if qm:
            for i, (_, q) in enumerate(_QUALIFIERS):
                if qm.group(f"q{i}"):
                    qualifier = q
                    break
            word = qm.group(0).strip().lower()
            if word in ("over", "under", "above", "below", "sub") and num.kind == "vague":
                qualifier = None
            elif word == "some" and num.kind in ("vague",):
                qualifier = None
            else:
                span_start -= len(left) - qm.start()
                if left[qm.start():qm.start() + 1].isspace():
                    span_start += 1
        range_word = None
        if qualifier is None:
            rm = _range_left_search(left)
            if rm:
                range_word = rm.group("w").lower()

        # --- exclusions that only look left
        before = text[max(0, s - 2):s]
        if num.kind == "digits" and pre_unit is None and not negative:
            if before[-1:].isalpha() or before[-1:] in ("#", "@", "/") or (before[-1:] == "-" and before[-2:-1].isalpha()):
                if not _MINUS_SUB_LEFT.search(text[max(0, s - 6):s]):
                    return None, num.end
        if num.kind == "digits" and before[-1:] == ":" and text[max(0, s - 3):s - 1].strip().isdigit():
            return None, num.end

        # --- scale abbreviations m/b (million vs metre)
        money_prefix = pre_unit is not None and pre_unit[1] == "MONEY"
        self._apply_small_abbr(text, num, money_prefix)
        e = num.end

        # --- range
        low, high, value = num.low, num.high, num.value
        is_range = False
        shared_unit = False
        unit_end, unit, unit_term = self._suffix_unit(text, e)
        first_unit = unit if unit_end > e else None
        rng = None
        if num.kind in ("digits", "words"):
            rng = self._range(text, num, e, pre_unit, first_unit, range_word, left, money_prefix)
            if rng is None and first_unit is not None:
                rng = self._range(text, num, unit_end, pre_unit, first_unit, range_word, left, money_prefix)
        if rng is not None:
            if rng[0] == "skip":
                return None, rng[1]
            low, high, e, u2, pre2 = rng
            is_range = True
            value = (low + high) / 2.0
            if u2 is not None:
                unit_end, unit, unit_term = u2
            else:
                unit_end, unit, unit_term = self._suffix_unit(text, e)
                if unit_end <= e and first_unit is not None:
                    unit_end, unit, shared_unit = e, first_unit, True
            if range_word:
                rm = _range_left_search(left)
                span_start -= len(left) - rm.start()
            if pre2 and pre_unit is None:
                pre_unit = pre2
        if negative:
            value, low, high = -value, -high, -low

        # --- unit after the number
        age = False
        if unit_end > e:
            e = unit_end
        elif not shared_unit:
            unit = None
        if unit is not None and unit[1] == "MONEY" and pre_unit is not None:
            pass
        final_unit = pre_unit or unit
        # prefix currency wins ("$5 million dollars"); unit words refine
        if pre_unit and unit and unit[1] == "MONEY":
            final_unit = unit if unit[0] not in ("USD",) else pre_unit
        elif pre_unit and unit:
            final_unit = pre_unit  # "$52 a barrel" handled by rate below; "$10 per gram"
        if unit is not None and unit[1] == "AGE":
            age = True
        if final_unit is None and _aged_left_search(text[max(0, span_start - 12):span_start]) and num.kind != "vague":
            final_unit = ("year", "AGE")
            age = True
        if (
            final_unit is None
            and num.kind == "digits"
            and not is_range
            and 0 < value < 120
            and float(value).is_integer()
            and _NAME_AGE_LEFT.search(text[max(0, s - 30):s])
            and text[e:e + 1] == ","
        ):
            final_unit = ("year", "AGE")
            age = True
        if final_unit is None and (num.kind in ("vague", "several") or num.scaled):
            # "tens of thousands of dollars", "millions of euros"
            om = _OF_WORD.match(text, e)
            if om:
                u_end, u, _ = self._suffix_unit(text, om.end())
                if u is not None and u_end > om.end() and u[1] == "MONEY":
                    final_unit, e = u, u_end
        unit_str = final_unit[0] if final_unit else None
        category = final_unit[1] if final_unit else None
        if category == "MONEY" and final_unit is unit and unit_term and unit_term.lower() in self.lex.currency:
            unit_str = self._currency(text, unit_term.lower(), unit_str, cache)
        if final_unit and final_unit[1] == "MONEY":
            rm_ = _RATE.match(text, e)
            if rm_:
                unit_str = f"{unit_str}/{(rm_.group(1) or rm_.group(2)).lower()}"
                e = rm_.end()
        elif final_unit and final_unit[1] == "MEASURE" and unit_str in ("bbl", "t", "l", "gal", "m3"):
            rm_ = _RATE.match(text, e)
            if rm_ and (rm_.group(1) or rm_.group(2)).lower() in ("year", "month", "week", "day", "hour"):
                unit_str = f"{unit_str}/{(rm_.group(1) or rm_.group(2)).lower()}"
                e = rm_.end()

        # --- exclusions that need both sides
        if num.kind == "digits" and final_unit is None:
            nxt = text[num.end:num.end + 3]
            if nxt[:1].isalpha() and not is_range:
                # 3rd, 5G, 4x4, 1990s, 10am
                return None, num.end
            if _time_right(text, num.end):
                return None, num.end
            if _month_left_search(text[max(0, s - 12):s]) or _month_right(text, num.end):
                return None, e
        if num.kind == "digits" and final_unit is None and not qualifier:
            if _phone_at(text, s, run_end):
                return None, e
        if num.kind == "digits" and text[num.end:num.end + 1] in _ORDINAL_FIRST and _ORDINAL_RIGHT.match(text, num.end):
            return None, num.end
        strong = False
        hyphen = text[e:e + 1] == "-"
        if final_unit is None and hyphen and _STRONG.match(text, e):
            strong = True  # "a 10,000-strong crowd"
            e = _STRONG.match(text, e).end()
        elif final_unit is None and hyphen and _HYPHEN_WORD.match(text, e) and not is_range:
            # compound adjectives: "four-door", "5-star", "one-time"
            return None, e
        # --- name-like contexts: "iPhone 11", "Game 2", "Group of 20", "3 Men Punished"
        if num.kind == "digits" and final_unit is None and qualifier is None:
            if text[max(0, s - 8):s].rstrip().lower().endswith(_INDEX_NAMES) and _INDEX_LEFT.search(
                text[max(0, s - 16):s]
            ):
                return None, e  # stock indices, also lower-cased: "the sp 500", "FTSE 100"
            cm = _cap_token_left_search(text[max(0, span_start - 30):span_start])
            if cm:
                tok = cm.group(1)
                if (tok[:1].isupper() or any(ch.isupper() for ch in tok[1:])) and tok.lower() not in _ALLOWED_CAPS:
                    return None, e
            cap_next = _spaced_cap(text, e)
            if cap_next and _NEXT_TWO_CAPS.match(text, e) and not is_range:
                return None, e
            nc = _NEXT_CAP.match(text, e) if cap_next else None
            if (
                nc and not is_range and not nc.group(1).endswith("s") and num.value >= 100
                and float(num.value).is_integer() and int(num.value) % 10 != 0 and "," not in raw_core
                and not _has_group_space(raw_core)
            ):
                # model numbers: "737 Max", "787 Dreamliner"
                return None, e

        # --- counted object
        obj = None
        obj_end = e
        if final_unit is None or age:
            allow_of = num.kind in ("vague", "several") or (num.kind == "words" and num.scaled) or num.scaled
            if not age:
                obj_end, obj = self._object(text, e, allow_of)
        if num.kind == "words" and raw_core.lower() in ("one", "an", "a") and not is_range:
            # "one" is a figure when it counts something: "one solution", "one of the best ..."
            nxt = _NEXT_WORD.match(text[e:e + 30])
            if nxt is None:
                return None, e
            w = nxt.group(1).lower()
            prev = _PREV_WORD.search(text[max(0, s - 20):s])
            if prev and prev.group(1).lower() in _ONE_PREV_STOP:
                return None, e
            if w == "of":
                if not self.one_of:
                    return None, e
            elif w in _ONE_FOLLOW_STOP:
                return None, e
        # years: 1000..2100 plain integers with nothing attached
        if (
            num.kind == "digits"
            and final_unit is None
            and not num.scaled
            and len(raw_core) == 4
            and _YEAR.fullmatch(raw_core)
            and not is_range
        ):
            plural_obj = obj is not None and obj.split()[0].lower().endswith("s") and obj.split()[0][0].islower()
            if not plural_obj and not strong:
                return None, e
        if num.kind == "digits" and is_range and final_unit is None:
            plural_obj = obj is not None and obj.split()[0][0].islower() and obj.split()[0].endswith("s")
            if _YEAR.fullmatch(raw_core) and 1800 <= high <= 2199 and not plural_obj:
                return None, e
        if obj is not None:
            e = obj_end

        # --- category
        if category is None:
            thing = False
            if obj:
                head = obj.lower()
                last = head.split()[-1]
                category = self.lex.objects.get(head) or self.lex.objects.get(last)
                thing = head in self.lex.things or last in self.lex.things
            if category is None and strong:
                category = "CROWD"
            if category is None and not (
                num.kind == "words" and value == 1 and obj is None and _ONE_OF.match(text, e)
            ):
                # "one of the most intense barrages": the sentence says nothing about a count of one
                category = self._context_category(text, span_start, e, cache)
                if thing and category != "AFFECT":
                    # people-centred categories (KILL, WOUND, ARREST, DISPLACE, ...) count people,
                    # not "six tornadoes" or "dozens of homes"
                    category = None
            if category is None:
                category = "COUNT"
        # "two days" etc. with an object that is a duration word
        if num.kind == "vague" or num.kind == "several":
            if qualifier is None:
                qualifier = "approx"
        if is_range:
            qualifier = "range"
        if qualifier is None:
            qualifier = "exact"
        if num.kind in ("vague", "several"):
            value = low
        elif qualifier in ("exact", "approx"):
            low = high = value
        elif qualifier in ("at_least", "more_than"):
            low, high = value, None
        elif qualifier in ("at_most", "less_than", "up_to"):
            low, high = None, value
        return self._emit(text, span_start, e, value, low, high, qualifier, unit_str, obj, category), e

    @staticmethod
    def _emit(text, start, end, value, low, high, qualifier, unit, obj, category) -> tuple:
        """One figure as a tuple in `_FIELDS` order; None when a value is not finite (no figure
        has an infinite or NaN value, whatever the text)."""
        if not math.isfinite(value) or any(b is not None and not math.isfinite(b) for b in (low, high)):
            return None
        while end > start and text[end - 1].isspace():
            end -= 1
        return (
            start,
            end,
            text[start:end],
            float(value),
            None if low is None else float(low),
            None if high is None else float(high),
            qualifier,
            unit,
            obj,
            category,
        )

    def scan(
        self,
        text: str,
        word_offsets: list[int] | None = None,
        digit_offsets: list[int] | None = None,
        context: list[tuple[int, int, str]] | None = None,
    ) -> list[tuple]:
        """Figures of `text` as tuples (`_FIELDS`). `word_offsets`: offsets of number-word candidates found by
        Aho-Corasick (`_WORD_CANDIDATES`) for a whole batch; `digit_offsets`: starts of digit
        runs, likewise (both character offsets); `context`: every occurrence of a context term
        as (start, end, term), sorted by start and longest first; None scans them here."""
        out: list[tuple] = []
        cache: dict = {} if context is None else {"context": context}
        if word_offsets is None:
            words = [m.start() for m in _WORD_CAND_RE.finditer(text)]
        else:
            words = word_offsets
        if digit_offsets is None:
            cands = [m.start() for m in _DIGIT_RUN.finditer(text)]
        else:
            cands = digit_offsets
        if words:
            starts = []
            for p in words:
                if p and _is_word_char(text[p - 1]):
                    continue  # inside a word ("often", "someone"): `_CORE` needs a boundary
                w = text[max(0, p - 14):p]
                if w[-1:].isspace() and w.rstrip()[-7:].lower().endswith(("a", "an", "several", "few", "of")):
                    lm = _WORD_LEAD.search(text, max(0, p - 14), p)
                    starts.append(lm.start() if lm else p)
                else:
                    starts.append(p)
            cands = sorted(set(cands).union(starts))
        pos = 0
        for p in cands:
            if p < pos:
                continue
            m = _core_match(text, p, digits_only="0" <= text[p] <= "9")
            if m is None:
                continue
            fig, nxt = self.figure(text, m, cache)
            if fig is not None:
                out.append(fig)
            pos = nxt if nxt > p else p + 1
        return _conversions_inherit(text, out) if len(out) > 1 else out


_PAREN_OPEN = re.compile(r"\s*[(\[]\s*")
_SUBSET_NEXT = re.compile(r"\s*,?\s*(?:including|among them|among whom|of whom|most of them)\s+", re.IGNORECASE)
_PEOPLE_CATEGORIES = frozenset({"KILL", "WOUND", "ARREST", "MISSING", "DISPLACE", "CROWD", "AFFECT"})
_PAREN_NEXT = re.compile(r"\s*[/,;]\s*|\s+or\s+")
_BOUNDS = {
    "approx": lambda v: (v, v),
    "at_least": lambda v: (v, None), "more_than": lambda v: (v, None),
    "at_most": lambda v: (None, v), "less_than": lambda v: (None, v), "up_to": lambda v: (None, v),
}


def _conversions_inherit(text: str, figs: list[tuple]) -> list[tuple]:
    """A conversion in brackets right after a qualified figure shares its qualifier:
    "just under 296 hp (224 kW / 300 PS)", "about 5 miles (8 km)"; a subset right after a
    count of people shares its category ("12 civilians, including four children")."""
    out = list(figs)
    parent = None
    for i in range(1, len(out)):
        prev, cur = out[i - 1], out[i]
        gap = text[prev[1]:cur[0]]
        if _PAREN_OPEN.fullmatch(gap):
            parent = prev
        elif parent is None or not _PAREN_NEXT.fullmatch(gap):
            parent = None
        if parent is not None and parent[6] in _BOUNDS and cur[6] == "exact":
            low, high = _BOUNDS[parent[6]](cur[3])
            out[i] = (*cur[:4], low, high, parent[6], *cur[7:])
        elif (
            prev[9] in _PEOPLE_CATEGORIES and cur[9] in _PEOPLE_CATEGORIES | {"COUNT"} and cur[7] is None
            and _SUBSET_NEXT.fullmatch(gap)
        ):
            # "killed at least 12 civilians, including four children": the subset shares the category
            out[i] = (*cur[:9], prev[9])
    return out


def _context_matches(lower: str, occurrences: list[tuple[int, int, str]], lo: int, hi: int) -> list:
    """What `\\b(term|...)\\b`.finditer(lower, lo, hi) finds, from every occurrence of every context
    term (found for the whole batch by Aho-Corasick, sorted by start, longest first): leftmost
    matches with a word boundary on both sides, the longest at a start, never overlapping."""
    out = []
    pos = lo
    for k in range(bisect_left(occurrences, (lo,)), len(occurrences)):  # (a slice copied the rest: quadratic)
        start, end, term = occurrences[k]
        if start >= hi:
            break
        if start < pos or end > hi:
            continue
        if start and _is_word_char(lower[start - 1]):
            continue
        if end < hi and _is_word_char(lower[end]):
            continue
        out.append((start, end, term))
        pos = end
    return out


def _occurrences(text: str, offsets: list[int], found: list[str]) -> list[tuple[int, int, str]]:
    """Aho-Corasick hits (byte offsets, matched text) as sorted (start, end, term) in characters."""
    if not offsets:
        return []
    pairs = sorted(zip(offsets, found))
    starts = [b for b, _ in pairs]
    if not text.isascii():
        starts = byte_to_char_offsets(text, starts)
    occ = [(c, c + len(f), f.lower()) for c, (_, f) in zip(starts, pairs)]
    occ.sort(key=lambda o: (o[0], -o[1]))
    return occ


def _is_word_char(ch: str) -> bool:
    """`re`'s \\w for one character."""
    return ch.isalnum() or ch == "_"


def figures_in_text(text: str, lexicon: pl.DataFrame | None = None, one_of: bool = True) -> list[dict]:
    """Figures of one text as dicts (start_char, end_char, mention_text, value, value_low,
    value_high, qualifier, unit, object, category); for tests and notebooks."""
    scanner = _Scanner(_lexicon_cached(_lexicon_rows(lexicon)), one_of=one_of)
    return [dict(zip(_FIELDS, f)) for f in scanner.scan(text or "")]


_ROW_SCHEMA = pl.Schema({name: dtype for name, dtype in FIGURES.items() if name != "event_id"})
_FIELDS = tuple(_ROW_SCHEMA.names()[2:])  # what `_Scanner._emit` returns, in order


_ASCII_DIGITS = [str(d) for d in range(10)]


def _batch(frame: pl.DataFrame, scanner: _Scanner) -> pl.DataFrame:
    rows: list[tuple] = []
    texts = frame["text"]
    # candidates for the whole batch at once (Aho-Corasick, byte offsets): number words, and
    # the starts of ASCII digit runs; texts with other Unicode digits scan theirs with `re`
    words = texts.str.find_many(_WORD_CANDIDATES, ascii_case_insensitive=True).to_list()
    digit_runs = (
        texts.str.find_many(_ASCII_DIGITS)
        .list.eval(pl.element().filter(pl.element().diff().fill_null(2) != 1))
        .to_list()
    )
    exotic = texts.str.contains(r"[\d&&[^0-9]]").to_list()
    # every occurrence of every context term (what `_context_category` looks for near a figure)
    terms = scanner.lex.context_terms
    if terms:
        ctx_offs = texts.str.find_many(terms, overlapping=True, ascii_case_insensitive=True).to_list()
        ctx_strs = texts.str.extract_many(terms, overlapping=True, ascii_case_insensitive=True).to_list()
    else:
        ctx_offs = ctx_strs = [None] * frame.height
    for article_id, text, w_offs, d_offs, other, c_offs, c_strs in zip(
        frame["article_id"].to_list(), texts.to_list(), words, digit_runs, exotic, ctx_offs, ctx_strs
    ):
        if not text:
            continue
        context = _occurrences(text, c_offs or [], c_strs or []) if terms and "\u212a" not in text else None
        w_offs = w_offs or []
        d_offs = None if other else (d_offs or [])
        if not text.isascii():
            w_offs = byte_to_char_offsets(text, w_offs)
            if d_offs:
                d_offs = byte_to_char_offsets(text, d_offs)
        for f in scanner.scan(text, w_offs, d_offs, context):
            rows.append((stable_id("fig_", article_id, f[0], f[1]), article_id, *f))
    if not rows:
        return pl.DataFrame(schema=_ROW_SCHEMA)
    return pl.DataFrame(dict(zip(_ROW_SCHEMA.names(), map(list, zip(*rows)))), schema=_ROW_SCHEMA)


def extract_figures(articles: pl.LazyFrame, lexicon: pl.DataFrame | None = None) -> pl.LazyFrame:
    """One row per numeric fact in `articles.text` (FIGURES contract; event_id NULL).

    `lexicon` is `newsfacts.reference.figures.load_figure_lexicon(seeds_dir)`; without it a
    small built-in default (percent, $/€/£, killed/injured) is used.
    """
    scanner = _Scanner(_lexicon_cached(_lexicon_rows(lexicon)))
    rows = articles.lazy().select(
        pl.col("article_id").cast(pl.String), pl.col("text").cast(pl.String)
    ).map_batches(lambda df: _batch(df, scanner), schema=_ROW_SCHEMA)
    return conform(rows, FIGURES)
