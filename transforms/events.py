"""Lexicon-driven event extraction (PLOVER types + ACLED sub-event types).

`extract_events(articles, sentences, locations, figures, lexicon, actors)` finds
trigger words from the reviewed lexicon (newsfacts.reference.events) in every
article, refines each by sentence context (weapon words, targets, police
intervention, ...), and attaches sentence offsets, actor / recipient, location,
date, fatalities, negation and a confidence (the document's main event is the
one with the highest). `link_figures_to_events(figures, events, sentences)`
fills `figures.event_id`.

Coding notes: a trigger inside a temporal / causal adjunct ("after deadly clashes",
"since the peace accord") and a complement of a verbal event ("accused X of
attacking") lose confidence, so the reported event leads; an intent cue up to four
words before ("will impose", "is prepared to shell") turns the act into AGREE /
THREATEN; context rules with event_type NONE drop natural hazards and accidents.
Actor / recipient: place mentions, actor-dictionary nouns and capitalised noun
phrases of the same clause (no datelines, no capitalised sentence openers that are
not names elsewhere in the text). Same-event groups (`same_event_id`) and death tolls
(`fatalities`, read from the text by transforms/events_tolls.py, one per group, with the
offsets of the text it came from) are built per article in `_merge_mentions`; a negated
event has none. ACLED coding rules are in the lexicon; demonstrations are coded by the whole
article (`_escalate_protests`). See docs/extraction.md, "Events".

Pure: frames in, frames out. Lexicon words (triggers, context words, actor nouns,
negation / future / date / toll cues) are found for the whole batch in one pass of polars'
Aho-Corasick (`_scan_groups`, character offsets and word boundaries in polars); the per-article
logic then runs in Python on those offsets, with the case-insensitive clause patterns run
case-sensitively on the lower-cased text of an ASCII article (or of any without a character
re.IGNORECASE folds to ASCII: `casefold.twins_apply`; transforms/casefold.py). Mentions
are scored and pruned before the costlier actor / location / date attachment.
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

import polars as pl
from newsfacts.transforms.casefold import folded, twins_apply
from newsfacts.transforms.events_tolls import TOLL_CUES, Toll, article_tolls, event_toll
from newsfacts.transforms.ids import id_expr
from newsfacts.transforms.sentences import sentence_spans

from newsfacts.schema import EVENTS, FIGURES, conform

# ---------------------------------------------------------------- regex helpers


def _context_index(rules: list[_Rule]) -> dict[str, list[int]]:
    """Context word -> indices of the rules that list it; a rule's `unless` words map to -1 - its index
    (their occurrences veto the rule in their sentence)."""
    rules_of: dict[str, list[int]] = defaultdict(list)
    for i, rule in enumerate(rules):
        for w in sorted(rule.words):
            rules_of[w].append(i)
        for w in sorted(rule.unless):
            rules_of[w].append(-1 - i)
    return dict(rules_of)


_WORD_BEFORE = re.compile(r"[\w-]")
_WORD_AFTER = re.compile(r"\w|-\w")


class ScanGroup(NamedTuple):
    """Words to find in one `_scan_groups` pass: lower-case words and whether hits must be word-bounded."""

    words: list[str]
    bounded: bool = True


def _scan_batch(texts: pl.Series, words: list[str], bounded: bool = True) -> list[list[tuple[int, int, str]]]:
    """Every occurrence of the (lower-case) `words` in each text, overlapping ones included,
    word-bounded (not preceded by a word character or hyphen, not followed by a word
    character or a hyphenated continuation) unless `bounded` is False: per text a list of
    (start, end, word) in character offsets, sorted by start then longest first."""
    return _scan_groups(texts, [ScanGroup(words, bounded)])[0]


def _scan_groups(texts: pl.Series, groups: list[ScanGroup]) -> list[list[list[tuple[int, int, str]]]]:
    """`_scan_batch` of each group, from one Aho-Corasick pass over the whole batch for all their
    words (polars, ASCII case-insensitive, overlapping: every occurrence of every word); character
    offsets and the word-boundary test are computed in polars for the whole batch too (the boundary
    test with ASCII character classes where the neighbouring characters are ASCII, by Python's `\\w`
    on the few hits next to a non-ASCII character), so Python only groups the kept hits per text."""
    n = texts.len()
    outs: list[list[list[tuple[int, int, str]]]] = [[[] for _ in range(n)] for _ in groups]
    words = sorted({w for g in groups for w in g.words})
    if not words or n == 0:
        return outs
    opts = {"ascii_case_insensitive": True, "overlapping": True}
    text = pl.col("text")
    hits = (
        pl.DataFrame({"text": texts.fill_null("")})
        .with_row_index("row")
        .with_columns(
            byte=text.str.find_many(words, **opts),
            word=text.str.extract_many(words, **opts).list.eval(pl.element().str.to_lowercase()),
            ascii=text.str.len_bytes() == text.str.len_chars(),
        )
        .filter(pl.col("byte").list.len() > 0)
        .explode("byte", "word")
        .with_columns(
            start=pl.when(pl.col("ascii")).then(pl.col("byte").cast(pl.Int64)).otherwise(
                text.cast(pl.Binary).bin.head(pl.col("byte").cast(pl.Int64)).cast(pl.String).str.len_chars().cast(pl.Int64)
            )
        )
        .with_columns(end=pl.col("start") + pl.col("word").str.len_chars().cast(pl.Int64))
    )
    if any(g.bounded for g in groups):
        before = text.str.slice(pl.col("start") - 1, 1)
        after = text.str.slice(pl.col("end"), 2)
        hits = hits.with_columns(before=pl.when(pl.col("start") > 0).then(before).otherwise(pl.lit("")), after=after)
        plain = pl.col("before").str.contains(r"^[\x00-\x7f]?$") & pl.col("after").str.contains(r"^[\x00-\x7f]*$")
        ascii_ok = ~pl.col("before").str.contains(r"^[A-Za-z0-9_-]") & ~pl.col("after").str.contains(r"^(?:[A-Za-z0-9_]|-[A-Za-z0-9_])")
        hits = hits.with_columns(plain=plain, bounded_ok=ascii_ok)
        odd = hits.filter(~pl.col("plain"))
        if odd.height:  # a neighbour outside ASCII: Python's own \w decides
            keep = [
                not (_WORD_BEFORE.match(b) or _WORD_AFTER.match(a))
                for b, a in zip(odd["before"].to_list(), odd["after"].to_list())
            ]
            fixed = odd.select("row", "start", "word", _py_ok=pl.Series(keep, dtype=pl.Boolean)).unique()
            hits = hits.join(fixed, on=["row", "start", "word"], how="left").with_columns(
                bounded_ok=pl.when(pl.col("plain")).then(pl.col("bounded_ok")).otherwise(pl.col("_py_ok"))
            )
    hits = hits.select("row", "start", "end", "word", *(["bounded_ok"] if any(g.bounded for g in groups) else []))
    for group, out in zip(groups, outs):
        keep = pl.col("word").is_in(pl.Series(group.words, dtype=pl.String).implode())
        if group.bounded:
            keep = keep & pl.col("bounded_ok")
        kept = (
            hits.filter(keep).select("row", "start", "end", "word").unique()
            .sort(["row", "start", "end"], descending=[False, False, True])
        )
        for row, start, end, word in zip(*(kept[c].to_list() for c in ("row", "start", "end", "word"))):
            out[row].append((start, end, word))
    return outs


def _leftmost_longest(matches: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping matches, leftmost first, the longest at each start (what a regex
    alternation with the longer alternatives first finds with finditer)."""
    out: list[tuple[int, int, str]] = []
    end = -1
    for m in matches:
        if m[0] >= end:
            out.append(m)
            end = m[1]
    return out


# ---------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class _Trigger:
    lemma: str
    trigger_class: str
    event_type: str | None
    event_mode: str | None
    acled_event_type: str | None
    acled_sub_event_type: str | None
    weight: float


@dataclass(frozen=True)
class _Rule:
    applies_to: frozenset[str]
    scope: str
    event_type: str | None
    event_mode: str | None
    acled_event_type: str | None
    acled_sub_event_type: str | None
    priority: int
    words: frozenset[str] = frozenset()
    # words that keep the rule from applying in their sentence ("clashed" between supporters is a riot,
    # unless the sentence names an armed side)
    unless: frozenset[str] = frozenset()


@dataclass
class _Lexicon:
    by_form: dict[str, _Trigger]
    rules: list[_Rule] = field(default_factory=list)
    actor_type: dict[str, str] = field(default_factory=dict)
    # (rule index, rule) per trigger class, highest priority first
    rules_by_class: dict[str, list[tuple[int, _Rule]]] = field(default_factory=dict)
    # context word -> indices (into `rules`) of the rules that list it
    context_words: dict[str, list[int]] = field(default_factory=dict)
    actor_words: list[str] = field(default_factory=list)


_LEXICON_CACHE: dict[int, tuple[pl.DataFrame, pl.DataFrame | None, _Lexicon]] = {}


def _compile(lexicon: pl.DataFrame, actors: pl.DataFrame | None) -> _Lexicon:
    key = id(lexicon) ^ (id(actors) * 31)
    hit = _LEXICON_CACHE.get(key)
    if hit is not None and hit[0] is lexicon and hit[1] is actors:
        return hit[2]
    by_form: dict[str, _Trigger] = {}
    rules: list[_Rule] = []
    for r in lexicon.iter_rows(named=True):
        if r["kind"] == "trigger":
            trig = _Trigger(
                r["lemma"], r["trigger_class"] or "", r["event_type"], r["event_mode"],
                r["acled_event_type"], r["acled_sub_event_type"], float(r["weight"] or 0.5),
            )
            for form in r["forms"] or []:
                by_form.setdefault(form.lower(), trig)
        elif r["kind"] == "context":
            words = frozenset(f.lower() for f in r["forms"] or [] if f)
            if words:
                rules.append(
                    _Rule(
                        frozenset(r["applies_to"] or []), r["scope"] or "sentence",
                        r["event_type"], r["event_mode"], r["acled_event_type"],
                        r["acled_sub_event_type"], int(r["priority"] or 0), words,
                        frozenset(f.lower() for f in r["unless"] or [] if f),
                    )
                )
    rules.sort(key=lambda x: -x.priority)
    lex = _Lexicon(by_form, rules)
    for i, rule in enumerate(rules):
        for cls in rule.applies_to:
            lex.rules_by_class.setdefault(cls, []).append((i, rule))
    lex.context_words = _context_index(rules)
    if actors is not None and actors.height:
        pats = actors["pattern"].to_list()
        lex.actor_words = sorted({p.lower() for p in pats if p})
        lex.actor_type = {p.lower(): t for p, t in zip(pats, actors["actor_type"].to_list())}
    if len(_LEXICON_CACHE) > 8:
        _LEXICON_CACHE.clear()
    _LEXICON_CACHE[key] = (lexicon, actors, lex)
    return lex


# ---------------------------------------------------------------- negation, hedges

