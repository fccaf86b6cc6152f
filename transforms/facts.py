"""The extraction DAG for one batch of articles: sentences -> locations, figures -> events -> figure links.

Pure: reference data arrives as frames in `ReferenceData`; each step's inputs
are its upstream tables.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from newsfacts.transforms.events import extract_events, link_figures_to_events
from newsfacts.transforms.figures import extract_figures
from newsfacts.transforms.locations import extract_locations
from newsfacts.transforms.sentences import split_sentences


@dataclass(frozen=True)
class ReferenceData:
    gazetteer: pl.DataFrame
    figure_lexicon: pl.DataFrame | None
    event_lexicon: pl.DataFrame
    actors: pl.DataFrame | None = None
    mission_areas: pl.DataFrame | None = None


# Languages the lexicons, gazetteer names and rules are written for; NULL (unknown) is extracted too.
EXTRACTION_LANGUAGES = ("en",)


def extractable(articles: pl.LazyFrame) -> pl.LazyFrame:
    """The articles extraction applies to: language NULL or one of `EXTRACTION_LANGUAGES` (a frame without a
    `language` column: all)."""
    if "language" not in articles.collect_schema().names():
        return articles
    return articles.filter(pl.col("language").is_null() | pl.col("language").is_in(EXTRACTION_LANGUAGES))


STEPS = ("sentences", "locations", "figures", "events", "link")


def extract_facts(
    articles: pl.LazyFrame, reference: ReferenceData, on_step: Callable[[str], None] | None = None
) -> dict[str, pl.DataFrame]:
    """Fact tables (sentences, locations, figures, events) for the given articles; articles in a language the
    extraction has no lexicons for (known and not English) yield no facts and stay in `articles`.
    `on_step`, if given, is called with each step's name (`STEPS`) as soon as it is done (benchmarks time
    the steps with it)."""
    done = on_step or (lambda step: None)
    articles = extractable(articles)
    sentences = split_sentences(articles).collect()
    done("sentences")
    locations = extract_locations(articles, reference.gazetteer).collect()
    done("locations")
    figures = extract_figures(articles, reference.figure_lexicon).collect()
    done("figures")
    events = extract_events(
        articles,
        sentences.lazy(),
        locations.lazy(),
        figures.lazy(),
        reference.event_lexicon,
        reference.actors,
        reference.mission_areas,
    ).collect()
    done("events")
    figures = link_figures_to_events(figures.lazy(), events.lazy(), sentences.lazy()).collect()
    done("link")
    return {"sentences": sentences, "locations": locations, "figures": figures, "events": events}


@dataclass(frozen=True)
class ExtractedBatch:
    """A batch's fact tables, and the articles whose extraction raised (`article_id`, `error`)."""

    facts: dict[str, pl.DataFrame]
    failures: pl.DataFrame


FAILURES = pl.Schema({"article_id": pl.String, "error": pl.String})


def extract_facts_isolated(articles: pl.DataFrame, reference: ReferenceData) -> ExtractedBatch:
    """`extract_facts` over the batch; if it raises, article by article, so one article that breaks a
    rule costs only itself: its error is returned and the other articles' facts are kept."""
    try:
        return ExtractedBatch(extract_facts(articles.lazy(), reference), pl.DataFrame(schema=FAILURES))
    except Exception:
        pass
    parts: list[dict[str, pl.DataFrame]] = []
    failures: list[dict[str, str]] = []
    for index in range(articles.height):
        one = articles.slice(index, 1)
        try:
            parts.append(extract_facts(one.lazy(), reference))
        except Exception as exc:
            failures.append({"article_id": one["article_id"][0], "error": f"{type(exc).__name__}: {exc}"[:500]})
    if not parts:  # every article failed: the tables' empty shapes
        parts.append(extract_facts(articles.clear().lazy(), reference))
    facts = {name: pl.concat([p[name] for p in parts], how="vertical") for name in parts[0]}
    return ExtractedBatch(facts, pl.DataFrame(failures, schema=FAILURES))
