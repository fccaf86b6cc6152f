"""Death tolls read from sentences (transforms/events_tolls.py) and attached to events."""
import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from newsfacts.reference.events import load_actor_dictionary, load_event_lexicon
from newsfacts.transforms.events import extract_events
from newsfacts.transforms.events_tolls import (
    Toll,
    event_toll,
    parse_count,
    sentence_tolls,
)
from newsfacts.transforms.sentences import split_sentences

from newsfacts.schema import FIGURES, LOCATIONS
from tests.transforms.test_events import SEEDS, _run

LEXICON = load_event_lexicon(SEEDS)
ACTORS = load_actor_dictionary(SEEDS)


def _values(sentence: str) -> list[tuple[int, str]]:
    return [(t.value, t.kind) for t in sentence_tolls(sentence, 0, len(sentence))]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Soldiers repelled the raid, killing 4 insurgents and wounding 9.", [(4, "count")]),
        ("The gunmen killed two police officers and three farmers near the market.", [(5, "count")]),
        ("Rebels shot dead a dozen villagers overnight.", [(12, "count")]),
        ("At least twenty-one people were killed when the bus was hit.", [(21, "count")]),
        ("The shopkeeper died in hospital.", [(1, "count")]),
        ("The bodies of four fishermen washed up on the shore.", [(4, "count")]),
        # bodies found, the finding verb before or after the count; a subset after a killing verb is the killed
        ("Police later recovered six bodies from the scene.", [(6, "count")]),
        ("Twelve bodies were found in a ditch near the village.", [(12, "count")]),
        ("Six bodies lay in the street.", []),
        ("Officers opened fire on the crowd, killing two of them.", [(2, "count")]),
        ("The gunmen shot dead 3 of the guards at the gate.", [(3, "count")]),
        ("A teacher was found dead in his home on Sunday.", [(1, "count")]),
        ("Four people died and seven others were injured.", [(4, "count")]),
        ("Raiders killed dozens of herders.", [(12, "vague")]),
        ("The death toll from the blast rose to 31 on Friday.", [(31, "total")]),
        ("No one was killed in the explosion.", [(0, "total")]),
        ("The crash left 6 people dead.", [(6, "count")]),
    ],
)
def test_sentence_tolls(sentence, expected):
    assert _values(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Eleven people were injured and 40 were arrested after the march.",
        "More than 250,000 people have been killed since the war began in 2011.",
        "The road is 12 km long and passes the old fort.",
        "Villagers burned the station after two boys were killed by a speeding truck.",
    ],
)
def test_no_toll(sentence):
    assert _values(sentence) == []


def test_subset_after_including_is_not_added():
    s = "Nine people were killed, including three children, in the shelling."
    assert _values(s) == [(9, "count")]


def test_parse_count():
    assert parse_count("1,250") == (1250, False)
    assert parse_count("forty-two") == (42, False)
    assert parse_count("two dozen") == (24, False)
    assert parse_count("several") == (10, True)
    assert parse_count("banana") is None


def test_event_toll_prefers_total_then_stated_then_largest_sentence():
    count = [Toll(0, 5, 3, "count")]
    stated = [Toll(10, 20, 4, "stated")]
    total = [Toll(30, 40, 0, "total")]
    assert event_toll([count, stated]).value == 4
    assert event_toll([count, stated, total]).value == 0
    assert event_toll([count, [Toll(50, 55, 2, "count")]]).value == 3  # a restatement does not add
    assert event_toll([[], []]) is None


def _events(text):
    return _run(LEXICON, ACTORS, text)


def test_toll_of_a_following_sentence_joins_the_event_once():
    text = "Armed men attacked a minibus on the highway on Tuesday. Two passengers died. Police said two people died."
    ev = _events(text)
    assert ev["fatalities"].drop_nulls().to_list() == [2]  # one toll for the one event, not 2 + 2
    top = ev.sort("confidence", descending=True).row(0, named=True)
    assert top["fatalities"] == 2


def test_bodies_found_is_an_attack_with_its_toll():
    ev = _events("The bodies of three men were found in a ditch outside the town.")
    top = ev.sort("confidence", descending=True).row(0, named=True)
    assert (top["acled_sub_event_type"], top["fatalities"]) == ("Attack", 3)


