"""Death tolls written in a sentence: how many people an event killed.

`sentence_tolls(text, s0, s1)` finds every way a news sentence states deaths and returns
them as `Toll` records (character offsets, the count, and its kind):

- a count before a death predicate: "3 civilians were killed", "two men died",
  "at least 15 militants were killed", "five people dead", "the bodies of two men";
- a count after an active killing verb, summed over victim groups joined by "and":
  "killing 3 soldiers and 2 civilians" (5), "killed one and injured two" (1);
- a single victim: "a man was shot dead", "the victim died", "the body of a woman",
  "killed him";
- a stated total: "the death toll rose to 12", "4 fatalities", "fatalities coded as 0"
  (kind `total`: it replaces the counts of the event it belongs to).

Vague amounts take the ACLED codebook's defaults (`vague`): "several" / "a number of" /
"many" 10, "a handful of" 5, "dozens" 12, "scores" 20, "hundreds" 100; "a dozen" is 12.
Not counted: the injured / wounded / arrested ("killing one and injuring two" counts one),
a subset after "including" or before "of the" ("3 of the dead were soldiers"), a toll in an
"after ..." / "following ..." adjunct (an earlier event), counts of 100 or more in a
sentence about a period ("300 killed since 2011", "so far this year"), counts of 1,000 or
more in cumulative wording ("150,000 people have been killed", "the war killed 150,000").
A count split across several events ("1 fatality split among 12 events") reads as its
`stated` number; a negated death ("no one was killed") is a `total` of 0.

Pure string work; `article_tolls` runs `sentence_tolls` on the sentences holding a cue word
(TOLL_CUES), `event_toll` combines the tolls of the sentences that describe one event (see
transforms/events.py). Speed without changing a result: an ASCII sentence (or any without one of the
four characters re.IGNORECASE folds to ASCII: `casefold.twins_apply`) is matched lower-cased by
case-sensitive twins of the patterns (transforms/casefold.py), a pattern none of whose gate
strings (`_GATES`) occur in such a sentence is not run, and the period / cumulative wording is
searched only for a count large enough to need it.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import NamedTuple

from newsfacts.transforms.casefold import folded, twins_apply

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
# ACLED codebook defaults for vague reports
_VAGUE = {
    "several": 10, "a number of": 10, "an unknown number of": 10, "a handful of": 5, "many": 10, "numerous": 10,
    "dozens of": 12, "dozens": 12, "scores of": 20, "hundreds of": 100, "hundreds": 100,
}

_WORD_NUM = (
    r"(?:(?:" + "|".join(_TENS) + r")(?:[- ](?:" + "|".join(list(_UNITS)[:9]) + r"))?|"
    + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")"
)
_NUM = (
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s+(?:hundred|thousand|million|billion)\b|\d{1,3}(?:,\d{3})+|\d+|(?:two|three|four|a) dozen|a dozen|" + _WORD_NUM + r"(?:\s+(?:hundred|thousand))?|"
    + "|".join(sorted(_VAGUE, key=len, reverse=True)) + r")"
)
_QUAL = r"(?:(?:at least|more than|over|nearly|almost|about|around|some|up to|as many as|approximately|roughly|an estimated|a total of|another|other|also)\s+)?"

# a victim noun phrase between a count and its predicate: up to six words, none of them a
# verb of another outcome, a count, or a clause break
_NP_WORD = r"(?:(?!(?:and|or|were|was|are|is|have|has|had|who|which|that|when|after|injured|wounded|hurt|arrested|detained|abducted|kidnapped|missing|displaced)\b)[\w'’.-]+)"
_DEATH_PRED = (
    r"(?:(?:were|was|have been|has been|had been|are|is|got|being|been)\s+)?(?:(?:reportedly|allegedly|also|later|all|both|subsequently|confirmed|found)\s+){0,2}"
    r"(?P<pred>killed|shot dead|shot and killed|stabbed to death|beaten to death|burnt to death|burned to death|hacked to death|"
    r"lynched|murdered|executed|beheaded|slain|massacred|assassinated|found dead|died|dead|perished|lost their lives|"
    r"lost his life|lost her life|succumbed|lifeless|drowned)\b"
)
# the death predicates alone: counts before them are looked for only in a window ending there
_PRED_ONLY = re.compile(_DEATH_PRED.split("(?P<pred>", 1)[1].rsplit(")", 1)[0].join(("(?:", ")\\b")), re.IGNORECASE)
PRED_WINDOW = 160


def _pred_windows(seg: str, pred_only: re.Pattern = _PRED_ONLY) -> list[tuple[int, int]]:
    """Merged [start, end) windows of `seg` ending at a death predicate (`pred_only`: _PRED_ONLY or its
    case-sensitive twin for a lower-cased ASCII `seg`), PRED_WINDOW long."""
    out: list[tuple[int, int]] = []
    for m in pred_only.finditer(seg):
        a, b = max(0, m.start() - PRED_WINDOW), m.end()
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


_COUNT_BEFORE = re.compile(
    r"\b" + _QUAL + _NUM + r"(?P<np>(?:\s+" + _NP_WORD + r"){0,6}?)\s*,?\s+" + _DEATH_PRED,
    re.IGNORECASE,
)
_KILL_VERB = (
    r"(?P<verb>kill(?:ed|ing|s)?|shot dead|shooting dead|shoots dead|shot and killed|massacr(?:ed|ing|es)|"
    r"murder(?:ed|ing|s)?|execut(?:ed|ing|es)|behead(?:ed|ing|s)|claim(?:ed|ing|s)? the lives of|"
    r"leaving|left|leaves)"
)
_VICTIM_GROUP = _QUAL + _NUM + r"(?P<np>(?:\s+" + _NP_WORD + r"){0,4})"
_COUNT_AFTER = re.compile(r"\b" + _KILL_VERB + r"\s+(?:(?:and|or)\s+(?:injur\w+|wound\w+)\s+)?" + _VICTIM_GROUP, re.IGNORECASE)
_AND_GROUP = re.compile(r"\s*,?\s+(?:and|as well as|plus)\s+" + _VICTIM_GROUP, re.IGNORECASE)
_SINGLE = re.compile(
    r"\b(?:a|an|one|the)\s+(?:[\w'’-]+\s+){0,3}?(?P<noun>man|woman|boy|girl|child|person|civilian|soldier|officer|"
    r"policeman|policewoman|victim|guard|farmer|teacher|student|journalist|driver|worker|trader|resident|villager|"
    r"youth|teenager|militant|fighter|member|leader|commander|suspect|prisoner|inmate|protester|demonstrator|"
    r"individual|body|corpse|priest|pastor|imam|chief|official|businessman|motorist|passenger|local|minor|baby|"
    r"(?!(?:after|under|over|other|another|either|neither|whether|never|later|ever|together|further|rather|"
    r"her|per|for|or|nor|number|border|order|water|quarter|center|centre|sector|corridor)\b)[a-z]+(?:er|or|ist|ian|man|woman))"
    r"(?P<rest>(?:\s+" + _NP_WORD + r"){0,5}?)\s*,?\s+" + _DEATH_PRED,
    re.IGNORECASE,
)
_BODY = re.compile(r"\b(?:the\s+)?(?:lifeless\s+)?(?:bod(?:y|ies)|remains|corpses?)\s+of\s+" + _QUAL + r"(?:" + _NUM + r"|(?P<one>a|an|one)\b)", re.IGNORECASE)
_KILLED_PRONOUN = re.compile(r"\b(?:killed|killing|shot dead|murdered|executed|stabbed to death|beat to death|beheaded)\s+(?P<pron>him|her)\b", re.IGNORECASE)
_TOTAL = re.compile(
    r"\b(?:(?:fatalities|deaths?)\s+(?:were\s+|was\s+)?coded\s+as\s+(?P<coded>\d+)"
    r"|death\s+toll\s+(?:\w+\s+){0,3}?(?:rose|risen|rising|climbed|reached|stands?|stood|is|was|of|at|to|hit)\s+(?:at\s+|to\s+)?" + _QUAL + r"(?P<toll>\d{1,3}(?:,\d{3})+|\d+|" + _WORD_NUM + r")"
    r"|(?P<fat>\d{1,3}(?:,\d{3})+|\d+|" + _WORD_NUM + r")\s+(?:reported\s+|total\s+|civilian\s+)?(?:fatalit(?:y|ies)|deaths)\b(?!\s+(?:were\s+)?coded))",
    re.IGNORECASE,
)
_NONE_KILLED = re.compile(
    r"\b(?:no one|nobody|no casualties|no fatalities|no deaths|no one was|none)\b(?:\s+\w+){0,3}?\s+(?:was\s+|were\s+)?(?:killed|died|hurt|injured|reported)"
    r"|\bno (?:fatalities|deaths|casualties)\b|\bwithout (?:any )?(?:casualties|fatalities|deaths)\b",
    re.IGNORECASE,
)
# a count over a whole war or period, not one event's toll
_PERIOD = re.compile(
    r"\b(?:since (?:the|its|it|\d{4}|january|february|march|april|may|june|july|august|september|october|november|december|then|last)|so far|to date|"
    r"this year|last year|in total|overall|over the (?:past|last)|in the (?:past|last)|during the war|of the war|the war has|the conflict has|"
    r"throughout|a year|per year|each year|every year|annually|in recent (?:years|months|weeks))\b",
    re.IGNORECASE,
)
# cumulative wording: with a count of CUMULATIVE_MIN or more, a total of a war or campaign
_CUMULATIVE = re.compile(
    r"\b(?:ha(?:ve|s|d) (?:been |so far |now )?(?:killed|died|claimed|left)|(?:civil )?war|conflict|insurgency|"
    r"campaign|genocide|pandemic|epidemic)\b",
    re.IGNORECASE,
)
CUMULATIVE_MIN = 1000
# bodies found: "recovered six bodies", "12 bodies were found" (the finding verb before or after the count)
_BODIES = re.compile(r"\b" + _QUAL + _NUM + r"(?:\s+[\w'’-]+){0,2}?\s+(?:bodies|corpses)\b", re.IGNORECASE)
_FOUND_BEFORE = re.compile(
    r"\b(?:recovered|found|retrieved|discovered|exhumed|pulled out|collected)\s+(?:the\s+)?$", re.IGNORECASE
)
_FOUND_AFTER = re.compile(
    r"\s+(?:were|have been|had been|was)\s+(?:\w+\s+)?(?:found|recovered|retrieved|discovered|exhumed|pulled out)\b",
    re.IGNORECASE,
)
# a count of a measure, not of people ("30 percent", "5 km", "two days")
_MEASURE_AFTER = re.compile(r"\s*(?:%|percent|per cent|km|kilomet|miles?|meters?|metres?|years?|hours?|days?|minutes?|times)\b", re.IGNORECASE)
# a subset: before a predicate "3 of the dead were soldiers" is part of a toll already counted; after a killing
# verb "two of them", "3 of the guards" are those killed
_OF_GROUP = re.compile(r"\s*of (?:the|those|them|whom)\b", re.IGNORECASE)
_INCLUDING = re.compile(r"\b(?:including|among them|among whom|of whom|of them)\s+$", re.IGNORECASE)
# a toll inside a temporal / causal adjunct belongs to an earlier event ("attacked police after
# two children were killed")
_BACKGROUND = re.compile(
    r"\b(?:after|following|since|in retaliation for|in response to|in protest (?:at|of|against|over)|over the)\s+(?:[\w'’,-]+\s+){0,2}$",
    re.IGNORECASE,
)
_WOUND_BEFORE_PRED = re.compile(r"\b(?:injur\w*|wound\w*|hurt|arrest\w*|detain\w*|abduct\w*|kidnap\w*)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Toll:
    """One statement of deaths in a sentence: [start, end) in the article, the count, and
    `kind`: `count` (people killed, literal), `vague` (a codebook default), `stated` ("4
    fatalities", "12 deaths": a restatement of the event's toll), `total` (a coded total or
    "the death toll rose to", which replaces everything else)."""

    start: int
    end: int
    value: int
    kind: str


def parse_count(words: str) -> tuple[int, bool] | None:
    """The number a count phrase means and whether it is vague: "3" -> (3, False), "twenty-one" ->
    (21, False), "a dozen" -> (12, False), "dozens" -> (12, True); None when it is no count."""
    w = " ".join(words.lower().split())
    if not w:
        return None
    if w in _VAGUE:
        return _VAGUE[w], True
    if w.endswith("dozen"):
        head = w[: -len("dozen")].strip()
        mult = 1 if head in {"a", ""} else _UNITS.get(head)
        return (12 * mult, False) if mult else None
    if w.replace(",", "").isdigit():
        return int(w.replace(",", "")), False
    scale = 1
    for suffix, mult in ((" billion", 10**9), (" million", 10**6), (" thousand", 1000), (" hundred", 100)):
        if w.endswith(suffix):
            w, scale = w[: -len(suffix)], mult
            break
    if re.fullmatch(r"[\d,]+(?:\.\d+)?", w):
        return round(float(w.replace(",", "")) * scale), False
    parts = re.split(r"[- ]", w)
    total = 0
    for p in parts:
        if p in _UNITS:
            total += _UNITS[p]
        elif p in _TENS:
            total += _TENS[p]
        else:
            return None
    return total * scale, False


def _overlaps(spans: list[tuple[int, int]], a: int, b: int) -> bool:
    return any(a < y and x < b for x, y in spans)


# every toll pattern below contains one of these (lower case, matched case-insensitively
# anywhere in a word: "kill" in "killing", "body" in "nobody")
TOLL_CUES = (
    "kill", "dead", "died", "death", "fatal", "body", "bodies", "lifeless", "murder", "executed", "executing",
    "executes", "behead", "slain", "massacr",
    "perish", "lost their", "lost his", "lost her", "succumb", "lives of", "remains", "corpse", "drown", "lynch",
    "assassin", "no one", "nobody", "none", "casualties",
)


# Literal gates: every match of the regex on the left contains one of these lower-case strings, so
# in a sentence the twins apply to (ASCII, or without a character re.IGNORECASE folds to ASCII:
# casefold.twins_apply; lower-casing is then exactly what re.IGNORECASE folds) a regex none of whose
# strings occur cannot match and is not run. Other sentences always run every regex.
_GATES: dict[re.Pattern, tuple[str, ...]] = {
    _TOTAL: ("death", "fatalit"),
    _NONE_KILLED: ("no one", "nobody", "none", "no casualties", "no fatalities", "no deaths", "without "),
    _COUNT_AFTER: ("kill", "shot", "shoot", "massacr", "murder", "execut", "behead", "claim", "leav", "left"),
    _PRED_ONLY: (
        "kill", "shot", "stabbed", "beaten", "burnt", "burned", "hacked", "lynched", "murdered", "executed",
        "beheaded", "slain", "massacred", "assassinated", "dead", "died", "perished", "lost their lives",
        "lost his life", "lost her life", "succumbed", "lifeless", "drowned",
    ),
    _BODY: ("bod", "remains", "corpse"),
    _BODIES: ("bodies", "corpses"),
    _KILLED_PRONOUN: ("him", "her"),
}


def _may_match(pattern: re.Pattern, low: str, ascii_only: bool) -> bool:
    """False only when `pattern` cannot match the sentence whose lower-case form is `low`, a sentence the
    twins apply to (`ascii_only`: ASCII, or `casefold.twins_apply`)."""
    return not ascii_only or any(w in low for w in _GATES[pattern])


class _Regexes(NamedTuple):
    """The patterns sentence_tolls runs: case-insensitive (`_RX`), or their case-sensitive twins for a
    lower-cased ASCII sentence (`_RX_LOWER`)."""

    total: re.Pattern
    none_killed: re.Pattern
    period: re.Pattern
    cumulative: re.Pattern
    count_after: re.Pattern
    measure_after: re.Pattern
    of_group: re.Pattern
    and_group: re.Pattern
    count_before: re.Pattern
    including: re.Pattern
    body: re.Pattern
    bodies: re.Pattern
    found_before: re.Pattern
    found_after: re.Pattern
    single: re.Pattern
    killed_pronoun: re.Pattern
    background: re.Pattern
    pred_only: re.Pattern



_FOLDED = [folded(p) for p in (
    _TOTAL, _NONE_KILLED, _PERIOD, _CUMULATIVE, _COUNT_AFTER, _MEASURE_AFTER, _OF_GROUP, _AND_GROUP, _COUNT_BEFORE,
    _INCLUDING, _BODY, _BODIES, _FOUND_BEFORE, _FOUND_AFTER, _SINGLE, _KILLED_PRONOUN, _BACKGROUND, _PRED_ONLY,
)]
_RX = _Regexes(*(f.pattern for f in _FOLDED))
_RX_LOWER = _Regexes(*(f.lower for f in _FOLDED))


def article_tolls(text: str, spans: list[tuple[int, int]], cue_starts: list[int]) -> dict[int, list[Toll]]:
    """`sentence_tolls` of every sentence (index into `spans`, sorted) that holds a cue (the
    sorted start offsets of the article's TOLL_CUES occurrences) and states a toll."""
    out: dict[int, list[Toll]] = {}
    starts = [a for a, _ in spans]
    seen: set[int] = set()
    for c in cue_starts:
        si = bisect.bisect_right(starts, c) - 1
        if si < 0 or si in seen or c >= spans[si][1]:
            continue
        seen.add(si)
        tolls = sentence_tolls(text, *spans[si])
        if tolls:
            out[si] = tolls
    return out


def sentence_tolls(text: str, s0: int, s1: int) -> list[Toll]:
    """Every death toll stated in text[s0:s1], in text order, non-overlapping (see the module
    docstring). A sentence that mentions a whole period ("since 2011", "this year") yields none."""
    seg = text[s0:s1]
    low = seg.lower()
    if not any(c in low for c in TOLL_CUES):
        return []
    out: list[Toll] = []
    taken: list[tuple[int, int]] = []
    # an ASCII sentence (or one without a character re.IGNORECASE folds to ASCII: casefold.twins_apply) is
    # matched lower-cased by case-sensitive twins of the patterns (transforms/casefold.py)
    ascii_only = twins_apply(seg)
    s, rx = (low, _RX_LOWER) if ascii_only else (seg, _RX)

    def add(a: int, b: int, value: int, kind: str) -> None:
        if kind != "total" and a > 0 and rx.background.search(s, max(0, a - 40), a):
            return
        out.append(Toll(s0 + a, s0 + b, value, kind))
        taken.append((a, b))

    for m in rx.total.finditer(s) if _may_match(_TOTAL, low, ascii_only) else ():
        raw = m.group("coded") or m.group("toll") or m.group("fat")
        parsed = parse_count(raw)
        if parsed is None:
            continue
        kind = "total" if (m.group("coded") or m.group("toll")) else "stated"
        add(m.start(), m.end(), parsed[0], kind)
    for m in rx.none_killed.finditer(s) if _may_match(_NONE_KILLED, low, ascii_only) else ():
        if not _overlaps(taken, *m.span()):
            add(m.start(), m.end(), 0, "total")
    period = cumulative = None  # whether the sentence names a period / cumulative wording: searched when asked

    def too_large(value: int) -> bool:
        nonlocal period, cumulative
        if value >= 100 and period is None:
            period = rx.period.search(s) is not None
        if value >= CUMULATIVE_MIN and cumulative is None:
            cumulative = rx.cumulative.search(s) is not None
        return bool((value >= 100 and period) or (value >= CUMULATIVE_MIN and cumulative))

    for m in rx.count_after.finditer(s) if _may_match(_COUNT_AFTER, low, ascii_only) else ():
        if _overlaps(taken, *m.span()) or rx.measure_after.match(s, m.end("num")):
            continue
        parsed = parse_count(m.group("num"))
        if parsed is None or (m.group("verb").lower().startswith("lea") or m.group("verb").lower() == "left") and not re.match(
            r"\s+(?:[\w-]+\s+){0,2}dead\b", seg[m.end("num"):]
        ):
            continue
        value, vague = parsed
        end = m.end()
        if m.group("verb").lower() in {"leaving", "left", "leaves"}:
            dead = re.match(r"\s+(?:[\w-]+\s+){0,2}dead\b", seg[m.end("num"):])
            end = m.end("num") + dead.end()
        else:
            # further victim groups: "killing 3 soldiers and 2 civilians"
            pos = end
            while (g := rx.and_group.match(s, pos)) is not None:
                extra = parse_count(g.group("num"))
                if extra is None or rx.measure_after.match(s, g.end("num")) or rx.of_group.match(s, g.end("num")):
                    break
                value += extra[0]
                vague = vague or extra[1]
                pos = end = g.end()
        if too_large(value):
            continue
        add(m.start(), end, value, "vague" if vague else "count")
    windows = _pred_windows(s, rx.pred_only) if _may_match(_PRED_ONLY, low, ascii_only) else []
    for m in (m for a, b in windows for m in rx.count_before.finditer(s, a, b)):
        if _overlaps(taken, *m.span()) or rx.including.search(s, max(0, m.start() - 20), m.start()):
            continue
        num_end = m.end("num")
        if rx.measure_after.match(s, num_end) or rx.of_group.match(s, num_end) or _WOUND_BEFORE_PRED.search(m.group("np") or ""):
            continue
        parsed = parse_count(m.group("num"))
        if parsed is None:
            continue
        value, vague = parsed
        if too_large(value):
            continue
        add(m.start(), m.end(), value, "vague" if vague else "count")
    for m in rx.body.finditer(s) if _may_match(_BODY, low, ascii_only) else ():
        if _overlaps(taken, *m.span()):
            continue
        parsed = (1, False) if m.group("one") else parse_count(m.group("num"))
        if parsed is not None:
            add(m.start(), m.end(), parsed[0], "vague" if parsed[1] else "count")
    for m in rx.bodies.finditer(s) if _may_match(_BODIES, low, ascii_only) else ():
        if _overlaps(taken, *m.span()) or not (
            rx.found_before.search(s, max(0, m.start() - 30), m.start()) or rx.found_after.match(s, m.end())
        ):
            continue
        parsed = parse_count(m.group("num"))
        if parsed is not None and not too_large(parsed[0]):
            add(m.start(), m.end(), parsed[0], "vague" if parsed[1] else "count")
    for m in (m for a, b in windows for m in rx.single.finditer(s, a, b)):
        if _overlaps(taken, *m.span()) or rx.including.search(s, max(0, m.start() - 20), m.start()):
            continue
        add(m.start(), m.end(), 1, "count")
    for m in rx.killed_pronoun.finditer(s) if _may_match(_KILLED_PRONOUN, low, ascii_only) else ():
        if not _overlaps(taken, *m.span()):
            add(m.start(), m.end(), 1, "count")
    out.sort(key=lambda t: t.start)
    return out


def event_toll(tolls_by_sentence: list[list[Toll]]) -> Toll | None:
    """One toll for an event from the tolls of the sentences that describe it (in text order):
    the last total if there is one, else the largest `stated` toll ("4 fatalities"), else the
    largest sentence sum of counts (a later sentence restating the count does not add to it).
    None when no sentence states deaths."""
    totals = [t for ts in tolls_by_sentence for t in ts if t.kind == "total"]
    if totals:
        return totals[-1]
    stated = [t for ts in tolls_by_sentence for t in ts if t.kind == "stated"]
    if stated:
        return max(stated, key=lambda t: t.value)
    best: Toll | None = None
    for ts in tolls_by_sentence:
        if not ts:
            continue
        value = sum(t.value for t in ts)
        kind = "vague" if any(t.kind == "vague" for t in ts) else "count"
        cand = Toll(ts[0].start, ts[-1].end, value, kind)
        if best is None or cand.value > best.value:
            best = cand
    return best
