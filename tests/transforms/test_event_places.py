"""Place selection of events (`transforms.events`): the article's fallback place."""
from __future__ import annotations

from newsfacts.transforms.events import _article_locations


def _loc(name: str, cc: str, start: int, ftype: str = "city") -> dict:
    return {
        "location_id": f"loc_{start}", "place_id": f"{cc}-{name}", "place_name": name, "mention_text": name,
        "country_code": cc, "feature_type": ftype, "mention_kind": "toponym",
        "latitude": 1.0, "longitude": 2.0, "start_char": start, "end_char": start + len(name),
    }


def test_main_place_ties_go_to_the_country_the_article_names_most():
    text = "Inmates rioted at Alder Prison in Brookfield (Lower Vale, Eastmark) on Monday."
    locs = [
        _loc("Alder", "GB", text.index("Alder")),
        _loc("Brookfield", "ZA", text.index("Brookfield")),
        _loc("Eastmark", "ZA", text.index("Eastmark"), "admin1"),
    ]
    _, starts, main = _article_locations(locs, text, [(0, len(text))])
    assert starts == sorted(starts)
    assert main["place_name"] == "Brookfield"


def test_main_place_is_the_most_mentioned_then_the_first():
    text = "Protests in Norden spread to Sudhaven; Sudhaven police arrested 12 in Sudhaven."
    norden = _loc("Norden", "DE", text.index("Norden"))
    sud = [_loc("Sudhaven", "DE", i) for i in (text.index("Sudhaven"), text.index("Sudhaven police"),
                                                 text.rindex("Sudhaven"))]
    sud[1]["location_id"] = "other"
    _, _, main = _article_locations([norden, *sud], text, [(0, len(text))])
    assert main["place_name"] == "Sudhaven" and main["start_char"] == text.index("Sudhaven")
    # one mention each, same country: the first mentioned
    _, _, main = _article_locations([norden, sud[0]], text, [(0, len(text))])
    assert main["place_name"] == "Norden"


def test_a_part_of_a_town_stands_for_the_town_it_is_part_of():
    from newsfacts.transforms.events import _sentence_location

    text = "Gunmen shot a trader in Eastfield area of Brookport city (Brookport, Lowland) on Monday."
    east = _loc("Eastfield", "GB", text.index("Eastfield"))  # a namesake town elsewhere
    brook = _loc("Brookport", "ZA", text.index("Brookport"))
    locs = [east, brook]
    t0 = text.index("shot")
    place, same_clause = _sentence_location(locs, [r["start_char"] for r in locs], 0, len(text), t0, text, t0 + 4)
    assert place["place_name"] == "Brookport" and same_clause
    # without "of <place>" the name stays the event's place
    text2 = "Gunmen shot a trader in Eastfield area on Monday; Brookport police said."
    east2, brook2 = _loc("Eastfield", "GB", text2.index("Eastfield")), _loc("Brookport", "ZA", text2.index("Brookport"))
    place, _ = _sentence_location([east2, brook2], [east2["start_char"], brook2["start_char"]], 0, len(text2), t0,
                                  text2, t0 + 4)
    assert place["place_name"] == "Eastfield"
