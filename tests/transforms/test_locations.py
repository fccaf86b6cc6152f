from __future__ import annotations

import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from newsfacts.reference.gazetteer import GAZETTEER_SCHEMA
from newsfacts.transforms.locations import extract_locations

from newsfacts.schema import LOCATIONS


def _gaz(rows: list[tuple]) -> pl.DataFrame:
    cols = ["name", "place_id", "place_name", "feature_type", "country_code", "admin1_code",
            "latitude", "longitude", "population", "mention_kind", "name_kind", "ambiguous", "capital"]
    data = [dict(zip(cols, r)) | {"source": "test", "person_name": r[0] in ("Georgia", "Paris")} for r in rows]
    return pl.DataFrame(data).select(GAZETTEER_SCHEMA.names()).cast(GAZETTEER_SCHEMA)


GAZ = _gaz([
    ("France", "3017382", "France", "country", "FR", None, 46.0, 2.0, 67_000_000, "toponym", "main", False, False),
    ("French", "3017382", "France", "country", "FR", None, 46.0, 2.0, 67_000_000, "demonym", "main", False, False),
    ("Paris", "2988507", "Paris", "city", "FR", "11", 48.85, 2.35, 2_138_551, "toponym", "main", False, True),
    ("Paris", "4717560", "Paris", "city", "US", "TX", 33.66, -95.56, 24_782, "toponym", "main", False, False),
    ("Texas", "4736286", "Texas", "admin1", "US", "TX", 31.0, -100.0, 20_000_000, "toponym", "main", False, False),
    ("Birmingham", "2655603", "Birmingham", "city", "GB", "ENG", 52.48, -1.90, 1_124_569, "toponym", "main", False, False),
    ("Birmingham", "4049979", "Birmingham", "city", "US", "AL", 33.52, -86.80, 200_733, "toponym", "main", False, False),
    ("Alabama", "4829764", "Alabama", "admin1", "US", "AL", 32.75, -86.75, 4_900_000, "toponym", "main", False, False),
    ("Kyiv", "703448", "Kyiv", "city", "UA", "12", 50.45, 30.52, 2_952_301, "toponym", "main", False, True),
    ("Ukraine", "690791", "Ukraine", "country", "UA", None, 49.0, 32.0, 40_000_000, "toponym", "main", False, False),
    ("Ukrainian", "690791", "Ukraine", "country", "UA", None, 49.0, 32.0, 40_000_000, "demonym", "main", False, False),
    ("Zürich", "2657896", "Zurich", "city", "CH", "ZH", 47.37, 8.55, 341_730, "toponym", "main", False, False),
    ("Nice", "2990440", "Nice", "city", "FR", "93", 43.70, 7.27, 342_522, "toponym", "main", True, False),
    ("Georgia", "614540", "Georgia", "country", "GE", None, 42.0, 43.5, 3_700_000, "toponym", "main", False, False),
    ("Georgia", "4197000", "Georgia", "admin1", "US", "GA", 32.75, -83.5, 10_000_000, "toponym", "main", False, False),
])


def _run(*texts: str) -> pl.DataFrame:
    arts = pl.LazyFrame({"article_id": [f"a{i}" for i in range(len(texts))], "text": list(texts)})
    return extract_locations(arts, GAZ).collect()


def test_schema_and_offsets_with_non_ascii_text():
    text = "Grüße aus Zürich … Kyiv’s mayor said Ukrainian forces held."
    out = _run(text)
    assert out.schema == LOCATIONS
    assert out["mention_text"].to_list() == ["Zürich", "Kyiv", "Ukrainian"]
    for s, e, m in out.select("start_char", "end_char", "mention_text").iter_rows():
        assert text[s:e] == m
    assert out.filter(pl.col("mention_text") == "Ukrainian")["mention_kind"].item() == "demonym"
    assert out.filter(pl.col("mention_text") == "Kyiv")["place_id"].item() == "703448"
    assert out["location_id"].n_unique() == out.height
    assert out["confidence"].is_between(0, 1).all()


def test_paris_texas_pattern_and_population_prior():
    out = _run("He grew up in Paris, Texas, far from the capital.", "She moved to Paris last year.")
    first = out.filter(pl.col("article_id") == "a0").sort("start_char")
    assert first["mention_text"].to_list() == ["Paris", "Texas"]
    assert first["country_code"].to_list() == ["US", "US"]
    assert first["admin1_code"].to_list() == ["TX", "TX"]
    assert out.filter(pl.col("article_id") == "a1")["place_id"].to_list() == ["2988507"]


