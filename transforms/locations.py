"""Place mentions: gazetteer matching + rule-based toponym resolution.

Steps (all per batch, vectorised in polars except the phrase matcher's greedy pass):

1. candidate spans: leftmost-longest, word-bounded matches of every gazetteer
   name (case-sensitive, so "turkey" or "reading" never match);
2. mention filters: sentence-initial common words, person/title context
   ("President Jordan", "Paris Hilton"), names the stop-list marks `ambiguous`
   unless they have locative context ("in Nice", "Nice, France", "Nice (France)", "X district
   (Y)"), and a town or
   division name that is part of a longer Arabic name the gazetteer lacks
   ("Ras Al Ain", "Jabal al-Zawiya", "Busra Esh-Sham"; "Villa de X": `_JOINED_BEFORE` / `_JOINED_AFTER`);
   a four-letter diacritic-free spelling ("Beja" for Béja) is read only where the article
   names its country or a ", Division" after it confirms it;
3. resolution: each mention's candidate places are scored with a type prior
   (country > continent > admin1 > city by population, national capitals
   boosted, primary names over alternate names), article context (a place in a
   country, or in a division, that the article names elsewhere wins) and the
   "Paris, Texas" / "Paris (Texas)" pattern (the next name narrows the candidates);
4. discourse pass (`_discourse`): the confident readings of the article's OTHER names support
   candidates in the same country / division or within `NEAR_KM`, then one sense per discourse
   (every mention of a name takes the name's best place); villages (< 5,000 people) and small
   towns need such support;
5. output conforming to `newsfacts.schema.LOCATIONS`.

Pure: frames in, frame out; the gazetteer comes from `newsfacts.reference.gazetteer`.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import NamedTuple

import polars as pl
from newsfacts.transforms.ids import id_expr
from newsfacts.transforms.phrase_match import (
    PhraseIndex,
    compile_phrases,
    match_phrases,
)

from newsfacts.schema import LOCATIONS, conform

# words that, right before a capitalised name, make it a person or an organisation
TITLE_WORDS = (
    "President", "Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Dr", "Dr.", "Sen.", "Senator", "Rep.",
    "Gov.", "Governor", "Minister", "Prince", "Princess", "King", "Queen", "Pope", "Saint", "St.",
    "General", "Gen.", "Mayor", "Premier", "Chancellor", "Secretary", "Ambassador", "Sheriff",
    "Sgt", "Sgt.", "Const.", "Rev.", "Bishop", "Cardinal", "Judge", "Justice", "Sir", "Lord", "Lady", "Coach", "Captain", "Capt.",
)
# words that, right before a name, signal a place reading
LOCATIVE_WORDS = (
    "in", "at", "from", "near", "to", "into", "across", "outside", "around", "of", "via",
    "toward", "towards", "through", "throughout", "between", "and", "northern", "southern",
    "eastern", "western", "central", "north", "south", "east", "west",
)
# capitalised words after a city name that do not make it a person/organisation name
_PLACE_HEADS = (
    "City", "County", "Province", "Region", "Oblast", "State", "District", "Valley", "Bay",
    "Airport", "Port", "Harbour", "Harbor", "Square", "Street", "Road", "Avenue", "Bridge",
    "Mountains", "Hills", "River", "Lake", "Sea", "Island", "Islands", "Peninsula", "Metro",
    "Strait", "Gulf", "Coast", "Basin", "Delta", "Plateau", "Desert", "Area", "Governorate",
    "Police", "Council", "Fire", "Department", "Court", "Hospital", "Station", "Stadium", "Government",
)

# Every step runs on polars' in-memory engine: on batches of 500 news articles it took about a quarter
# less CPU than the streaming engine (1.03 -> 0.78 CPU s per 1,000 articles, measured 30 Nov 2026), and
# the result is materialised here, so the LazyFrame returned costs nothing more to collect.
ENGINE = "in-memory"

BIG_PLACE_POPULATION = 500_000
NEAR_KM = 100.0
W_CC = 14.0
W_A1 = 12.0
W_NEAR = 25.0
SUPPORT_MARGIN = 15.0
CITY_SHARE_OF_DIVISION = 0.25
SMALL_PLACE_POPULATION = 100_000
TINY_PLACE_POPULATION = 5_000
# capitalised words before a name that say nothing about it being a person's name
_FUNCTION_WORDS = (
    "The", "A", "An", "This", "That", "These", "Those", "In", "At", "On", "From", "To", "For", "By",
    "With", "Of", "And", "But", "Or", "As", "If", "When", "While", "After", "Before", "Since", "Near",
    "Across", "Outside", "Inside", "Northern", "Southern", "Eastern", "Western", "Central", "North",
    "South", "East", "West", "Greater", "Downtown", "Upstate", "Rural", "Urban", "Old", "New",
)
# Arabic / Levantine name heads ("Ras", "Jabal", "Wadi", ...), optionally with an article, right
# before a match make it the tail of a longer name ("Ras Al Ain" is not Al Ain, "Jabal al-Zawiya" is
# not Zawiya); an article-hyphen word right after it makes it the head of one ("Busra Esh-Sham")
_NAME_HEADS = (
    "Ras", "Jabal", "Jebel", "Jbel", "Tell", "Tal", "Tall", "Wadi", "Bir", "Khan", "Deir", "Dayr", "Kafr",
    "Kfar", "Beit", "Bayt", "Jisr", "Ain", "Ayn", "Umm", "Abu", "Qasr", "Hisn", "Mazraat", "Khirbet",
)
_ARTICLES = r"(?:[Aa]l|[Ee]l|[Aa][dnrstz]|[Aa]sh|[Ee][dnrsz]|[Ee]sh|[Ee]ch)"
# ... and so does a capitalised word and a Spanish / Portuguese "de" ("X de Y", "X del Y", "X do Y" are one
# name: "Villa de Y" is not the town Y)
_ROMANCE_OF = r"[A-Z][\w’'.-]*\s+(?:de|del|de la|de las|de los|do|da|dos|das)\s+"
_JOINED_BEFORE = rf"(?:(?:^|[^\w-])(?:{'|'.join(_NAME_HEADS)})(?:\s+|-)(?:{_ARTICLES}[-\s])?|{_ROMANCE_OF})$"
_JOINED_AFTER = rf"^[-\s]{_ARTICLES}-\w"
_OPTIONAL_FLAGS = ("ambiguous", "capital", "person_name")

_TYPE_PRIOR = {
    "country": 100.0, "continent": 95.0, "region": 90.0, "water": 90.0, "admin1": 60.0,
    "landmark": 70.0, "admin2": 10.0, "city": 0.0,
}


# a name in the parenthesis after a place word names the places containing it: "in X district (Y)",
# "at X area (Y, Z)", "near X village (Y, Z)", "on the X front (Y, Z)"
_CONTAINING_PLACES = (
    r"(?i)\b(?:district|area|village|villages|town|city|province|governorate|region|county|municipality|commune|"
    r"department|camp|valley|front|frontline|sector|neighbou?rhood|locality|road|highway)\s*\((?:[^()]*,\s*)?$"
)


def _context(cands: pl.LazyFrame, articles: pl.LazyFrame) -> pl.LazyFrame:
    """Add the text around each mention: previous word, next word, sentence start."""
    text = articles.select(pl.col("article_id").cast(pl.String), pl.col("text"))
    before = pl.col("text").str.slice(
        pl.max_horizontal(pl.col("start_char") - 40, pl.lit(0)),
        pl.col("start_char") - pl.max_horizontal(pl.col("start_char") - 40, pl.lit(0)),
    )
    after = pl.col("text").str.slice(pl.col("end_char"), 40)
    return (
        cands.join(text, on="article_id", how="left")
        .with_columns(before=before, after=after)
        .with_columns(
            prev_word=pl.col("before").str.extract(r"(\S+)\s*$", 1),
            prev_gap=pl.col("before").str.len_chars() - pl.col("before").str.strip_chars_end().str.len_chars(),
            prev_initial=pl.col("before").str.contains(r"(?:^|[.!?:;]\s+|\n\s*|[\"“‘(\[]\s*|—\s*)\S+\s+$"),
            next_word=pl.col("after").str.extract(r"^\s+(\S+)", 1),
            after_gap=pl.col("after").str.len_chars() - pl.col("after").str.strip_chars_start().str.len_chars() - 1,
            # the name after ", " or in a parenthesis opening right after ("Concepcion (Biobio)"; not an
            # abbreviation there: "Marco Rubio (R-FL)")
            comma_next=pl.coalesce(
                pl.col("after").str.extract(r"^,\s+((?:[A-Z][\w’'.-]*)(?:\s+[A-Z][\w’'.-]*)*)", 1),
                pl.col("after").str.extract(r"^\s*\(\s*([A-Z][a-z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*)", 1),
            ),
            # headline-style context: most words around the mention are capitalised
            # (words counted by their first character: the same counts as `\b[A-Z]\w*` and `\b\w+`, without
            # the Unicode word boundary that keeps polars' regex off its fast engine: half the cost)
            title_case=(
                pl.concat_str([pl.col("before"), pl.col("after")], separator=" ")
                .str.count_matches(r"(?:^|\W)[A-Z]").cast(pl.Float64)
                / pl.concat_str([pl.col("before"), pl.col("after")], separator=" ")
                .str.count_matches(r"(?:^|\W)\w").cast(pl.Float64).clip(1.0, None)
            ) > 0.6,
            sentence_initial=pl.col("before").str.contains(r"(?:^|[.!?:;]\s+|\n\s*|[\"“‘(\[]\s*|—\s*)$"),
            # the match is the tail or head of a longer name the gazetteer lacks (`_JOINED_BEFORE`)
            joined=pl.col("before").str.contains(_JOINED_BEFORE) | pl.col("after").str.contains(_JOINED_AFTER),
            contained=pl.col("before").str.contains(_CONTAINING_PLACES),
        )
        .drop("text", "before", "after")
    )


# one dateline per line at most: optional indent, one to four upper-case words, then ", "
_DATELINE_LINE = r"^([ \t]*)([A-Z][A-Z'’.\-]+(?: [A-Z][A-Z'’.\-]+){0,3}),[ \t]"


def _dateline_name(upper: str) -> str:
    """"EDMONTON" -> "Edmonton", "ST. JOHN’S" -> "St. John’s" (Python's title-casing, which polars'
    does not reproduce after apostrophes and dots)."""
    return upper.title().replace("’S", "’s").replace("'S", "'s")


def _datelines(articles: pl.LazyFrame) -> pl.DataFrame:
    """Every line-initial upper-case dateline of the batch: article_id, name (title-cased), start_char,
    end_char, matched_text. Lines and their character offsets come from polars; only the few matched
    names are title-cased in Python."""
    lines = (
        articles.select(
            "article_id",
            line=pl.col("text").str.split("\n"),
            # a line's start: the running length of the lines before it, plus one per line break
            line_start=pl.col("text").str.split("\n").list.eval(
                (pl.element().str.len_chars().cast(pl.Int64) + 1).cum_sum() - pl.element().str.len_chars().cast(pl.Int64) - 1
            ),
        )
        .explode("line", "line_start")
        .filter(pl.col("line").str.contains(_DATELINE_LINE))
        .select(
            "article_id",
            matched_text=pl.col("line").str.extract(_DATELINE_LINE, 2),
            start_char=pl.col("line_start") + pl.col("line").str.extract(_DATELINE_LINE, 1).str.len_chars().cast(pl.Int64),
        )
        .with_columns(end_char=pl.col("start_char") + pl.col("matched_text").str.len_chars().cast(pl.Int64))
        .collect(engine=ENGINE)
    )
    names = pl.Series("name", [_dateline_name(t) for t in lines["matched_text"].to_list()], dtype=pl.String)
    return lines.with_columns(names).select("article_id", "name", "start_char", "end_char", "matched_text")


class _NameIndex(NamedTuple):
    """A gazetteer's names sorted (nulls left out) and the row of each in the gazetteer: membership and the
    rows of a batch's names by binary search instead of a join that hashes every gazetteer row per batch."""

    names: pl.Series
    rows: pl.Series


