import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from newsfacts.transforms.sentences import sentence_spans, split_sentences
from polars.testing import assert_frame_equal

from newsfacts.schema import SENTENCES


def _sents(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def test_basic_split_and_offsets():
    text = "Troops shelled the town. Residents fled!  Was anyone hurt? Nobody knows."
    assert _sents(text) == ["Troops shelled the town.", "Residents fled!", "Was anyone hurt?", "Nobody knows."]


def test_abbreviations_titles_and_months_do_not_split():
    text = "Mr. Smith met Gen. Jones and Dr. Brown on Jan. 4 at No. 10 Downing St. in London. They talked."
    assert _sents(text) == [
        "Mr. Smith met Gen. Jones and Dr. Brown on Jan. 4 at No. 10 Downing St. in London.",
        "They talked.",
    ]


def test_acronyms_split_only_before_a_sentence_opener():
    assert _sents("The U.S. Army said so. Then it left.") == ["The U.S. Army said so.", "Then it left."]
    assert _sents("He flew to the U.S. The talks start Monday.") == ["He flew to the U.S.", "The talks start Monday."]


def test_initials_and_decimals():
    text = "F.W. de Klerk met John F. Kennedy Jr. in 1990. Prices rose 3.5 percent."
    assert _sents(text) == ["F.W. de Klerk met John F. Kennedy Jr. in 1990.", "Prices rose 3.5 percent."]


def test_quotes_close_the_sentence():
    text = 'He said: "We will not retreat." The army advanced. "Stop!" they shouted.'
    assert _sents(text) == ['He said: "We will not retreat."', "The army advanced.", '"Stop!" they shouted.']


def test_headline_line_break_and_paragraphs():
    text = "Russia Continues Drone Strikes on Ukraine\n(Photo: AFP)\nRussia struck again.\n\nKyiv said\nit had no power."
    assert _sents(text) == [
        "Russia Continues Drone Strikes on Ukraine",
        "(Photo: AFP)",
        "Russia struck again.",
        "Kyiv said\nit had no power.",
    ]


def test_lower_case_after_period_is_not_a_boundary():
    assert _sents("The attack occurred at 5 p.m. on the road. Police came.") == [
        "The attack occurred at 5 p.m. on the road.",
        "Police came.",
    ]


def test_split_sentences_frame():
    articles = pl.LazyFrame({"article_id": ["a", "b", "c"], "text": ["One. Two.", "", None]})
    out = split_sentences(articles).collect()
    expected = pl.DataFrame(
        {"article_id": ["a", "a"], "sentence_idx": [0, 1], "sentence_start": [0, 5], "sentence_end": [4, 9]},
        schema=SENTENCES,
    )
    assert_frame_equal(out, expected)


_ALPHABET = st.sampled_from(list("abc XYZ.!?\"'\n\t,;:()0123456789") + ["Mr.", "U.S.", "Jan.", " e.g. ", "...", "é", "—"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_property_ordered_disjoint_covering(text):
    spans = sentence_spans(text)
    prev_end = 0
    covered = set()
    for s, e in spans:
        assert 0 <= prev_end <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()  # trimmed
        covered.update(range(s, e))
        prev_end = e
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(_ALPHABET, max_size=40).map("".join)), min_size=1, max_size=6),
       st.lists(st.sampled_from(["a", "b", "c"]), min_size=6, max_size=6))
def test_property_batch_rows_are_each_texts_spans(texts, ids):
    """A batch (null and empty texts, repeated ids included) gives, row for row and in order, each
    text's `sentence_spans`, numbered per article id."""
    ids = ids[: len(texts)]
    out = split_sentences(pl.LazyFrame({"article_id": ids, "text": texts}, schema={"article_id": pl.String, "text": pl.String})).collect()
    rows = [(aid, s, e) for aid, t in zip(ids, texts) for s, e in (sentence_spans(t) if t else [])]
    counters: dict[str, int] = {}
    numbered = []
    for aid, s, e in rows:
        numbered.append((aid, counters.get(aid, 0), s, e))
        counters[aid] = counters.get(aid, 0) + 1
    assert out.schema == SENTENCES
    assert out.rows() == numbered


@settings(max_examples=2000, deadline=None)
@given(text=st.text(alphabet="aZq.\n .-é1", max_size=14), data=st.data())
def test_word_before_is_the_anchored_regex_search(text, data):
    """`_word_before` (a backward scan) captures what the regex it replaced did, newline before `$` included."""
    import re

    from newsfacts.transforms.sentences import _word_before

    dot = data.draw(st.integers(0, len(text)))
    lo = data.draw(st.integers(0, dot))
    m = re.compile(r"([A-Za-z][A-Za-z.]*)$").search(text, lo, dot)
    assert _word_before(text, lo, dot) == (m.group(1) if m else None)


@settings(max_examples=3000, deadline=None)
@given(text=st.text(alphabet=".!?… a'\"’”»)]\n", max_size=20))
def test_candidate_pattern_matches_what_the_alternation_did(text):
    """`_CANDIDATE` (starting with a character class, so `re` skips to candidates) finds what
    `(?:\\.{3}|…|[.!?]+)` followed by closing quotes and whitespace found."""
    import re

    from newsfacts.transforms.sentences import _CANDIDATE

    before = re.compile(r"""(?:\.{3}|…|[.!?]+)['"’”»)\]]*(?=\s)""")
    assert [m.span() for m in _CANDIDATE.finditer(text)] == [m.span() for m in before.finditer(text)]
