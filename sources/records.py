"""What a reader yields for each input: a raw article record, or a reject with a reason code."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from newsfacts.sources.limits import (
    MAX_FIELD_CHARS,
    MAX_REJECTS_PER_FILE,
    MAX_TITLE_CHARS,
)


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


ROW_FIELDS = ("id", "source", "title", "url", "published_at", "language")  # beside the text, in a row or line


def row_record(
    text: str, fields: dict[str, str | None], where: str, source: str, *, max_chars: int, empty_detail: str
) -> RawRecord | Reject:
    """The record of one JSON line or table row (`where`): `fields` holds its `ROW_FIELDS` as text or None;
    without an id the doc_id is `where`, without a source it is `source` (the file)."""
    doc_id, origin = fields.get("id"), fields.get("source")
    record = RawRecord(
        doc_id=doc_id or where,
        source=origin or source,
        text=text,
        title=fields.get("title"),
        url=fields.get("url"),
        published_at=fields.get("published_at"),
        language=fields.get("language"),
    )
    names = CONTENT_FIELDS + (("doc_id",) if doc_id else ()) + (("source",) if origin else ())
    return checked(record, where, max_chars=max_chars, empty_detail=empty_detail, names=names)


class RejectCap:
    """The first `MAX_REJECTS_PER_FILE` rejects of a file's parts (lines, rows, records) one by one, later
    ones summed up per reason: source `<file><sep><first>-<last>`, e.g. `a.jsonl:1001-5000`."""

    def __init__(self, source: str, *, unit: str = "lines", sep: str = ":") -> None:
        self.source, self.unit, self.sep = source, unit, sep
        self.kept = 0
        self.more: Counter[str] = Counter()
        self.spans: dict[str, tuple[int, int]] = {}

    def add(self, reject: Reject, number: int) -> Reject | None:
        """`reject` while fewer than the cap were kept, else None (counted for `summary`)."""
        if self.kept < MAX_REJECTS_PER_FILE:
            self.kept += 1
            return reject
        self.more[reject.reason] += 1
        first, _ = self.spans.get(reject.reason, (number, number))
        self.spans[reject.reason] = (first, number)
        return None

    def summary(self) -> Iterator[Reject]:
        for reason, count in self.more.items():
            first, last = self.spans[reason]
            yield Reject(
                f"{self.source}{self.sep}{first}-{last}",
                reason,
                f"{count} more {self.unit} rejected as {reason} (a file's first {MAX_REJECTS_PER_FILE} rejects are "
                "listed one by one)",
            )