_NEGATION_BEFORE = re.compile(
    r"(?:\b(?:not|never|no|without|nor)|n[’']t|\b(?:den(?:y|ies|ied|ying)|refus(?:e|es|ed|ing) to|fail(?:s|ed)? to|"
    r"rul(?:ed|es) out|did not|does not))\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_COMPLEMENT_BEFORE = re.compile(r"\b(?:to|that|for|of|on|plan(?:s|ned)? to)\s+(?:\w+[\s,]+){0,4}$", re.IGNORECASE)
# the trigger is the object of the verbal event just before it ("demanded a truce", "dismissed an appeal")
_DIRECT_OBJECT = re.compile(r"\s+(?:(?:a|an|the|their|its|his|her|any|all|new|further|fresh|immediate|[\w-]+-old)\s+){0,3}")
_INTENT_TYPES = {"AGREE", "REQUEST", "THREATEN", "REJECT", "ACCUSE"}
# A trigger in a temporal / causal adjunct ("after bloody clashes", "since the peace accord",
# "in protest of last week's arrest") names a background event, not the reported one.
_BACKGROUND_BEFORE = re.compile(
    r"\b(?:after|since|following|amid|amidst|during|despite|in the wake of|in retaliation for|"
    r"in response to|in protest (?:of|at|against)|in connection with|"
    # the grievance of a demonstration ("protest against the unjust arrest of", "rally condemning the killing")
    r"against|condemning|denouncing|protesting)\s+(?:[\w'’-]+,?\s+){0,4}$",
    re.IGNORECASE,
)
# What a demonstration is against ("a protest against the arrest of", "a vigil to commemorate the victims of a
# massacre", "blocked the road in demonstration against the death of a man who was shot") is its grievance: from
# such a cue up to GRIEVANCE_WITHIN characters after a demonstration trigger to the end of its clause
# (_GRIEVANCE_END). Words there do not code the demonstration, and the acts they name are background.
_GRIEVANCE_CUE = re.compile(
    r"\b(?:against(?! each other| one another)|protesting|condemn(?:s|ed|ing)?|denounc(?:e|es|ed|ing)|"
    r"commemorat(?:e|es|ed|ing)|in memory of|to mark|mourn(?:s|ed|ing)?|because of|in solidarity with|"
    r"over the (?:deaths?|killings?|murders?|arrests?|detentions?))\b",
    re.IGNORECASE,
)
_GRIEVANCE_END = re.compile(r";|\b(?:but|before|when|while|until|whereas)\b|,\s+(?:and|as)\b", re.IGNORECASE)
GRIEVANCE_WITHIN = 80
_DEMO_CLASSES = frozenset({"protest", "riot"})  # trigger classes of demonstrations
_DEMO_TYPES = frozenset({"Protests"})  # ACLED type of the rules a grievance hides words from (not the riot rules)


def _grievance_spans(text: str, s1: int, demo_ends: list[int]) -> list[tuple[int, int]]:
    """The grievance clauses (`_GRIEVANCE_CUE`) of a sentence ending at `s1` whose demonstration triggers end
    at `demo_ends` (sorted): (start, end) offsets, from the end of the cue to the clause's end."""
    spans: list[tuple[int, int]] = []
    for e in demo_ends:
        if spans and e < spans[-1][1]:
            continue  # a demonstration named inside the grievance ("the death of a man shot during a demonstration")
        m = _GRIEVANCE_CUE.search(text, e, min(s1, e + GRIEVANCE_WITHIN))
        if m is None:
            continue
        end = _GRIEVANCE_END.search(text, m.end(), s1)
        spans.append((m.end(), end.start() if end else s1))
    return spans


def _inside(spans: list[tuple[int, int]], at: int) -> bool:
    return any(a <= at < b for a, b in spans)


# An action announced for the future is coded as the announcement (PLOVER): a promise or
# offer of cooperation is AGREE, an announced or conditional act of conflict THREATEN.
_FUTURE_BEFORE = re.compile(
    r"\b(?:(?P<agree>(?:agree[sd]?|offer(?:s|ed)?|promis(?:e|es|ed)|pledg(?:e|es|ed)|commit(?:s|ted)?|"
    r"undert(?:ake|akes|ook)) to)"
    r"|(?P<ready>(?:ready|willing|prepared) to)"
    r"|(?P<threat>(?:threat(?:en|ens|ened)|sworn|swore|vow(?:s|ed)?) to)"
    r"|(?P<modal>will|would|shall|may|might|(?:plans?|planned|planning|intends?|intended|is set|are set) to"
    r"|(?:planning|plotting|preparing|planned|plotted)(?:\s+(?:an?|the|new|more|further))?))"
    r"\s+(?:[\w-]+\s+){0,4}$",
    re.IGNORECASE,
)
_PASSIVE_AFTER = re.compile(r"\s+(?:\w+\s+){0,3}?by\s+")
# a passive auxiliary right before a participle trigger ("were killed", "was reportedly shot")
_BE_BEFORE = re.compile(r"\b(?:was|were|been|being|got|gets|get)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
_CONDITION_AFTER = re.compile(r"\b(?:unless|or face|or else|until|if)\b", re.IGNORECASE)


class _ClauseRegexes(NamedTuple):
    """The case-insensitive patterns `_article_mentions` runs around a trigger (`_CLAUSE_RX`), or their
    case-sensitive twins for the lower-cased text of an ASCII article (`_CLAUSE_RX_LOWER`,
    transforms/casefold.py)."""

    negation_before: re.Pattern
    complement_before: re.Pattern
    background_before: re.Pattern
    future_before: re.Pattern
    be_before: re.Pattern
    condition_after: re.Pattern


_CLAUSE_FOLDED = [
    folded(p) for p in (
        _NEGATION_BEFORE, _COMPLEMENT_BEFORE, _BACKGROUND_BEFORE, _FUTURE_BEFORE, _BE_BEFORE, _CONDITION_AFTER
    )
]
_CLAUSE_RX = _ClauseRegexes(*(f.pattern for f in _CLAUSE_FOLDED))
_CLAUSE_RX_LOWER = _ClauseRegexes(*(f.lower for f in _CLAUSE_FOLDED))
_COOPERATIVE_TYPES = {"AID", "CONSULT", "CONCEDE", "RETREAT", "COOPERATE", "SUPPORT", "AGREE"}
_CONFLICT_TYPES = {"ASSAULT", "COERCE", "SANCTION", "PROTEST", "MOBILIZE"}
_VIOLENT_TYPES = {"ASSAULT"}
_MATERIAL_TYPES = {"ASSAULT", "PROTEST", "COERCE", "MOBILIZE", "SANCTION", "AID", "RETREAT", "COOPERATE"}

# a context rule with this event_type removes the mention (natural hazards, accidents)
NO_EVENT = "NONE"

# confidence = weighted evidence that this is the document's main, real event
W_TRIGGER = 0.30  # lexicon weight: how specific the trigger is
W_DOC_POS = 0.25  # headline / lead sentence first
W_SENT_POS = 0.12  # earlier in its sentence (main clause before subordinate ones)
W_FIRST = 0.15  # first trigger of its sentence
W_VIOLENT = 0.03
W_MATERIAL = 0.04
W_LOCATION = 0.05
W_FATALITIES = 0.06
MAX_FATALITIES = 10_000_000  # more deaths than this in one event is a misread, not a count
W_NEGATED = 0.25
W_COMPLEMENT = 0.15
W_BACKGROUND = 0.15
SENTENCE_MARGIN = 0.12  # keep events within this much of their sentence's best
STRONG_WEIGHT = 0.85
LIGHT_WEIGHT = 0.4  # triggers this weak yield to a trigger right after them

# ---------------------------------------------------------------- dates

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")]
    )
    for m in names
}
_MONTH_RE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_DATE_RE = re.compile(
    r"\b(?=[0-9A-Za-z])(?:"
    r"(?P<iso>(?P<iy>(?:19|20)\d\d)-(?P<im>[01]\d)-(?P<id>[0-3]\d)\b)"
    rf"|(?P<md>(?P<mdm>{_MONTH_RE})\s+(?P<mdd>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<mdy>(?:19|20)\d\d)\b)?)"
    rf"|(?P<dm>(?P<dmd>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dmm>{_MONTH_RE})(?:,?\s+(?P<dmy>(?:19|20)\d\d)\b)?)"
    r"|(?P<wd>(?P<wdq>(?i:last)\s+)?(?P<wdn>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b)"
    r"|(?P<rel>(?i:yesterday|today|tonight|this morning|this afternoon|this evening|last night|overnight|"
    r"earlier today|on (?:the )?previous day|the day before)\b)"
    r"|(?P<week>(?i:last|this|past|previous|earlier this) week(?:end)?\b)"
    r"|(?P<month>(?i:last|this|past|previous|earlier this) month\b)"
    rf"|(?P<inm>(?i:in|since|during|early|late|mid-?)\s+(?P<inmm>{_MONTH_RE})(?:\s+(?P<inmy>(?:19|20)\d\d))?\b)"
    r"|(?P<year>(?i:in|since|during)\s+(?P<yy>(?:19|20)\d\d)\b)"
    r")",)


# where a date expression may start: checked with _DATE_RE.match (several times faster
# than letting _DATE_RE try every word)
_DATE_ANCHOR = re.compile(
    r"\b(?=\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|Friday|"
    r"Saturday|Sunday|(?i:last|yesterday|today|tonight|this|overnight|earlier|past|previous|on (?:the )?previous)|"
    r"(?i:the day before))|(?i:in|since|during|early|late|mid-?)\s+[A-Z12])"
)


# every _DATE_ANCHOR position is a word start (\b, then a digit or letter): the anchors at or before
# an offset are among the word starts before it, each checked with _DATE_ANCHOR.match
_WORD_START = re.compile(r"\b\w")


def _date_anchors(text: str, pos: int, p: int) -> Iterator[int]:
    """The positions from `pos` to `p` (inclusive) where _DATE_ANCHOR matches, in order: what
    `_DATE_ANCHOR.finditer(text, pos)` yields up to `p` (its matches are all empty lookaheads), without
    scanning on past `p` to the next anchor."""
    for ws in _WORD_START.finditer(text, pos, p + 1):
        a = ws.start()
        if _DATE_ANCHOR.match(text, a) is not None:
            yield a


def _date_matches_near(text: str, s0: int, s1: int, cues: tuple[list[int], list[int]]) -> list[re.Match]:
    """The _DATE_RE matches (non-overlapping, leftmost) starting in text[s0:s1], looked for only
    near date cues (month / weekday names, years, relative words: every date expression starts
    at most 15 characters before one), each from an anchor word (_DATE_ANCHOR)."""
    starts, ends = cues
    out: list[re.Match] = []
    end = s0
    # the anchors up to `tried` were all tried by the previous cue and matched no date: a match
    # at an anchor does not depend on the cue, so the next cue starts after them
    tried = -1
    for j in range(bisect.bisect_left(starts, s0), len(starts)):
        p = starts[j]
        if p >= s1:
            break
        if ends[j] > s1:
            continue
        for a in _date_anchors(text, max(end, s0, p - 15, tried + 1), p):
            m = _DATE_RE.match(text, a)
            if m is not None:
                out.append(m)
                end = m.end()
                break
        else:
            tried = p
    return out


def _month(name: str) -> int:
    return _MONTHS[name.lower().rstrip(".")]


def _resolve_date(m: re.Match, published: dt.date | None) -> tuple[dt.date | None, str]:
    """The date a _DATE_RE match means, against the publication date; unknown when it falls
    outside the calendar (a `published_at` of 0001-01-01 or 9999-12-31, "February 30")."""
    try:
        return _resolve_date_in_range(m, published)
    except (ValueError, OverflowError):
        return None, "unknown"


