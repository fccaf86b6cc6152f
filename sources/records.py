"""What a reader yields for each input: a raw article record, or a reject with a reason code."""
from __future__ import annotations

import re
from dataclasses import dataclass

from newsfacts.sources.limits import MAX_FIELD_CHARS, MAX_TITLE_CHARS


@dataclass(frozen=True)
class RawRecord:
    doc_id: str
    source: str
    text: str
    title: str | None = None
    url: str | None = None
    published_at: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Reject:
    source: str
    reason: str
    detail: str


Item = RawRecord | Reject

SURROGATE = re.compile("[\ud800-\udfff]")  # from JSON "\ud800" escapes: not encodable as UTF-8 downstream


def body_reject(text: str, source: str, *, max_chars: int, empty_detail: str) -> Reject | None:
    """The reject for an article body every reader refuses (NUL, blank, longer than `max_chars`,
    unpaired surrogates), else None."""
    if "\x00" in text:
        return Reject(source, "not_text", f"NUL character at offset {text.index(chr(0))}")
    if not text.strip():
        return Reject(source, "empty", empty_detail)
    if len(text) > max_chars:
        return Reject(source, "too_large", f"{len(text)} characters > {max_chars}")
    if SURROGATE.search(text):
        return Reject(source, "bad_encoding", "unpaired surrogate in the text")
    return None


def field_reject(name: str, value: str | None, source: str) -> Reject | None:
    """The reject for a metadata field (title, id, url, ...) too long or not text, else None."""
    if value is None:
        return None
    limit = MAX_TITLE_CHARS if name == "title" else MAX_FIELD_CHARS
    if len(value) > limit:
        return Reject(source, "too_large", f"{name} of {len(value)} characters > {limit}")
    if "\x00" in value:
        return Reject(source, "not_text", f"NUL character in {name}")
    if SURROGATE.search(value):
        return Reject(source, "bad_encoding", f"unpaired surrogate in {name}")
    return None


CONTENT_FIELDS = ("title", "url", "published_at", "language")  # doc_id/source are often the path or URL read


def checked(
    record: RawRecord, where: str, *, max_chars: int, empty_detail: str, names: tuple[str, ...] = CONTENT_FIELDS
) -> RawRecord | Reject:
    """`record`, or the reject (named `where`) for its body or one of the fields `names`."""
    problem = body_reject(record.text, where, max_chars=max_chars, empty_detail=empty_detail)
    if problem:
        return problem
    for name in names:
        problem = field_reject(name, getattr(record, name), where)
        if problem:
            return problem
    return record
