"""Figures extractor: phrases, non-figures, contract shape, number parser properties, seed F1."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from newsfacts.reference.figures import load_figure_lexicon
from newsfacts.transforms.figures import extract_figures, figures_in_text, parse_number
from polars.testing import assert_frame_equal

from newsfacts.schema import FIGURE_CATEGORIES, FIGURE_QUALIFIERS, FIGURES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lexicon() -> pl.DataFrame:
    return load_figure_lexicon(ROOT / "seeds")


def articles(*texts: str) -> pl.LazyFrame:
    return pl.LazyFrame(
        {"article_id": [f"a{i}" for i in range(len(texts))], "text": list(texts)},
        schema={"article_id": pl.String, "text": pl.String},
    )


def one(text: str, lexicon: pl.DataFrame, mention: str) -> dict:
    """The figure whose mention is exactly `mention` (fails when absent)."""
    found = [f for f in figures_in_text(text, lexicon) if f["mention_text"] == mention]
    assert found, (mention, [f["mention_text"] for f in figures_in_text(text, lexicon)])
    return found[0]


# ----------------------------------------------------------------------------- phrases

@pytest.mark.parametrize(
    ("text", "mention", "value", "low", "high", "qualifier", "unit", "obj", "category"),
    [
        ("It was reported that at least seven people were killed by the attacks.",
         "at least seven people", 7, 7, None, "at_least", None, "people", "KILL"),
        ("Air defence shot down six cruise missiles and five drones.",
         "six cruise missiles", 6, 6, 6, "exact", None, "cruise missiles", "WEAPON"),
        ("Strikes have left roughly 10 million of his citizens without power.",
         "roughly 10 million of his citizens", 1e7, 1e7, 1e7, "approx", None, "citizens", "AFFECT"),
        ("Russia struggles to equip tens of thousands of new conscripts.",
         "tens of thousands of new conscripts", 1e4, 1e4, 99_999, "approx", None, "new conscripts", "COUNT"),
        ("Missile strikes also landed on Poland, killing two.", "two", 2, 2, 2, "exact", None, None, "KILL"),
        ("The fund raised $2.5bn last year.", "$2.5bn", 2.5e9, 2.5e9, 2.5e9, "exact", "USD", None, "MONEY"),
        ("Revenue reached 1.2 billion euros.", "1.2 billion euros", 1.2e9, 1.2e9, 1.2e9, "exact", "EUR", None, "MONEY"),
        ("Prices rose 3.5% in May.", "3.5%", 3.5, 3.5, 3.5, "exact", "percent", None, "PERCENT"),
        ("Unemployment fell to 12 per cent.", "12 per cent", 12, 12, 12, "exact", "percent", None, "PERCENT"),
        ("Between 20 and 30 soldiers died.", "Between 20 and 30 soldiers", 25, 20, 30, "range", None, "soldiers", "KILL"),
        ("Police said 20-30 protesters were detained.", "20-30 protesters", 25, 20, 30, "range", None, "protesters", "CROWD"),
        ("The convoy was 20 to 30 km from the border.", "20 to 30 km", 25, 20, 30, "range", "km", None, "MEASURE"),
        ("More than 1,200 people were arrested.", "More than 1,200 people", 1200, 1200, None, "more_than", None, "people", "ARREST"),
        ("The attacks came less than two days after the last.", "less than two days", 2, None, 2, "less_than", "day", None, "DURATION"),
        ("The company plans to hire up to 400 people.", "up to 400 people", 400, None, 400, "up_to", None, "people", "COUNT"),
        ("Officials said nearly 3,000 families fled the fighting.", "nearly 3,000 families", 3000, 3000, 3000, "approx", None, "families", "DISPLACE"),
        ("A 45-year-old man was among the dead.", "45-year-old", 45, 45, 45, "exact", "year", None, "AGE"),
        ("The driver, aged 52, survived.", "52", 52, 52, 52, "exact", "year", None, "AGE"),
        ("Dozens were injured in the blast.", "Dozens", 24, 24, 99, "approx", None, None, "WOUND"),
        ("The storm left hundreds of homes without power.", "hundreds of homes", 200, 200, 999, "approx", None, "homes", "AFFECT"),
        ("It has one hundred and five members.", "one hundred and five members", 105, 105, 105, "exact", None, "members", "COUNT"),
        ("About twenty-one hostages remain missing.", "About twenty-one hostages", 21, 21, 21, "approx", None, "hostages", "MISSING"),
        ("They seized a dozen rifles.", "a dozen rifles", 12, 12, 12, "exact", None, "rifles", "WEAPON"),
        ("The plant produces 450 MW of power.", "450 MW", 450, 450, 450, "exact", "MW", None, "MEASURE"),
        ("The field produced 12.3m tonnes of grain.", "12.3m tonnes", 12.3e6, 12.3e6, 12.3e6, "exact", "t", None, "MEASURE"),
        ("It cost £1,000 per person.", "£1,000 per person", 1000, 1000, 1000, "exact", "GBP/person", None, "MONEY"),
        ("Temperatures fell to minus 12 degrees.", "minus 12 degrees", -12, -12, -12, "exact", "deg", None, "MEASURE"),
        ("Half a million people fled.", "Half a million people", 5e5, 5e5, 5e5, "exact", None, "people", "DISPLACE"),
        ("A 10,000-strong crowd gathered.", "10,000-strong crowd", 1e4, 1e4, 1e4, "exact", None, "crowd", "CROWD"),
        ("It took two and a half years.", "two and a half years", 2.5, 2.5, 2.5, "exact", "year", None, "DURATION"),
        ("A magnitude 6.4 quake hit.", "magnitude 6.4", 6.4, 6.4, 6.4, "exact", "magnitude", None, "MEASURE"),
        ("Tuition rose by tens of thousands of dollars.", "tens of thousands of dollars", 1e4, 1e4, 99_999, "approx", "USD", None, "MONEY"),
        ("Andre Wilson, 38, told reporters he ran.", "38", 38, 38, 38, "exact", "year", None, "AGE"),
        ("Prices rose by 10-15% this year.", "10-15%", 12.5, 10, 15, "range", "percent", None, "PERCENT"),
    ],
)
def test_phrases(lexicon, text, mention, value, low, high, qualifier, unit, obj, category):
    f = one(text, lexicon, mention)
    assert f["value"] == pytest.approx(value)
    assert f["value_low"] == (None if low is None else pytest.approx(low))
    assert f["value_high"] == (None if high is None else pytest.approx(high))
    assert (f["qualifier"], f["unit"], f["object"], f["category"]) == (qualifier, unit, obj, category)
    assert text[f["start_char"]:f["end_char"]] == mention


@pytest.mark.parametrize(
    "text",
    [
        "The crash happened in 2014 and the 2014 tragedy is remembered.",
        "Flight MH17 was downed; leaders met at the G20 summit.",
        "COVID-19 cases fell.",
        "She finished 3rd and he was first.",
        "The meeting starts at 11 a.m. and ends at 9:35 PM.",
        "Brexit is due on March 29 and the vote on 14 May.",
        "Most Group of 20 leaders condemned it.",
        "Call 555-123-4567 for details.",
        "The new iPhone 11 Pro and Game 2 of the series.",
        "Read Also: Three Men Punished For Crash",
        "Sampling between 2014 and 2017 was done.",
        "They won 3-1 and the court ruled 7-2 in the 2022-23 season.",
        "More than 52,000 Venezuelans [1] arrived. (4) celebrates.",
        "It starts on April 7/8 and runs 24/7.",
        "the sp 500 and the FTSE 100 were flat while the Nikkei 225 slipped.",
    ],
)
def test_non_figures(lexicon, text):
    found = figures_in_text(text, lexicon)
    if text.startswith("More than 52,000"):
        assert [f["mention_text"] for f in found] == ["More than 52,000 Venezuelans"]
    else:
        assert found == []


def test_nearest_context_in_the_clause(lexicon):
    text = "Officials said 1,500 were displaced, while 3 remain missing and 200 were hurt."
    cats = [f["category"] for f in figures_in_text(text, lexicon)]
    assert cats == ["DISPLACE", "MISSING", "WOUND"]


@pytest.mark.parametrize(
    ("text", "mention", "category"),
    [
        # inanimate counted nouns never take a people-centred category from the sentence
        ("Storms spawned at least six tornadoes, killing 11 people.", "at least six tornadoes", "COUNT"),
        ("Storms spawned at least six tornadoes, killing 11 people.", "11 people", "KILL"),
        ("No one was hurt, but dozens of homes were damaged.", "dozens of homes", "COUNT"),
        ("Winds left more than 150,000 homes without power.", "more than 150,000 homes", "AFFECT"),
        # displacement without "displaced"
        ("Gangs killed 42 people, forcing about 5,000 residents to flee their homes.",
         "about 5,000 residents", "DISPLACE"),
        ("Fighting has forced more than 375,000 people from their homes.", "more than 375,000 people", "DISPLACE"),
        # a context noun counted by another number belongs to that number ...
        ("Police fired shots, and at least 17 protesters and 9 members of the security forces were injured.",
         "9 members", "WOUND"),
        # ... unless this figure is a subset of it
        ("Lawyers counted 210 arrests in Nairobi, including two journalists who were released.",
         "two journalists", "ARREST"),
        # "one of" is a count of one, whatever the sentence is about
        ("The group claimed the attack on one of its radio stations, saying it killed 17 soldiers.", "one", "COUNT"),
        ("Twelve people were treated for burns.", "Twelve people", "WOUND"),
        # a subset named right after a count of people shares its category
        ("Gunmen killed at least 12 civilians, including four children, and wounded about 20 others.",
         "four children", "KILL"),
        ("Cholera has killed 412 people and infected more than 10,000 since October.", "more than 10,000", "AFFECT"),
    ],
)
def test_category_from_object_and_context(lexicon, text, mention, category):
    assert one(text, lexicon, mention)["category"] == category


def test_bracketed_conversion_shares_the_qualifier(lexicon):
    text = "The engine makes just under 296 hp (224 kW / 300 PS); the town is about 5 miles (8 km) away."
    kw = one(text, lexicon, "224 kW")
    assert (kw["qualifier"], kw["value_low"], kw["value_high"]) == ("less_than", None, 224)
    assert one(text, lexicon, "300 PS")["qualifier"] == "less_than"
    assert one(text, lexicon, "8 km")["qualifier"] == "approx"


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("MANILA — Damage to crops reached 2.3 billion pesos, officials said.", "PHP"),
        ("Colombian police seized 1.8 billion pesos in cash.", "COP"),
        ("The peso fell; traders paid 500 pesos for a dollar.", "MXN"),  # no cue: the lexicon's default
        ("Tanzania will get a grant of 580 million shillings.", "TZS"),
    ],
)
def test_ambiguous_currency_follows_the_country(lexicon, text, unit):
    money = [f for f in figures_in_text(text, lexicon) if f["category"] == "MONEY"]
    assert [f["unit"] for f in money] == [unit]


def test_vague_and_millions(lexicon):
    text = "Russia is leaving millions without power, and thousands fled."
    millions = one(text, lexicon, "millions")
    assert (millions["value_low"], millions["value_high"], millions["qualifier"]) == (1e6, 9_999_999, "approx")
    assert millions["category"] == "AFFECT"
    thousands = one(text, lexicon, "thousands")
    assert (thousands["value_low"], thousands["value_high"], thousands["category"]) == (2000, 9999, "DISPLACE")


# ----------------------------------------------------------------------------- frame contract

def test_extract_figures_frame(lexicon):
    frame = articles("At least seven people were killed.", "No numbers here.", "")
    out = extract_figures(frame, lexicon).collect()
    assert out.schema == FIGURES
    expected = pl.DataFrame(
        {
            "article_id": ["a0"], "start_char": [0], "end_char": [21], "mention_text": ["At least seven people"],
            "value": [7.0], "value_low": [7.0], "value_high": [None], "qualifier": ["at_least"],
            "unit": [None], "object": ["people"], "category": ["KILL"], "event_id": [None],
        },
        schema={k: v for k, v in FIGURES.items() if k != "figure_id"},
    )
    assert_frame_equal(out.drop("figure_id"), expected)
    assert out["figure_id"][0].startswith("fig_")


def test_offsets_and_ids_with_non_ascii_text(lexicon):
    text = "Kyiv’s mayor — “Zelensky” said — reported about 12 drones, twenty-one shells and €3m in damage. Ünïcode 5%."
    other = "Ärger über «Preise»: " + text
    out = extract_figures(articles(text, other), lexicon).collect()
    assert out.height == 8
    texts = {"a0": text, "a1": other}
    for r in out.iter_rows(named=True):
        assert texts[r["article_id"]][r["start_char"]:r["end_char"]] == r["mention_text"]
        assert r["qualifier"] in FIGURE_QUALIFIERS and r["category"] in FIGURE_CATEGORIES
    assert out["figure_id"].n_unique() == out.height
    mentions = set(out.filter(pl.col("article_id") == "a0")["mention_text"])
    assert {"about 12 drones", "twenty-one shells", "€3m", "5%"} <= mentions
    # the batch path (Aho-Corasick byte offsets) and the single-text path agree
    single = [(f["start_char"], f["end_char"]) for f in figures_in_text(text, lexicon)]
    assert single == out.filter(pl.col("article_id") == "a0").select("start_char", "end_char").rows()
    # deterministic
    again = extract_figures(articles(text, other), lexicon).collect()
    assert_frame_equal(out, again)


def test_batch_and_single_text_paths_agree(lexicon):
    """Batch Aho-Corasick candidates/context and the per-text regex scan give the same rows."""
    texts = [
        "Überkilled: the death toll rose to 12 and 30 were hurt; „killing“ 4 more, Skilled 5 — 6 displaced.",
        "Thousands fled. In Kyiv’s east, two people died and 17 protesters and 9 members were injured.",
        "A 10,000-strong crowd; between 20 and 30 killed, roughly 10 million without power.",
    ]
    out = extract_figures(articles(*texts), lexicon).collect().drop("figure_id", "article_id", "event_id")
    single = pl.DataFrame([f for t in texts for f in figures_in_text(t, lexicon)], schema=out.schema)
    assert_frame_equal(out, single)


def test_without_lexicon_uses_small_default():
    out = extract_figures(articles("Prices rose 10% and it cost $5; 3 people were killed.")).collect()
    got = {r["mention_text"]: (r["unit"], r["category"]) for r in out.iter_rows(named=True)}
    assert got["10%"] == ("percent", "PERCENT")
    assert got["$5"] == ("USD", "MONEY")
    assert got["3 people"] == (None, "KILL")


def test_lexicon_loader(lexicon):
    assert lexicon.columns == ["kind", "term", "unit", "category", "position", "case", "cue"]
    assert set(lexicon["kind"]) == {"unit", "object", "context", "thing", "currency"}
    assert set(lexicon["category"]) <= set(FIGURE_CATEGORIES)
    assert lexicon.filter(pl.col("term").is_null()).height == 0
    dollars = lexicon.filter((pl.col("kind") == "unit") & (pl.col("term") == "$") & (pl.col("position") == "prefix"))
    assert dollars["unit"].to_list() == ["USD"]


# ----------------------------------------------------------------------------- number parser

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def to_words(n: int, british_and: bool) -> str:
    """English words for 0 <= n < 10**12 ("one hundred and five", "twenty-one")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        head = _ONES[n // 100] + " hundred"
        return head + ((" and " if british_and else " ") + to_words(rest, british_and) if rest else "")
    for scale, name in ((10**9, "billion"), (10**6, "million"), (10**3, "thousand")):
        if n >= scale:
            rest = n % scale
            head = to_words(n // scale, british_and) + " " + name
            if not rest:
                return head
            sep = " and " if british_and and rest < 100 else " "
            return head + sep + to_words(rest, british_and)
    raise AssertionError(n)


@settings(max_examples=120, deadline=None)
@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_parse_number_commas(n):
    assert parse_number(f"{n:,}") == n
    assert parse_number(str(n)) == n


@settings(max_examples=120, deadline=None)
@given(st.integers(min_value=1, max_value=10**12 - 1), st.booleans())
def test_parse_number_words(n, british_and):
    words = to_words(n, british_and)
    assert parse_number(words) == n, words
    assert parse_number(words.capitalize()) == n


@settings(max_examples=120, deadline=None)
@given(st.integers(min_value=1, max_value=999_999), st.integers(min_value=1, max_value=99),
       st.sampled_from([("million", 1e6), ("billion", 1e9), ("bn", 1e9), ("m", 1e6), ("k", 1e3)]))
def test_parse_number_scaled_decimals(whole, frac, scale):
    word, factor = scale
    text = f"{whole:,}.{frac:02d}{'' if len(word) <= 2 else ' '}{word}"
    assert parse_number(text) == pytest.approx(float(f"{whole}.{frac:02d}") * factor)


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=2, max_value=999_999), st.booleans())
def test_scanner_reads_formatted_counts(n, as_words):
    shown = to_words(n, True) if as_words else f"{n:,}"
    text = f"Officials said {shown} people were evacuated."
    figs = figures_in_text(text)
    assert [f["value"] for f in figs] == [n], (text, figs)
    assert figs[0]["mention_text"] == f"{shown} people"


