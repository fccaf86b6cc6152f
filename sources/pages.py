"""Article pages named by a feed entry or a sitemap `<loc>`: fetched politely, extracted with `parse_html`.

A `PageLink` carries what the feed or sitemap said about the page (title, date, source); those fill the
article's columns, the page's own metadata fills the gaps. The article's `url` is the page's
`<link rel="canonical">` (or og:url) when it has one, else the URL the fetch ended at, in canonical form
(`sources.urls`), so the same story reached by a feed, a sitemap and a WARC has one URL.

A page that is a login wall or a cookie/consent page rather than an article is a `not_article` reject
(`not_article_reason`), when its extracted body is short (under `LOGIN_MAX_WORDS` words) and either the page
asks for a password (an `<input type="password">` anywhere in it) and the body uses login or paywall wording
(`LOGIN_PHRASES`), or the body is very short (under `SHORT_MAX_WORDS` words) and holds at least two distinct
phrases of login, paywall or consent wording (`LOGIN_PHRASES`, `CONSENT_PHRASES`). Walls and banners are short by nature; an article that mentions cookies or logins is
long enough to pass, and a short brief on a page with a login box in its header passes too (the box is not
part of the extracted body, so its wording is missing).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from newsfacts.sources.fetch import FetchFailed, FetchPolicy, TransientFetchError, fetch
from newsfacts.sources.html import parse_html
from newsfacts.sources.records import RawRecord, Reject
from newsfacts.sources.urls import canonical_url

HTML_TYPES = {"text/html", "application/xhtml+xml"}
LOGIN_MAX_WORDS = 400
SHORT_MAX_WORDS = 150
PASSWORD_INPUT = re.compile(rb"""<input\b[^>]*\btype\s*=\s*["']?password\b""", re.I)
LOGIN_PHRASES = re.compile(
    r"\b(?:sign in|log in|login|sign up|create an? (?:free )?account|forgot (?:your )?password|password|"
    r"subscribe to (?:continue|read)|subscribers? only|already a subscriber|register to (?:continue|read)|"
    r"continue reading|paywall)\b",
    re.I,
)
CONSENT_PHRASES = re.compile(
    r"\b(?:cookies?|consent|accept all|reject all|manage (?:your )?(?:preferences|choices|options)|"
    r"privacy (?:settings|policy|preferences)|we value your privacy|our partners|legitimate interest|"
    r"personali[sz]ed (?:ads|advertising|content))\b",
    re.I,
)
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PageLink:
    """An article to fetch: a feed entry or a sitemap URL whose text is on its page."""

    url: str  # what to fetch
    origin: str  # the feed or sitemap it came from
    doc_id: str | None = None  # the entry's guid
    title: str | None = None
    published_at: str | None = None
    source: str | None = None  # the feed's title, the news sitemap's publication name


def not_article_reason(raw: bytes, text: str) -> str | None:
    """Why a page is a login wall or consent page rather than an article, or None."""
    words = len(WORD.findall(text))
    if words >= LOGIN_MAX_WORDS:
        return None
    login = sorted({m.group(0).lower() for m in LOGIN_PHRASES.finditer(text)})
    if login and PASSWORD_INPUT.search(raw):
        return f"asks for a password; {words} words of body, with {', '.join(login[:5])}"[:300]
    phrases = sorted({*login, *(m.group(0).lower() for m in CONSENT_PHRASES.finditer(text))})
    if words < SHORT_MAX_WORDS and len(phrases) >= 2:
        return f"{words} words of body, with login/consent wording: {', '.join(phrases[:5])}"[:300]
    return None


def page_items(raw: bytes, source: str, *, final_url: str, max_chars: int, link: PageLink | None = None) -> Iterator[RawRecord | Reject]:
    """The article of one fetched HTML page (or its reject), with the link's metadata filled in."""
    for item in parse_html(raw, source, max_chars=max_chars, url=None):
        if isinstance(item, Reject):
            yield item
            continue
        why = not_article_reason(raw, item.text)
        if why:
            yield Reject(source, "not_article", why)
            continue
        url = canonical_url(item.url or final_url)
        if link is None:
            yield replace(item, url=url)
            continue
        yield replace(
            item,
            doc_id=link.doc_id or source,
            source=link.source or link.origin,
            url=url,
            title=link.title or item.title,
            published_at=link.published_at or item.published_at,
        )


def read_page(link: PageLink, policy: FetchPolicy, *, max_chars: int, raise_transient: bool = False) -> list[RawRecord | Reject]:
    """Fetch and extract one page. A transient failure raises `TransientFetchError` when `raise_transient`
    (the flow retries it), else it is a `fetch_error` reject like the others."""
    try:
        response = fetch(link.url, policy)
    except FetchFailed as exc:
        if exc.transient and raise_transient:
            raise TransientFetchError(exc.detail) from exc
        return [Reject(link.url, exc.reason, exc.detail)]
    if response.content_type not in HTML_TYPES and not response.body.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html")):
        return [Reject(link.url, "not_text", f"content type {response.content_type or '(none)'}, not an HTML page")]
    return list(page_items(response.body, link.url, final_url=response.final_url, max_chars=max_chars, link=link))