def _resolve_date_in_range(m: re.Match, published: dt.date | None) -> tuple[dt.date | None, str]:
    g = m.groupdict()
    try:
        if g["iso"]:
            return dt.date(int(g["iy"]), int(g["im"]), int(g["id"])), "day"
        if g["md"] or g["dm"]:
            mon = _month(g["mdm"] or g["dmm"])
            day = int(g["mdd"] or g["dmd"])
            year = g["mdy"] or g["dmy"]
            if year:
                return dt.date(int(year), mon, day), "day"
            if published is None:
                return None, "unknown"
            d = dt.date(published.year, mon, day)
            if d > published + dt.timedelta(days=2):
                d = dt.date(published.year - 1, mon, day)
            return d, "day"
    except ValueError:
        return None, "unknown"
    if g["inm"]:
        mon = _month(g["inmm"])
        if g["inmy"]:
            return dt.date(int(g["inmy"]), mon, 1), "month"
        if published is None:
            return None, "unknown"
        year = published.year if mon <= published.month else published.year - 1
        return dt.date(year, mon, 1), "month"
    if g["year"]:
        return dt.date(int(g["yy"]), 1, 1), "year"
    if published is None:
        return None, "unknown"
    if g["wd"]:
        target = _WEEKDAYS.index(g["wdn"].lower())
        back = (published.weekday() - target) % 7
        if g["wdq"] and back == 0:
            back = 7
        return published - dt.timedelta(days=back), "day"
    if g["rel"]:
        word = g["rel"].lower()
        if word in {"yesterday", "last night", "on the previous day", "on previous day", "the day before"}:
            return published - dt.timedelta(days=1), "day"
        return published, "day"
    if g["week"]:
        word = g["week"].lower()
        if word.startswith(("last", "past", "previous")):
            return published - dt.timedelta(days=7), "week"
        return published, "week"
    if g["month"]:
        word = g["month"].lower()
        if word.startswith(("last", "previous")):
            first = published.replace(day=1) - dt.timedelta(days=1)
            return first.replace(day=1), "month"
        return published.replace(day=1), "month"
    return None, "unknown"


# ---------------------------------------------------------------- actors

_CAP_NP = re.compile(
    r"[A-Z][\w’'.-]*(?:\s+(?:(?:of|for|de|al|bin|and)\s+(?:the\s+)?)?[A-Z][\w’'.-]*)*"
)
_NP_STOP = {
    "The", "A", "An", "In", "On", "At", "After", "Before", "But", "And", "As", "When", "While", "If", "It",
    "He", "She", "They", "We", "This", "That", "These", "Those", "Its", "His", "Her", "Their", "According",
    "Meanwhile", "However", "Also", "Earlier", "Later", "Some", "Many", "Several", "Two", "Three", "Four",
    "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Dozens", "Hundreds", "Thousands", "Tens", "At least",
    "More", "Up", "Over", "About", "Nearly", "Around", "By", "With", "From", "For", "To", "Of", "Since",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Photo", "I",
} | {m.capitalize() for m in _MONTHS} | {m.capitalize() + "." for m in _MONTHS}
_NP_STOP_INITIALS = frozenset(w[0] for w in _NP_STOP)


_TRAILING_POSSESSIVE = re.compile(r"(?:[’']s?|[.,])+$")
_CAPS_BEFORE = re.compile(r"((?:[A-Z][\w’'-]*\s+){1,3})$")


# a dateline opening a paragraph: "BAMAKO —", "PORTO ALEGRE, Brazil —", "HONG KONG (Reuters) -"
_DATELINE = re.compile(
    r"[A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+)*(?:,\s+[A-Z][\w.]*(?:\s+[A-Z][\w.]*)*)*\s*(?:\([^)\n]{1,40}\)\s*)?"
    r"(?:—|–|--|-)\s+"
)
_OPENING = re.compile(r"[\"“‘'(\[\s]*")


def _named_elsewhere(text: str, word: str) -> bool:
    """Whether `word` also occurs capitalised inside a running sentence (after a lower-case
    word or a comma), i.e. is a name rather than a capitalised sentence opener."""
    i = text.find(" " + word)
    while i >= 0:
        end = i + 1 + len(word)
        if i > 0 and (text[i - 1].islower() or text[i - 1] in ",;:") and not text[end:end + 1].isalnum():
            return True
        i = text.find(" " + word, i + 1)
    return False


class _NamedElsewhere:
    """`_named_elsewhere(text, word)` for one article: each distinct word is answered once; the first
    SCAN_FIRST by a scan of the text, later ones from an index of the words that follow a lower-case
    word or a comma (built then, linear in the text), since a scan per sentence opener made an
    article of many sentences with the same or many capitalised openers ("Gunmen attacked ... .
    Gunmen ...") quadratic. A word longer than MAX_WORD (hostile text only) is scanned for, once."""

    MAX_WORD = 64
    # only capitalised tokens are ever asked about (_CAP_NP starts with [A-Z]): index just those
    _TOKEN = re.compile(r"(?<= )[A-Z]\S{0,63}")
    _NOT_ALNUM = re.compile(r"[\W_]")  # not str.isalnum()

    # the first SCAN_FIRST distinct words are scanned for one by one (a few C-level finds each, cheaper
    # than indexing the whole article for the handful of openers most articles ask about); the index
    # answers the rest, so the cost stays linear however many openers an article has
    SCAN_FIRST = 8

    def __init__(self, text: str) -> None:
        self.text = text
        self.index: set[str] | None = None
        self.long: dict[str, bool] = {}

    def __call__(self, word: str) -> bool:
        if len(word) > self.MAX_WORD:
            if word not in self.long:
                self.long[word] = _named_elsewhere(self.text, word)
            return self.long[word]
        if self.index is not None:
            return word in self.index
        hit = self.long.get(word)
        if hit is None:
            if len(self.long) >= self.SCAN_FIRST:
                self.index = self._build()
                return word in self.index
            hit = self.long[word] = _named_elsewhere(self.text, word)
        return hit

    def _build(self) -> set[str]:
        text, n = self.text, len(self.text)
        out: set[str] = set()
        for m in self._TOKEN.finditer(text):
            i = m.start() - 1  # the space
            if i <= 0 or not (text[i - 1].islower() or text[i - 1] in ",;:"):
                continue
            tok = m.group()
            # every prefix not followed by a letter or digit ("Al" of "Al-Shabaab", the whole token)
            if not tok.isalnum():
                out.update(tok[:x.start()] for x in self._NOT_ALNUM.finditer(tok, 1))
            if m.end() >= n or not text[m.end()].isalnum():
                out.add(tok)
        return out


def _capitalised_before(seg: str, a: int) -> bool:
    """Whether whitespace then a word with a capital letter end at `a` (cheap pre-test for _CAPS_BEFORE)."""
    j = a - 1
    if j < 1 or not seg[j].isspace():
        return False
    while j >= 0 and seg[j].isspace():
        j -= 1
    k = j
    while k >= 0 and (seg[k].isalnum() or seg[k] in "_’'-"):
        k -= 1
    token = seg[k + 1:j + 1]
    return token != token.lower()


def _first_word(seg: str, a: int) -> str:
    sp = seg.find(" ", a)
    return seg[a:] if sp < 0 else seg[a:sp]


def _np_candidates(
    text: str, s0: int, s1: int, lex: _Lexicon, places: list[tuple[int, int]] = (), headline: bool = False,
    actor_hits: list[tuple[int, int, str]] = (), named=None,
) -> list[tuple[int, int]]:
    """Actor-like spans in text[s0:s1]: place mentions, actor-dictionary matches (extended
    left over adjacent capitalised words / demonyms) and capitalised noun phrases (not in
    a Title Case headline, where capitals say nothing). `named`: the article's
    `_NamedElsewhere`, if there is one."""
    if named is None:
        named = _NamedElsewhere(text)
    cands: list[tuple[int, int]] = []
    seg = text[s0:s1]
    dateline = _DATELINE.match(seg)
    lead = dateline.end() if dateline else _OPENING.match(seg).end()  # where the sentence's words start
    for j in range(bisect.bisect_left(places, (s0,)), len(places)):  # places are sorted
        a, b = places[j]
        if a >= s1:
            break
        if b <= s1:
            cands.append((a, b))
    for m in ([] if headline else _CAP_NP.finditer(seg, lead)):
        a, b = m.start(), m.end()
        words = m.group(0)
        # strip leading stop words (and connectors left after them: "Tuesday and Wednesday"),
        # trailing stop words, and a trailing possessive / punctuation
        while words and (words[0] in _NP_STOP_INITIALS or words[0].islower()):
            first = words.split(" ", 1)[0]
            if first in _NP_STOP or first.rstrip(".,") in _NP_STOP or first.islower():
                if " " not in words:
                    words = ""
                    break
                words = words[len(first) + 1:].lstrip()
                a = b - len(words)
                continue
            break
        while " " in words:
            last = words.rsplit(" ", 1)[1]
            if last.rstrip(".,’'s") not in _NP_STOP and last not in _NP_STOP and not last.islower():
                break
            words = words[: len(words) - len(last)].rstrip()
        if not words:
            continue
        n = len(_TRAILING_POSSESSIVE.sub("", words)) if words[-1] in ".,'’s" else len(words)
        if a == lead and " " not in words[:n] and not words[:n].isupper() and not named(words[:n]):
            continue  # a capitalised sentence opener ("Officials", "Smaller", "Human" rights groups)
        cands.append((s0 + a, s0 + a + n))
    for j in range(bisect.bisect_left(actor_hits, (s0,)), len(actor_hits)):
        a, b, _ = actor_hits[j]
        if b > s1:
            break
        a, b = a - s0, b - s0
        m_start = a
        pm = None if headline or not _capitalised_before(seg, a) else _CAPS_BEFORE.search(seg, max(0, a - 120), a)
        if pm:
            a = pm.start(1)
            while a < m_start and _first_word(seg, a) in _NP_STOP:
                a += len(_first_word(seg, a)) + 1
        cands.append((s0 + a, s0 + b))
    if dateline:  # the dateline place is where the story was filed, not an actor
        cands = [c for c in cands if c[0] >= s0 + lead]
    # merge overlaps: keep the longest span among overlapping ones
    cands.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    out: list[tuple[int, int]] = []
    for a, b in cands:
        if out and a < out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
            continue
        out.append((a, b))
    return out


# ---------------------------------------------------------------- main extraction

_FIGURE_EVENT_TYPES: dict[str, set[str] | None] = {
    "KILL": {"ASSAULT", "PROTEST"},
    "WOUND": {"ASSAULT", "PROTEST"},
    "MISSING": {"ASSAULT"},
    "AFFECT": {"ASSAULT", "COERCE", "SANCTION"},
    "DISPLACE": {"ASSAULT", "COERCE", "RETREAT", "AID"},
    "ARREST": {"COERCE"},
    "CROWD": {"PROTEST"},
    "WEAPON": {"ASSAULT", "MOBILIZE", "COERCE", "AID", "SANCTION", "COOPERATE"},
    "MONEY": {"AID", "SANCTION", "AGREE", "COOPERATE", "COERCE"},
}
_FIGURE_ACLED_SUBS: dict[str, set[str]] = {
    "KILL": {"Excessive force against protesters", "Violent demonstration", "Mob violence"},
    "WOUND": {"Excessive force against protesters", "Violent demonstration", "Mob violence"},
    "ARREST": {"Arrests", "Protest with intervention"},
    "WEAPON": {"Disrupted weapons use"},
}


