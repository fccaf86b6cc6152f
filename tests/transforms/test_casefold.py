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
    low = text.lower()
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
