"""XML inputs (`.rss`, `.atom`, `.xml` files, and URLs that answer XML): feeds and sitemaps.

`safe_root` parses with defusedxml: malformed XML and documents whose DTD declares entities (entity
expansion, "billion laughs") or names external resources are `parse_error` rejects, refused before any
expansion. The root element decides: `<rss>`, `<feed>`, `<rdf:RDF>` -> `feeds`; `<urlset>`, `<sitemapindex>`
-> `sitemaps`; `<html>` (XHTML) -> `parse_html`; anything else -> `not_text`.

How pages are read depends on the `ReadOptions` in effect (`reading(options)`; `newsfacts.flows.pipeline`
sets them for its read tasks):

- `follow_links=True` (the default, e.g. `read_source` called from a script): every page is fetched and
  extracted right here, one after the other;
- `follow_links=False` (the flow): `PageLink`s are yielded instead, and the flow fetches each in its own
  retrying task; a `Checkpoint` closes the document's items: the watermark to save once the run commits.

With a warehouse (`ReadOptions.state_root`), entries whose guid or canonical link the feed's watermark
already holds, or whose canonical link is the URL of a published article (`known_urls`), are skipped
without a request.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET
from newsfacts.sources import state
from newsfacts.sources.feeds import FEED_ROOTS, FULL_TEXT_MIN_CHARS, parse_feed
from newsfacts.sources.fetch import (
    FetchFailed,
    FetchPolicy,
    default_user_agent,
    fetch,
)
from newsfacts.sources.html import parse_html
from newsfacts.sources.pages import PageLink, read_page
from newsfacts.sources.records import RawRecord, Reject
from newsfacts.sources.sitemaps import (
    MAX_DEPTH,
    MAX_URLS,
    SITEMAP_ROOTS,
    Fetched,
    walk_sitemap,
)
from newsfacts.sources.state import Checkpoint, Validators
from newsfacts.sources.urls import canonical_url, url_key

XML_SUFFIXES = {".rss", ".atom", ".xml"}
XML_TYPES = {
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
    "application/x-rss+xml",
}
XML_STARTS = (b"<?xml", b"<rss", b"<feed", b"<urlset", b"<sitemapindex", b"<rdf:rdf")

Item = RawRecord | Reject | PageLink | Checkpoint


class KnownUrls:
    """The `url_key`s of the published articles. A plain object, not a set: Prefect walks the collections in
    a task's arguments, and a warehouse may know millions of URLs."""

    __slots__ = ("keys",)

    def __init__(self, keys: frozenset[str] = frozenset()) -> None:
        self.keys = keys

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class ReadOptions:
    policy: FetchPolicy
    follow_links: bool = True
    state_root: Path | None = None  # the warehouse folder: feed watermarks live under it
    known_urls: KnownUrls = field(default_factory=KnownUrls)
    full_text_min_chars: int = FULL_TEXT_MIN_CHARS
    sitemap_max_depth: int = MAX_DEPTH
    sitemap_max_urls: int = MAX_URLS


_OPTIONS: ContextVar[ReadOptions | None] = ContextVar("newsfacts_read_options", default=None)


@contextmanager
def reading(options: ReadOptions) -> Iterator[ReadOptions]:
    """Read with `options` inside the block (the flow's read tasks)."""
    token = _OPTIONS.set(options)
    try:
        yield options
    finally:
        _OPTIONS.reset(token)


def current_options(*, timeout_s: float | None, max_bytes: int) -> ReadOptions:
    """The options in effect, else defaults from the settings with the caller's byte cap and timeout (None:
    the `fetch_timeout_s` setting)."""
    options = _OPTIONS.get()
    if options is not None:
        return options
    from newsfacts.settings import Settings

    try:
        settings = Settings()
    except Exception:  # noqa: BLE001 - a broken newsfacts.toml must not stop a script reading a URL
        return ReadOptions(FetchPolicy(default_user_agent(), timeout_s=timeout_s or 20.0, max_bytes=max_bytes))
    policy = FetchPolicy.from_settings(settings, max_bytes=max_bytes)
    return ReadOptions(
        replace(policy, timeout_s=timeout_s or policy.timeout_s),
        full_text_min_chars=settings.feed_full_text_min_chars,
        sitemap_max_depth=settings.sitemap_max_depth,
        sitemap_max_urls=settings.sitemap_max_urls,
    )


def looks_like_xml(raw: bytes, content_type: str = "") -> bool:
    """An XML document by its content type or its first bytes (after a BOM and blanks)."""
    if content_type in XML_TYPES or content_type.endswith("+xml") and content_type != "application/xhtml+xml":
        return True
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(XML_STARTS)