def _compatible(category: str | None, event_type: str | None, acled_sub: str | None) -> bool:
    cat = (category or "").upper()
    allowed = _FIGURE_EVENT_TYPES.get(cat)
    if allowed is None:
        return False
    return event_type in allowed or (acled_sub or "") in _FIGURE_ACLED_SUBS.get(cat, set())


def _published_dates(values: list) -> list[dt.date | None]:
    out = []
    for v in values:
        if v is None:
            out.append(None)
        elif isinstance(v, dt.datetime):
            out.append(v.date())
        elif isinstance(v, dt.date):
            out.append(v)
        else:
            out.append(None)
    return out


_SPECIFICITY = {
    "city": 0, "landmark": 0, "admin2": 0, "admin3": 0, "neighbourhood": 0, "district": 0,
    "admin1": 1, "water": 2, "region": 2, "continent": 3, "country": 2,
}


# a word (letter first): group 1 is its first letter when it is longer than three characters
_TOKEN_FIRST = re.compile(r"([A-Za-z])[\w'’-]{3,}|[A-Za-z][\w'’-]*")
_DROP_UPPER = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


_SENTENCE_FINAL = frozenset(".!?")
_CLOSERS = frozenset("\"'”’)")


def _title_like(text: str, s0: int, s1: int) -> bool:
    """A headline in Title Case: most longer words capitalised (a sentence ending in . ! or ?
    is running text, not a headline)."""
    if text[s1 - 1:s1] in _SENTENCE_FINAL or (text[s1 - 1:s1] in _CLOSERS and text[s1 - 2:s1 - 1] in _SENTENCE_FINAL):
        return False
    firsts = "".join(_TOKEN_FIRST.findall(text, s0, s1))
    return bool(firsts) and len(firsts) - len(firsts.translate(_DROP_UPPER)) >= 0.7 * len(firsts)


def _context_occurrences(hits: list[tuple[int, int, str]], lex: _Lexicon) -> dict[int, tuple[list[int], list[int]]]:
    """rule index -> (starts, ends) of its context words in the article, by start
    (`hits`: the article's context-word occurrences from _scan_batch)."""
    occ: dict[int, tuple[list[int], list[int]]] = {}
    table = lex.context_words
    for start, end, word in hits:
        for i in table.get(word, ()):
            pair = occ.get(i)
            if pair is None:
                occ[i] = pair = ([], [])
            pair[0].append(start)
            pair[1].append(end)
    return occ


def _refine(
    trig: _Trigger, s0: int, s1: int, t0: int, t1: int, lex: _Lexicon,
    occ: dict[int, tuple[list[int], list[int]]], by_at: int | None = None,
    grievance: list[tuple[int, int]] = (),
) -> dict:
    """Trigger defaults, overridden by the best matching context rule. `before`/`after`
    rules look at the agent / target side; in a passive clause ("was attacked by X",
    `by_at` = offset after "by") the target is before the trigger and the agent after; in a
    passive with no "by" (`by_at` = s1: "were killed when ...") target words are looked for on
    both sides (the nearest decides) and agent words after the trigger.
    `occ` holds the article's context-word occurrences per rule (_context_occurrences). `grievance`: the
    sentence's grievance clauses (`_grievance_spans`); a protest rule (ACLED type Protests: intervention, excessive
    force) pairs the trigger only with context words on the same side of them ("protest against the killing of":
    no force used on the protest)."""
    ev = {
        "event_type": trig.event_type,
        "event_mode": trig.event_mode,
        "acled_event_type": trig.acled_event_type,
        "acled_sub_event_type": trig.acled_sub_event_type,
    }
    chosen, chosen_key = None, None
    agentless = by_at is not None and by_at >= s1
    for idx, rule in lex.rules_by_class.get(trig.trigger_class, ()):  # highest priority first
        if chosen is not None and rule.priority < chosen.priority:
            break
        pair = occ.get(idx)
        if pair is None:
            continue
        if rule.unless and (veto := occ.get(-1 - idx)) is not None:
            j = bisect.bisect_left(veto[0], s0)
            if j < len(veto[0]) and veto[0][j] < s1:
                continue  # a word of the rule's `unless` list is in the sentence
        if rule.scope == "left":  # the words governing the trigger ("lifted the curfew"), never flipped
            a, b = max(s0, t0 - 80), t0
        elif agentless and rule.scope in ("before", "after"):  # "were killed when ...": the target before, a late agent ("reportedly by X") after
            a, b = (t1, min(s1, t1 + 80)) if rule.scope == "before" else (max(s0, t0 - 80), min(s1, t1 + 80))
        elif rule.scope == "before":
            a, b = (by_at, min(s1, by_at + 80)) if by_at is not None else (max(s0, t0 - 80), t0)
        elif rule.scope == "after":
            a, b = (max(s0, t0 - 80), t0) if by_at is not None else (t1, min(s1, t1 + 80))
        else:
            a, b = s0, s1
        starts, ends = pair
        dist = None
        for j in range(bisect.bisect_left(starts, a), len(starts)):
            ms = starts[j]
            if ms >= b:
                break
            me = ends[j]
            if me > b or (rule.scope == "sentence" and t0 <= ms < t1):
                continue  # the trigger itself is not its own context
            if grievance and rule.acled_event_type in _DEMO_TYPES and _inside(grievance, ms) != _inside(grievance, t0):
                continue
            d = t0 - me if me <= t0 else ms - t1 + (40 if agentless else 0)  # the subject first
            if dist is None or d < dist:
                dist = d
        if dist is None:
            continue
        # equal priority: the context word nearest the trigger decides
        if chosen_key is None or dist < chosen_key:
            chosen, chosen_key = rule, dist
    if chosen is not None:
        rule = chosen
        if rule.event_type == NO_EVENT:  # e.g. a natural hazard "struck" / "killed": not a political event
            return {"event_type": None, "event_mode": None, "acled_event_type": None, "acled_sub_event_type": None}
        changed = rule.event_type is not None and rule.event_type != ev["event_type"]
        if rule.event_type is not None:
            ev["event_type"] = rule.event_type
        if rule.event_mode is not None or changed:
            ev["event_mode"] = rule.event_mode
        if rule.acled_sub_event_type is not None:
            ev["acled_event_type"] = rule.acled_event_type
            ev["acled_sub_event_type"] = rule.acled_sub_event_type
        elif changed:
            ev["acled_event_type"] = ev["acled_sub_event_type"] = None
    return ev


# substrings without which _NEGATION_BEFORE / _FUTURE_BEFORE cannot match
_NEG_HINTS = ("no", "n't", "n’t", "never", "without", "den", "refus", "fail", "rul")
_FUTURE_HINTS = (
    "will", "would", "shall", "may", "might", "plan", "intend", "set to", "agree", "offer", "promis", "pledg",
    "commit", "ready", "willing", "prepar", "undert", "threat", "sworn", "swore", "vow", "plott",
)
_CUE_KIND: dict[str, list[str]] = defaultdict(list)
for _w in _FUTURE_HINTS:
    _CUE_KIND[_w].append("fut")
for _w in _NEG_HINTS:
    _CUE_KIND[_w].append("neg")
for _w in ("after", "since", "following", "amid", "during", "despite", "in the wake", "in retaliation",
           "in response", "in protest", "in connection", "against", "condemning", "denouncing", "protesting"):
    _CUE_KIND[_w].append("bg")
# without one of these a sentence has no _DATE_RE match (month / weekday names, years, relative words)
for _w in ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "monday", "tuesday",
           "wednesday", "thursday", "friday", "saturday", "sunday", "last", "yesterday", "today", "tonight", "this",
           "overnight", "earlier", "past", "previous", "the day before", "19", "20"):
    _CUE_KIND[_w].append("date")
# without one of these a sentence states no death toll (events_tolls.TOLL_CUES)
for _w in TOLL_CUES:
    _CUE_KIND[_w].append("toll")
_CUES = sorted(_CUE_KIND)


def _article_locations(
    locs: list[dict], text: str = "", spans: list[tuple[int, int]] = (),
) -> tuple[list[dict], list[int], dict | None]:
    """Mentions with offsets sorted by start, their starts, and the article's most frequent
    place (toponyms first; a dateline's place, where the story was filed, only when there is
    no other; ties go to the place whose country the article names most, then to one no "from"
    points at, then to the first mentioned; with no toponym, a country named by a demonym that is
    no actor's), the fallback event location."""
    locs = sorted(
        (r for r in locs if r.get("start_char") is not None and r.get("end_char") is not None),
        key=lambda r: r["start_char"],
    )
    datelines = [(s0, m.end()) for s0, s1 in spans[:3] if (m := _DATELINE.match(text, s0, s1))]

    def key(r: dict) -> str:
        return r.get("place_id") or r.get("place_name") or r["mention_text"]

    eligible = [
        r for r in locs if r.get("latitude") is not None and (r.get("mention_kind") or "toponym") == "toponym"
        and not (text and _attributive(text, r))
    ]
    body = [r for r in eligible if not any(a <= r["start_char"] < b for a, b in datelines)]
    eligible = body or eligible
    if not eligible and text:
        # no toponym at all: the country a demonym names where it is no actor's ("a Kenyan market", not
        # "Ugandan troops"), at country precision
        eligible = [
            r for r in locs if r.get("latitude") is not None and r.get("mention_kind") == "demonym"
            and r.get("feature_type") == "country" and not _attributive(text, r)
        ]
    main_loc = None
    if eligible:
        # most mentions first; among equals, the place in the country the article names most
        # ("St Albans Prison in Port Elizabeth (..., Eastern Cape)"), then the first mentioned
        counts = Counter(key(r) for r in eligible)
        votes = Counter(r.get("country_code") for r in eligible)
        # (then a place no "from" points at: "fighters from X" came from there)
        main_loc = max(eligible, key=lambda r: (
            counts[key(r)], votes[r.get("country_code")],
            not (text and _from_before(text, max(0, r["start_char"] - 12), r["start_char"])),
        ))
    return locs, [r["start_char"] for r in locs], main_loc


# a country name used as a modifier names an actor or a thing, not where the event happened
# ("Burundi troops", "the US dollar", "Saudi-led coalition")
_ATTRIBUTIVE_AFTER = re.compile(
    r"(?:-(?:led|backed|based|born|made|owned|funded|supported|allied)\b|\s+(?:forces|troops|soldiers?|army|military|"
    r"government|officials?|authorities|police|navy|air force|warplanes|jets|dollars?|embassy|ambassador|president|"
    r"prime minister|minister|ministry|nationals?|citizens|contingent|peacekeepers|battalion|brigade|regime)\b)",
    re.IGNORECASE,
)


def _attributive(text: str, r: dict) -> bool:
    """Whether a country-level place mention is used as a modifier (`_ATTRIBUTIVE_AFTER`)."""
    return r.get("feature_type") == "country" and _ATTRIBUTIVE_AFTER.match(text, r["end_char"]) is not None


def _country_votes(locs: list[dict]) -> dict[str, int]:
    """Resolved toponym mentions per country code in one article."""
    return dict(Counter(
        r["country_code"] for r in locs
        if r.get("country_code") and r.get("latitude") is not None and (r.get("mention_kind") or "toponym") == "toponym"
    ))


# a clause break between a trigger and a place ("when" / "where" clauses usually
# describe the same event and do not count, nor do parentheses: "in Hawra (Wadi Al Ayn,
# Hadramawt)" names the containing places)
_PLACE_BREAK = re.compile(r";|\b(?:after|before|because|since|although|though|whereas|until|unless|while)\b")