def test_war_total_is_not_an_event_toll():
    text = "Jets bombed the rebel-held town. The war has killed 150,000 people since 2015."
    assert _events(text)["fatalities"].drop_nulls().to_list() == []


def test_an_arrest_or_emergency_never_carries_a_toll():
    text = (
        "Storms killed 9 people across the region overnight. "
        "The governor declared a state of emergency and police arrested two looters."
    )
    assert _events(text)["fatalities"].drop_nulls().to_list() == []


def test_a_count_of_the_dead_is_a_subset():
    s = "Officials said 3 of the dead were police officers."
    assert _values(s) == []


def test_same_event_id_and_toll_offsets():
    from newsfacts.transforms.events import link_figures_to_events

    text = "Armed men attacked a minibus on the highway on Tuesday. Two passengers died. Police arrested a man."
    arts = pl.LazyFrame({"article_id": ["a0"], "text": [text]})
    sents = split_sentences(arts)
    s = text.index("Two passengers")
    fig = {c: None for c in FIGURES.names()} | {
        "figure_id": "f1", "article_id": "a0", "start_char": s, "end_char": s + len("Two passengers"),
        "mention_text": "Two passengers", "value": 2.0, "category": "KILL",
    }
    figs = pl.DataFrame([fig], schema=FIGURES).lazy()
    ev = extract_events(arts, sents, pl.DataFrame(schema=LOCATIONS).lazy(), figs, LEXICON, ACTORS).collect()
    toll = ev.filter(pl.col("fatalities").is_not_null()).row(0, named=True)
    assert text[toll["fatalities_start"]:toll["fatalities_end"]] == "Two passengers died"
    assert toll["same_event_id"] == toll["event_id"]  # the toll sits on the group's representative
    arrest = ev.filter(pl.col("trigger_text") == "arrested").row(0, named=True)
    assert arrest["same_event_id"] == arrest["event_id"] != toll["event_id"]  # an arrest is another event
    # the KILL figure of the following sentence is linked to the event whose toll it is
    linked = link_figures_to_events(figs, ev.lazy()).collect()
    assert linked["event_id"].to_list() == [toll["event_id"]]


@pytest.mark.parametrize(
    "sentence",
    ["More than 150,000 people have been killed in the conflict.", "The civil war killed 150,000 people."],
)
def test_a_war_total_without_a_period_is_no_toll(sentence):
    assert _values(sentence) == []


def _gate_vocabulary() -> list[str]:
    from newsfacts.transforms.events_tolls import _GATES

    words = sorted({w for p in _GATES for w in re.findall(r"[a-z]+", p.pattern)})
    return words + ["3", "12", "1,200", "twenty-one", "a", "the", "were", "people"]


_GATE_WORDS = _gate_vocabulary()


@settings(max_examples=400, deadline=None)
@given(
    words=st.lists(st.sampled_from(_GATE_WORDS), min_size=1, max_size=8),
    seps=st.lists(st.sampled_from([" ", " ", ", ", "  ", "-", ". "]), min_size=8, max_size=8),
    upper=st.lists(st.booleans(), min_size=8, max_size=8),
)
def test_literal_gates_never_skip_a_match(words, seps, upper):
    """In an ASCII sentence a gated regex that matches always contains one of its gate strings
    (lower-cased), so skipping it when none occurs changes nothing."""
    from newsfacts.transforms.events_tolls import _GATES, _may_match

    sentence = "".join(
        (w.upper() if up else w) + sep for w, sep, up in zip(words, seps, upper)
    )
    for pattern in _GATES:
        if pattern.search(sentence):
            assert _may_match(pattern, sentence.lower(), True), (pattern.pattern[:60], sentence)


def test_literal_gates_on_every_bundled_sentence():
    """The same, on every sentence of the bundled articles: gated and ungated tolls agree."""
    from newsfacts.transforms import events_tolls

    texts = [p.read_text(encoding="utf-8") for p in sorted((SEEDS / "articles").glob("*.txt"))]
    assert texts
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            low = sentence.lower()
            for pattern in events_tolls._GATES:
                if pattern.search(sentence):
                    assert events_tolls._may_match(pattern, low, sentence.isascii())
