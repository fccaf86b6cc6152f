"""The extraction DAG for one batch of articles: sentences -> locations, figures -> events -> figure links.

Pure: reference data arrives as frames in `ReferenceData`; each step's inputs
are its upstream tables.
"""
from __future__ import annotations

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


def extract_facts(articles: pl.LazyFrame, reference: ReferenceData) -> dict[str, pl.DataFrame]:
    """Fact tables (sentences, locations, figures, events) for the given articles."""
    sentences = split_sentences(articles).collect()
    locations = extract_locations(articles, reference.gazetteer).collect()
    figures = extract_figures(articles, reference.figure_lexicon).collect()
    events = extract_events(
        articles,
        sentences.lazy(),
        locations.lazy(),
        figures.lazy(),
        reference.event_lexicon,
        reference.actors,
    ).collect()
    figures = link_figures_to_events(figures.lazy(), events.lazy(), sentences.lazy()).collect()
    return {"sentences": sentences, "locations": locations, "figures": figures, "events": events}