_PART_OF_TOWN = re.compile(
    r"\s+(?:neighbou?rhood|area|locality|suburb|quarter|colony|township)\s+(?:of|in)\s+(?:the\s+)?", re.IGNORECASE
)
_CONTAINER_WITHIN = 30  # characters from "of" to the containing place's name ("of Bagcilar, Istanbul")
# "in X neighborhood" with no "of Y": a part of the town the sentence named before it
_PART_OF_NAMED_TOWN = re.compile(r"\s+(?:neighbou?rhood|suburb|quarter|locality|colony)\b", re.IGNORECASE)


def _town_before(locs: list[dict], loc_starts: list[int], s0: int, at: int) -> dict | None:
    """The last resolved town (city) mention of the sentence starting at `s0` before offset `at`."""
    i = bisect.bisect_left(loc_starts, at) - 1
    while i >= 0 and locs[i]["start_char"] >= s0:
        r = locs[i]
        if r.get("latitude") is not None and r.get("feature_type") == "city" and (
            r.get("mention_kind") or "toponym"
        ) == "toponym":
            return r
        i -= 1
    return None


# "X district (Y)", "X (Y, Z)", "X, Y": the name right after a place (after a comma or in a parenthesis,
# past an optional division word) names a place containing it
_CONTAINED_BY = re.compile(
    r"(?:\s+(?:district|sub-?district|area|village|town|city|province|governorate|region|county|municipality|"
    r"commune|front|frontline|sector))?\s*(?:,|\()\s*",
    re.IGNORECASE,
)
_CONTAINER_FAR_KM = 100.0  # a reading this far from its stated container is a namesake elsewhere


def _km(a: dict, b: dict) -> float:
    """Great-circle distance between two located rows."""
    la1, lo1, la2, lo2 = map(math.radians, (a["latitude"], a["longitude"], b["latitude"], b["longitude"]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(h)))


def _outside_container(
    text: str, r: dict, locs: list[dict], loc_starts: list[int], s1: int, votes: dict[str, int] | None = None,
) -> dict | None:
    """The place said to contain `r` ("X, Y", "X (Y)", "X district (Y)") when `r`'s reading is not in it
    (a namesake of a village the gazetteer lacks, read as a town elsewhere: in "X district (Y)", X read as
    a town in another country): another country, or another first-level division of the same country more than
    `_CONTAINER_FAR_KM` away; not when the article (`votes`, `_country_votes`) names the container's
    country less often than `r`'s (in "X (X, Y)" with X named twice, Y read in another country is the misread)."""
    m = _CONTAINED_BY.match(text, r["end_char"])
    if m is None:
        return None
    i = bisect.bisect_left(loc_starts, m.end())
    if i >= len(locs) or locs[i]["start_char"] != m.end() or locs[i]["start_char"] >= s1:
        return None
    y = locs[i]
    if y.get("latitude") is None or (y.get("mention_kind") or "toponym") != "toponym":
        return None
    if y.get("feature_type") not in ("country", "admin1", "city"):
        return None
    if not y.get("country_code") or not r.get("country_code") or r.get("latitude") is None:
        return None
    if votes and votes.get(y["country_code"], 0) < votes.get(r["country_code"], 0):
        return None
    if y["country_code"] != r["country_code"]:
        return y
    if (
        y["feature_type"] != "country" and r.get("feature_type") in ("city", "admin2")
        and y.get("admin1_code") and r.get("admin1_code") and y["admin1_code"] != r["admin1_code"]
        and _km(r, y) > _CONTAINER_FAR_KM
    ):
        return y
    return None


def _container(locs: list[dict], loc_starts: list[int], at: int, s1: int) -> dict | None:
    """The first resolved toponym starting within `_CONTAINER_WITHIN` characters of `at` (and the sentence)."""
    i = bisect.bisect_left(loc_starts, at)
    while i < len(locs) and locs[i]["start_char"] < min(s1, at + _CONTAINER_WITHIN):
        r = locs[i]
        if r.get("latitude") is not None and (r.get("mention_kind") or "toponym") == "toponym":
            return r
        i += 1
    return None


# every _PLACE_BREAK match contains one of these ("though" also finds "although")
_PLACE_BREAK_WORDS = (";", "after", "before", "because", "since", "though", "whereas", "until", "unless", "while")


def _place_breaks(text: str, s0: int, s1: int) -> list[tuple[int, int]]:
    """Every _PLACE_BREAK match of the sentence text[s0:s1], for `_break_between` (none, without a
    regex scan, when none of _PLACE_BREAK_WORDS occurs there)."""
    if not any(text.find(w, s0, s1) >= 0 for w in _PLACE_BREAK_WORDS):
        return []
    return [m.span() for m in _PLACE_BREAK.finditer(text, s0, s1)]


def _break_between(text: str, a: int, b: int, breaks: list[tuple[int, int]] | None) -> bool:
    """`_PLACE_BREAK.search(text, a, b) is not None`, from the sentence's matches (`_place_breaks`)
    when given: one search per place and trigger cost the sentence's length each time, so a
    long sentence dense with triggers and places took time cubic in its length. A match within
    [a, b) is a match there too; the search finds another only when `b` cuts a word (a break
    word at its start), and then it is run."""
    if breaks is None or (b < len(text) and _is_word_char(text[b - 1]) and _is_word_char(text[b])):
        return _PLACE_BREAK.search(text, a, b) is not None
    i = bisect.bisect_left(breaks, (a,))
    return i < len(breaks) and breaks[i][1] <= b


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


_FROM_BEFORE = re.compile(r"\bfrom\s+(?:the\s+)?$", re.IGNORECASE)


def _from_before(text: str, a: int, b: int) -> bool:
    """`_FROM_BEFORE` ends at `b` in text[a:b] (the regex only runs where "rom" / "ROM" occurs there)."""
    return (text.find("rom", a, b) >= 0 or text.find("ROM", a, b) >= 0) and _FROM_BEFORE.search(text, a, b) is not None


def _sentence_location(
    locs: list[dict], loc_starts: list[int], s0: int, s1: int, t0: int, text: str | None = None, t1: int | None = None,
    breaks: list[tuple[int, int]] | None = None, votes: dict[str, int] | None = None,
) -> tuple[dict | None, bool]:
    """The event place in the sentence: places in the trigger's own clause first (with `text`
    and `t1`; none across a clause break such as "after" / "while" / ";"), then the most
    specific (city before province before country), then the nearest; with `votes` (toponyms
    per country in the article, `_country_votes`) a place of a less-named country comes after
    the others of its clause, and a place after "from" (where the actors or the fire came from) after the
    others of its country group. A part of a town stands for the town ("X area of Y": Y; "in X neighborhood":
    the town the sentence names before it), and a place read outside its stated container for the
    container (`_outside_container`). Returns the place and
    whether it is in the trigger's clause. `breaks`: the sentence's `_place_breaks`, if known."""
    loc, best = None, None
    i = bisect.bisect_left(loc_starts, s0)
    dateline = _DATELINE.match(text, s0, s1) if text is not None and i < len(locs) else None
    while i < len(locs) and locs[i]["start_char"] < s1:
        r = locs[i]
        if (
            r.get("latitude") is not None and (r.get("mention_kind") or "toponym") == "toponym"
            and not (text is not None and _attributive(text, r))
        ):
            other_clause = False
            if text is not None:
                a, b = (t1, r["start_char"]) if r["start_char"] >= t1 else (r["end_char"], t0)
                other_clause = (a < b and _break_between(text, a, b, breaks)) or (
                    dateline is not None and r["start_char"] < dateline.end()  # where the story was filed
                )
            # a place in a country the rest of the article names less often is likely a misread
            # ("Colonia" of a Mexican street name read as Cologne)
            stray = bool(votes) and votes.get(r.get("country_code") or "", 0) < max(votes.values())
            # "fighters from X", "rockets fired from X": where the actors or the fire came from, not where it happened
            origin = text is not None and _from_before(text, max(s0, r["start_char"] - 12), r["start_char"])
            key = (other_clause, stray, origin, _SPECIFICITY.get(r.get("feature_type") or "", 1), abs(r["start_char"] - t0))
            if best is None or key < best:
                # (what a place stands for is only worked out for the best so far: the key is the place's own)
                # "in Palanpur area of Surat city", "Mahmutbey neighborhood of Bagcilar, Istanbul": the name of
                # a part of a town, which the gazetteer can only read as a namesake town elsewhere, stands
                # for the place it is said to be part of
                if text is not None and (part := _PART_OF_TOWN.match(text, r["end_char"])):
                    r = _container(locs, loc_starts, part.end(), s1) or r
                elif text is not None and _PART_OF_NAMED_TOWN.match(text, r["end_char"]):
                    r = _town_before(locs, loc_starts, s0, r["start_char"]) or r
                elif text is not None:
                    r = _outside_container(text, r, locs, loc_starts, s1, votes) or r
                best, loc = key, r
        i += 1
    return loc, best is not None and not best[0]


def _span_country(span: tuple[int, int] | None, locs: list[dict], loc_starts: list[int]) -> str | None:
    if span is None:
        return None
    i = bisect.bisect_left(loc_starts, span[0])
    while i < len(locs) and locs[i]["start_char"] < span[1]:
        if locs[i].get("country_code"):
            return locs[i]["country_code"]
        i += 1
    return None


# words that open a new clause: an actor / recipient is not looked for across them
_CLAUSE_BREAK = re.compile(
    r"[;:()]|\b(?:after|before|when|while|because|since|although|though|whereas|until|unless|where|which|who|whom)\b"
)


def _actor_recipient(
    text: str, cands: list[tuple[int, int]], s0: int, t0: int, t1: int, by_at: int | None
) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Actor: the nearest candidate before the trigger in the same clause (the sentence's
    first one for a participle after a comma: "Russia fired missiles, killing 7"); recipient:
    the first candidate after it before any comma or clause break. In a passive clause
    ("was attacked by X") the agent follows "by" and the target precedes the trigger."""
    before_c = [c for c in cands if c[1] <= t0]
    after_c = [c for c in cands if c[0] >= t1]
    if by_at is not None:
        by_c = [c for c in after_c if c[0] >= by_at]
        actor = by_c[0] if by_c and not _CLAUSE_BREAK.search(text, by_at, by_c[0][0]) else None
        target = before_c[-1] if before_c and not _CLAUSE_BREAK.search(text, before_c[-1][1], t0) else None
        return actor, target
    actor = None
    if before_c:
        if text[t0 - 2:t0] == ", " and text[t0:t1].endswith("ing"):
            actor = before_c[0] if not _CLAUSE_BREAK.search(text, s0, before_c[0][0]) else None
        elif not _CLAUSE_BREAK.search(text, before_c[-1][1], t0):
            actor = before_c[-1]
    recipient = None
    if after_c:
        gap = text[t1:after_c[0][0]]
        if "," not in gap and not _CLAUSE_BREAK.search(gap):
            recipient = after_c[0]
    return actor, recipient


@dataclass(slots=True)
class _Mention:
    """A coded trigger before pruning (see _extract_rows)."""
    si: int
    t0: int
    t1: int
    ev: dict
    negated: bool
    by_at: int | None
    conf: float
    strong: bool
    background: bool = False
    trigger_class: str = ""


def _cue_within(cues: tuple[list[int], list[int]], lo: int, hi: int) -> bool:
    """Whether a cue (starts, ends) lies wholly within [lo, hi)."""
    starts, ends = cues
    for j in range(bisect.bisect_left(starts, lo), len(starts)):
        if starts[j] >= hi:
            return False
        if ends[j] <= hi:
            return True
    return False


def _split_cues(hits: list[tuple[int, int, str]]) -> dict[str, tuple[list[int], list[int]]]:
    """Cue (starts, ends) per kind (`fut`, `neg`, `bg`, `date`, `toll`) of an article's _CUES hits."""
    out: dict[str, tuple[list[int], list[int]]] = {k: ([], []) for k in ("fut", "neg", "bg", "date", "toll")}
    for a, b, w in hits:
        for kind in _CUE_KIND[w]:
            pair = out[kind]
            pair[0].append(a)
            pair[1].append(b)
    return out


