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

The same holds for a non-ASCII text without the four characters `re.IGNORECASE` matches to an ASCII
one (U+0130 "İ", U+0131 "ı", U+017F "ſ", U+212A Kelvin sign; `twins_apply`), for patterns whose only
non-ASCII characters have no case: every other character lower-cases to one non-ASCII character of the
same `\\w` / `\\s` / `\\d` class, so offsets are kept and every part of such a pattern accepts the
lower-cased character exactly when the case-insensitive one accepts the original
(tests/transforms/test_casefold.py checks this over every code point).
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


# the non-ASCII characters re.IGNORECASE matches to an ASCII one (every code point checked by
# tests/transforms/test_casefold.py); U+0130 is also the only character whose lower case is longer
_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")


def twins_apply(text: str) -> bool:
    """Whether the `lower` twins on `text.lower()` match exactly where the case-insensitive patterns
    match `text` (same offsets, lower-cased groups): an ASCII text, or one without a character of
    `_FOLDS_TO_ASCII` (for patterns whose non-ASCII characters have no case)."""
    return text.isascii() or _FOLDS_TO_ASCII.search(text) is None


def folded(pattern: re.Pattern) -> Folded:
    """`pattern` (compiled with re.IGNORECASE, every letter outside escapes lower case) with its twin."""
    if not pattern.flags & re.IGNORECASE:
        raise ValueError(f"not a case-insensitive pattern: {pattern.pattern[:60]!r}")
    if _UPPER.search(_ESCAPE.sub("", pattern.pattern)):
        raise ValueError(f"upper-case letters in a pattern to fold: {pattern.pattern[:60]!r}")
    return Folded(pattern, re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE))