def test_type_prior_and_article_context():
    # no other context: the country reading of "Georgia" wins by type prior
    out = _run("Georgia officials said the region would recover.")
    assert out.filter(pl.col("mention_text") == "Georgia")["feature_type"].item() == "country"
    # a city in a country the article names wins over a bigger namesake elsewhere
    out = _run("Storms in Alabama: the city of Birmingham was flooded.", "Birmingham was flooded.")
    assert out.filter(pl.col("mention_text") == "Birmingham")["country_code"].to_list() == ["US", "GB"]


def test_case_person_and_ambiguity_filters():
    text = ("paris is lower case. Paris Hilton arrived. The Nice weather. They met in Nice on Monday. "
            "President Georgia spoke.")
    out = _run(text)
    assert out["mention_text"].to_list() == ["Nice"]
    assert out["start_char"].item() == text.index("in Nice") + 3


def test_person_name_rule_applies_to_countries_too():
    # a given-name reading spreads to the article's other mentions ("Georgia skates")
    out = _run("Nine-year-old Georgia Stevens skates. Georgia trains daily in Kyiv.",
               "Georgia signed a deal with Ukraine.")
    assert out.select("article_id", "mention_text").rows() == [
        ("a0", "Kyiv"), ("a1", "Georgia"), ("a1", "Ukraine")]


def test_optional_gazetteer_columns_default():
    slim = GAZ.drop("ambiguous", "capital", "person_name", "source")
    arts = pl.LazyFrame({"article_id": ["a"], "text": ["Flights to Kyiv resumed."]})
    assert extract_locations(arts, slim).collect()["mention_text"].to_list() == ["Kyiv"]


def test_demonym_and_empty_input():
    out = _run("French officials met.", "No places here at all.")
    assert out.select("mention_text", "mention_kind", "place_name").rows() == [("French", "demonym", "France")]
    empty = extract_locations(pl.LazyFrame(schema={"article_id": pl.String, "text": pl.String}), GAZ).collect()
    assert empty.height == 0 and empty.schema == LOCATIONS


DISCOURSE_GAZ = pl.concat([GAZ, _gaz([
    ("London", "2643743", "London", "city", "GB", "ENG", 51.51, -0.13, 8_961_989, "toponym", "main", False, True),
    ("London", "6058560", "London", "city", "CA", "08", 42.98, -81.23, 422_324, "toponym", "main", False, False),
    ("Ontario", "6093943", "Ontario", "admin1", "CA", "08", 49.25, -84.5, 12_000_000, "toponym", "main", False, False),
    ("St. Thomas", "6155721", "St. Thomas", "city", "CA", "08", 42.78, -81.18, 38_909, "toponym", "main", False, False),
    ("Edmonton", "5946768", "Edmonton", "city", "CA", "01", 53.55, -113.47, 1_010_899, "toponym", "main", False, False),
    ("Edmonton", "4290886", "Edmonton", "city", "US", "KY", 36.98, -85.61, 1_568, "toponym", "main", False, False),
    ("Kentucky", "6254925", "Kentucky", "admin1", "US", "KY", 38.2, -84.88, 4_000_000, "toponym", "main", False, False),
    ("Ky.", "6254925", "Kentucky", "admin1", "US", "KY", 38.2, -84.88, 4_000_000, "toponym", "abbr", False, False),
    ("Metcalfe County", "4300606", "Metcalfe County", "admin2", "US", "KY", 37.0, -85.63, 10_000, "toponym", "main",
     False, False),
    ("Tyler", "4738214", "Tyler", "city", "US", "TX", 32.35, -95.3, 104_798, "toponym", "main", False, False),
    ("Williams", "5553072", "Williams", "city", "US", "AZ", 35.25, -112.19, 3_023, "toponym", "main", False, False),
])])


def _run_with(gaz: pl.DataFrame, *texts: str) -> pl.DataFrame:
    arts = pl.LazyFrame({"article_id": [f"a{i}" for i in range(len(texts))], "text": list(texts)})
    return extract_locations(arts, gaz).collect()