def _article_mentions(
    text: str, spans: list[tuple[int, int]], starts: list[int], has_loc, lex: _Lexicon, title_of,
    trig_hits: list[tuple[int, int, str]], ctx_hits: list[tuple[int, int, str]],
    cues: dict[str, tuple[list[int], list[int]]],
) -> list[_Mention]:
    """Phase 1: coded, scored trigger mentions of one article. Cue words (see _CUES) gate
    the negation / future regexes, which only run when a cue is close before the trigger."""
    fut_cues, neg_cues, bg_cues = cues["fut"], cues["neg"], cues["bg"]
    # the clause patterns run case-sensitively on the lower-cased text (same offsets) of an ASCII article,
    # or of one without a character re.IGNORECASE folds to ASCII (casefold.twins_apply)
    low, rx = (text.lower(), _CLAUSE_RX_LOWER) if twins_apply(text) else (text, _CLAUSE_RX)
    out: list[_Mention] = []
    occ = _context_occurrences(ctx_hits, lex)
    last_in_sentence: dict[int, tuple[int, _Trigger]] = {}
    first_violent_si: int | None = None  # sentence of the article's first violent act
    by_form = lex.by_form
    found = []
    for t0, t1, word in _leftmost_longest(trig_hits):
        trig = by_form.get(word)
        # rows without an event_type are context-only triggers ("found" + weapons);
        # `block` rows are stop phrases that only shadow shorter matches
        if trig is not None and trig.trigger_class != "block":
            found.append((t0, t1, trig))
    demo_ends: dict[int, list[int]] = defaultdict(list)  # sentence -> ends of its demonstration triggers
    for t0, t1, trig in found:
        if trig.trigger_class in _DEMO_CLASSES:
            demo_ends[max(0, bisect.bisect_right(starts, t0) - 1)].append(t1)
    grievances: dict[int, list[tuple[int, int]]] = {}
    for k, (t0, t1, trig) in enumerate(found):
        if (
            trig.weight <= LIGHT_WEIGHT
            and k + 1 < len(found)
            and found[k + 1][0] - t1 <= 30
            and "," not in text[t1:found[k + 1][0]]
        ):
            continue  # a light verb before its noun ("opened an investigation", "gave a welcome")
        si = max(0, bisect.bisect_right(starts, t0) - 1)
        s0, s1 = spans[si]
        if t0 >= s1:  # between sentences (should not happen)
            continue
        c = text[t0]
        if (
            c.isupper() and t0 > s0 and not text[t0:t1].isupper()
            and not title_of(si)
            and not _OPENER_BEFORE.search(text, s0, t0)
        ):
            continue  # capitalised inside a running sentence: part of a name ("Amnesty International")
        passive = _PASSIVE_AFTER.match(text, t1, s1) if text.find("by", t1, s1) >= 0 else None
        by_at = passive.end() if passive else None
        if by_at is None and rx.be_before.search(low, max(s0, t0 - 30), t0):
            by_at = s1  # a passive with no agent ("a soldier was killed"): the target precedes, no agent side
        grievance = grievances.get(si)
        if grievance is None:
            grievance = grievances[si] = _grievance_spans(text, s1, demo_ends[si]) if si in demo_ends else []
        ev = _refine(trig, s0, s1, t0, t1, lex, occ, by_at, grievance)
        if ev["event_type"] is None:
            continue
        lo = max(s0, t0 - 50)
        if ev["event_type"] not in {"REQUEST", "ACCUSE", "THREATEN", "REJECT"}:
            fut = rx.future_before.search(low, lo, t0) if _cue_within(fut_cues, lo, t0) else None
            if fut is not None:
                cond = rx.condition_after.search(low, t1, s1)
                # "unless" / "or face" makes any announced act a threat; a plain "if" only a conflict act
                conditional = cond is not None and cond.group(0).lower() != "if"
                if fut.group("agree") or (fut.group("ready") and ev["event_type"] not in _CONFLICT_TYPES):
                    new_type = "AGREE"
                elif fut.group("threat") or conditional or ev["event_type"] in _CONFLICT_TYPES:
                    new_type = "THREATEN"
                else:
                    new_type = "AGREE"
                ev = {"event_type": new_type, "event_mode": None,
                      "acled_event_type": None, "acled_sub_event_type": None}
        lo = max(s0, t0 - 60)
        negated = _cue_within(neg_cues, lo, t0) and bool(rx.negation_before.search(low[lo:t0]))
        if negated and ev["event_type"] in _COOPERATIVE_TYPES:
            # "failed to reach agreement", "would not meet demands": a refusal
            ev = {"event_type": "REJECT", "event_mode": None,
                  "acled_event_type": None, "acled_sub_event_type": None}
            negated = False
        prev = last_in_sentence.get(si)
        # a participle clause after the main one (", killing 12 and arresting 5") adds detail
        participle = prev is not None and text[t0 - 2:t0] == ", " and text[t0:t1].split(" ", 1)[0].lower().endswith("ing")
        complement = participle or bool(
            prev is not None
            and prev[1].event_type in _INTENT_TYPES
            and t0 - prev[0] < 80
            and (rx.complement_before.search(low[prev[0]:t0]) or _DIRECT_OBJECT.fullmatch(text, prev[0], t0))
        )
        lo = max(s0, t0 - 60)
        background = (_cue_within(bg_cues, lo, t0) and bool(rx.background_before.search(low, lo, t0))) or (
            bool(grievance) and _inside(grievance, t0)
        )
        # "the attack" / "the clash" after a sentence that reported a violent act refers back to it; unless its
        # sentence codes it more closely than the trigger alone does ("the attacks were carried out with grenades")
        anaphoric = (
            first_violent_si is not None and si > first_violent_si and ev["event_type"] in _VIOLENT_TYPES
            and ev["acled_sub_event_type"] == trig.acled_sub_event_type
            and _ANAPHOR_BEFORE.search(text, max(s0, t0 - 12), t0) is not None
        )
        if ev["event_type"] in _VIOLENT_TYPES and first_violent_si is None and not negated:
            first_violent_si = si
        first_in_sentence = si not in last_in_sentence
        last_in_sentence[si] = (t1, trig)
        rel = (t0 - s0) / max(1, s1 - s0)
        doc_pos = 1.0 if si == 0 else 0.75 if si == 1 else 0.6 if si <= 3 else 0.45 if si <= 8 else 0.3
        conf = (
            W_TRIGGER * trig.weight
            + W_DOC_POS * doc_pos
            + W_SENT_POS * (1.0 - rel)
            + W_FIRST * first_in_sentence
            + W_VIOLENT * (ev["event_type"] in _VIOLENT_TYPES)
            + W_MATERIAL * (ev["event_type"] in _MATERIAL_TYPES)
            + W_LOCATION * has_loc(si)
            - W_NEGATED * negated
            - W_COMPLEMENT * (complement or anaphoric)
            - W_BACKGROUND * background
        )
        # a specific, ACLED-coded trigger is never pruned as a secondary mention
        strong = (
            trig.weight >= STRONG_WEIGHT and ev["acled_sub_event_type"] is not None and not complement and not background
            and not anaphoric
        )
        out.append(_Mention(si, t0, t1, ev, negated, by_at, conf, strong, background, trig.trigger_class))
    _killed_in_riots(out)
    return out


def _killed_in_riots(mentions: list[_Mention]) -> None:
    """Killings in clashes are clashes: a killing coded an armed clash in a sentence whose clash is coded a riot
    ("a farmer was killed in a clash between two farmer groups": mob violence) takes the clash's coding, in place."""
    riot = {}
    for mt in mentions:
        if mt.trigger_class == "clash" and mt.ev["acled_event_type"] == "Riots" and not mt.negated:
            riot.setdefault(mt.si, mt.ev)
    if riot:
        for mt in mentions:
            if mt.trigger_class == "killing" and mt.si in riot and mt.ev["acled_sub_event_type"] == "Armed clash":
                mt.ev = dict(riot[mt.si])


# a definite article or demonstrative right before a trigger noun ("the attack", "this clash")
_ANAPHOR_BEFORE = re.compile(r"\b(?:the|this|that)\s+$", re.IGNORECASE)
_OPENER_BEFORE = re.compile(r"[.!?:;\"“(]\s*$")


def _mission_areas(areas: pl.DataFrame | None) -> list[tuple[re.Pattern, dict]]:
    """(compiled pattern, place) of each row of the mission-areas table (`reference.events.load_mission_areas`)."""
    if areas is None or areas.height == 0:
        return []
    return [
        (re.compile(r["pattern"]), {
            "location_id": None, "place_name": r["place_name"], "feature_type": r["feature_type"],
            "country_code": r["country_code"], "latitude": r["latitude"], "longitude": r["longitude"],
        })
        for r in areas.iter_rows(named=True)
    ]


def _mission_area(text: str, areas: list[tuple[re.Pattern, dict]]) -> dict | None:
    """The area of the first mission the text names ("the OSCE SMM observed ... near X" with X unknown to
    the gazetteer: the Donbas), or None; it has no location row (`location_id` NULL)."""
    for pattern, place in areas:
        if m := pattern.search(text):
            return {**place, "start_char": m.start(), "end_char": m.end()}
    return None


