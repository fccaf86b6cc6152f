"""The whole extraction DAG on messy text: every fact it emits must pass the publish gate's row checks.

A gate failure stops a run, so an extractor bug on one odd article would block a whole batch; these
properties look for such bugs before real data does (non-ASCII, emoji, combining marks, CR/LF, NBSP,
other scripts' digits, fragments of news prose).
"""
from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsfacts.expectations.derive import prepare_for_validation
from newsfacts.schema import (
    ACLED_SUB_EVENT_TYPES,
    DATE_PRECISIONS,
    EVENTS,
    FIGURE_CATEGORIES,
    FIGURE_QUALIFIERS,
    FIGURES,
    LOCATIONS,
    MENTION_KINDS,
    PLOVER_TYPES,
    PRIMARY_KEYS,
)
from newsfacts.transforms.facts import extract_facts

FRAGMENTS = [
    "At least 12 people were killed in Kyiv on Thursday.",
    "Police arrested 45 protesters in São Paulo’s centre",
    "tens of thousands of people marched through Zürich",
    "The U.S. pledged $2.5bn in aid to Ukraine.",
    "about 1,200 families were displaced by floods in Assam",
    "between 20 and 30 rockets hit Gaza City",
    "the Ukrainian military said Russian drones struck Odesa",
    "Gunmen abducted 15 villagers near Maiduguri, Nigeria.",
    "“We condemn the attack,” the minister said.",
    "Some 3.5 million people were left without power",
    "a 45-year-old man died",
    "MH17 was downed in 2014; G20 leaders met in Bali",
    "KRAKÓW, Poland —",
    "Paris, Texas",
    "up to 70% of homes",
    "\r\n",
    "\n\n",
    "\u00a0",
    " ",
    "🔥",
    "e\u0301",
    "１２",
    "١٢ قتيلا",
    "北京",
    "’",
    "…",
]

messy_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(min_size=1, max_size=12)),
    min_size=1,
    max_size=25,
).map(" ".join)


@pytest.fixture(scope="module")
def reference():
    from newsfacts.reference.loader import load_reference
    from newsfacts.settings import Settings

    return load_reference(Settings())


def _articles(texts: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "article_id": [f"a{i}" for i in range(len(texts))],
            "text": texts,
            "title": [None] * len(texts),
            "published_at": [datetime(2024, 3, 14, 12, tzinfo=timezone.utc)] * len(texts),
        },
        schema_overrides={"title": pl.String},
    )


def _check(articles: pl.DataFrame, facts: dict[str, pl.DataFrame]) -> None:
    assert facts["locations"].schema == LOCATIONS
    assert facts["figures"].schema == FIGURES
    assert facts["events"].schema == EVENTS
    derived = {
        table: prepare_for_validation(
            table, facts[table], articles, locations=facts["locations"], events=facts["events"]
        )
        for table in ("locations", "figures", "events")
    }
    for table, frame in derived.items():
        key = PRIMARY_KEYS[table]
        assert frame[key].null_count() == 0 and frame[key].is_unique().all(), table
        for flag in [c for c in frame.columns if c.startswith("_") and frame[c].dtype == pl.Boolean]:
            bad = frame.filter(~pl.col(flag))
            assert bad.height == 0, (table, flag, bad.head(3).to_dicts())
    loc, fig, ev = derived["locations"], derived["figures"], derived["events"]
    assert set(loc["mention_kind"].drop_nulls()) <= set(MENTION_KINDS)
    assert loc.filter((pl.col("latitude").abs() > 90) | (pl.col("longitude").abs() > 180)).height == 0
    assert fig.filter(pl.col("value").is_null()).height == 0
    assert fig.filter(pl.col("value_low") > pl.col("value")).height == 0
    assert fig.filter(pl.col("value_high") < pl.col("value")).height == 0
    assert set(fig["qualifier"].drop_nulls()) <= set(FIGURE_QUALIFIERS)
    assert set(fig["category"].drop_nulls()) <= set(FIGURE_CATEGORIES)
    assert set(ev["event_type"].drop_nulls()) <= set(PLOVER_TYPES)
    assert set(ev["acled_sub_event_type"].drop_nulls()) <= set(ACLED_SUB_EVENT_TYPES)
    assert set(ev["date_precision"].drop_nulls()) <= set(DATE_PRECISIONS)
    assert ev.filter((pl.col("confidence") < 0) | (pl.col("confidence") > 1)).height == 0
    assert ev.filter(pl.col("fatalities") < 0).height == 0
    inside = ev.filter(
        (pl.col("trigger_start") < pl.col("sentence_start")) | (pl.col("trigger_end") > pl.col("sentence_end"))
    )
    assert inside.height == 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(texts=st.lists(messy_text, min_size=1, max_size=8))
def test_messy_text_yields_only_valid_facts(reference, texts):
    articles = _articles(texts)
    _check(articles, extract_facts(articles.lazy(), reference))


@pytest.fixture(scope="module")
def bundled_texts(project_root) -> list[str]:
    from newsfacts.sources.readers import RawRecord, expand_sources, read_source

    return [
        r.text
        for path in expand_sources([str(project_root / "seeds" / "articles")])
        for r in read_source(path, max_chars=10**7)
        if isinstance(r, RawRecord)
    ]


def test_bundled_articles_yield_valid_facts(reference, bundled_texts):
    texts = bundled_texts
    articles = _articles(texts)
    facts = extract_facts(articles.lazy(), reference)
    _check(articles, facts)
    assert min(facts[t].height for t in ("locations", "figures", "events")) > len(texts)


def test_facts_do_not_depend_on_batching(reference, bundled_texts):
    """The flow cuts articles into batches; an article's facts must not depend on its neighbours."""
    from polars.testing import assert_frame_equal

    articles = _articles(bundled_texts)
    whole = extract_facts(articles.lazy(), reference)
    parts = [extract_facts(articles.slice(offset, 7).lazy(), reference) for offset in range(0, articles.height, 7)]
    for table in ("sentences", "locations", "figures", "events"):
        batched = pl.concat([p[table] for p in parts])
        key = batched.columns[0]
        assert_frame_equal(whole[table].sort(key, "article_id"), batched.sort(key, "article_id"), check_row_order=False)
