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


def _at(row: dict, lat: float, lon: float, admin1: str | None = None) -> dict:
    return {**row, "latitude": lat, "longitude": lon, "admin1_code": admin1}


def _place(text: str, locs: list[dict], trigger: str, votes: dict[str, int] | None = None) -> dict:
    from newsfacts.transforms.events import _sentence_location

    t0 = text.index(trigger)
    place, _ = _sentence_location(locs, [r["start_char"] for r in locs], 0, len(text), t0, text,
                                  t0 + len(trigger), None, votes)
    return place


def test_a_namesake_outside_its_stated_container_gives_way_to_the_container():
    # a village the gazetteer lacks, read as a namesake town in another country
    text = "A grenade hit a checkpoint in Tarvo district (Umberland), injuring two."
    tarvo = _at(_loc("Tarvo", "ID", text.index("Tarvo")), -7.0, 112.0, "08")
    umber = _at(_loc("Umberland", "YE", text.index("Umberland"), "admin1"), 13.0, 45.0, "24")
    assert _place(text, [tarvo, umber], "hit")["place_name"] == "Umberland"
    # same country, another division far away: "X, Y" names the division it is in
    text = "Shells fell near Kovets, Dolan, on Monday."
    kovets = _at(_loc("Kovets", "UA", text.index("Kovets")), 50.0, 25.0, "05")
    dolan = _at(_loc("Dolan", "UA", text.index("Dolan")), 48.0, 37.8, "14")
    assert _place(text, [kovets, dolan], "fell")["place_name"] == "Dolan"


def test_a_reading_inside_or_near_its_container_stays():
    # the same division: the town is the most specific place
    text = "Shells fell near Kovets, Dolan, on Monday."
    kovets = _at(_loc("Kovets", "UA", text.index("Kovets")), 48.2, 37.5, "14")
    dolan = _at(_loc("Dolan", "UA", text.index("Dolan")), 48.0, 37.8, "14")
    assert _place(text, [kovets, dolan], "fell")["place_name"] == "Kovets"
    # a neighbouring division's town a few km away (divisions' boundaries are not namesakes)
    text = "Shells fell in Harbor street in Jinzar (Trip), no casualties."
    jinzar = _at(_loc("Jinzar", "LY", text.index("Jinzar")), 32.8, 13.0, "09")
    trip = _at(_loc("Trip", "LY", text.index("Trip")), 32.9, 13.2, "34")
    assert _place(text, [jinzar, trip], "fell")["place_name"] == "Jinzar"
    # the article names the town's country more often than the container's: the container is the misread
    text = "Merchants blocked the town of Bafra (Bafra, Koma) and protested."
    bafra = [_at(_loc("Bafra", "BF", i), 10.6, -4.8, "03") for i in (text.index("Bafra"), text.rindex("Bafra"))]
    bafra[1]["location_id"] = "loc_second"
    koma = _at(_loc("Koma", "CI", text.index("Koma"), "admin1"), 6.0, -3.5, "17")
    assert _place(text, [*bafra, koma], "blocked", {"BF": 2, "CI": 1})["country_code"] == "BF"
    # no comma or parenthesis: no containment ("Tarvo and Umberland")
    text = "A grenade hit a checkpoint in Tarvo and Umberland."
    tarvo = _at(_loc("Tarvo", "ID", text.index("Tarvo")), -7.0, 112.0, "08")
    umber = _at(_loc("Umberland", "YE", text.index("Umberland"), "city"), 13.0, 45.0, "24")
    assert _place(text, [tarvo, umber], "hit")["place_name"] == "Tarvo"


def test_a_neighbourhood_without_of_stands_for_the_town_named_before_it():
    text = "In Norbury, a man was shot in Greenhill neighborhood by men in a car."
    norbury = _at(_loc("Norbury", "BR", text.index("Norbury")), -19.5, -42.5, "15")
    green = _at(_loc("Greenhill", "BR", text.index("Greenhill")), -22.0, -42.0, "21")  # a namesake town
    assert _place(text, [norbury, green], "shot")["place_name"] == "Norbury"
    # no town before it in the sentence: the name stays the place
    text = "A man was shot in Greenhill neighborhood by men in a car."
    green = _at(_loc("Greenhill", "BR", text.index("Greenhill")), -22.0, -42.0, "21")
    assert _place(text, [green], "shot")["place_name"] == "Greenhill"
    # no part-of-town word: the most specific, nearest place
    text = "In Norbury, a man was shot in Greenhill by men in a car."
    norbury = _at(_loc("Norbury", "BR", text.index("Norbury")), -19.5, -42.5, "15")
    green = _at(_loc("Greenhill", "BR", text.index("Greenhill")), -22.0, -42.0, "21")
    assert _place(text, [norbury, green], "shot")["place_name"] == "Greenhill"