def _extract_rows(
    articles: pl.DataFrame,
    sentences: dict[str, list[tuple[int, int]]],
    locations: dict[str, list[dict]],
    lex: _Lexicon,
    kills: dict[str, list[KillFigure]] | None = None,
    areas: list[tuple[re.Pattern, dict]] | None = None,
) -> list[dict]:
    """Per article: (1) coded, scored trigger mentions; (2) weak secondary mentions of a
    sentence dropped (within SENTENCE_MARGIN of its best; negated and strong ones kept);
    (3) actor / recipient, location and date for the kept ones. `areas` (`_mission_areas`): an article
    that resolves no place at all, but names a mission with a fixed area, has its events there."""
    rows: list[dict] = []
    kills = kills or {}
    ids = articles["article_id"].to_list()
    texts = articles["text"].to_list()
    pubs = _published_dates(articles["published_at"].to_list()) if "published_at" in articles.columns else [None] * len(ids)
    # one Aho-Corasick pass for trigger forms, context words and actor nouns, then split
    by_form, context_words, actor_words = lex.by_form, lex.context_words, set(lex.actor_words)
    hits, cue_hits = _scan_groups(
        articles["text"],
        [ScanGroup(sorted(set(by_form) | set(context_words) | actor_words)), ScanGroup(_CUES, bounded=False)],
    )
    trig_hits = [[h for h in hs if h[2] in by_form] for hs in hits]
    # a stop phrase shadows the context words inside it too ("grenade launchers" names no grenade)
    blocks = [[(a, b) for a, b, w in hs if by_form[w].trigger_class == "block"] for hs in trig_hits]
    ctx_hits = [
        [h for h in hs if h[2] in context_words
         and not (bl and any(a <= h[0] and h[1] <= b and h[1] - h[0] < b - a for a, b in bl))]
        for hs, bl in zip(hits, blocks)
    ]
    actor_hits = [_leftmost_longest([h for h in hs if h[2] in actor_words]) for hs in hits]
    for n, (aid, text, pub) in enumerate(zip(ids, texts, pubs)):
        if not text:
            continue
        spans = sentences.get(aid) or sentence_spans(text)
        if not spans:
            continue
        starts = [s for s, _ in spans]
        locs, loc_starts, main_loc = _article_locations(locations.get(aid, []), text, spans)
        if main_loc is None and areas and not any(r.get("latitude") is not None for r in locs):
            main_loc = _mission_area(text, areas)
        votes = _country_votes(locs)
        title_cache: dict[int, bool] = {}

        def title_of(si: int) -> bool:
            hit = title_cache.get(si)
            if hit is None:
                hit = title_cache[si] = _title_like(text, *spans[si])
            return hit

        def has_loc(si: int) -> bool:
            return main_loc is not None or _sentence_location(locs, loc_starts, *spans[si], spans[si][0])[0] is not None

        cues = _split_cues(cue_hits[n])
        mentions = _article_mentions(
            text, spans, starts, has_loc, lex, title_of, trig_hits[n], ctx_hits[n], cues
        )
        if not mentions:
            continue
        best: dict[int, float] = {}
        for mt in mentions:
            if mt.conf > best.get(mt.si, -1e9):
                best[mt.si] = mt.conf
        mentions = [mt for mt in mentions if mt.conf >= best[mt.si] - SENTENCE_MARGIN or mt.negated or mt.strong]
        date_cache: dict[int, list[tuple[int, tuple[dt.date | None, str]]]] = {}

        def dates_in(si: int) -> list[tuple[int, tuple[dt.date | None, str]]]:
            """Resolvable date expressions of sentence si: (start, (date, precision))."""
            hit = date_cache.get(si)
            if hit is None:
                hit = date_cache[si] = [
                    (dm.start(), d) for dm in _date_matches_near(text, *spans[si], cues["date"])
                    if (d := _resolve_date(dm, pub))[0] is not None
                ]
            return hit

        # document-level date: the first one in the first two sentences
        lead = dates_in(0) or (dates_in(1) if len(spans) > 1 else [])
        doc_date: tuple[dt.date | None, str] = lead[0][1] if lead else (None, "unknown")
        place_spans = [(r["start_char"], r["end_char"]) for r in locs]
        cand_cache: dict[int, list[tuple[int, int]]] = {}
        break_cache: dict[int, list[tuple[int, int]]] = {}
        named = _NamedElsewhere(text)
        first_row = len(rows)
        for mt in mentions:
            si, t0, t1 = mt.si, mt.t0, mt.t1
            s0, s1 = spans[si]
            cands = cand_cache.get(si)
            if cands is None:
                cands = cand_cache[si] = _np_candidates(
                    text, s0, s1, lex, place_spans, title_of(si), actor_hits[n], named
                )
            actor, recipient = _actor_recipient(text, cands, s0, t0, t1, mt.by_at)
            # a place of the sentence (the trigger's own clause first), else the article's main place
            breaks = break_cache.get(si)
            if breaks is None:
                breaks = break_cache[si] = _place_breaks(text, s0, s1)
            loc = _sentence_location(locs, loc_starts, s0, s1, t0, text, t1, breaks, votes)[0] or main_loc
            # date: nearest date expression in the sentence, else the document's
            date, precision = None, "unknown"
            bestd = None
            for start, resolved in dates_in(si):
                dist = abs(start - t0)
                if bestd is None or dist < bestd:
                    bestd, (date, precision) = dist, resolved
            if date is None:
                date, precision = doc_date
            rows.append(
                {
                    "article_id": aid,
                    "trigger_text": text[t0:t1],
                    "trigger_start": t0,
                    "trigger_end": t1,
                    "sentence_start": s0,
                    "sentence_end": s1,
                    **mt.ev,
                    "actor_text": text[actor[0]:actor[1]] if actor else None,
                    "actor_country": _span_country(actor, locs, loc_starts) or (
                        # police act in their own country
                        loc.get("country_code") if loc and actor and lex.actor_type.get(text[actor[0]:actor[1]].lower()) == "police"
                        else None
                    ),
                    "recipient_text": text[recipient[0]:recipient[1]] if recipient else None,
                    "recipient_country": _span_country(recipient, locs, loc_starts),
                    "location_id": loc["location_id"] if loc else None,
                    "latitude": loc.get("latitude") if loc else None,
                    "longitude": loc.get("longitude") if loc else None,
                    "country_code": loc.get("country_code") if loc else None,
                    "event_date": date,
                    "date_precision": precision,
                    "negated": mt.negated,
                    "confidence": mt.conf,
                    "_background": mt.background,
                    "fatalities": None,
                    "fatalities_start": None,
                    "fatalities_end": None,
                }
            )
        _escalate_protests(rows[first_row:])
        _exchanges_of_fire(text, rows[first_row:])
        _merge_mentions(text, spans, rows[first_row:], [mt.si for mt in mentions], cues["toll"][0], kills.get(aid, ()))
    return rows


# ACLED codes a demonstration by the whole report: demonstrators' violence (vandalism, barricades,
# burning tyres) makes it a violent demonstration whatever else happened, lethal force against
# peaceful demonstrators excessive force, any other intervention a protest with intervention
_PROTEST_RANK = {
    "Peaceful protest": 0, "Protest with intervention": 1, "Excessive force against protesters": 2,
    "Violent demonstration": 3,
}


_STATE_ACTOR = re.compile(
    r"\b(?:police|policemen|forces|army|troops|soldiers|military|authorities|government|officials|municipality)\b",
    re.IGNORECASE,
)


def _escalate_protests(rows: list[dict]) -> None:
    """Give every demonstration mention of an article the gravest protest sub-event type among
    the demonstration mentions it can be the same event as (`_same_event`), in place; mob violence
    that can be the same event as a demonstration is a violent demonstration, and so is an attack that
    can be the same event as a violent demonstration; so is property destruction that can be the same event as
    a demonstration, unless its actor is the state (`_STATE_ACTOR`). A background mention (an earlier event, a
    grievance: "after last week's riots", "against the killing of") escalates no other."""
    protest = [r for r in rows if r["acled_sub_event_type"] in _PROTEST_RANK and not r["negated"]]
    # crowd violence during a demonstration is the demonstration turning violent, and so is property destroyed
    # by anyone but the state ("traders burned tyres and vandalised public buildings ... to disperse the
    # demonstrators")
    for r in rows:
        if (
            r["acled_sub_event_type"] == "Mob violence"
            or (
                r["acled_sub_event_type"] == "Looting/property destruction" and not r["negated"] and not r["_background"]
                and not _STATE_ACTOR.search(r["actor_text"] or "")
            )
        ) and any(
            _same_event(r, o) for o in protest if not o["_background"]
        ):
            r["acled_sub_event_type"] = "Violent demonstration"
            r["acled_event_type"] = "Riots"
            protest.append(r)
    for r in protest:
        worst = max(
            (o for o in protest if o is r or (_same_event(r, o) and not o["_background"])),
            key=lambda o: _PROTEST_RANK[o["acled_sub_event_type"]],
        )
        if _PROTEST_RANK[worst["acled_sub_event_type"]] > _PROTEST_RANK[r["acled_sub_event_type"]]:
            r["acled_sub_event_type"] = worst["acled_sub_event_type"]
            r["acled_event_type"] = worst["acled_event_type"]
    # an attack in the same event as a violent demonstration is part of the riot ("supporters of two
    # parties clashed during a demonstration; a journalist was beaten up")
    riots = [r for r in protest if r["acled_sub_event_type"] == "Violent demonstration" and not r["_background"]]
    if riots:
        for r in rows:
            if r["acled_sub_event_type"] == "Attack" and not r["negated"] and any(_same_event(r, o) for o in riots):
                r["acled_sub_event_type"] = "Violent demonstration"
                r["acled_event_type"] = riots[0]["acled_event_type"]


# the side fired upon fired back: the event is an exchange of fire
_FIRE_RETURNED = re.compile(
    r"\b(?:return(?:ed|ing)? (?:the )?fire|responded to the fire|responded with fire|fir(?:ed|ing) back)\b", re.IGNORECASE
)
_ONE_SIDED = frozenset({"Shelling/artillery/missile attack", "Attack"})


def _may_return_fire(text: str) -> bool:
    """Whether `_FIRE_RETURNED` can match: "fire" or "firing" and one of "return" / "respond" / "back" occur
    (lower case, capitalised or all capitals); a few substring tests spare most articles the case-insensitive
    regex scan."""
    return any(w in text for w in ("fire", "Fire", "FIRE", "firing", "Firing", "FIRING")) and any(
        w in text for w in ("eturn", "ETURN", "espond", "ESPOND", "back", "Back", "BACK")
    )


def _exchanges_of_fire(text: str, rows: list[dict]) -> None:
    """ACLED codes fire that the side fired upon returned as an armed clash: when a violent mention's sentence
    says fire was returned (`_FIRE_RETURNED`: "the troops responded to the fire, killing several"), every
    shelling or attack mention that can be the same event (`_same_event`) becomes an armed clash, in place."""
    if not _may_return_fire(text) or _FIRE_RETURNED.search(text) is None:
        return
    returned = [
        r for r in rows
        if r["event_type"] in _VIOLENT_TYPES and not r["negated"]
        and _FIRE_RETURNED.search(text, r["sentence_start"], r["sentence_end"]) is not None
    ]
    for r in rows:
        if r["acled_sub_event_type"] in _ONE_SIDED and not r["negated"] and any(_same_event(r, o) for o in returned):
            r["acled_event_type"], r["acled_sub_event_type"] = "Battles", "Armed clash"


def _toll_eligible(row: dict) -> bool:
    """Whether an event mention can carry a death toll: a violent act or a demonstration
    (PLOVER ASSAULT / PROTEST, or an ACLED political-violence or demonstration type), not
    negated. Arrests, curfews and states of emergency never carry one."""
    return not row["negated"] and (
        row["event_type"] in _TOLL_TYPES or row["acled_event_type"] in _VIOLENT_ACLED_TYPES
    )


_TOLL_TYPES = {"ASSAULT", "PROTEST"}
_VIOLENT_ACLED_TYPES = {"Battles", "Explosions/Remote violence", "Violence against civilians", "Protests", "Riots"}
TOLL_LOOKAHEAD = 2  # a toll before any violent event joins the first one at most this many sentences on


def _same_event(a: dict, b: dict) -> bool:
    """Whether two event mentions of one article can be the same event: the same or no place,
    the same or no date."""
    return (
        (a["location_id"] is None or b["location_id"] is None or a["location_id"] == b["location_id"]
         or (a["latitude"], a["longitude"]) == (b["latitude"], b["longitude"]))
        and (a["event_date"] is None or b["event_date"] is None or a["event_date"] == b["event_date"])
    )


class KillFigure(NamedTuple):
    """A KILL figure of the article (figures transform): offsets and value."""

    start: int
    end: int
    value: float