def _name_index(gazetteer: pl.DataFrame) -> _NameIndex:
    ordered = gazetteer.select("name").with_row_index("row").drop_nulls("name").sort("name", maintain_order=True)
    return _NameIndex(ordered["name"], ordered["row"])


def _known(index: _NameIndex, found: list[str]) -> list[bool]:
    """Whether each of `found` is one of the indexed names."""
    at = index.names.search_sorted(pl.Series(found, dtype=pl.String), side="left").to_list()
    return [i < index.names.len() and index.names[i] == name for i, name in zip(at, found)]


def _rows_named(gazetteer: pl.DataFrame, index: _NameIndex, names: pl.Series) -> pl.DataFrame:
    """The rows of `gazetteer` (indexed by `index`) whose name is one of `names`, in the gazetteer's order
    (what a semi-join gives)."""
    wanted = names.drop_nulls().unique()
    lo = index.names.search_sorted(wanted, side="left").to_list()
    hi = index.names.search_sorted(wanted, side="right").to_list()
    at = [i for a, b in zip(lo, hi) for i in range(a, b)]
    return gazetteer.gather(index.rows.gather(at).sort()) if at else gazetteer.clear()


def _with_datelines(mentions: pl.LazyFrame, articles: pl.LazyFrame, index: _NameIndex) -> pl.LazyFrame:
    """Upper-case datelines at the start of a line ("EDMONTON, Ky. (WBKO) -") read as the
    title-cased name ("Edmonton"), replacing any upper-case match at the same place (the
    gazetteer spells out upper-case forms of prominent places only)."""
    found = _datelines(articles)
    if found.height == 0:
        return mentions
    found = found.cast(mentions.collect_schema())
    lines = found.filter(pl.Series(_known(index, found["name"].to_list()), dtype=pl.Boolean)).lazy()
    return pl.concat([
        mentions.join(lines.select("article_id", "start_char"), on=["article_id", "start_char"], how="anti"),
        lines,
    ]).sort(["article_id", "start_char"])