def test_parse_number_rejects():
    for s in ["", "people", "one two", "2,00", "seven people"]:
        assert parse_number(s) is None, s
    assert parse_number("a dozen") == 12
    assert parse_number("1/2") == 0.5


# ----------------------------------------------------------------------------- seed article

def test_seed_value_f1(lexicon):
    eval_dir = ROOT.parent / "shared" / "eval"
    gold_path = eval_dir / "dev" / "seed.jsonl"
    if not gold_path.exists() or not (eval_dir / "evaluate.py").exists():
        pytest.skip("shared eval data not present")
    spec = importlib.util.spec_from_file_location("nf_eval_for_figures", eval_dir / "evaluate.py")
    ev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ev)
    docs = [json.loads(x) for x in gold_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    frame = pl.LazyFrame({"article_id": [d["doc_id"] for d in docs], "text": [d["text"] for d in docs]})
    figs = extract_figures(frame, lexicon).collect().sort("article_id", "start_char")

    class Rows:
        def rows(self, table, wanted):
            out: dict[str, list[dict]] = {}
            for r in figs.iter_rows(named=True):
                out.setdefault(r["article_id"], []).append({c: r[c] for c in wanted})
            return out

    result = ev.score_figures(docs, Rows())
    assert result["values"]["f1"] >= 0.8, result
    assert result.get("qualifier_agreement", 1.0) >= 0.8, result
