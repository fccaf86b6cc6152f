"""Load every reference table the extractors need, from seeds/ and the build cache."""
from __future__ import annotations

from newsfacts.reference.events import load_actor_dictionary, load_event_lexicon, load_mission_areas
from newsfacts.reference.figures import load_figure_lexicon
from newsfacts.reference.gazetteer import load_gazetteer
from newsfacts.settings import Settings
from newsfacts.transforms.facts import ReferenceData


def load_reference(settings: Settings) -> ReferenceData:
    return ReferenceData(
        gazetteer=load_gazetteer(settings.seeds_path, settings.cache_path),
        figure_lexicon=load_figure_lexicon(settings.seeds_path),
        event_lexicon=load_event_lexicon(settings.seeds_path),
        actors=load_actor_dictionary(settings.seeds_path),
        mission_areas=load_mission_areas(settings.seeds_path),
    )