def _toll_value(toll: Toll, kills: tuple[KillFigure, ...] | list[KillFigure]) -> int | None:
    """The death count of a toll: the sum of the KILL figures inside its text when there are any
    (the figure rows it came from; not for a vague amount, which takes the codebook default),
    else the count read by events_tolls. None when it is no count of one event: every figure
    inside is negative, not finite or above MAX_FATALITIES, or the count is."""
    inside = [k.value for k in kills if toll.start <= k.start and k.end <= toll.end] if toll.kind != "vague" else []
    if inside:
        plausible = [v for v in inside if v is not None and math.isfinite(v) and 0 <= v <= MAX_FATALITIES]
        if not plausible:
            return None
        value = round(sum(plausible))
    else:
        value = toll.value
    return value if 0 <= value <= MAX_FATALITIES else None


def _event_family(row: dict) -> str:
    """Which mentions can describe one event together: every violent act or demonstration
    (shelling, the deaths it caused, the protest it hit) is one family, each other PLOVER type
    its own."""
    return "violence" if (
        row["event_type"] in _TOLL_TYPES or row["acled_event_type"] in _VIOLENT_ACLED_TYPES
    ) else row["event_type"] or ""


def _same_event_groups(rows: list[dict]) -> list[list[int]]:
    """Same-event groups of one article's mentions (indices, text order): a mention joins the
    first group of its family (`_event_family`) that it can be the same event as with every
    member (`_same_event`: same or no place, same or no date); a negated mention stands alone."""
    groups: list[list[int]] = []
    fams: list[str] = []
    for i, r in enumerate(rows):
        fam = _event_family(r)
        if not r["negated"]:
            for g, gf in zip(groups, fams):
                if gf == fam and not rows[g[0]]["negated"] and all(_same_event(r, rows[j]) for j in g):
                    g.append(i)
                    break
            else:
                groups.append([i])
                fams.append(fam)
        else:
            groups.append([i])
            fams.append(fam)
    return groups


def _merge_mentions(
    text: str, spans: list[tuple[int, int]], rows: list[dict], sis: list[int], toll_cues: list[int],
    kills: tuple[KillFigure, ...] | list[KillFigure] = (),
) -> None:
    """Same-event groups and death tolls for one article's event rows, in place.

    Every row gets the trigger offsets of its group's most confident mention (`_rep_start`,
    `_rep_end`: `same_event_id` is that mention's event_id). Tolls (transforms/events_tolls, read
    only in sentences holding one of `toll_cues`, the starts of the article's TOLL_CUES hits):
    a sentence's tolls belong to the eligible mentions of that sentence (`_toll_eligible`), else
    to those of the nearest sentence before it (the story goes on: "Gunmen attacked a bus. Two
    men died."), else of the first one after it when at most TOLL_LOOKAHEAD sentences on. Each
    group's toll (`event_toll` over the sentences its members own) goes to its most confident
    eligible mention only, with the offsets of the text it was read from, so counting distinct
    `same_event_id` and summing `fatalities` never counts one event twice. The abductions of a group with
    a death toll above zero are attacks (the victims were killed)."""
    groups = _same_event_groups(rows)
    for g in groups:
        rep = max((rows[i] for i in g), key=lambda r: r["confidence"])
        for i in g:
            rows[i]["_rep_start"], rows[i]["_rep_end"] = rep["trigger_start"], rep["trigger_end"]
    eligible = [(si, r) for si, r in zip(sis, rows) if _toll_eligible(r)]
    if not eligible:
        return
    toll_of = article_tolls(text, spans, toll_cues)
    if not toll_of:
        return
    event_sis = sorted({si for si, _ in eligible})
    owned: dict[int, list[int]] = defaultdict(list)  # event sentence -> toll sentences
    for si in toll_of:
        j = bisect.bisect_right(event_sis, si) - 1
        if j >= 0:
            owned[event_sis[j]].append(si)
        elif event_sis[0] - si <= TOLL_LOOKAHEAD:
            owned[event_sis[0]].append(si)
    for g in groups:
        members = [(sis[i], rows[i]) for i in g if _toll_eligible(rows[i])]
        if not members:
            continue
        sents = sorted({t for si, _ in members for t in owned.get(si, ())})
        toll = event_toll([toll_of[t] for t in sents])
        if toll is None:
            continue
        value = _toll_value(toll, kills)
        if value is None:
            continue
        best = max(members, key=lambda x: x[1]["confidence"])[1]
        best["fatalities"] = value
        best["fatalities_start"], best["fatalities_end"] = toll.start, toll.end
        if value > 0:  # an abduction whose victims were killed is an attack (ACLED)
            for i in g:
                if rows[i]["acled_sub_event_type"] == "Abduction/forced disappearance":
                    rows[i]["acled_sub_event_type"] = "Attack"


_COMPATIBLE_TYPES = [f"{cat}|{t}" for cat, types in _FIGURE_EVENT_TYPES.items() for t in types or ()]
_COMPATIBLE_SUBS = [f"{cat}|{sub}" for cat, subs in _FIGURE_ACLED_SUBS.items() for sub in subs]


def _link(figures: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """figure_id -> event_id: a KILL figure inside an event's toll text (fatalities_start /
    fatalities_end) goes to that event; any other figure to the nearest trigger of the same
    sentence with a compatible category (a negated event only when nothing else fits; ties:
    the earlier event row)."""
    schema = {"figure_id": pl.String, "event_id": pl.String}
    if figures.height == 0 or events.height == 0:
        return pl.DataFrame(schema=schema)
    f = figures.select(
        "figure_id", "article_id", "start_char", "end_char", cat=pl.col("category").str.to_uppercase()
    ).filter(pl.col("start_char").is_not_null())
    e = events.select(
        "article_id", "event_id", "trigger_start", "trigger_end", "sentence_start", "sentence_end",
        "event_type", "acled_sub_event_type", "negated",
    ).with_row_index("_order")
    gap = (
        pl.when(pl.col("trigger_start") >= pl.col("end_char")).then(pl.col("trigger_start") - pl.col("end_char"))
        .when(pl.col("start_char") >= pl.col("trigger_end")).then(pl.col("start_char") - pl.col("trigger_end"))
        .otherwise(0)
        .clip(lower_bound=0)
    )
    # each figure's sentence among the sentences that hold events (sentences never overlap), so
    # the join below pairs a figure only with its own sentence's events: linear in article size
    event_sentences = e.select("article_id", "sentence_start", "sentence_end").unique().sort("sentence_start")
    all_figures = f
    f = (
        f.sort("start_char")
        .join_asof(
            event_sentences, left_on="start_char", right_on="sentence_start", by="article_id", check_sortedness=False
        )
        .filter(pl.col("start_char") < pl.col("sentence_end"))
        .drop("sentence_end")
    )
    # a KILL figure inside the text an event's toll was read from belongs to that event, wherever
    # the sentence ("Gunmen attacked a bus. Two men died.")
    toll_spans = events.filter(pl.col("fatalities_start").is_not_null()).select(
        "article_id", "event_id", "fatalities_start", "fatalities_end"
    )
    from_toll = (
        all_figures.filter(pl.col("cat") == "KILL")
        .join(toll_spans, on="article_id", how="inner")
        .filter(pl.col("start_char") >= pl.col("fatalities_start"), pl.col("end_char") <= pl.col("fatalities_end"))
        .unique("figure_id", keep="first", maintain_order=True)
        .select("figure_id", "event_id")
        .cast(schema)
    )
    nearest = (
        f.join(e, on=["article_id", "sentence_start"], how="inner")
        .filter(
            (
                pl.concat_str("cat", "event_type", separator="|").is_in(_COMPATIBLE_TYPES)
                | pl.concat_str("cat", "acled_sub_event_type", separator="|").is_in(_COMPATIBLE_SUBS)
            ).fill_null(False),
        )
        .with_columns(_d=gap + 1000 * pl.col("negated").fill_null(False).cast(pl.Int64))
        .sort("figure_id", "_d", "_order")
        .unique("figure_id", keep="first", maintain_order=True)
        .select("figure_id", "event_id")
        .cast(schema)
    )
    return pl.concat([from_toll, nearest.join(from_toll, on="figure_id", how="anti")])


def link_figures_to_events(
    figures: pl.LazyFrame, events: pl.LazyFrame, sentences: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """Figures (FIGURES contract) with `event_id` set to the event they belong to:
    the nearest trigger in the same sentence whose type fits the figure's category
    (KILL/WOUND -> violent events, ARREST -> arrests, CROWD -> protests, ...).
    Events carry their sentence offsets, so `sentences` is accepted for symmetry
    with the other transforms but not needed."""
    fig = conform(figures, FIGURES).collect()
    ev = events.lazy().collect()
    links = _link(fig, ev)
    return conform(
        fig.drop("event_id").join(links, on="figure_id", how="left", maintain_order="left"), FIGURES
    )


def extract_events(
    articles: pl.LazyFrame,
    sentences: pl.LazyFrame,
    locations: pl.LazyFrame,
    figures: pl.LazyFrame,
    lexicon: pl.DataFrame,
    actors: pl.DataFrame | None = None,
    mission_areas: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """One row per event mention (EVENTS contract); see the module docstring. `mission_areas`: where an
    article that names no place but names a mission with a fixed area puts its events."""
    lex = _compile(lexicon, actors)
    art = articles.lazy().collect()
    if "published_at" not in art.columns:
        art = art.with_columns(published_at=pl.lit(None, dtype=pl.Datetime("us", "UTC")))
    sent = sentences.lazy().collect().sort("article_id", "sentence_start")
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for a, s, e in zip(sent["article_id"].to_list(), sent["sentence_start"].to_list(), sent["sentence_end"].to_list()):
        spans[a].append((s, e))
    loc_frame = locations.lazy().collect()
    locs: dict[str, list[dict]] = defaultdict(list)
    for r in loc_frame.to_dicts():
        locs[r["article_id"]].append(r)
    fig = conform(figures, FIGURES).collect().filter(
        pl.col("category") == "KILL", pl.col("start_char").is_not_null(), pl.col("value").is_not_null()
    )
    kills: dict[str, list[KillFigure]] = defaultdict(list)
    for a, s0, e0, v in zip(fig["article_id"].to_list(), fig["start_char"].to_list(), fig["end_char"].to_list(),
                            fig["value"].to_list()):
        kills[a].append(KillFigure(s0, e0, v))
    rows = _extract_rows(art, spans, locs, lex, kills, _mission_areas(mission_areas))
    if not rows:
        return conform(pl.DataFrame(schema=EVENTS), EVENTS)
    row_schema = {k: v for k, v in EVENTS.items() if k not in ("event_id", "same_event_id")}
    events = pl.DataFrame(
        rows, schema={**row_schema, "_rep_start": pl.Int32, "_rep_end": pl.Int32, "_background": pl.Boolean}
    ).with_columns(
        event_id=id_expr("evt_", "article_id", "trigger_start", "trigger_end"),
        same_event_id=id_expr("evt_", "article_id", "_rep_start", "_rep_end"),
    ).drop("_rep_start", "_rep_end", "_background")
    events = (
        events.with_columns(
            confidence=(
                pl.col("confidence") + W_FATALITIES * pl.col("fatalities").is_not_null().cast(pl.Float64)
            ).clip(0.01, 0.99).round(4)
        )
    )
    return conform(events, EVENTS)
