"""RSS 2.0 / RSS 1.0 / Atom feeds (feedparser) -> one article per entry.

The feed's bytes are first parsed with defusedxml (`xmldocs.safe_root`): malformed XML is a `parse_error`
reject, and a DTD that declares entities (the "billion laughs" bomb) is refused at the declaration, before
anything is expanded, so memory stays bounded. Only a well-formed, entity-free document reaches feedparser.

Each entry becomes:

- **an article from the feed itself** when the feed carries the full text: the entry's `content:encoded`
  (RSS) or `<content>` (Atom), rendered to text by `parse_html`, holds at least `full_text_min_chars`
  characters (setting `feed_full_text_min_chars`, default 600: a few paragraphs; teasers and summaries are
  shorter). `description` / `<summary>` never count as full text;
- otherwise **a `PageLink`**: the entry's page, fetched and extracted by `pages.read_page`;
- a reject when it has neither a usable link nor full text (`empty`), or its link is not http(s)
  (`unsupported_scheme`).

The entry's guid (`doc_id`), title, date (published, else updated; as UTC ISO-8601) and the feed's title
(`source`; the feed's URL when untitled) fill the article's columns; its link, in canonical form, is `url`
(the page's own canonical URL wins once fetched). `keys` are what the watermark remembers of an entry: its
guid and canonical link.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timezone

import feedparser
from newsfacts.sources.html import parse_html
from newsfacts.sources.pages import PageLink
from newsfacts.sources.records import RawRecord, Reject, checked
from newsfacts.sources.urls import canonical_url, is_http_url

FEED_ROOTS = {"rss", "feed", "RDF"}
FULL_TEXT_MIN_CHARS = 600


@dataclass(frozen=True)
class FeedEntry:
    keys: tuple[str, ...]  # guid and canonical link: what the watermark remembers
    item: RawRecord | Reject | PageLink


@dataclass(frozen=True)
class Feed:
    title: str | None
    entries: list[FeedEntry]


def _iso(parsed) -> str | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc).isoformat()
    except (OverflowError, ValueError, TypeError):
        return None


def _text(value: object, limit: int = 2048) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value[:limit] or None


def _full_text(entry, where: str, *, max_chars: int, min_chars: int) -> str | None:
    """The entry's content rendered as article text, when it is long enough to be the article."""
    best = None
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if len(value) < min_chars:
            continue
        page = f"<html><body><article>{value}</article></body></html>".encode("utf-8", "replace")
        for item in parse_html(page, where, max_chars=max_chars, url=None):
            if isinstance(item, RawRecord) and len(item.text) >= min_chars and (best is None or len(item.text) > len(best)):
                best = item.text
    return best


def parse_feed(raw: bytes, source: str, *, base_url: str | None, max_chars: int, full_text_min_chars: int = FULL_TEXT_MIN_CHARS) -> Feed:
    """The entries of a well-formed feed document (checked by `xmldocs.safe_root` first)."""
    headers = {"content-location": base_url} if base_url else {}
    parsed = feedparser.parse(raw, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    title = _text(parsed.feed.get("title"), 1000)
    origin = title or source
    entries = []
    for n, entry in enumerate(parsed.entries, start=1):
        where = f"{source}#entry-{n}"
        guid = _text(entry.get("id"))
        link = _text(entry.get("link"))
        canonical = canonical_url(link) if link else None
        keys = tuple(k for k in dict.fromkeys((guid, canonical)) if k)
        entry_title = _text(entry.get("title"), 1000)
        published = _iso(entry.get("published_parsed") or entry.get("updated_parsed"))
        text = _full_text(entry, where, max_chars=max_chars, min_chars=full_text_min_chars)
        if text is not None:
            record = RawRecord(
                doc_id=guid or canonical or where, source=origin, text=text, title=entry_title,
                url=canonical if canonical and is_http_url(canonical) else None, published_at=published,
            )
            item = checked(record, where, max_chars=max_chars, empty_detail="blank entry content")
        elif link and is_http_url(link):
            item = PageLink(url=link, origin=source, doc_id=guid, title=entry_title, published_at=published, source=origin)
        elif link:
            item = Reject(where, "unsupported_scheme", f"entry link is not http(s): {link[:200]}")
        else:
            item = Reject(where, "empty", "entry has no link and no full text")
        entries.append(FeedEntry(keys or (where,), item))
    return Feed(title, entries)