def _haversine_km(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    r = 3.141592653589793 / 180.0
    a = ((lat2 - lat1) * r / 2).sin() ** 2 + (lat1 * r).cos() * (lat2 * r).cos() * ((lon2 - lon1) * r / 2).sin() ** 2
    return 2 * 6371.0 * a.sqrt().arcsin()


def _best(frame: pl.LazyFrame, score: str, keys: list[str]) -> pl.LazyFrame:
    """The top-scored row per `keys` (ties: smaller place_id, then demonym before toponym), with the
    runner-up score as `second`. Every tie is broken explicitly so reruns give the same rows."""
    ties = [c for c in ("place_id", "mention_kind") if c in frame.collect_schema().names()]
    return (
        frame.sort([*keys, score, *ties], descending=[*[False] * len(keys), True, *[False] * len(ties)], maintain_order=True)
        .group_by(keys, maintain_order=True)
        .agg(pl.all().first(), second=pl.col(score).slice(1, 1).first())
    )


def _discourse(cand: pl.LazyFrame) -> pl.LazyFrame:
    """Second pass over the candidates with the article's other places as context.

    Pass 1 reads every mention alone (`score0`). Each candidate then gains support from the
    OTHER names of the article (a name never supports itself): their pass-1 readings in the
    same country, in the same first-level division, or (for towns and divisions) within
    `NEAR_KM` of it ("Edmonton" near "Cairns", "Columbia" near "Adair County"). Finally one
    sense per discourse: every mention of a name in an article takes the place that scores best
    for that name over all its mentions (so "London, Ontario" once settles every "London").

    The frames several later steps read (`first`, `places`, `scored`, `per_place`) are materialised
    once (`ENGINE`): left lazy, the plan computed each of them again for every use, which doubled the
    cost of this pass."""
    mention = ["article_id", "start_char"]
    first = _best(cand, "score0", mention).filter(
        # only confident readings support other names (no mutual support among wrong small towns)
        (pl.col("score0") - pl.col("second").fill_null(-1e9) >= SUPPORT_MARGIN)
        | pl.col("feature_type").is_in(["country", "admin1"])
    ).select(
        "article_id", "name", o_cc="country_code", o_a1=pl.concat_str(["country_code", "admin1_code"], separator="."),
        o_lat="latitude", o_lon="longitude", o_ft="feature_type",
    ).unique(["article_id", "name"], keep="first").collect(engine=ENGINE).lazy()
    # distinct other names per article reading into each country / division
    by_cc = first.drop_nulls("o_cc").group_by("article_id", "o_cc").agg(o_names=pl.col("name"))
    by_a1 = first.drop_nulls("o_a1").group_by("article_id", "o_a1").agg(o_names=pl.col("name"))
    places = cand.unique(["article_id", "name", "place_id"]).select(
        "article_id", "name", "place_id", "country_code", "feature_type", "latitude", "longitude",
        key=pl.concat_str(["country_code", "admin1_code"], separator="."),
        # nearness matters only where there is a choice or a small place needs support
        needs_near=(pl.len().over("article_id", "name") > 1)
        | (pl.col("population").fill_null(0) < SMALL_PLACE_POPULATION),
    ).collect(engine=ENGINE).lazy()
    others = lambda col: (pl.col("o_names").list.set_difference(pl.concat_list(pl.col("name")))  # noqa: E731
                          .list.len().fill_null(0).alias(col))
    local = pl.col("feature_type").is_in(["city", "admin2", "landmark"])
    near = (
        places.filter(local, pl.col("needs_near"))
        .join(first.filter(pl.col("o_ft").is_in(["city", "admin2", "landmark"])).rename({"name": "o_name"}),
              on="article_id", how="inner")
        .filter(pl.col("o_name") != pl.col("name"))
        .filter(_haversine_km(pl.col("latitude"), pl.col("longitude"), pl.col("o_lat"), pl.col("o_lon")) <= NEAR_KM)
        .group_by("article_id", "name", "place_id")
        .agg(n_near=pl.col("o_name").n_unique())
    )
    support = (
        places.join(by_cc, left_on=["article_id", "country_code"], right_on=["article_id", "o_cc"], how="left")
        .with_columns(others("n_cc")).drop("o_names")
        .join(by_a1, left_on=["article_id", "key"], right_on=["article_id", "o_a1"], how="left")
        .with_columns(others("n_a1")).drop("o_names")
        .join(near, on=["article_id", "name", "place_id"], how="left")
        .select("article_id", "name", "place_id", "n_cc", "n_a1", pl.col("n_near").fill_null(0))
    )
    ft = pl.col("feature_type")
    sub_country = ft.is_in(["admin1", "admin2", "city", "landmark"])
    bonus = (
        W_CC * pl.col("n_cc").clip(0, 3)
        + W_A1 * pl.col("n_a1").clip(0, 3)
        + pl.when(sub_country).then(W_NEAR * pl.col("n_near").clip(0, 3)).otherwise(0)
    )
    scored = cand.join(support, on=["article_id", "name", "place_id"], how="left").with_columns(
        score=pl.col("score0") + bonus
    ).collect(engine=ENGINE).lazy()
    # one sense per discourse: a name's place is the one with the best score over its mentions
    per_place = scored.group_by("article_id", "name", "place_id").agg(
        name_score=pl.col("score").max(), score0=pl.col("score0").max(), ft=pl.col("feature_type").first(),
        comma=pl.col("comma_hit").any(),
    ).collect(engine=ENGINE).lazy()
    # context may choose among a name's places, but never turns a country, sea or region that
    # wins on its own into a town ("Mexico", "Atlantic") unless a ", State" pattern says so
    alone = _best(per_place, "score0", ["article_id", "name"]).select(
        "article_id", "name", alone_ft="ft", alone_id="place_id"
    )
    per_place = per_place.join(alone, on=["article_id", "name"], how="left").filter(
        ~pl.col("alone_ft").is_in(["country", "continent", "region", "water"])
        | (pl.col("place_id") == pl.col("alone_id"))
        | ~pl.col("ft").is_in(["city", "admin2", "landmark"])
        | pl.col("comma")
    )
    name_best = _best(per_place, "name_score", ["article_id", "name"]).select(
        "article_id", "name", chosen="place_id", name_margin=pl.col("name_score") - pl.col("second")
    )
    return (
        scored.join(name_best, on=["article_id", "name"], how="inner")
        .filter(pl.col("place_id") == pl.col("chosen"))
        .sort([*mention, "score", "mention_kind"], descending=[False, False, True, False], maintain_order=True)
        .unique(mention, keep="first", maintain_order=True)
        .with_columns(second=pl.col("score") - pl.col("name_margin").fill_null(50.0))
    )


@dataclass(frozen=True)
class _PreparedGazetteer:
    """What every batch derives from the gazetteer alone: the frame with its optional columns, the
    distinct names, their phrase index, the rows by name and the countries / first-level divisions."""

    gazetteer: pl.DataFrame
    names: pl.Series
    index: PhraseIndex
    by_name: _NameIndex
    divisions: pl.DataFrame


# One entry per live gazetteer frame (keyed by identity, dropped when the frame is freed): the flow
# passes the same reference frame to every batch, so the ~0.25 s of preparation over 300,000 rows is
# paid once per process instead of once per batch. Reference frames are never mutated in place.
_PREPARED: dict[int, tuple[weakref.ref, _PreparedGazetteer]] = {}


def _prepared(gazetteer: pl.DataFrame) -> _PreparedGazetteer:
    key = id(gazetteer)
    hit = _PREPARED.get(key)
    if hit is not None and hit[0]() is gazetteer:
        return hit[1]
    full = gazetteer.with_columns(
        [pl.lit(False).alias(c) for c in _OPTIONAL_FLAGS if c not in gazetteer.columns]
        + [pl.lit(None, pl.String).alias(c) for c in ("name_kind",) if c not in gazetteer.columns]
    )
    names = full["name"].unique(maintain_order=True)
    prepared = _PreparedGazetteer(
        gazetteer=full,
        names=names,
        index=compile_phrases(names),
        by_name=_name_index(full),
        divisions=full.filter(pl.col("feature_type").is_in(["country", "admin1"])),
    )

    def forget(ref: weakref.ref, key: int = key) -> None:
        if _PREPARED.get(key, (None,))[0] is ref:
            _PREPARED.pop(key, None)

    _PREPARED[key] = (weakref.ref(gazetteer, forget), prepared)
    return prepared


def extract_locations(articles: pl.LazyFrame, gazetteer: pl.DataFrame) -> pl.LazyFrame:
    """One row per place mention, conforming to `LOCATIONS`."""
    articles = articles.lazy().select(pl.col("article_id").cast(pl.String), pl.col("text"))
    prepared = _prepared(gazetteer)
    gazetteer = prepared.gazetteer
    mentions = _with_datelines(
        match_phrases(articles, prepared.index).rename({"pattern": "name"}), articles, prepared.by_name
    )
    # materialised once: the frame is reused several times below and polars' streaming engine
    # would otherwise re-run the matcher for every use
    mentions = _context(mentions, articles).collect(engine=ENGINE)
    # only the names this batch mentions: every step below scales with the matched part of the
    # gazetteer, not with all of it
    gaz = _rows_named(gazetteer, prepared.by_name, mentions["name"]).lazy()
    mentions = mentions.lazy()
    divisions = prepared.divisions.lazy()

    # --- mention-level filters -------------------------------------------------------------------
    name_info = gaz.group_by("name").agg(
        ambiguous=pl.col("ambiguous").any(),
        person_name=pl.col("person_name").any(),
        has_main=(pl.col("name_kind") != "alt").any(),
        has_country=(pl.col("feature_type").is_in(["country", "continent", "region", "water"])).any(),
        only_demonym=(pl.col("mention_kind") == "demonym").all(),
        only_upper=(pl.col("name_kind") == "upper").all(),
        max_pop=pl.col("population").max(),
        max_city_pop=pl.col("population").filter(pl.col("feature_type") == "city").max(),
        # a name that can only mean one country / one division gives article context
        ctx_cc_only=pl.when((pl.col("feature_type") == "country").all() & (pl.col("country_code").n_unique() == 1))
        .then(pl.col("country_code").first()),
        ctx_a1_only=pl.when((pl.col("feature_type") == "admin1").all() & (pl.col("place_id").n_unique() == 1))
        .then(pl.concat_str([pl.col("country_code").first(), pl.col("admin1_code").first()], separator=".")),
    )
    prev_clean = pl.col("prev_word").str.strip_chars("\"“‘'(")
    locative = (
        prev_clean.str.to_lowercase().is_in(LOCATIVE_WORDS)
        | pl.col("comma_next").is_not_null()
        | pl.col("contained")
    )
    next_cap = pl.col("next_word").str.contains(r"^[A-Z][a-z]") & ~pl.col("next_word").str.strip_chars(".,;:!?’'s").is_in(_PLACE_HEADS)
    prev_cap_name = (
        pl.col("prev_word").str.contains(r"^[A-Z][a-z]+$")
        & ~pl.col("prev_word").is_in(_FUNCTION_WORDS)
        & ~pl.col("prev_initial")
        & (pl.col("prev_gap") == 1)
        & ~prev_clean.str.to_lowercase().is_in(LOCATIVE_WORDS)
    )
    locative = locative.fill_null(False)
    next_cap = next_cap.fill_null(False)
    prev_cap_name = prev_cap_name.fill_null(False)
    # "Paris Hilton", "Michael Jordan", "President Chad ...": a name glued to a capitalised
    # word that is not itself a place, or after a title, reads as a person / organisation
    # names of countries and of places >= BIG_PLACE_POPULATION keep their place reading when
    # followed by a capitalised word ("Toronto Police", "Queensland Health"), unless the
    # stop-list marks them as common personal names
    big_place = pl.col("max_pop").fill_null(0) >= BIG_PLACE_POPULATION
    person_rules = pl.col("person_name") | (~pl.col("has_country") & ~big_place)
    # "Franklin D. Roosevelt", "Jon R. Taylor": a middle initial right before the name
    prev_initial_name = pl.col("prev_word").str.contains(r"^[A-Z]\.$") & (pl.col("prev_gap") == 1)
    titled = prev_clean.is_in(TITLE_WORDS).fill_null(False)
    personish = (
        ~pl.col("only_demonym")
        & ~pl.col("next_is_place").fill_null(False)
        & (
            # (a name of two or more words, "Beverly Hills", is not a given name or surname)
            ((next_cap | prev_cap_name) & person_rules & ~pl.col("title_case") & ~pl.col("name").str.contains(" "))
            | (prev_initial_name.fill_null(False) & ~pl.col("has_country"))
            | titled
        )
    )
    keep = (
        # (or a lower-case Arabic article before a capital: "al-Bukamal")
        pl.col("matched_text").str.contains(r"^(?:[A-Z\u00C0-\u00DE]|(?:al|el|ad|ar|an|as|ash|at|az)-[A-Z])")
        & ~(pl.col("joined") & ~pl.col("has_country"))
        # an upper-case name of a small place only in a dateline ("EDMONTON, Ky. -")
        & (~pl.col("only_upper") | big_place | pl.col("has_country") | pl.col("comma_next").is_not_null())
        & ~(pl.col("ambiguous") & ~locative)
        & ~pl.col("person").fill_null(False)
    )
    # "Lahore Pakistan", "Orlando Florida": a name followed by a country or division (not by
    # any town: "Tyler Williams", "Zachary Brooks")
    next_place = mentions.join(name_info, on="name", how="inner").filter(
        pl.col("has_country") | pl.col("ctx_a1_only").is_not_null() | (pl.col("max_pop").fill_null(0) >= BIG_PLACE_POPULATION)
    ).select("article_id", next_start=pl.col("start_char"), next_is_place=pl.lit(True))
    mentions = (
        mentions.join(name_info, on="name", how="left")
        .with_columns(next_start=pl.col("end_char") + 1 + pl.col("after_gap"))
        .join(next_place, on=["article_id", "next_start"], how="left")
        .with_columns(personish=personish, locative=locative)
        # once a small place's name (or a stop-listed personal name) reads as a person in an
        # article, all its mentions there do ("Murphy said", "Georgia skates"); other names
        # only lose the mention itself
        .with_columns(
            person=pl.when(person_rules)
            .then(pl.col("personish").any().over("article_id", "name"))
            .otherwise(pl.col("personish"))
        )
        .filter(keep)
        .collect(engine=ENGINE)
        .lazy()
    )

    # --- article context ---------------------------------------------------------------------------
    cand = mentions.join(gaz, on="name", how="inner", suffix="_g")
    # countries / divisions the article names (any mention whose best reading is a country or admin1)
    ctx_country = (
        mentions.select("article_id", ctx_cc=pl.col("ctx_cc_only")).drop_nulls().unique()
        .with_columns(ctx_country=pl.lit(True))
    )
    ctx_admin = (
        mentions.select("article_id", ctx_key=pl.col("ctx_a1_only")).drop_nulls().unique()
        .with_columns(ctx_admin=pl.lit(True))
    )
    # "Paris, Texas": the comma-following name's places narrow this mention
    comma = (
        divisions.filter(pl.col("mention_kind") == "toponym")
        .select(comma_next=pl.col("name"), c_cc=pl.col("country_code"),
                c_a1=pl.col("admin1_code"), c_type=pl.col("feature_type"))
    )
    cand = (
        cand.join(ctx_country, left_on=["article_id", "country_code"], right_on=["article_id", "ctx_cc"], how="left")
        .with_columns(ctx_key=pl.concat_str(["country_code", "admin1_code"], separator="."))
        .join(ctx_admin, on=["article_id", "ctx_key"], how="left")
        .join(comma, left_on=["comma_next", "country_code"], right_on=["comma_next", "c_cc"], how="left")
        .with_columns(
            comma_hit=pl.col("c_type").is_not_null()
            & ((pl.col("c_type") == "country") | (pl.col("c_a1") == pl.col("admin1_code")))
        )
        .drop("c_a1", "c_type")
        # a four-letter diacritic-free spelling ("Beja" for Béja) is often an English word or a given name
        # ("Bank", "Riad"): that reading needs the article to name its country or a ", Division" after it
        .filter(~((pl.col("name_kind") == "folded") & (pl.col("name").str.len_chars() == 4)
                  & ~pl.col("ctx_country").fill_null(False) & ~pl.col("comma_hit")))
        # one row per reading; several gazetteer rows can give it (main and alternate names, package
        # and supplement): keep the main name's row, then order by what later steps read, so reruns agree
        .sort(
            ["article_id", "start_char", "place_id", "mention_kind", "comma_hit",
             pl.col("name_kind") != "main", "place_name", "population", "latitude", "longitude"],
            maintain_order=True,
            nulls_last=True,
        )
        .unique(["article_id", "start_char", "place_id", "mention_kind", "comma_hit"], keep="first", maintain_order=True)
    )

    ft = pl.col("feature_type")
    pop = pl.col("population").fill_null(0).cast(pl.Float64)
    score = (
        ft.replace_strict(_TYPE_PRIOR, default=0.0, return_dtype=pl.Float64)
        + pl.when(ft.is_in(["city", "admin2"])).then(10.0 * (pop + 1).log10()).otherwise(0.0)
        + pl.when(ft.is_in(["admin1", "city"])).then(
            pl.col("ctx_country").fill_null(False).cast(pl.Float64) * 25.0
            + pl.col("ctx_admin").fill_null(False).cast(pl.Float64) * 15.0
        ).otherwise(0.0)
        + pl.col("comma_hit").cast(pl.Float64) * 60.0
        # an alternate name loses to a place whose own name it is ("Mexico" is not Mexico City)
        - pl.when(pl.col("name_kind") == "alt").then(pl.when(pl.col("has_main")).then(45.0).otherwise(15.0))
        .otherwise(0.0)
        + 2.0 * (pop + 1).log10()
        + pl.col("capital").cast(pl.Float64) * 35.0
    )
    # a city that holds a large share of its same-named division's people is what the name
    # usually means in news ("New York", "Mexico" the state vs the city); the division wins
    # otherwise ("Quebec")
    mention = ["article_id", "start_char"]
    admin_pop = pop.filter(ft == "admin1").max().over(mention)
    no_country = ~(ft == "country").any().over(mention)
    score = score + pl.when((ft == "city") & no_country & (pop >= CITY_SHARE_OF_DIVISION * admin_pop)).then(70.0).otherwise(0.0)
    cand = cand.with_columns(score0=score).collect(engine=ENGINE).lazy()
    ranked = _discourse(cand)
    # a small town with no support in the article (its country or division not named, no
    # "in"/"near" before it, no ", State" after it) is more often a surname or a word
    unsupported_small = (
        (pl.col("feature_type") == "city")
        & (pl.col("population").fill_null(0) < SMALL_PLACE_POPULATION)
        & ~pl.col("ctx_country").fill_null(False)
        & ~pl.col("ctx_admin").fill_null(False)
        & ~pl.col("comma_hit").fill_null(False)
        & ~pl.col("locative")
        & (pl.col("n_a1") + pl.col("n_near") == 0)
    )
    # a village (GeoNames keeps places down to 500 people) needs stronger support: its division
    # named in the article, a ", State" after it, or a named place nearby
    unsupported_tiny = (
        pl.col("feature_type").is_in(["city", "admin2"])
        & (pl.col("population").fill_null(0) < TINY_PLACE_POPULATION)
        & ~pl.col("ctx_admin").fill_null(False)
        & ~pl.col("comma_hit").fill_null(False)
        & (pl.col("n_a1") + pl.col("n_near") == 0)
    )
    ranked = ranked.filter(~unsupported_small, ~unsupported_tiny)
    margin = (pl.col("score") - pl.col("second").fill_null(pl.col("score") - 50.0)).clip(0.0, 50.0)
    confidence = (0.5 + margin / 100.0) * pl.when(pl.col("ambiguous")).then(0.8).otherwise(1.0)
    out = ranked.with_columns(
        mention_text=pl.col("matched_text"),
        confidence=confidence.clip(0.05, 0.99),
        location_id=id_expr("loc_", "article_id", "start_char", "end_char"),
    ).sort(["article_id", "start_char"])
    return conform(out, LOCATIONS).collect(engine=ENGINE).lazy()
