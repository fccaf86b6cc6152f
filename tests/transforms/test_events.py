import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from newsfacts.reference.events import (
    inflect,
    load_actor_dictionary,
    load_event_lexicon,
)
from newsfacts.transforms.events import extract_events, link_figures_to_events
from newsfacts.transforms.ids import stable_id
from newsfacts.transforms.sentences import split_sentences

from newsfacts.schema import EVENTS, FIGURES, LOCATIONS

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
# a Friday
PUBLISHED = dt.datetime(2022, 11, 18, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def lexicon():
    return load_event_lexicon(SEEDS)


@pytest.fixture(scope="module")
def actors():
    return load_actor_dictionary(SEEDS)


def _articles(*texts, published=PUBLISHED):
    return pl.LazyFrame(
        {
            "article_id": [f"a{i}" for i in range(len(texts))],
            "text": list(texts),
            "published_at": [published] * len(texts),
        },
        schema={"article_id": pl.String, "text": pl.String, "published_at": pl.Datetime("us", "UTC")},
    )


def _loc(article_id, start, text, mention, kind="toponym", cc="UA", lat=50.0, lon=30.0, feature="city"):
    s = text.index(mention, start)
    return {
        "location_id": stable_id("loc_", article_id, s, s + len(mention)),
        "article_id": article_id,
        "start_char": s,
        "end_char": s + len(mention),
        "mention_text": mention,
        "mention_kind": kind,
        "place_id": mention,
        "place_name": mention,
        "feature_type": feature,
        "country_code": cc,
        "admin1_code": None,
        "latitude": lat,
        "longitude": lon,
        "confidence": 0.9,
    }


def _fig(article_id, text, mention, value, category):
    s = text.index(mention)
    return {
        "figure_id": stable_id("fig_", article_id, s, s + len(mention)),
        "article_id": article_id,
        "start_char": s,
        "end_char": s + len(mention),
        "mention_text": mention,
        "value": value,
        "value_low": value,
        "value_high": value,
        "qualifier": "exact",
        "unit": None,
        "object": "people",
        "category": category,
        "event_id": None,
    }


def _run(lexicon, actors, *texts, locations=(), figures=(), published=PUBLISHED):
    arts = _articles(*texts, published=published)
    return extract_events(
        arts,
        split_sentences(arts),
        pl.DataFrame(list(locations), schema=LOCATIONS).lazy(),
        pl.DataFrame(list(figures), schema=FIGURES).lazy(),
        lexicon,
        actors,
    ).collect()


def _top(events: pl.DataFrame, article_id="a0") -> dict:
    return events.filter(pl.col("article_id") == article_id).sort("confidence", descending=True).row(0, named=True)


def test_inflection():
    assert inflect("attack", "verb") == ["attack", "attacks", "attacked", "attacking"]
    assert inflect("call for", "verb") == ["call for", "calls for", "called for", "calling for"]
    assert inflect("ban", "verb")[2] == "banned"
    assert inflect("rally", "noun") == ["rally", "rallies"]


def test_lexicon_covers_every_plover_type_and_valid_acled(lexicon):
    from newsfacts.schema import ACLED_SUB_EVENT_TYPES, PLOVER_TYPES

    trig = lexicon.filter(pl.col("kind") == "trigger", pl.col("event_type").is_not_null())
    assert set(trig["event_type"]) == set(PLOVER_TYPES)
    for frame in (trig, lexicon.filter(pl.col("kind") == "context")):
        for et, sub in frame.select("acled_event_type", "acled_sub_event_type").iter_rows():
            assert (et is None) == (sub is None)
            if sub is not None:
                assert ACLED_SUB_EVENT_TYPES[sub] == et


def test_schema_offsets_and_deterministic_ids(lexicon, actors):
    text = "Gunmen attacked a village in the north. Police arrested three suspects."
    ev = _run(lexicon, actors, text)
    assert ev.schema == EVENTS
    for r in ev.iter_rows(named=True):
        assert text[r["trigger_start"]:r["trigger_end"]] == r["trigger_text"]
        assert r["sentence_start"] <= r["trigger_start"] < r["trigger_end"] <= r["sentence_end"]
        assert 0 <= r["confidence"] <= 1
    assert_same = _run(lexicon, actors, text)
    assert ev["event_id"].to_list() == assert_same["event_id"].to_list()


@pytest.mark.parametrize(
    "text, event_type, sub",
    [
        ("An airstrike hit the market on Monday.", "ASSAULT", "Air/drone strike"),
        ("Rebels attacked the town with drones overnight.", "ASSAULT", "Air/drone strike"),
        ("Russian missile strikes pounded Kyiv.", "ASSAULT", "Shelling/artillery/missile attack"),
        ("The army shelled rebel positions.", "ASSAULT", "Shelling/artillery/missile attack"),
        ("A suicide bomber blew himself up outside a mosque.", "ASSAULT", "Suicide bomb"),
        ("A roadside bomb struck a convoy.", "ASSAULT", "Remote explosive/landmine/IED"),
        ("Militants hurled a grenade at a police post.", "ASSAULT", "Grenade"),
        ("Helicopters dropped barrels of chlorine gas on the town.", "ASSAULT", "Chemical weapon"),
        ("Heavy clashes erupted between the army and rebels.", "ASSAULT", "Armed clash"),
        ("Gunmen opened fire on villagers, killing five.", "ASSAULT", "Attack"),
        ("Armed men kidnapped 20 students from a school.", "ASSAULT", "Abduction/forced disappearance"),
        ("Thousands of people rallied peacefully in the capital.", "PROTEST", "Peaceful protest"),
        ("Police fired tear gas to disperse the protest.", "PROTEST", "Protest with intervention"),
        ("Police opened fire on protesters, killing two.", "ASSAULT", "Excessive force against protesters"),
        ("Rioters torched cars in the city centre.", "PROTEST", "Violent demonstration"),
        ("Police arrested 12 people in a dawn raid.", "COERCE", "Arrests"),
        ("The two sides agreed a ceasefire on Sunday.", "AGREE", "Agreement"),
        ("Police seized weapons and ammunition at the border.", "COERCE", "Disrupted weapons use"),
        ("Taliban fighters seized control of the district.", "ASSAULT", "Non-state actor overtakes territory"),
    ],
)
def test_acled_coding(lexicon, actors, text, event_type, sub):
    top = _top(_run(lexicon, actors, text))
    assert (top["event_type"], top["acled_sub_event_type"]) == (event_type, sub)


@pytest.mark.parametrize(
    "text, event_type",
    [
        ("The foreign ministers met in Geneva.", "CONSULT"),
        ("The president condemned the killings.", "ACCUSE"),
        ("The opposition accused the government of fraud.", "ACCUSE"),
        ("The UN called for restraint.", "REQUEST"),
        ("Germany urged both sides to talk.", "REQUEST"),
        ("Iran rejected the proposal.", "REJECT"),
        ("Iran threatened to close the strait.", "THREATEN"),
        ("The EU imposed sanctions on ten officials.", "SANCTION"),
        ("Britain will send aid to the region.", "AGREE"),  # a promise of aid
        ("Japan donated medicine to the hospital.", "AID"),
    ],
)
def test_plover_coding(lexicon, actors, text, event_type):
    top = _top(_run(lexicon, actors, text))
    assert top["event_type"] == event_type
    if event_type in {"CONSULT", "ACCUSE", "REQUEST", "REJECT", "THREATEN", "SANCTION", "AGREE", "AID"}:
        assert top["acled_sub_event_type"] is None


def test_inflected_forms(lexicon, actors):
    texts = ["They attack.", "They attacked.", "It attacks.", "Attacking the post, they fled."]
    ev = _run(lexicon, actors, *texts)
    assert ev.filter(pl.col("event_type") == "ASSAULT")["article_id"].n_unique() == 4


def test_negation(lexicon, actors):
    ev = _run(lexicon, actors, "The army did not attack the town.", "The rebels denied attacking the convoy.",
              "The army attacked the town.")
    neg = dict(zip(ev.filter(pl.col("event_type") == "ASSAULT")["article_id"], ev.filter(pl.col("event_type") == "ASSAULT")["negated"]))
    assert neg == {"a0": True, "a1": True, "a2": False}


def test_dates_resolved_against_published_at(lexicon, actors):
    texts = [
        "Rebels attacked the town on Thursday.",
        "Rebels attacked the town yesterday.",
        "Rebels attacked the town on March 3.",
        "Rebels attacked the town last week.",
        "Rebels attacked the town on 5 January 2021.",
        "Rebels attacked the town.",
    ]
    ev = _run(lexicon, actors, *texts).sort("article_id")
    got = {r["article_id"]: (r["event_date"], r["date_precision"]) for r in ev.iter_rows(named=True)}
    assert got["a0"] == (dt.date(2022, 11, 17), "day")
    assert got["a1"] == (dt.date(2022, 11, 17), "day")
    assert got["a2"] == (dt.date(2022, 3, 3), "day")
    assert got["a3"] == (dt.date(2022, 11, 11), "week")
    assert got["a4"] == (dt.date(2021, 1, 5), "day")
    assert got["a5"] == (None, "unknown")


def test_relative_date_without_published_at_is_unknown(lexicon, actors):
    ev = _run(lexicon, actors, "Rebels attacked the town on Thursday.", published=None)
    assert (ev["event_date"][0], ev["date_precision"][0]) == (None, "unknown")


def test_location_actor_country_and_fatalities(lexicon, actors):
    text = (
        "Russian strikes hit Kharkiv on Thursday, killing seven people.\n"
        "Officials in Kyiv said the city was left without power. Kyiv asked for help."
    )
    locs = [
        _loc("a0", 0, text, "Russian", kind="demonym", cc="RU", lat=60.0, lon=100.0, feature="country"),
        _loc("a0", 0, text, "Kharkiv", lat=49.99, lon=36.23),
        _loc("a0", 0, text, "Kyiv", lat=50.45, lon=30.52),
        _loc("a0", text.index("Kyiv") + 1, text, "Kyiv", lat=50.45, lon=30.52),
    ]
    figs = [_fig("a0", text, "seven people", 7.0, "KILL")]
    ev = _run(lexicon, actors, text, locations=locs, figures=figs)
    top = _top(ev)
    assert top["trigger_text"] == "strikes" and top["event_type"] == "ASSAULT"
    assert top["actor_text"] == "Russian" and top["actor_country"] == "RU"
    assert top["location_id"] == locs[1]["location_id"]
    assert (top["latitude"], top["longitude"], top["country_code"]) == (49.99, 36.23, "UA")
    assert top["fatalities"] == 7
    assert top["event_date"] == dt.date(2022, 11, 17)
    # an event in a sentence without a place falls back to the most frequent place (Kyiv)
    other = ev.filter(pl.col("trigger_text") == "asked").row(0, named=True)
    assert other["location_id"] in {locs[2]["location_id"], locs[3]["location_id"]}
    assert other["fatalities"] is None


def test_headline_event_is_most_confident(lexicon, actors):
    text = (
        "Suicide bombing kills 12 at Kabul market\n"
        "The government condemned the attack and called for calm. Officials met on Friday."
    )
    top = _top(_run(lexicon, actors, text))
    assert top["acled_sub_event_type"] == "Suicide bomb"


def test_passive_actor(lexicon, actors):
    top = _top(_run(lexicon, actors, "A refugee camp was attacked by Burundian militiamen on Friday."))
    assert top["actor_text"] == "Burundian militiamen"
    assert top["acled_sub_event_type"] == "Attack"  # the camp (before a passive verb) is the target


def test_link_figures_to_events(lexicon, actors):
    text = "Gunmen killed 5 villagers and police arrested 3 suspects. The town has 20000 residents."
    arts = _articles(text)
    sents = split_sentences(arts)
    figs = pl.DataFrame(
        [
            _fig("a0", text, "5 villagers", 5.0, "KILL"),
            _fig("a0", text, "3 suspects", 3.0, "ARREST"),
            _fig("a0", text, "20000 residents", 20000.0, "COUNT"),
        ],
        schema=FIGURES,
    ).lazy()
    ev = extract_events(arts, sents, pl.DataFrame(schema=LOCATIONS).lazy(), figs, lexicon, actors)
    linked = link_figures_to_events(figs, ev, sents).collect()
    assert linked.schema == FIGURES
    by_text = dict(zip(linked["mention_text"], linked["event_id"]))
    evs = ev.collect()
    kill_event = evs.filter(pl.col("trigger_text") == "killed")["event_id"][0]
    arrest_event = evs.filter(pl.col("trigger_text") == "arrested")["event_id"][0]
    assert by_text == {"5 villagers": kill_event, "3 suspects": arrest_event, "20000 residents": None}
    assert evs.filter(pl.col("event_id") == kill_event)["fatalities"][0] == 5


def test_empty_inputs(lexicon, actors):
    ev = _run(lexicon, actors, "", "Nothing happened here.")
    assert ev.height == 0 and ev.schema == EVENTS


def test_event_location_prefers_the_most_specific_place(lexicon, actors):
    text = "In Nigeria, gunmen attacked a village near Maiduguri in Borno state."
    locs = [
        _loc("a0", 0, text, "Nigeria", cc="NG", lat=9.0, lon=8.0, feature="country"),
        _loc("a0", 0, text, "Maiduguri", cc="NG", lat=11.85, lon=13.16, feature="city"),
        _loc("a0", 0, text, "Borno", cc="NG", lat=11.5, lon=13.0, feature="admin1"),
    ]
    top = _top(_run(lexicon, actors, text, locations=locs))
    assert top["location_id"] == locs[1]["location_id"]
    assert top["acled_sub_event_type"] == "Attack"


def test_scan_batch_word_bounds_and_char_offsets():
    from newsfacts.transforms.events import _leftmost_longest, _scan_batch

    texts = pl.Series(["Über-attacks: the attackers attacked; anti-attack Attack", None, "no match"])
    hits = _scan_batch(texts, ["attack", "attacked", "attackers"])
    text = texts[0]
    assert [(text[a:b], w) for a, b, w in hits[0]] == [
        ("attackers", "attackers"), ("attacked", "attacked"), ("Attack", "attack"),
    ]  # not inside "Über-attacks" / "anti-attack" (hyphenated compounds), offsets in characters
    assert hits[1] == [] and hits[2] == []
    overlapping = [(0, 9, "a b"), (0, 5, "a"), (4, 12, "c"), (10, 12, "d")]
    assert _leftmost_longest(overlapping) == [(0, 9, "a b"), (10, 12, "d")]


def test_background_adjunct_yields_to_the_main_event(lexicon, actors):
    top = _top(_run(lexicon, actors, "Police arrested 20 people in the city after deadly clashes on Sunday."))
    assert top["event_type"] == "COERCE"


def test_the_grievance_of_a_demonstration_is_background(lexicon, actors):
    # the arrest the crowd protests against is not an intervention at this protest
    top = _top(_run(lexicon, actors,
                    "Teachers held a protest outside the court on Friday against the unjust arrest of their union leader."))
    assert (top["event_type"], top["acled_sub_event_type"]) == ("PROTEST", "Peaceful protest")
    # police arresting demonstrators is
    top = _top(_run(lexicon, actors, "Teachers held a protest outside the court on Friday; police arrested 12 of them."))
    assert top["acled_sub_event_type"] == "Protest with intervention"


def test_natural_hazards_are_not_events(lexicon, actors):
    ev = _run(
        lexicon, actors,
        "A powerful earthquake struck the region on Monday, killing 40 people.",
        "Floods have killed 29 people in the south.",
        "Gunmen killed 12 villagers on Monday.",
    )
    assert set(ev.filter(pl.col("event_type") == "ASSAULT")["article_id"]) == {"a2"}


def test_lifting_a_restriction_is_a_concession(lexicon, actors):
    top = _top(_run(lexicon, actors, "The court cancelled restrictions on the use of the language."))
    assert top["event_type"] == "CONCEDE"


def test_actor_text_is_clean(lexicon, actors):
    ev = _run(
        lexicon, actors,
        "BAMAKO — A drone strike killed 12 people at a market, residents said.",
        "Human rights groups accused the army of abuses.",
        "The police said officers killed 11 gang members in clashes on Tuesday and Wednesday.",
    )
    rows = {r["article_id"]: r for r in ev.sort("confidence", descending=True).iter_rows(named=True)
            if r["trigger_text"] in {"drone strike", "accused", "clashes"}}
    assert rows["a0"]["actor_text"] is None  # not the dateline
    assert rows["a1"]["actor_text"] is None  # not "Human"
    assert rows["a2"]["recipient_text"] is None  # not "and Wednesday"


def test_actor_and_recipient_stay_in_their_clause():
    from newsfacts.transforms.events import _actor_recipient

    text = "Russia launched missiles at Ukraine on Thursday, striking power plants after Kyiv said so."
    span = lambda w: (text.index(w), text.index(w) + len(w))  # noqa: E731
    cands = [span("Russia"), span("Ukraine"), span("Kyiv")]
    t0, t1 = span("striking")
    actor, recipient = _actor_recipient(text, cands, 0, t0, t1, None)
    assert actor == span("Russia") and recipient is None  # participle: the subject; "Kyiv" is in another clause
    t0, t1 = span("launched")
    assert _actor_recipient(text, cands, 0, t0, t1, None) == (span("Russia"), span("Ukraine"))


def test_no_fatalities_for_a_negated_event(lexicon, actors):
    text = "The army did not kill 5 protesters, officials said."
    ev = _run(lexicon, actors, text, figures=[_fig("a0", text, "5 protesters", 5.0, "KILL")])
    negated = ev.filter(pl.col("negated"))
    assert negated.height and negated["fatalities"].null_count() == negated.height


def test_sports_results_and_defied_bans(lexicon, actors):
    ev = _run(
        lexicon, actors,
        "River Plate came from behind to beat Boca Juniors 2-1 in the league on Sunday.",
        "A newspaper has violated a ban by the general on reporting.",
        "The minister cancelled a visit to the capital.",
    )
    assert ev.filter(pl.col("article_id") == "a0", pl.col("event_type") == "ASSAULT").height == 0
    assert _top(ev, "a1")["event_type"] == "REJECT"
    assert _top(ev, "a2")["event_type"] == "SANCTION"


def test_event_location_skips_datelines_and_other_clauses(lexicon, actors):
    text = "LONDON (Reuters) - Gunmen attacked a village in Borno after talks in Abuja failed."
    locs = [
        _loc("a0", 0, text, "LONDON", cc="GB", lat=51.5, lon=-0.1, feature="city"),
        _loc("a0", 0, text, "Borno", cc="NG", lat=11.5, lon=13.0, feature="admin1"),
        _loc("a0", 0, text, "Abuja", cc="NG", lat=9.1, lon=7.5, feature="city"),
    ]
    top = _top(_run(lexicon, actors, text, locations=locs))
    assert top["trigger_text"] == "attacked"
    assert top["location_id"] == locs[1]["location_id"]  # not the dateline, not the "after" clause's city


def test_sentence_initial_relative_dates(lexicon, actors):
    ev = _run(lexicon, actors, "Yesterday gunmen attacked a village.", "Last week troops clashed with rebels.")
    assert _top(ev, "a0")["event_date"] == dt.date(2022, 11, 17)  # published on Friday 18 November
    assert (_top(ev, "a1")["event_date"], _top(ev, "a1")["date_precision"]) == (dt.date(2022, 11, 11), "week")


def test_object_of_a_verbal_event_is_secondary(lexicon, actors):
    ev = _run(lexicon, actors, "Bosnian Serbs demanded a truce with Moslem forces in the east.")
    assert _top(ev)["event_type"] == "REQUEST"
    assert set(ev["event_type"]) == {"REQUEST"}  # the truce is what was demanded, not an agreement


def test_rockets_or_shells_falling_are_a_shelling(lexicon, actors):
    for text in ("Two rockets fell near the airport on Tuesday, causing no damage.",
                 "Mortar shells landed in a market in the north of the city."):
        top = _top(_run(lexicon, actors, text))
        assert top["acled_sub_event_type"] == "Shelling/artillery/missile attack", text
