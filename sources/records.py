"""What a reader yields for each input: a raw article record, or a reject with a reason code."""
from __future__ import annotations

from dataclasses import dataclass


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


def body_reject(text: str, source: str, *, max_chars: int, empty_detail: str) -> Reject | None:
    """The reject for an article body every reader refuses (blank, or longer than `max_chars`), else None."""
    if not text.strip():
        return Reject(source, "empty", empty_detail)
    if len(text) > max_chars:
        return Reject(source, "too_large", f"{len(text)} characters > {max_chars}")
    return None