def safe_root(raw: bytes, source: str) -> Element | Reject:
    """The document's root element, or a `parse_error` reject (malformed; entities or external references)."""
    try:
        return SafeET.fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden as exc:
        return Reject(source, "parse_error", f"XML declares entities (entity expansion refused): {exc}"[:300])
    except defusedxml.DefusedXmlException as exc:
        return Reject(source, "parse_error", f"XML refused: {type(exc).__name__}: {exc}"[:300])
    except ParseError as exc:
        return Reject(source, "parse_error", f"malformed XML: {exc}"[:300])
    except (ValueError, RecursionError) as exc:
        return Reject(source, "parse_error", f"XML: {type(exc).__name__}: {exc}"[:300])


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def document_validators(source: str) -> Validators:
    """The stored ETag / Last-Modified of `source` (a feed or sitemap URL), for a conditional request."""
    options = _OPTIONS.get()
    if options is None or options.state_root is None:
        return Validators()
    return state.load(options.state_root, source).documents.get(source, Validators())


def read_xml(
    raw: bytes,
    source: str,
    *,
    base_url: str | None,
    max_chars: int,
    options: ReadOptions,
    raise_transient: bool = False,
    validators: Validators | None = None,
) -> Iterator[Item]:
    """The items of one XML document read from `source` (a file path or the URL asked for)."""
    root = safe_root(raw, source)
    if isinstance(root, Reject):
        yield root
        return
    kind = _local(root.tag)
    documents = {source: validators} if validators and (validators.etag or validators.last_modified) else {}
    if kind in FEED_ROOTS:
        feed = parse_feed(raw, source, base_url=base_url, max_chars=max_chars, full_text_min_chars=options.full_text_min_chars)
        entries = [(e.keys, e.item) for e in feed.entries]
    elif kind in SITEMAP_ROOTS:
        fetch_document = _document_fetcher(source, options, documents)
        walk = walk_sitemap(
            root, source, fetch_document, max_depth=options.sitemap_max_depth, max_urls=options.sitemap_max_urls
        )
        yield from walk.rejects
        entries = [(walk.keys.get(canonical_url(link.url), (canonical_url(link.url),)), link) for link in walk.links]
    elif kind == "html":
        yield from parse_html(raw, source, max_chars=max_chars, url=base_url)
        return
    else:
        yield Reject(source, "not_text", f"XML that is neither a feed nor a sitemap (root element <{kind}>)")
        return
    yield from _entries(entries, source, options, documents, max_chars=max_chars, raise_transient=raise_transient)


def _entries(entries, source: str, options: ReadOptions, documents: dict[str, Validators], *, max_chars: int, raise_transient: bool) -> Iterator[Item]:
    known = options.known_urls
    seen = set(state.load(options.state_root, source).seen) if options.state_root is not None else set()
    handled: list[str] = []
    for keys, item in entries:
        link_key = url_key(item.url) if isinstance(item, PageLink) else None
        if any(k in seen or k in known for k in (*keys, link_key) if k):
            continue  # already published or dealt with by an earlier poll: no request
        seen.update(keys)
        handled.extend(keys)
        if isinstance(item, PageLink) and options.follow_links:
            yield from read_page(item, options.policy, max_chars=max_chars, raise_transient=raise_transient)
        else:
            yield item
    if not options.follow_links:
        yield Checkpoint(source, documents, tuple(handled))


def _document_fetcher(source: str, options: ReadOptions, documents: dict[str, Validators]):
    """Fetches a child sitemap with its stored validators, recording the new ones in `documents`. A child that
    fails (even transiently) is a reject of its own and the rest of the index is read; its pages are not in
    the watermark, so the next poll asks for it again."""
    stored = state.load(options.state_root, source).documents if options.state_root is not None else {}

    def fetch_document(url: str) -> Fetched:
        before = stored.get(url, Validators())
        try:
            response = fetch(url, options.policy, etag=before.etag, last_modified=before.last_modified)
        except FetchFailed as exc:  # transient or not: this child only; a later poll asks for it again
            return Fetched(reject=Reject(url, exc.reason, exc.detail))
        if response.etag or response.last_modified:
            documents[url] = Validators(response.etag, response.last_modified)
        if response.not_modified:
            return Fetched()
        body = response.body
        if response.final_url.lower().endswith(".gz") or body[:2] == b"\x1f\x8b":
            body = _gunzip(body, options.policy.max_bytes)
            if isinstance(body, str):
                return Fetched(reject=Reject(url, "parse_error" if body.startswith("corrupt") else "too_large", body))
        root = safe_root(body, url)
        return Fetched(reject=root) if isinstance(root, Reject) else Fetched(root=root)

    return fetch_document


def _gunzip(body: bytes, cap: int) -> bytes | str:
    """Decompressed `body` (at most `cap` bytes), or why not."""
    import zlib

    decompressor = zlib.decompressobj(wbits=31)
    try:
        out = decompressor.decompress(body, cap + 1)
    except zlib.error as exc:
        return f"corrupt gzip: {exc}"
    if len(out) > cap or decompressor.unconsumed_tail:
        return f"more than {cap} decompressed bytes"
    return out
