"""Case-insensitive regexes run as case-sensitive ones on lower-cased ASCII text.

Python's `re.IGNORECASE` folds every character it compares, which makes a long alternation of
lower-case words (the death predicates, the kill verbs) scan an order of magnitude slower than
the same pattern without the flag. For an ASCII text the two agree exactly: a pattern whose
letters are all lower case (escapes such as `\\S` or `\\W` aside), run without the flag on
`text.lower()`, matches at the same offsets as the case-insensitive pattern on `text` (lower-casing
ASCII keeps every offset, and `\\w`, `\\d`, `\\s`, `\\b` do not depend on case). A non-ASCII text
keeps the case-insensitive pattern, whose Unicode folding ("ſ" matches "s") has no such shortcut.
Only the matched offsets and the lower-cased groups are the same; callers that need the original
spelling slice it from the original text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_ESCAPE = re.compile(r"\\.|\(\?P[<=]")  # escapes and named-group syntax
_UPPER = re.compile(r"[A-Z]")


@dataclass(frozen=True, slots=True)
class Folded:
    """A case-insensitive pattern and its case-sensitive twin for lower-cased ASCII text."""

    pattern: re.Pattern
    lower: re.Pattern

    def pick(self, ascii_only: bool) -> re.Pattern:
        return self.lower if ascii_only else self.pattern


def folded(pattern: re.Pattern) -> Folded:
    """`pattern` (compiled with re.IGNORECASE, every letter outside escapes lower case) with its twin."""
    if not pattern.flags & re.IGNORECASE:
        raise ValueError(f"not a case-insensitive pattern: {pattern.pattern[:60]!r}")
    if _UPPER.search(_ESCAPE.sub("", pattern.pattern)):
        raise ValueError(f"upper-case letters in a pattern to fold: {pattern.pattern[:60]!r}")
    return Folded(pattern, re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE))