def test_one_sense_per_discourse_and_nearby_support():
    # one "London, Ontario" settles every London of the article; alone, London is the capital
    out = _run_with(DISCOURSE_GAZ, "London police said. The London, Ontario, rally grew.", "London police said.")
    assert out.filter(pl.col("mention_text") == "London").select("article_id", "country_code").rows() == [
        ("a0", "CA"), ("a0", "CA"), ("a1", "GB")]
    # a town near another named place wins over a bigger namesake
    out = _run_with(DISCOURSE_GAZ, "He was born in London and moved to St. Thomas.")
    assert out.filter(pl.col("mention_text") == "London")["country_code"].item() == "CA"


def test_villages_need_support_and_datelines():
    text = "EDMONTON, Ky. (WBKO) - A fire in Metcalfe County. Residents of Edmonton were evacuated."
    out = _run_with(DISCOURSE_GAZ, text, "Edmonton Oilers fans met in Edmonton.")
    first = out.filter(pl.col("article_id") == "a0")
    assert first["mention_text"].to_list() == ["EDMONTON", "Ky.", "Metcalfe County", "Edmonton"]
    assert first.filter(pl.col("mention_text").str.to_lowercase() == "edmonton")["place_id"].to_list() == [
        "4290886", "4290886"]
    assert first.filter(pl.col("mention_text") == "Metcalfe County")["feature_type"].item() == "admin2"
    second = out.filter(pl.col("article_id") == "a1")
    assert set(second["place_id"].to_list()) == {"5946768"}


def test_person_filters_initials_titles_and_surname_towns():
    out = _run_with(DISCOURSE_GAZ, "His brother Tyler Williams spoke. Franklin D. Tyler wrote. Mayor Tyler said.")
    assert out.height == 0


def test_gazetteer_preparation_is_reused_per_frame_and_follows_a_new_frame():
    """The gazetteer's per-process preparation (names, phrase index, divisions) is keyed by the frame
    itself: batches with the same frame share it, a different frame (even an equal-looking one with
    another row) is prepared anew, and a freed frame's entry goes away."""
    import gc

    import newsfacts.transforms.locations as locations

    arts = pl.LazyFrame({"article_id": ["a"], "text": ["Flights from Kyiv to Zürich and Lviv resumed."]})
    first = extract_locations(arts, GAZ).collect()
    prepared = locations._prepared(GAZ)
    assert locations._prepared(GAZ) is prepared  # the second batch pays nothing
    assert first["mention_text"].to_list() == ["Kyiv", "Zürich"]

    more = pl.concat([GAZ, _gaz([
        ("Lviv", "702550", "Lviv", "city", "UA", "15", 49.84, 24.02, 717_803, "toponym", "main", False, False),
    ])])
    assert extract_locations(arts, more).collect()["mention_text"].to_list() == ["Kyiv", "Zürich", "Lviv"]
    assert extract_locations(arts, GAZ).collect()["mention_text"].to_list() == ["Kyiv", "Zürich"]

    key = id(more)
    assert key in locations._PREPARED
    del more
    gc.collect()
    assert key not in locations._PREPARED


_DATELINE_REFERENCE = re.compile(r"(?m)^[ \t]*([A-Z][A-Z'’.\-]+(?: [A-Z][A-Z'’.\-]+){0,3}),[ \t]")
_DATELINE_PIECES = st.sampled_from(
    ["EDMONTON", "ST. JOHN’S", "O'NEILL", "KYIV", "NEW YORK", "A B C D E", "Paris", "é", "Ж", ",", ", ", ",\t",
     " ", "\t", "\n", "\r\n", "-", "—", "(AP)", "x", "Zürich", "\u2028"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_DATELINE_PIECES, max_size=14).map("".join), min_size=1, max_size=4))
def test_property_datelines_match_the_line_anchored_regex(texts):
    """The batch dateline scan (polars lines and offsets) finds exactly what `re`'s multi-line
    `^[ \\t]*(NAME),[ \\t]` finds, at the same character offsets, title-cased as Python does."""
    from newsfacts.transforms.locations import _datelines

    found = _datelines(pl.LazyFrame({"article_id": [f"a{i}" for i in range(len(texts))], "text": texts}))
    expected = [
        (f"a{i}", m.group(1).title().replace("’S", "’s").replace("'S", "'s"), m.start(1), m.end(1), m.group(1))
        for i, text in enumerate(texts)
        for m in _DATELINE_REFERENCE.finditer(text)
    ]
    assert found.rows() == expected


