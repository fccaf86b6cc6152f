"""Case-insensitive patterns and their case-sensitive twins on lower-cased ASCII text (transforms/casefold.py)."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from newsfacts.transforms import events, events_tolls
from newsfacts.transforms.casefold import folded

_FOLDED = [*events_tolls._FOLDED, *events._CLAUSE_FOLDED]


def _vocabulary() -> list[str]:
    words = sorted({w for f in _FOLDED for w in re.findall(r"[a-z]+", f.pattern.pattern)})
    return words + ["3", "12", "1,200", "twenty-one", "A", "The", "X"]


_WORDS = _vocabulary()


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=10),
    seps=st.lists(st.sampled_from([" ", " ", ", ", "  ", "-", ". ", "; ", "\n"]), min_size=10, max_size=10),
    case=st.lists(st.sampled_from(["lower", "upper", "title"]), min_size=10, max_size=10),
)
def test_twins_match_where_the_case_insensitive_pattern_does(words, seps, case):
    text = "".join(getattr(w, c)() + sep for w, sep, c in zip(words, seps, case))
    _assert_twins_match(text)


def _assert_twins_match(text: str) -> None:
    """Each twin on `text.lower()` finds the spans (and lower-cased groups) its pattern finds on `text`."""
    low = text.lower()
    assert len(low) == len(text)
    for f in _FOLDED:
        expected = [(m.span(), m.groupdict()) for m in f.pattern.finditer(text)]
        got = [(m.span(), m.groupdict()) for m in f.lower.finditer(low)]
        assert [span for span, _ in got] == [span for span, _ in expected], (f.pattern.pattern[:60], text)
        # groups are the same text, lower-cased
        assert [{k: v and v.lower() for k, v in g.items()} for _, g in expected] == [g for _, g in got]
        for pos in range(0, len(text), 7):
            m, n = f.pattern.search(text, pos, len(text) - 1), f.lower.search(low, pos, len(text) - 1)
            assert (m and m.span()) == (n and n.span())


def test_pick_keeps_the_case_insensitive_pattern_for_non_ascii_text():
    f = folded(re.compile(r"\bkill(?:ed)?\b", re.IGNORECASE))
    assert f.pick(True) is f.lower and f.pick(False) is f.pattern
    assert f.pattern.search("KILLED") and not f.lower.search("KILLED") and f.lower.search("killed")
    # why: Unicode folding has no lower-case shortcut ("ſ", long s, matches "s" case-insensitively)
    g = folded(re.compile(r"kills", re.IGNORECASE))
    assert g.pattern.search("KILLſ") and not g.lower.search("KILLſ".lower())


def test_only_lower_case_case_insensitive_patterns_fold():
    with pytest.raises(ValueError):
        folded(re.compile(r"[A-Z]ed", re.IGNORECASE))
    with pytest.raises(ValueError):
        folded(re.compile(r"killed"))
    assert folded(re.compile(r"(?P<n>\d+)\s+\S+", re.IGNORECASE)).lower.flags & re.IGNORECASE == 0


def _code_points():
    return (chr(cp) for cp in range(128, 0x110000) if not 0xD800 <= cp <= 0xDFFF)


def test_only_four_non_ascii_characters_fold_to_ascii():
    """What lets `twins_apply` accept a non-ASCII text: exactly these characters match an ASCII one
    case-insensitively (as a literal or in a class), and every other one lower-cases to a single
    non-ASCII character of the same \\w / \\s / \\d class (offsets kept, classes unchanged)."""
    from newsfacts.transforms.casefold import _FOLDS_TO_ASCII

    ascii_literal = re.compile("|".join(re.escape(chr(i)) for i in range(128)), re.IGNORECASE)
    ascii_class = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    folds = {c for c in _code_points() if ascii_literal.fullmatch(c) or ascii_class.fullmatch(c)}
    assert folds == {"\u0130", "\u0131", "\u017f", "\u212a"}
    assert all(_FOLDS_TO_ASCII.fullmatch(c) for c in folds)
    w, s, d = re.compile(r"\w"), re.compile(r"\s"), re.compile(r"\d")
    changed = [
        c for c in _code_points() if c not in folds and (
            len(c.lower()) != 1 or c.lower().isascii() or c.lower() in folds
            or bool(w.match(c)) != bool(w.match(c.lower())) or bool(s.match(c)) != bool(s.match(c.lower()))
            or bool(d.match(c)) != bool(d.match(c.lower()))
        )
    ]
    assert changed == []


def test_folded_patterns_have_no_cased_non_ascii_characters():
    """The other condition of `twins_apply`: the patterns name no non-ASCII character with a case,
    neither literally nor by an escape (a class such as [\\u00c0-\\u00de] would fold differently)."""
    for f in _FOLDED:
        source = f.pattern.pattern
        assert not re.search(r"\\[uUxN0-7]", source), source[:60]
        assert all(ch.lower() == ch == ch.upper() for ch in source if not ch.isascii()), source[:60]


def test_twins_apply():
    from newsfacts.transforms.casefold import twins_apply

    assert twins_apply("Police said") and twins_apply("Ankara’s “police” killed Éric")
    assert not twins_apply("Diyarbakır police") and not twins_apply("İstanbul") and not twins_apply("kilſ")


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(_WORDS + ["Éric", "ÜBER", "café", "’s", "“", "”", "—", "naïve", "Ω", "ß"]),
                   min_size=1, max_size=10),
    seps=st.lists(st.sampled_from([" ", " ", ", ", "-", ". ", "; ", "\n", "’", " “", "” ", "\u00a0", "\u2009"]),
                  min_size=10, max_size=10),
    case=st.lists(st.sampled_from(["lower", "upper", "title"]), min_size=10, max_size=10),
)
def test_twins_match_on_non_ascii_text_where_they_apply(words, seps, case):
    """`twins_apply` texts: the twins on `text.lower()` match where the patterns match `text`."""
    from newsfacts.transforms.casefold import twins_apply

    text = "".join(getattr(w, c)() + sep for w, sep, c in zip(words, seps, case))
    if twins_apply(text):
        _assert_twins_match(text)
