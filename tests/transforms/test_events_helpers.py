"""The shortcuts of transforms/events.py against the plain definitions they replace."""
from hypothesis import given, settings
from hypothesis import strategies as st
from newsfacts.transforms.events import (
    _DATE_ANCHOR,
    _date_anchors,
    _named_elsewhere,
    _NamedElsewhere,
)

_WORDS = ["in", "In", "since", "mid-", "March", "Mar.", "may", "May", "last", "Last", "this", "on the previous",
          "the day before", "Monday", "2024", "19", "20th", "x", "Jan", "early", "Al-Qaeda", "é", "Ж", "_", "Omar", "Mé"]


_NAMES = ["May", "March", "Al", "Al-Qaeda", "Omar", "In", "Monday", "Jan", "Mé", "Early", "Last", "X", "Qaeda",
          "Mar.", "Sunday", "The"]


def _texts():
    return st.lists(
        st.tuples(st.sampled_from(_WORDS), st.sampled_from([" ", "  ", "\n", ", ", "", ".", "-", "\t \t"])),
        max_size=14,
    ).map(lambda parts: "".join(w + sep for w, sep in parts))


@settings(max_examples=300, deadline=None)
@given(text=_texts(), data=st.data())
def test_date_anchors_are_the_finditer_positions_up_to_p(text, data):
    pos = data.draw(st.integers(0, len(text)))
    p = data.draw(st.integers(0, len(text) + 2))
    expected = []
    for m in _DATE_ANCHOR.finditer(text, pos):
        if m.start() > p:
            break
        assert m.start() == m.end()  # every anchor is an empty lookahead
        expected.append(m.start())
    assert list(_date_anchors(text, pos, p)) == expected


def test_date_anchors_examples():
    text = "Fighting began in March and again last  Monday, officials said on the previous day."
    assert [text[a:a + 5] for a in _date_anchors(text, 0, len(text))] == [
        "in Ma", "March", "last ", "Monda", "on th", "previ"
    ]
    # from an offset inside "March" up to the "l" of "last": only "last"
    assert [text[a:a + 4] for a in _date_anchors(text, 19, text.index("last"))] == ["last"]


@settings(max_examples=300, deadline=None)
@given(text=_texts(), words=st.lists(st.sampled_from(_NAMES), min_size=1, max_size=14))
def test_named_elsewhere_agrees_with_the_scan(text, words):
    """The first SCAN_FIRST distinct words are scanned for, later ones answered from the index: both agree
    with the plain scan. (Only capitalised words are asked about: `_np_candidates` takes them from `_CAP_NP`.)"""
    named = _NamedElsewhere(text)
    for word in words:
        assert named(word) == _named_elsewhere(text, word)


_SCAN_WORDS = ["kill", "killed", "ed", "attack", "é-x", "ab"]


def _scan_reference(text: str, words: list[str], bounded: bool) -> list[tuple[int, int, str]]:
    """Every (start, end, word) the definition asks for, found one word and one offset at a time."""
    import re

    low = "".join(c.lower() if c.isascii() else c for c in text)  # ASCII case-insensitive, as Aho-Corasick
    hits = set()
    for w in words:
        for i in range(len(text)):
            if low.startswith(w, i):
                end = i + len(w)
                if bounded and ((i > 0 and re.match(r"[\w-]", text[i - 1])) or re.match(r"\w|-\w", text[end:end + 2])):
                    continue
                hits.add((i, end, w))
    return sorted(hits, key=lambda h: (h[0], -h[1]))


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.text(alphabet="kiKlLedDatcAB é-x²_Ж.\u00a0", max_size=30), min_size=1, max_size=4),
    bounded=st.booleans(),
)
def test_scan_batch_agrees_with_the_definition(texts, bounded):
    import polars as pl
    from newsfacts.transforms.events import _scan_batch

    got = _scan_batch(pl.Series("text", texts, dtype=pl.String), _SCAN_WORDS, bounded)
    assert got == [_scan_reference(t, _SCAN_WORDS, bounded) for t in texts]


def _date_matches_reference(text, s0, s1, cues):
    """_date_matches_near as first written: every cue searches its anchors from 15 characters before it."""
    from newsfacts.transforms.events import _DATE_RE

    starts, ends = cues
    out, end = [], s0
    for p, e in zip(starts, ends):
        if p < s0 or e > s1:
            if p >= s1:
                break
            continue
        for am in _DATE_ANCHOR.finditer(text, max(end, s0, p - 15)):
            if am.start() > p:
                break
            m = _DATE_RE.match(text, am.start())
            if m is not None:
                out.append(m)
                end = m.end()
                break
    return out


@settings(max_examples=300, deadline=None)
@given(text=_texts(), data=st.data())
def test_date_matches_near_agrees_with_the_first_version(text, data):
    from newsfacts.transforms.events import _date_matches_near

    starts = sorted(data.draw(st.lists(st.integers(0, max(len(text) - 1, 0)), max_size=8)))
    cues = (starts, [min(len(text), p + data.draw(st.integers(1, 4))) for p in starts])
    s0 = data.draw(st.integers(0, len(text)))
    s1 = data.draw(st.integers(s0, len(text)))
    got = [m.span() for m in _date_matches_near(text, s0, s1, cues)]
    assert got == [m.span() for m in _date_matches_reference(text, s0, s1, cues)]


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(st.text(alphabet="kiKlLedDatcAB é-x²_Ж.\u00a0", max_size=30), min_size=1, max_size=4))
def test_one_pass_for_several_groups_is_each_group_alone(texts):
    import polars as pl
    from newsfacts.transforms.events import ScanGroup, _scan_batch, _scan_groups

    series = pl.Series("text", texts, dtype=pl.String)
    groups = [ScanGroup(["kill", "killed", "ab"]), ScanGroup(["kill", "ed", "é-x"], bounded=False)]
    assert _scan_groups(series, groups) == [_scan_batch(series, g.words, g.bounded) for g in groups]