_JOIN_GAZ = _gaz([
    ("Al Ain", "292932", "Al Ain City", "city", "AE", "01", 24.19, 55.76, 408_733, "toponym", "main", False, False),
    ("Zawiya", "2210247", "Zawiya", "city", "LY", "61", 32.76, 12.73, 186_123, "toponym", "main", False, False),
    ("Syria", "163843", "Syria", "country", "SY", None, 35.0, 38.0, 22_000_000, "toponym", "main", False, False),
    ("Syrian", "163843", "Syria", "country", "SY", None, 35.0, 38.0, 22_000_000, "demonym", "main", False, False),
])


def test_a_name_inside_a_longer_arabic_name_is_not_matched():
    arts = pl.LazyFrame({"article_id": ["a0", "a1", "a2", "a3"], "text": [
        "Shells fell on a farm outside Ras Al Ain in northern Syria on Tuesday.",
        "Drones flew over villages in Jabal al-Zawiya and Syrian troops moved north.",
        "A market in Zawiya Esh-Sharqiya was closed.",
        "Traders in Al Ain and Zawiya reopened their shops.",
    ]})
    out = extract_locations(arts, _JOIN_GAZ).collect()
    by_article = {a: out.filter(pl.col("article_id") == a)["mention_text"].to_list() for a in ("a0", "a1", "a2", "a3")}
    assert by_article == {
        "a0": ["Syria"], "a1": ["Syrian"], "a2": [], "a3": ["Al Ain", "Zawiya"],
    }


def test_a_division_in_parentheses_narrows_the_place_like_a_comma():
    out = _run("Farmers marched in Paris (Texas) on Friday.", "Farmers marched in Paris (TX) on Friday.")
    paris = out.filter(pl.col("mention_text") == "Paris").sort("article_id")
    # an abbreviation in the parenthesis is not read as a division name
    assert paris["country_code"].to_list() == ["US", "FR"]


def test_a_four_letter_spelling_without_accents_needs_its_country_named():
    gaz = _gaz([
        ("Béja", "2472774", "Béja", "city", "TN", "17", 36.73, 9.18, 61_568, "toponym", "main", False, False),
        ("Beja", "2472774", "Béja", "city", "TN", "17", 36.73, 9.18, 61_568, "toponym", "folded", False, False),
        ("Tunisia", "2464461", "Tunisia", "country", "TN", None, 34.0, 9.0, 11_000_000, "toponym", "main", False, False),
    ])
    arts = pl.LazyFrame({"article_id": ["a0", "a1", "a2"], "text": [
        "Teachers protested in Beja, Tunisia, on Monday.",
        "Teachers protested in Beja on Monday.",
        "Teachers protested in Béja on Monday.",
    ]})
    out = extract_locations(arts, gaz).collect()
    beja = out.filter(pl.col("place_id") == "2472774")
    assert beja["article_id"].to_list() == ["a0", "a2"]


def test_a_town_in_the_parenthesis_after_a_place_word_is_read():
    # a town of 50,000 people with its country not named needs locative context; the parenthesis after
    # "district" / "area" / "village" names the places containing the one before it
    gaz = _gaz([
        ("Marrow", "1", "Marrow", "city", "YE", "15", 16.9, 43.8, 51_000, "toponym", "main", False, False),
    ])
    read = ["Jets struck farms in Hillside district (Marrow) on Monday.",
            "Shells hit Hillside area (Upper Vale, Marrow) at dawn.",
            "Gunmen attacked a bus near Reed village (Marrow).",
            "Shells hit Marrow at dawn."]  # no locative context: not read
    out = _run_with(gaz, *read)
    assert sorted(out["article_id"].to_list()) == ["a0", "a1", "a2"]
    # a parenthesis after a person or an organisation is no place context
    assert _run_with(gaz, "Officials said Hillside Group (Marrow) denied it.").height == 0


def test_known_names_by_binary_search():
    """`_known`: membership in the gazetteer's names (what the dateline step's semi-join decided)."""
    from newsfacts.transforms.locations import _known, _name_index

    names = pl.Series("name", ["Paris", "Edmonton", None, "Aba", "St. John’s", "Ábalos", "Paris"], dtype=pl.String)
    index = _name_index(pl.DataFrame({"name": names}))
    found = ["Edmonton", "Zzz", "", "Paris", "Ab", "St. John’s", "Ábalos", "Abalos", "\uffff"]
    assert _known(index, found) == [True, False, False, True, False, True, True, False, False]
    assert _known(index, []) == []
    assert _known(_name_index(pl.DataFrame({"name": []}, schema={"name": pl.String})), ["Paris"]) == [False]