def test_a_place_after_from_is_where_people_or_fire_came_from():
    # in the sentence: the place the rockets landed in, not the one they were fired from
    text = "Rockets fired from Westvale landed in Norbury on Monday."
    west = _loc("Westvale", "SY", text.index("Westvale"))
    nor = _loc("Norbury", "SY", text.index("Norbury"))
    assert _place(text, [west, nor], "fired")["place_name"] == "Norbury"
    # without "from" the nearest place of the same kind wins
    text = "Rockets fired at Westvale landed in Norbury on Monday."
    west = _loc("Westvale", "SY", text.index("Westvale"))
    nor = _loc("Norbury", "SY", text.index("Norbury"))
    assert _place(text, [west, nor], "fired")["place_name"] == "Westvale"


def test_the_main_place_is_not_where_fighters_came_from():
    text = "Fighters from Westvale clashed with police in the town of Norbury. Two died."
    west = _loc("Westvale", "SY", text.index("Westvale"))
    nor = _loc("Norbury", "SY", text.index("Norbury"))
    _, _, main = _article_locations([west, nor], text, [(0, text.index(" Two") + 1), (text.index("Two"), len(text))])
    assert main["place_name"] == "Norbury"


def test_with_no_toponym_the_main_place_is_a_country_a_demonym_names_outside_an_actor():
    text = "Ostrian forces razed land near the Velian parks. An Ostrian soldier was hurt."
    ost = [_loc("Ostrian", "OS", text.index("Ostrian"), "country"), _loc("Ostrian", "OS", text.rindex("Ostrian"), "country")]
    vel = _loc("Velian", "VL", text.index("Velian"), "country")
    for r in (*ost, vel):
        r["mention_kind"] = "demonym"
    ost[1]["location_id"] = "loc_other"
    spans = [(0, text.index(" An") + 1), (text.index("An "), len(text))]
    _, _, main = _article_locations([*ost, vel], text, spans)
    assert main["country_code"] == "VL"
    # only actors' demonyms: no place
    _, _, main = _article_locations(ost, text, spans)
    assert main is None
    # a toponym always comes first
    town = _loc("Norbury", "OS", text.index("parks"))
    _, _, main = _article_locations([*ost, vel, town], text, spans)
    assert main["place_name"] == "Norbury"


def test_a_mission_with_a_fixed_area_places_an_article_that_names_no_place():
    import polars as pl
    from newsfacts.reference.events import load_mission_areas
    from newsfacts.reference.loader import load_reference
    from newsfacts.settings import Settings
    from newsfacts.transforms.facts import extract_facts

    reference = load_reference(Settings())
    assert reference.mission_areas is not None and reference.mission_areas.height == load_mission_areas(
        Settings().seeds_path).height
    texts = [
        # a village the gazetteer lacks, and no other place: the mission's area (the Donbas)
        "On Tuesday, the OSCE SMM observed 14 explosions near Verkhnia Lozivka.",
        # a place the article names is the place, whatever mission it names
        "On Tuesday, the OSCE SMM observed 14 explosions near Donetsk city.",
        # no mission, no place: no place
        "On Tuesday, observers counted 14 explosions near Verkhnia Lozivka.",
    ]
    articles = pl.DataFrame({"article_id": ["a0", "a1", "a2"], "text": texts})
    events = extract_facts(articles.lazy(), reference)["events"].sort("article_id")
    by_article = {r["article_id"]: r for r in events.iter_rows(named=True)}
    assert set(by_article) == {"a0", "a1", "a2"}
    donbas = by_article["a0"]
    assert (donbas["country_code"], donbas["latitude"], donbas["longitude"], donbas["location_id"]) == ("UA", 48.0, 38.0, None)
    assert by_article["a1"]["location_id"] is not None and by_article["a1"]["country_code"] == "UA"
    assert (by_article["a1"]["latitude"], by_article["a1"]["longitude"]) != (48.0, 38.0)
    assert by_article["a2"]["latitude"] is None
