from __future__ import annotations

import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from newsfacts.transforms.phrase_match import MATCH_SCHEMA, match_phrases
from polars.testing import assert_frame_equal

_WORD = re.compile(r"\w")


def _frame(texts: dict[str, str]) -> pl.LazyFrame:
    return pl.LazyFrame({"article_id": list(texts), "text": list(texts.values())})


def _rows(texts: dict[str, str], patterns, **kw) -> list[tuple]:
    out = match_phrases(_frame(texts), patterns, **kw).collect()
    return [tuple(r) for r in out.iter_rows()]


def _reference(text: str, patterns: list[str]) -> list[tuple[str, int, int]]:
    """Brute force: all word-bounded occurrences, then greedy leftmost-longest."""
    cands = set()
    for p in set(patterns):
        if not p:
            continue
        i = text.find(p)
        while i != -1:
            j = i + len(p)
            left_ok = not _WORD.match(p[0]) or i == 0 or not _WORD.match(text[i - 1])
            right_ok = not _WORD.match(p[-1]) or j == len(text) or not _WORD.match(text[j])
            if left_ok and right_ok:
                cands.add((i, j, p))
            i = text.find(p, i + 1)
    kept, last = [], -1
    for i, j, p in sorted(cands, key=lambda c: (c[0], -c[1], c[2])):
        if i >= last:
            kept.append((p, i, j))
            last = j
    return kept


def test_non_ascii_offsets_are_characters():
    text = "Grüße aus Zürich … Kyiv’s mayor met São Paulo officials in Zürich."
    rows = _rows({"a": text}, ["Zürich", "Kyiv", "São Paulo", "Paulo"])
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("Zürich", 10, 16),
        ("Kyiv", 19, 23),
        ("São Paulo", 36, 45),
        ("Zürich", 59, 65),
    ]
    for _, _, s, e, m in rows:
        assert text[s:e] == m


def test_word_boundaries_and_leftmost_longest():
    text = "Canada and New York City; York, Adana. Ada"
    rows = _rows({"x": text}, ["Ada", "York", "New York", "New York City", "City"])
    assert [(r[1], text[r[2]:r[3]]) for r in rows] == [
        ("New York City", "New York City"),
        ("York", "York"),
        ("Ada", "Ada"),
    ]


def test_greedy_keeps_match_after_a_dropped_longer_overlap():
    # "b c d" overlaps the kept "a b" and is dropped; "d" after it must survive
    text = "a b c d"
    rows = _rows({"x": text}, ["a b", "b c d", "d"])
    assert [r[1] for r in rows] == ["a b", "d"]


def test_case_insensitive_reports_pattern_as_given():
    rows = _rows({"x": "NEW YORK and new york"}, ["New York"], case_insensitive=True)
    assert [(r[1], r[4]) for r in rows] == [("New York", "NEW YORK"), ("New York", "new york")]
    assert _rows({"x": "NEW YORK"}, ["New York"]) == []


def test_punctuated_pattern_has_no_boundary_on_punctuation_side():
    rows = _rows({"x": "the U.S.-led force; U.S."}, ["U.S."])
    assert [(r[2], r[3]) for r in rows] == [(4, 8), (20, 24)]


def test_empty_inputs():
    empty = match_phrases(_frame({"a": "nothing"}), ["zzz"]).collect()
    assert_frame_equal(empty, pl.DataFrame(schema=MATCH_SCHEMA))
    assert match_phrases(_frame({"a": "x"}), []).collect().height == 0
    nulls = pl.LazyFrame({"article_id": ["a"], "text": [None]}, schema={"article_id": pl.String, "text": pl.String})
    assert match_phrases(nulls, ["x"]).collect().height == 0


def test_multiple_articles_are_independent():
    out = match_phrases(_frame({"b": "Kyiv x", "a": "x Kyiv"}), ["Kyiv"]).collect()
    expected = pl.DataFrame(
        {"article_id": ["a", "b"], "pattern": ["Kyiv", "Kyiv"], "start_char": [2, 0],
         "end_char": [6, 4], "matched_text": ["Kyiv", "Kyiv"]},
        schema=MATCH_SCHEMA,
    )
    assert_frame_equal(out, expected)


_ALPHABET = "ab Zü’é-—.,\u00a0ЖΩ中"
texts = st.text(alphabet=_ALPHABET, min_size=0, max_size=40)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(texts, min_size=1, max_size=4), data=st.data())
def test_property_offsets_and_reference(texts, data):
    corpus = {f"d{i}": t for i, t in enumerate(texts)}
    joined = "".join(texts) or "a"
    # patterns: substrings of the texts (so they occur) plus random strings
    subs = st.builds(
        lambda i, n: joined[i:i + n], st.integers(0, len(joined) - 1), st.integers(1, 6)
    )
    patterns = data.draw(st.lists(st.one_of(subs, st.text(alphabet=_ALPHABET, min_size=1, max_size=4)),
                                  min_size=1, max_size=8))
    rows = _rows(corpus, patterns)
    for article_id, pattern, s, e, m in rows:
        assert corpus[article_id][s:e] == m == pattern
    for article_id, text in corpus.items():
        got = [(r[1], r[2], r[3]) for r in rows if r[0] == article_id]
        assert got == _reference(text, patterns)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(texts, min_size=1, max_size=4), data=st.data())