def test_rows_named_is_the_semi_join_in_gazetteer_order():
    """`_rows_named`: the gazetteer rows of a batch's names, as `join(how="semi")` gave them."""
    from newsfacts.transforms.locations import _name_index, _rows_named
    from polars.testing import assert_frame_equal

    gaz = pl.DataFrame({
        "name": ["Paris", "Aba", None, "Paris", "Zürich", "Abaa", "Aba", "Paris"],
        "place_id": [1, 2, 3, 4, 5, 6, 7, 8],
    })
    for wanted in (["Paris", "Aba"], ["Aba", "Aba", None, "Nowhere"], ["Zürich", "Abaa"], [], [None]):
        names = pl.Series("name", wanted, dtype=pl.String)
        expected = gaz.join(pl.DataFrame({"name": names}).unique(), on="name", how="semi")
        assert_frame_equal(_rows_named(gaz, _name_index(gaz), names), expected)
    other = gaz.with_columns(name=pl.lit("Aba"))
    assert _rows_named(other, _name_index(other), pl.Series("name", ["Aba"]))["place_id"].to_list() == list(range(1, 9))


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet="aZ Q1_-,.é\u00c9\u0301\u2009’\nЖж", max_size=30), min_size=1, max_size=20))
def test_title_case_counts_match_the_word_boundary_patterns(texts):
    """`_context`'s headline test counts words by their first character, as `\\b[A-Z]\\w*` and `\\b\\w+` did."""
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    got = frame.select(
        old_upper=pl.col("t").str.count_matches(r"\b[A-Z]\w*"), new_upper=pl.col("t").str.count_matches(r"(?:^|\W)[A-Z]"),
        old_words=pl.col("t").str.count_matches(r"\b\w+"), new_words=pl.col("t").str.count_matches(r"(?:^|\W)\w"),
    )
    assert got["old_upper"].to_list() == got["new_upper"].to_list()
    assert got["old_words"].to_list() == got["new_words"].to_list()


def test_a_town_in_the_parenthesis_after_a_front_is_read():
    # "the X front (Y, Z)": a front line is named after a place, and the parenthesis names its containers
    gaz = _gaz([
        ("Marrow", "1", "Marrow", "city", "YE", "15", 16.9, 43.8, 51_000, "toponym", "main", False, False),
    ])
    out = _run_with(gaz, "Rebels attacked the Hillside front (Upper Vale, Marrow), killing two.",
                    "Rebels attacked the Hillside front (Marrow) at dawn.",
                    "Rebels attacked the Hillside post (Marrow) at dawn.")  # no place word: not read
    assert sorted(out["article_id"].to_list()) == ["a0", "a1"]


def test_a_lower_case_arabic_article_starts_a_place_name():
    gaz = _gaz([
        ("al-Marrow", "1", "Al Marrow", "city", "SY", "07", 35.0, 40.5, 57_000, "toponym", "folded", False, False),
        ("Syria", "2", "Syria", "country", "SY", None, 35.0, 38.0, 17_000_000, "toponym", "main", False, False),
    ])
    out = _run_with(gaz, "Jets struck a site near al-Marrow in eastern Syria.",
                    "Jets struck Jabal al-Marrow in eastern Syria.")  # the tail of a longer name
    marrow = out.filter(pl.col("place_id") == "1")
    assert marrow["article_id"].to_list() == ["a0"]
    assert marrow["mention_text"].to_list() == ["al-Marrow"]


def test_a_place_after_a_capitalised_word_and_de_is_the_tail_of_a_longer_name():
    # "Villa de X" / "San Pedro del X" is one name the gazetteer lacks, not the town X
    gaz = _gaz([
        ("Marrow", "1", "Marrow", "city", "MX", "20", 17.0, -96.7, 400_000, "toponym", "main", False, False),
        ("Freedonia", "2", "Freedonia", "country", "FD", None, 10.0, -70.0, 9_000_000, "toponym", "main", False, False),
    ])
    out = _run_with(gaz, "A body was found in Villa de Marrow on Monday.",
                    "A body was found in San Pedro del Marrow on Monday.",
                    "A body was found in Marrow on Monday.",
                    "Officials of the Banco de Freedonia met.")  # a country keeps its reading
    assert sorted(out["article_id"].to_list()) == ["a2", "a3"]
