"""Sitemaps (`<urlset>`), sitemap indexes (`<sitemapindex>`) and Google News sitemap tags -> pages to fetch.

Each `<url><loc>` becomes a `PageLink`; the News sitemap tags fill the article's columns:
`news:title` -> title, `news:publication_date` -> published_at, `news:publication/news:name` -> source
(else the sitemap's URL). `<lastmod>` is a modification time, not a publication date: not used.

An index is walked depth first, each child sitemap fetched through the caller's `fetch_document` (the polite
fetcher, with the child's stored validators: a child answering 304 adds nothing):

- at most `max_depth` levels of indexes below the first document (setting `sitemap_max_depth`, default 3); a
  deeper index is a `too_large` reject, the rest is kept;
- a child that points back at a sitemap on the path that led to it (an index naming itself, or a cycle
  a -> b -> a) is one `sitemap_loop` reject, the rest is kept; a sitemap reached twice by different paths is
  read once;
- at most `max_urls` page URLs per walk (setting `sitemap_max_urls`, default 50,000: the protocol's limit
  per file); beyond it one `too_large` reject says how many were left;
- a child that cannot be fetched or parsed is a reject of its own (its URL as source).

Names are matched by local name, so sitemaps with or without the namespaces (or with old ones) are read.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from newsfacts.sources.pages import PageLink
from newsfacts.sources.records import Reject
from newsfacts.sources.urls import canonical_url, is_http_url

SITEMAP_ROOTS = {"urlset", "sitemapindex"}
MAX_DEPTH = 3
MAX_URLS = 50_000


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: Element, *path: str) -> str | None:
    """Text of the first descendant along local names `path`."""
    current = [element]
    for name in path:
        current = [c for e in current for c in e if _local(c.tag) == name]
        if not current:
            return None
    text = (current[0].text or "").strip()
    return text or None


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    title: str | None = None
    published_at: str | None = None
    publication: str | None = None


@dataclass
class Parsed:
    kind: str  # "urlset" or "sitemapindex"
    urls: list[SitemapUrl] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


def parse_sitemap(root: Element) -> Parsed:
    kind = _local(root.tag)
    out = Parsed(kind)
    for entry in root:
        loc = _child_text(entry, "loc")
        if not loc:
            continue
        if kind == "sitemapindex" and _local(entry.tag) == "sitemap":
            out.children.append(loc)
        elif kind == "urlset" and _local(entry.tag) == "url":
            out.urls.append(
                SitemapUrl(
                    loc=loc,
                    title=_child_text(entry, "news", "title"),
                    published_at=_child_text(entry, "news", "publication_date"),
                    publication=_child_text(entry, "news", "publication", "name"),
                )
            )
    return out


@dataclass(frozen=True)
class Fetched:
    """What `fetch_document` returns for a child sitemap: its parsed root, or None (not modified), or a reject."""

    root: Element | None = None
    reject: Reject | None = None


@dataclass
class Walk:
    links: list[PageLink] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)  # page url -> watermark keys


def walk_sitemap(
    root: Element,
    source: str,
    fetch_document: Callable[[str], Fetched],
    *,
    max_depth: int = MAX_DEPTH,
    max_urls: int = MAX_URLS,
) -> Walk:
    """The pages of a sitemap or index (see the module docstring); `source` is the first document's URL or path."""
    walk = Walk()
    visited: set[str] = {canonical_url(source)}
    left = 0

    def visit(element: Element, where: str, path: tuple[str, ...]) -> None:
        nonlocal left
        parsed = parse_sitemap(element)
        for page in parsed.urls:
            if not is_http_url(page.loc):
                walk.rejects.append(Reject(page.loc[:300], "unsupported_scheme", f"sitemap {where} lists a non-http(s) URL"))
                continue
            if len(walk.links) >= max_urls:
                left += 1
                continue
            url = canonical_url(page.loc)
            walk.keys[url] = (url,)
            walk.links.append(
                PageLink(
                    url=page.loc, origin=source, title=page.title, published_at=page.published_at,
                    source=page.publication or source,
                )
            )
        for child in parsed.children:
            key = canonical_url(child)
            if key in path:
                cycle = " -> ".join((*path[path.index(key):], key))
                walk.rejects.append(Reject(where, "sitemap_loop", f"points back at {child}: {cycle}"[:300]))
                continue
            if key in visited:
                continue
            visited.add(key)
            if len(path) > max_depth:
                walk.rejects.append(Reject(child, "too_large", f"sitemap index nested deeper than {max_depth} levels"))
                continue
            if not is_http_url(child):
                walk.rejects.append(Reject(child[:300], "unsupported_scheme", "child sitemap is not an http(s) URL"))
                continue
            fetched = fetch_document(child)
            if fetched.reject is not None:
                walk.rejects.append(fetched.reject)
            elif fetched.root is not None:
                if _local(fetched.root.tag) not in SITEMAP_ROOTS:
                    walk.rejects.append(Reject(child, "parse_error", f"not a sitemap: root element <{_local(fetched.root.tag)}>"))
                    continue
                visit(fetched.root, child, (*path, key))

    visit(root, source, (canonical_url(source),))
    if left:
        walk.rejects.append(Reject(source, "too_large", f"{left} more page URLs than the {max_urls} read from this sitemap"))
    return walk