def test_property_large_dictionary_path(texts, data):
    """The n-gram join + prefiltered Aho-Corasick path (used for big dictionaries) agrees
    with the brute-force reference too."""
    import newsfacts.transforms.phrase_match as pm

    corpus = {f"d{i}": t for i, t in enumerate(texts)}
    joined = "".join(texts) or "a"
    subs = st.builds(
        lambda i, n: joined[i:i + n], st.integers(0, len(joined) - 1), st.integers(1, 12)
    )
    patterns = data.draw(st.lists(st.one_of(subs, st.text(alphabet=_ALPHABET, min_size=1, max_size=4)),
                                  min_size=1, max_size=8))
    old = pm._PREFILTER_ABOVE
    pm._PREFILTER_ABOVE = 0
    try:
        rows = _rows(corpus, patterns)
    finally:
        pm._PREFILTER_ABOVE = old
    for article_id, pattern, s, e, m in rows:
        assert corpus[article_id][s:e] == m == pattern
    for article_id, text in corpus.items():
        got = [(r[1], r[2], r[3]) for r in rows if r[0] == article_id]
        assert got == _reference(text, patterns)


def test_large_dictionary_path_examples():
    import newsfacts.transforms.phrase_match as pm

    text = "In the U.S.A. and New York City’s Zürich-based St. Louis office, U.S. aid; ’Abās Ābād."
    pats = ["U.S.", "New York", "New York City", "York", "Zürich", "St. Louis", "St.", "’Abās Ābād",
            "A B C D E", "Louis office U.S. aid"]
    small = _rows({"x": text}, pats)
    old = pm._PREFILTER_ABOVE
    pm._PREFILTER_ABOVE = 0
    try:
        large = _rows({"x": text}, pats)
    finally:
        pm._PREFILTER_ABOVE = old
    assert large == small
    assert [r[4] for r in large] == ["U.S.", "New York City", "Zürich", "St. Louis", "U.S.", "’Abās Ābād"]


@settings(max_examples=100, deadline=None)
@given(corpora=st.lists(st.lists(texts, min_size=1, max_size=3), min_size=1, max_size=3), data=st.data(),
       case_insensitive=st.booleans())
def test_property_compiled_index_reused_across_batches(corpora, data, case_insensitive):
    """One `compile_phrases` index matched against several batches gives, batch by batch, what the
    plain pattern list gives (small and large dictionary paths, with and without ASCII folding)."""
    import newsfacts.transforms.phrase_match as pm

    joined = "".join(t for c in corpora for t in c) or "a"
    subs = st.builds(lambda i, n: joined[i:i + n], st.integers(0, len(joined) - 1), st.integers(1, 12))
    patterns = data.draw(st.lists(st.one_of(subs, st.text(alphabet=_ALPHABET + "AB", min_size=1, max_size=4)),
                                  min_size=1, max_size=8))
    for threshold in (pm._PREFILTER_ABOVE, 0):
        old = pm._PREFILTER_ABOVE
        pm._PREFILTER_ABOVE = threshold
        try:
            index = pm.compile_phrases(patterns, case_insensitive=case_insensitive)
            for texts_ in corpora:
                frame = _frame({f"d{i}": t for i, t in enumerate(texts_)})
                assert_frame_equal(
                    match_phrases(frame, index).collect(),
                    match_phrases(frame, patterns, case_insensitive=case_insensitive).collect(),
                )
        finally:
            pm._PREFILTER_ABOVE = old


def test_large_path_case_insensitive_starts_at_a_patterns_first_word():
    """The n-gram path starts candidates only at runs that are some pattern's first word (folded):
    "new york" is found as "NEW YORK" and "New York", "york" on its own too, "Newark" never."""
    import newsfacts.transforms.phrase_match as pm

    text = "NEW YORK and New York City; Newark, york."
    pats = ["new york", "New York City", "york"]
    small = _rows({"x": text}, pats, case_insensitive=True)
    old = pm._PREFILTER_ABOVE
    pm._PREFILTER_ABOVE = 0
    try:
        index = pm.compile_phrases(pats, case_insensitive=True)
        assert sorted(index.first_words) == ["new", "york"]
        large = _rows({"x": text}, index)
    finally:
        pm._PREFILTER_ABOVE = old
    assert large == small
    assert [(r[1], r[4]) for r in large] == [
        ("new york", "NEW YORK"), ("New York City", "New York City"), ("york", "york")
    ]
