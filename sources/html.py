"""Article body and metadata from one HTML page (lxml's libxml2 tokenizer, offline).

`parse_html(raw, source, max_chars=..., url=...)` yields one `RawRecord` (title, body text, url,
published_at, language) or one `Reject` ("not_text", "empty", "parse_error", "too_large").

How the body is found:

1. The page is decoded (BOM, then UTF-8, then the declared `<meta charset>`, then cp1252) and
   parsed into a small element tree by libxml2's HTML parser (`lxml.etree.HTMLParser` with a parser
   target, `no_network`, `huge_tree=False`), which applies HTML's implied end tags itself; pages with
   a comment opened after the last "-->", a "<![" after the last "]" or a tag longer than `LONG_TAG` are
   parsed by `html.parser` instead, with the bounds below (same tree; our own implied end tags for `<p>`, `<li>`, table cells).
   Script/style/svg/form controls are never stored.
2. Boilerplate subtrees are dropped: `nav`/`aside`/`footer`/`header`..., ARIA landmark roles
   other than main content, hidden elements, and elements whose class/id name navigation, share
   buttons, comments, related stories, ads, newsletters and the like.
3. Readability-style scoring picks the main container: every paragraph-like block (`<p>`,
   `<pre>`, `<td>`, text-bearing `<div>`) scores 1 + commas + length/100 (max 3), added to its
   parent and, damped, to further ancestors; a container's score is scaled by (1 - its link
   density) and gets a bonus/penalty from class/id words (article, body, content / comment,
   sidebar...) and from `itemprop=articleBody`. Siblings of the winner that score well or are
   plain prose paragraphs are kept too.
4. The winner is rendered block by block (headings, paragraphs, list items, table rows, quotes)
   in document order, paragraphs separated by a blank line; link lists, image galleries and
   near-empty widgets inside it are left out (readability's "clean conditionally" rules).
5. A schema.org `articleBody` in JSON-LD is used instead when it is long enough compared with
   what the DOM gave (many sites ship the full text there).

Hostile pages are bounded (docs/inputs.md): at most `MAX_HTML_ELEMENTS` elements (both parsers),
`MAX_ATTRIBUTES` per long tag and a budget for html.parser's rescans of markup that never closes (the pages
routed to html.parser; each is a `parse_error`); nesting beyond `MAX_DEPTH` is flattened; text is joined once
per node (no quadratic `+=`); scope checks use an index of open tags, not a walk of the stack; a NUL anywhere
in the decoded page is `not_text`. Nothing expands DTD entities (libxml2's HTML parser and html.parser know
only HTML's character references) and nothing is fetched.

Metadata: title from og:title / twitter:title / JSON-LD headline / `<h1>` / `<title>`;
published_at from article:published_time, JSON-LD datePublished, itemprop=datePublished and
common meta names (kept only when ISO-8601 parseable); url from `<link rel=canonical>` /
og:url (else the fetched url); language from `<html lang>` / og:locale / content-language.
"""
from __future__ import annotations

import codecs
import collections
import html.parser
import json
import re
from collections.abc import Iterator
from datetime import datetime

import lxml.etree
from newsfacts.sources.limits import (
    MAX_FIELD_CHARS,
    MAX_HTML_ELEMENTS,
    MAX_TITLE_CHARS,
    too_many_containers,
)
from newsfacts.sources.records import RawRecord, Reject, checked

MAX_DEPTH = 250  # deeper elements are attached to their depth-250 ancestor (keeps recursion bounded)


class MarkupTooComplex(ValueError):
    """A page refused rather than parsed (time and memory): more than `MAX_HTML_ELEMENTS` elements, a tag
    with more than `MAX_ATTRIBUTES` attributes, or markup that never closes, on which html.parser rescans
    the rest of the page again and again (quadratic)."""


MAX_ATTRIBUTES = 1_000  # html.parser builds a list of all of a tag's attributes (~150 bytes each) first
LONG_TAG = 64 * 1024  # shorter tags cannot hold enough attributes to matter: not counted
_TAG_NAME = getattr(html.parser, "tagfind_tolerant", None)
_ATTRIBUTE = getattr(html.parser, "attrfind_tolerant", None)

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen", "command", "basefont", "bgsound", "frame", "image",
}
# Elements whose whole content is never text of the article.
SKIP = {
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas", "video",
    "audio", "select", "button", "textarea", "option", "datalist", "map", "applet", "frameset",
}
# Start tags that close an open <p> (HTML "in button scope" rule, simplified).
P_CLOSERS = {
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "ul", "li",
    "dd", "dt",
}
SCOPE_BOUNDARY = {"table", "td", "th", "caption", "html", "body", "object", "marquee", "applet", "template"}
BLOCK = P_CLOSERS | {
    "body", "html", "td", "th", "tr", "tbody", "thead", "tfoot", "caption", "br", "legend", "option",
    "noscript", "iframe", "frameset", "frame", "title",
}
FORM_CONTROLS = {"input", "button", "select", "textarea"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
DROP_TAGS = {"nav", "aside", "footer", "header", "menu", "dialog", "figure", "figcaption", "label"}
DROP_ROLES = {
    "navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog",
    "alertdialog", "alert", "toolbar", "tablist", "button",
}

UNLIKELY = re.compile(
    r"-ad-|\bads?\b|advert|ai2html|banner|breadcrumb|combx|comment|community|cover-wrap|disqus|extra|"
    r"footer|gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|"
    r"sponsor|supplemental|ad-break|agegate|pagination|\bpager\b|popup|modal|cookie|newsletter|subscri|"
    r"share|sharing|promo|outbrain|taboola|recommend|trending|most-?popular|byline|author-?bio|"
    r"signup|sign-up|paywall|print|toolbar|tags\b|topics|masthead|navbar|\bnav\b|jump|skip-?link|consent|"
    r"privacy|caption|credit|\bdate|dateline|timestamp|publish|author|read-?more|see-?also|more-?stories|"
    r"also-?on|dont-?miss|recirc|teaser|sr-only|visually-?hidden|screen-?reader|(?:^|\s)(?:is-|u-)?hidden(?:\s|$)|image|photo|gallery|slideshow|carousel|video|player"
)
MAYBE = re.compile(r"\band\b|article|body|column|content|main|shadow|story|entry|post-?text|text")
POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|paragraph|prose"
)
NEGATIVE = re.compile(
    r"-ad-|(?:^|\s)(?:is-|u-)?hidden(?:\s|$)|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footnote|gdpr|"
    r"masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|"
    r"shopping|tags|tool|widget|caption|credit|byline|newsletter|subscribe|social|recirc|teaser"
)
# Whole short blocks that are page furniture, not article text (matched case-insensitively).
BOILERPLATE_LINE = re.compile(
    r"(advertisement|advertising|ad|sponsored|subscribe|sign up|share|share this( article| story)?|comments?|"
    r"related( content| articles| stories| posts)?|(you )?(may|might) also like|more:?|highlights|key points|"
    r"don'?t miss|recommended( for you)?|trending( now)?|most (read|popular)|read next|up next|"
    r"(jump|skip) (directly )?to (the )?(main )?content|about the author|get short url|"
    r"(read|see|watch) more( here| photos| videos)?[:.]?|(read|see|watch) more: .{0,150}|(read|see) also: .{0,150}|"
    r"source: .{0,60}|copyright\s*(©|ⓒ|\(c\)|\d{4}).{0,120}|[©ⓒ] .{0,120}|all rights reserved\.?|"
    r"(like|enjoyed?) this (story|article)\? .{0,80}|"
    r"follow (us|[\w@]+) on .{0,40}(twitter|facebook|instagram|youtube|tiktok|linkedin|x)\b.{0,80}|"
    r"click here .{0,120})[.!]?",
    re.I,
)
BYLINE = re.compile(  # "By Jane Smith", "BY JANE SMITH and Tom Wu", "By Reuters": capitalised names only
    r"(?:By|BY|by):? (?:[A-Z][\w.'’-]*)(?: (?:[A-Z][\w.'’-]*|and|de|van|von|da|del|la|le|bin|al)){0,5}[.,]?"
)
DATE_WORDS = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?|\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b|"
    r"\b(?:posted|updated|published|last|modified|on|at|am|pm|a\.m\.|p\.m\.|utc|gmt|[a-z]{1,2}[sd]t|ist|cet|cest|"
    r"ago|hours?|minutes?|mins?|read|reading|time|de|às|le|am|um|el|et)\b|[\d:./,|()\[\]-]+|\d+(?:st|nd|rd|th)\b",
    re.I,
)
YEAR = re.compile(r"\b(?:19|20)\d\d\b|\b\d+\s*(?:min|minutes?|hours?)\b", re.I)
WORD = re.compile(r"\w+")
MARKUP = re.compile(r"</?(?:p|br|div|span|a|h[1-6]|ul|ol|li|strong|em|b|i|blockquote|figure|img)\b", re.I)
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u2028\u2029\n]+")
COMMAS = re.compile(r"[,\uff0c\u3001\u060c]")
CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
ARTICLE_TYPES = re.compile(r"article|posting|report|blog", re.I)


class _Node:
    __slots__ = ("tag", "names", "children", "parent", "dropped", "text_len", "link_len", "commas", "paras",
                 "score", "scored", "itemprop", "weight", "hard", "wrapper", "inputs", "own_inputs", "lis")

    def __init__(self, tag: str, names: str = "", parent: _Node | None = None, itemprop: str = "") -> None:
        self.tag = tag
        self.names = names  # lowercased class + " " + id
        self.children: list[_Node | str] = []
        self.parent = parent
        self.dropped = False
        self.text_len = 0
        self.link_len = 0
        self.commas = 0
        self.paras = 0
        self.score = 0.0
        self.scored = False
        self.itemprop = itemprop
        self.weight = 0
        self.hard = False  # dropped by the markup itself (hidden, landmark role), whatever the pass
        self.wrapper = False  # exactly one live element child and no text of its own
        self.own_inputs = 0  # form controls (input, button, select, textarea) directly inside
        self.inputs = 0  # ... and in the whole live subtree
        self.lis = 0  # live <li> descendants


class _TreeBuilder(html.parser.HTMLParser):
    """HTML -> `_Node` tree plus head metadata, tolerant of the markup real pages contain."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root")
        self.stack: list[_Node] = [self.root]
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.capture: list[str] | None = None  # text of the current JSON-LD script
        self.ld_json: list[str] = []
        self.in_title = False
        self.title: list[str] = []
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.lang: str | None = None
        self.elements = 0  # start tags and line breaks so far (capped by MAX_HTML_ELEMENTS)
        self.open: dict[str, list[int]] = {}  # tag -> stack positions where it is open (O(1) scope checks)
        self.pending: list[str] = []  # text pieces of the last text child of `pending_node`, joined once
        self.pending_node: _Node | None = None
        self.rescanned = 0  # characters html.parser scanned for constructs that did not close
        self.rescan_budget = 1_000_000  # feed_page() sets it from the page's length

    # -- the open-element stack, indexed by tag; text joined once, not by repeated `+=` (quadratic)
    def _push(self, node: _Node) -> None:
        self.open.setdefault(node.tag, []).append(len(self.stack))
        self.stack.append(node)

    def _truncate(self, i: int) -> None:
        for node in self.stack[i:]:
            self.open[node.tag].pop()
        del self.stack[i:]

    def _count_element(self) -> None:
        self.elements += 1
        if self.elements > MAX_HTML_ELEMENTS:
            raise MarkupTooComplex(f"more than {MAX_HTML_ELEMENTS} elements")

    def _flush_text(self) -> None:
        if self.pending_node is not None:
            self.pending_node.children.append("".join(self.pending))
            self.pending_node, self.pending = None, []

    def _append(self, node: _Node, child: _Node | str) -> None:
        """Add an element or a line break ("\n") to `node`'s children."""
        self._flush_text()
        node.children.append(child)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._flush_text()

    def feed_page(self, page: str) -> None:
        """Feed a whole page and close. After the last ">" no tag, comment or declaration can end, so the
        "<"s there are text (as html.parser makes them at close(), but rescanning the rest from each one)."""
        last = page.rfind(">")
        if "<" in page[last + 1 :]:
            page = page[: last + 1] + page[last + 1 :].replace("<", "&lt;")
        self.rescan_budget = 8 * len(page) + 4_000_000
        self.feed(page)
        self.close()

    # -- html.parser scans to the end of the input for each construct that does not close (returning -1);
    # at close() it then moves on one "<" at a time: bounded by a budget of characters rescanned.
    def _scanned(self, i: int, k: int) -> int:
        if k < 0:
            self.rescanned += len(self.rawdata) - i
            if self.rescanned > self.rescan_budget:
                raise MarkupTooComplex("markup that never closes (html.parser rescans the page from each '<')")
        return k

    def parse_endtag(self, i: int, *args, **kwargs) -> int:
        k = super().parse_endtag(i, *args, **kwargs)
        return k if k >= 0 else self._scanned(i, k)

    def parse_comment(self, i: int, *args, **kwargs) -> int:
        return self._scanned(i, super().parse_comment(i, *args, **kwargs))

    def parse_pi(self, i: int, *args, **kwargs) -> int:
        return self._scanned(i, super().parse_pi(i, *args, **kwargs))

    def parse_bogus_comment(self, i: int, *args, **kwargs) -> int:
        return self._scanned(i, super().parse_bogus_comment(i, *args, **kwargs))

    def parse_starttag(self, i: int) -> int:
        # html.parser's start-tag regex takes ~750 bytes of memory per attribute (1.5 GB for an 8 MB tag),
        # and at close() it is re-run over the rest of the page from every "<x" no ">" follows (quadratic).
        rawdata = self.rawdata
        close = rawdata.find(">", i)
        if close < 0:  # no tag can end here: text (at close()), without a regex run over the rest of the page
            return self._scanned(i, -1)
        if close - i > LONG_TAG:
            name = _TAG_NAME.match(rawdata, i + 1) if _TAG_NAME is not None else None
            if name and _ATTRIBUTE is not None:
                k, count = name.end(), 0
                while (m := _ATTRIBUTE.match(rawdata, k)) and m.end() > k:
                    count += 1
                    if count > MAX_ATTRIBUTES:
                        tag = name.group(1).lower()[:20]
                        raise MarkupTooComplex(f"a <{tag}> tag with more than {MAX_ATTRIBUTES} attributes")
                    k = m.end()
        k = super().parse_starttag(i)
        return k if k >= 0 else self._scanned(i, k)

    # -- tolerate declarations html.parser asserts on (e.g. IE conditional comments "<![if !IE]>")
    def parse_marked_section(self, i: int, report: int = 1) -> int:
        try:
            k = super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i + 3)
            k = -1 if end < 0 else end + 1
        return self._scanned(i, k)

    def parse_html_declaration(self, i: int) -> int:
        try:
            k = super().parse_html_declaration(i)
        except AssertionError:
            end = self.rawdata.find(">", i + 2)
            k = -1 if end < 0 else end + 1
        return self._scanned(i, k)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._count_element()
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        if tag in FORM_CONTROLS:
            self.stack[-1].own_inputs += 1
        a = {k: (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or a.get("http-equiv") or "").strip().lower()
            content = a.get("content", "").strip()
            if key and content and key not in self.meta:
                self.meta[key] = content
            return
        if tag == "link":
            if "canonical" in a.get("rel", "").lower().split() and a.get("href") and not self.canonical:
                self.canonical = a["href"].strip()
            return
        if tag == "html":
            if a.get("lang") and not self.lang:
                self.lang = a["lang"].strip()
            return
        if tag == "title":
            self.in_title = not self.title
            return
        if tag in SKIP:
            self.skip_tag, self.skip_depth = tag, 1
            if tag == "script" and "ld+json" in a.get("type", "").lower():
                self.capture = []
            return
        if tag in ("time",) and a.get("itemprop", "").lower() == "datepublished" and a.get("datetime"):
            self.meta.setdefault("datepublished", a["datetime"].strip())
        current = self.stack[-1]
        if tag in VOID:
            if tag in ("br", "hr"):
                self._append(current, "\n")
            return
        self._implied_end(tag)
        current = self.stack[-1]
        names = (a.get("class", "") + " " + a.get("id", "")).lower().strip()
        node = _Node(tag, names, current, a.get("itemprop", "").lower())
        role = a.get("role", "").lower()
        if (
            "hidden" in a
            or a.get("aria-hidden", "").lower() == "true"
            or (a.get("style") and HIDDEN_STYLE.search(a["style"].lower()))
            or role in DROP_ROLES
        ):
            node.dropped = node.hard = True
        self._append(current, node)
        if len(self.stack) < MAX_DEPTH:
            self._push(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # "<div/>" opens a div in HTML; self-closed skip/void elements are complete on their own.
        if tag in SKIP or tag in VOID:
            if tag in ("br", "hr") and self.skip_tag is None:
                self._count_element()
                self._append(self.stack[-1], "\n")
            elif tag == "meta" or tag == "link":
                self.handle_starttag(tag, attrs)
            return
        self.handle_starttag(tag, attrs)

    def _implied_end(self, tag: str) -> None:
        stack = self.stack
        if tag in P_CLOSERS:
            self._close("p", SCOPE_BOUNDARY)
        if tag == "li":
            self._close("li", SCOPE_BOUNDARY | {"ul", "ol"})
        elif tag in ("dt", "dd"):
            self._close("dt", SCOPE_BOUNDARY | {"dl"}) or self._close("dd", SCOPE_BOUNDARY | {"dl"})
        elif tag == "tr":
            self._close("tr", {"table", "thead", "tbody", "tfoot"})
        elif tag in ("td", "th"):
            self._close("td", {"tr", "table"}) or self._close("th", {"tr", "table"})
        elif tag in HEADINGS and stack[-1].tag in HEADINGS:
            self._truncate(len(stack) - 1)
        elif tag == "a":
            self._close("a", SCOPE_BOUNDARY | {"div", "p"})

    def _close(self, tag: str, boundary: set[str] | frozenset[str]) -> bool:
        """Close the innermost open `tag` unless an element of `boundary` is open inside it."""
        where = self.open.get(tag)
        if not where:
            return False
        i = where[-1]
        if i == 0:  # the root
            return False
        for b in boundary:
            inner = self.open.get(b)
            if inner and inner[-1] > i:
                return False
        self._truncate(i)
        return True

    def _end_skipped(self) -> None:
        """An end tag closing `skip_tag` (or, from lxml, any element inside it)."""
        self.skip_depth -= 1
        if self.skip_depth == 0:
            self.skip_tag = None
            if self.capture is not None:
                self.ld_json.append("".join(self.capture))
                self.capture = None

    def handle_endtag(self, tag: str) -> None:
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self._end_skipped()
            return
        if tag == "title":
            self.in_title = False
            return
        if tag in ("br",):
            self._count_element()
            self._append(self.stack[-1], "\n")
            return
        self._close(tag, SCOPE_BOUNDARY if tag in ("p", "li") else ())

    def handle_data(self, data: str) -> None:
        if self.skip_tag is not None:
            if self.capture is not None:
                self.capture.append(data)
            return
        if self.in_title:
            self.title.append(data)
            return
        node = self.stack[-1]
        if self.pending_node is not node:  # text continues the node's last text child, if any
            if self.pending_node is not None:
                self._flush_text()
            children = node.children
            self.pending = [children.pop()] if children and children[-1].__class__ is str else []
            self.pending_node = node
        self.pending.append(data.replace("\r", " ").replace("\n", " "))  # "\n" in the tree marks <br> only


class _LxmlBuilder(_TreeBuilder):
    """The same `_Node` tree and head metadata, driven by libxml2's HTML tokenizer (lxml parser target).

    libxml2 applies HTML's implied end tags itself and reports balanced start/end events, so an end
    event closes what its start opened; entities are HTML character references only (the HTML parser
    never reads a DTD's entity declarations) and nothing is fetched (`no_network`)."""

    def __init__(self) -> None:
        super().__init__()
        self.pushed: list[bool] = []  # per open start event: did it push a node onto `stack`?

    def feed_page(self, page: str) -> None:
        parser = lxml.etree.HTMLParser(
            target=self, no_network=True, huge_tree=False, remove_comments=True, remove_pis=True
        )
        parser.feed(page)
        parser.close()

    def start(self, tag: str, a: dict[str, str]) -> None:  # noqa: C901 - one event, the cases in order
        self.elements += 1
        if self.elements > MAX_HTML_ELEMENTS:
            raise MarkupTooComplex(f"more than {MAX_HTML_ELEMENTS} elements")
        if self.skip_depth:
            self.skip_depth += 1
            return
        stack = self.stack
        if tag in _NOT_NODES:
            if tag in FORM_CONTROLS:
                stack[-1].own_inputs += 1
            elif tag in ("br", "hr"):
                self._append(stack[-1], "\n")
            elif tag == "meta":
                key = (a.get("property") or a.get("name") or a.get("itemprop") or a.get("http-equiv") or "").strip().lower()
                content = a.get("content", "").strip()
                if key and content and key not in self.meta:
                    self.meta[key] = content
            elif tag == "link":
                if "canonical" in a.get("rel", "").lower().split() and a.get("href") and not self.canonical:
                    self.canonical = a["href"].strip()
            elif tag == "html":
                if a.get("lang") and not self.lang:
                    self.lang = a["lang"].strip()
            elif tag == "title":
                self.in_title = not self.title
            self.pushed.append(False)
            return
        if tag in SKIP:
            if tag in FORM_CONTROLS:
                stack[-1].own_inputs += 1
            self.skip_tag, self.skip_depth = tag, 1
            if tag == "script" and "ld+json" in a.get("type", "").lower():
                self.capture = []
            return
        current = stack[-1]
        if not a:
            node = _Node(tag, "", current)
        else:
            if tag == "time" and a.get("itemprop", "").lower() == "datepublished" and a.get("datetime"):
                self.meta.setdefault("datepublished", a["datetime"].strip())
            names = (a.get("class", "") + " " + a.get("id", "")).lower().strip()
            node = _Node(tag, names, current, a.get("itemprop", "").lower())
            if ("hidden" in a or "aria-hidden" in a or "style" in a or "role" in a) and (
                "hidden" in a
                or a.get("aria-hidden", "").lower() == "true"
                or HIDDEN_STYLE.search(a.get("style", "").lower())
                or a.get("role", "").lower() in DROP_ROLES
            ):
                node.dropped = node.hard = True
        if self.pending_node is not None:
            self._flush_text()
        current.children.append(node)
        if len(stack) < MAX_DEPTH:
            stack.append(node)
            self.pushed.append(True)
        else:
            self.pushed.append(False)

    def end(self, tag: str) -> None:
        if self.skip_depth:
            self._end_skipped()
            return
        if tag == "title":
            self.in_title = False
        if self.pushed and self.pushed.pop():
            if self.pending_node is not None:
                self._flush_text()
            self.stack.pop()

    data = _TreeBuilder.handle_data  # skip_tag, title and text as from html.parser

    def close(self) -> None:  # the parser target's close(), at the end of the page
        self._flush_text()


_NOT_NODES = VOID | {"meta", "link", "html", "title"}  # start tags that never become a `_Node`


def _needs_stdlib(page: str) -> bool:
    """A comment opened after the last "-->" or a "<![" section after the last "]" (libxml2 reads the rest of
    the page as comment or text; html.parser rescans it from each "<", bounded by its budget:
    `MarkupTooComplex`), or a tag longer than `LONG_TAG` (html.parser counts its attributes against
    `MAX_ATTRIBUTES`; libxml2 would silently merge duplicates). "<?" and "</" never stay open: after the
    last ">" html.parser is fed them as text (`feed_page`)."""
    if "<!--" in page[page.rfind("-->") + 1 :] or "<![" in page[page.rfind("]") + 1 :]:
        return True
    if len(page) <= LONG_TAG:
        return False
    for piece in page.split(">"):
        if len(piece) > LONG_TAG:
            start = _TAG_START.search(piece)
            if start and len(piece) - start.start() > LONG_TAG:
                return True
    return False


_TAG_START = re.compile(r"<[a-zA-Z]")


def _builder(page: str) -> _TreeBuilder:
    """A tree builder fed the whole page: lxml's, or html.parser's (with its bounds) for pages holding markup
    libxml2 reads differently from html.parser in ways that matter for hostile input."""
    builder = _TreeBuilder() if _needs_stdlib(page) else _LxmlBuilder()
    builder.feed_page(page)
    return builder


def decode_html(raw: bytes) -> str:
    """Bytes of a page -> text: BOM, else UTF-8, else the declared charset, else cp1252 (never fails)."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", errors="replace")
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts with FF FE
        return raw.decode("utf-32", errors="replace")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = CHARSET.search(raw[:4096])
    if match:
        try:
            codec = codecs.lookup(match.group(1).decode("ascii", "replace"))
            if codec.name not in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
                return raw.decode(codec.name, errors="replace")
        except LookupError:
            pass
    return raw.decode("cp1252", errors="replace")


# ---------------------------------------------------------------------------------------------- scoring


def _prune(node: _Node, level: int) -> None:
    """Mark boilerplate subtrees as dropped: level 2 by tag and class/id, 1 by tag only, 0 not at all."""
    if level == 0:
        return
    use_classes = level == 2
    big = node.text_len * 0.25  # a class-matched subtree this large may be the article itself
    todo = [node]
    while todo:
        n = todo.pop()
        for child in n.children:
            if isinstance(child, str):
                continue
            if not child.dropped:
                if child.tag in DROP_TAGS:
                    child.dropped = True
                elif (
                    use_classes
                    and child.names
                    and child.tag not in ("body", "html", "main", "a", "tr", "td", "th", "tbody")
                    and child.itemprop != "articlebody"
                    and UNLIKELY.search(child.names)
                    and not (MAYBE.search(child.names) and child.text_len >= big)
                ):
                    child.dropped = True
            if not child.dropped:
                todo.append(child)


def _measure(node: _Node) -> None:
    """Bottom-up text length, link text length, commas and paragraph count of live subtrees."""
    text_len = link_len = commas = paras = elements = own_text = lis = 0
    inputs = node.own_inputs
    for child in node.children:
        if child.__class__ is str:
            n = len(child.strip())
            if n:
                text_len += n
                own_text += n
                if "," in child or not child.isascii():
                    commas += len(COMMAS.findall(child))
        elif not child.dropped:
            elements += 1
            if child.children:
                _measure(child)
            else:
                child.text_len = child.link_len = child.commas = child.paras = child.lis = 0
                child.wrapper = False
                child.inputs = child.own_inputs
            text_len += child.text_len
            tag = child.tag
            link_len += child.text_len if tag == "a" else child.link_len
            commas += child.commas
            paras += child.paras + (tag == "p")
            lis += child.lis + (tag == "li")
            inputs += child.inputs
    node.lis = lis
    node.text_len, node.link_len, node.commas, node.paras = text_len, min(link_len, text_len), commas, paras
    node.wrapper = elements == 1 and own_text == 0
    node.inputs = inputs


def _class_weight(node: _Node) -> int:
    weight = 0
    if node.names:
        if NEGATIVE.search(node.names):
            weight -= 25
        if POSITIVE.search(node.names):
            weight += 25
    if node.itemprop == "articlebody":
        weight += 50
    if node.tag in ("article", "main"):
        weight += 15
    return weight


TAG_BONUS = {
    "div": 5, "article": 5, "section": 0, "main": 5, "pre": 3, "td": 3, "blockquote": 3,
    "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3,
    "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5,
}
LINK_BLOCKS = {"p", "li", "h2", "h3", "h4", "h5", "h6", "dt", "dd"}
LINK_BLOCK_SHARE = 0.8
PARA_TAGS = {"p", "pre", "td", "blockquote"}
INLINE_PARENTS = {"div", "section", "article", "span", "font", "center", "main", "td"}


def _has_block_child(node: _Node) -> bool:
    return any(not isinstance(c, str) and c.tag in BLOCK for c in node.children)


def _score_tree(root: _Node) -> list[_Node]:
    """Readability: paragraph scores flow to ancestors; returns the scored candidate containers."""
    candidates: list[_Node] = []
    lifted: dict[int, _Node] = {}

    def lift(node: _Node) -> _Node:
        """`node`, or its nearest ancestor that is not a single-child wrapper ("<div><p>..</p></div>" counts
        as the p); memoized, so a chain of wrappers is walked once, not once per paragraph under it."""
        chain = []
        while node.wrapper and node.parent is not None:
            hit = lifted.get(id(node))
            if hit is not None:
                node = hit
                break
            chain.append(node)
            node = node.parent
        for n in chain:
            lifted[id(n)] = node
        return node

    todo = [root]
    while todo:
        n = todo.pop()
        for child in n.children:
            if not isinstance(child, str) and not child.dropped:
                todo.append(child)
        if n.text_len < 25 or n.parent is None:
            continue
        if n.tag in PARA_TAGS or (n.tag in INLINE_PARENTS and not _has_block_child(n)):
            pass
        else:
            continue
        content = 1 + n.commas + min(n.text_len // 100, 3)
        ancestor, level = n.parent, 0
        while ancestor is not None and level < 5:
            ancestor = lift(ancestor)
            if not ancestor.scored:
                ancestor.scored = True
                ancestor.weight = _class_weight(ancestor)
                ancestor.score = TAG_BONUS.get(ancestor.tag, 0) + ancestor.weight
                candidates.append(ancestor)
            divider = 1 if level == 0 else 2 if level == 1 else level * 3
            ancestor.score += content / divider
            ancestor, level = ancestor.parent, level + 1
    for c in candidates:
        c.score *= 1 - _link_density(c)
    return candidates


def _link_density(node: _Node) -> float:
    return node.link_len / node.text_len if node.text_len else 0.0


def _pick(root: _Node) -> list[_Node]:
    """The main container and the siblings that belong with it."""
    candidates = _score_tree(root)
    if not candidates:
        return [root]
    candidates.sort(key=lambda c: c.score, reverse=True)
    top = candidates[0]
    # Several near-best candidates inside one ancestor: the article is that ancestor (readability).
    close = [c for c in candidates[1:5] if c.score >= 0.75 * top.score]
    if len(close) >= 2:
        lists = [set(map(id, _ancestors(c))) for c in close]
        for ancestor in _ancestors(top):
            if ancestor.tag in ("#root", "html", "body"):
                break
            if sum(id(ancestor) in a for a in lists) >= 2:
                top = ancestor
                break
    # Climb to an ancestor that scores better (scores along the way not collapsing), or that holds
    # (almost) only this candidate's text: keeps headings, lead paragraphs and split bodies.
    last = top.score
    ancestor = top.parent
    while ancestor is not None and ancestor.tag not in ("#root", "html", "body"):
        if ancestor.scored:
            if ancestor.score < last / 3:
                break
            if ancestor.score > top.score:
                top = ancestor
            last = ancestor.score
        ancestor = ancestor.parent
    core = top
    while top.parent is not None and top.parent.tag not in ("#root", "html", "body"):
        parent = top.parent
        if parent.text_len and core.text_len / parent.text_len > 0.95 and parent.link_len <= core.link_len * 1.5 + 50:
            top = parent
        else:
            break
    parent = top.parent
    if parent is None:
        return [top]
    threshold = max(10.0, top.score * 0.2)
    kept = []
    for sib in parent.children:
        if isinstance(sib, str) or sib.dropped:
            continue
        if sib is top:
            kept.append(sib)
            continue
        bonus = top.score * 0.2 if sib.names and sib.names == top.names else 0
        if sib.scored and sib.score + bonus >= threshold:
            kept.append(sib)
            continue
        if _is_paragraph(_unwrap(sib)):
            ld = _link_density(sib)
            if sib.text_len > 80 and ld < 0.25:
                kept.append(sib)
            elif 0 < sib.text_len <= 80 and ld == 0 and _ends_sentence(sib):
                kept.append(sib)
    return kept


def _unwrap(node: _Node) -> _Node:
    """The innermost element of a single-child wrapper chain ("<div><div><p>..." -> the p)."""
    while node.wrapper:
        node = next(c for c in node.children if not isinstance(c, str) and not c.dropped)
    return node


def _is_paragraph(node: _Node) -> bool:
    return node.tag == "p" or (node.tag in INLINE_PARENTS and not _has_block_child(node))


def _ancestors(node: _Node) -> list[_Node]:
    out = []
    node = node.parent
    while node is not None:
        out.append(node)
        node = node.parent
    return out


def _ends_sentence(node: _Node) -> bool:
    text = _plain(node).rstrip()
    return bool(text) and text[-1] in ".!?\u3002\"\u201d"


def _plain(node: _Node) -> str:
    parts: list[str] = []

    def walk(n: _Node) -> None:
        for c in n.children:
            if isinstance(c, str):
                parts.append(c)
            elif not c.dropped:
                walk(c)

    walk(node)
    return SPACES.sub(" ", "".join(parts)).strip()


def _clean_conditionally(node: _Node) -> bool:
    """Readability's test for lists, tables and divs inside the article: True = leave it out."""
    weight = _class_weight(node)
    if weight < 0:
        return True
    if node.commas >= 10:
        return False
    ld = _link_density(node)
    paras = node.paras
    lis = node.lis - (100 if node.tag in ("ul", "ol") else 0)  # live <li> descendants (from _measure)
    if node.text_len < 25 and node.link_len > 0:
        return True
    if node.inputs > max(paras, 1) / 3 and node.text_len < 1000:  # sign-up and search boxes
        return True
    if lis > paras and node.tag not in ("ul", "ol") and ld > 0.2:
        return True
    if weight < 25 and ld > 0.2 and node.text_len < 200:
        return True
    if weight < 25 and ld > 0.5:
        return True
    return weight >= 25 and ld > 0.7


# -------------------------------------------------------------------------------------------- rendering


def is_boilerplate(block: str) -> bool:
    """A short block that is page furniture: "Advertisement", "Share", "READ MORE: ...", a date line, a byline."""
    if len(block) > 200:
        return False
    if BOILERPLATE_LINE.fullmatch(block.strip()) or BYLINE.fullmatch(block.strip()):
        return True
    if len(block) <= 80 and YEAR.search(block):  # "Updated 10:01 pm PST, Tuesday, November 19, 2019"
        return len(WORD.findall(DATE_WORDS.sub(" ", block))) <= 1
    return False



def _render(nodes: list[_Node]) -> list[str]:
    """Text blocks of the chosen container(s) in document order."""
    blocks: list[str] = []
    line: list[str] = []
    dominant = 0.5 * sum(n.text_len for n in nodes)  # a child holding this much text is the article itself

    def flush() -> None:
        if line:
            text = "\n".join(s for s in (SPACES.sub(" ", x).strip() for x in "".join(line).split("\n")) if s)
            if text and not is_boilerplate(text):
                blocks.append(text)
            line.clear()

    def walk(n: _Node, top: bool) -> None:
        if n.dropped or n.tag == "h1":  # the headline is the title, not body text
            return
        if not top and n.tag in LINK_BLOCKS and n.text_len and n.link_len >= LINK_BLOCK_SHARE * n.text_len:
            return  # a paragraph or heading that is one link: "related story" teasers
        if (
            not top
            and n.tag in ("div", "section", "ul", "ol", "table", "dl", "aside", "form")
            and not (n.text_len >= dominant and _link_density(n) < 0.5)
            and not (_is_paragraph(_unwrap(n)) and _link_density(n) < 0.5)
            and _clean_conditionally(n)
        ):
            return
        block = (n.tag in BLOCK or n.tag == "li") and n.tag not in ("td", "th", "tr")  # a table row is one line
        if block:
            flush()
        for c in n.children:
            if isinstance(c, str):
                line.append(c)
            else:
                walk(c, False)
                if c.tag in ("td", "th"):
                    line.append(" ")
                elif c.tag == "tr":
                    line.append("\n")
        if block:
            flush()

    for node in nodes:
        walk(node, True)
        flush()
    return blocks


# -------------------------------------------------------------------------------------------- metadata


def _walk_json(obj: object) -> Iterator[dict]:
    todo = [obj]
    while todo:
        o = todo.pop()
        if isinstance(o, dict):
            yield o
            todo.extend(v for v in o.values() if isinstance(v, (dict, list)))
        elif isinstance(o, list):
            todo.extend(v for v in reversed(o) if isinstance(v, (dict, list)))


def _ld_articles(scripts: list[str]) -> list[dict]:
    """schema.org Article-like objects from the page's JSON-LD blocks (invalid JSON skipped)."""
    found = []
    for script in scripts:
        if too_many_containers(script):  # a nesting or structure bomb: skipped like invalid JSON
            continue
        try:
            data = json.loads(script.strip().rstrip(";"), strict=False)
        except (ValueError, RecursionError):
            continue
        for obj in _walk_json(data):
            kind = obj.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and ARTICLE_TYPES.search(k) for k in kinds) or "articleBody" in obj:
                found.append(obj)
    return found


def _valid_date(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(re.sub(r"Z$", "+00:00", text))
    except ValueError:
        return None
    return text if parsed.year >= 1970 else None  # "0001-01-01T00:00:00Z" placeholders


def _first_str(*values: object, limit: int = MAX_FIELD_CHARS) -> str | None:
    """The first non-blank string of `values` no longer than `limit` (an overlong one, e.g. an unclosed
    <title> that swallowed the page, is passed over)."""
    for value in values:
        if isinstance(value, str) and value.strip():
            text = SPACES.sub(" ", value).strip()
            if len(text) <= limit:
                return text
    return None


def _unescape(text: str) -> str:
    """Undo (possibly repeated) HTML escaping: "&amp;quot;" -> '"'."""
    for _ in range(3):
        if "&" not in text:
            break
        new = html.unescape(text)
        if new == text:
            break
        text = new
    return text


def _html_fragment_text(fragment: str) -> str:
    """Paragraph text of a JSON-LD articleBody, which may be plain text, markup, or escaped markup."""
    if "<" not in fragment:
        fragment = _unescape(fragment)
    if not MARKUP.search(fragment):
        paragraphs = re.split(r"[\r\n]+", fragment)
        return "\n\n".join(p for p in (SPACES.sub(" ", x).strip() for x in paragraphs) if p)
    builder = _builder(fragment)
    _measure(builder.root)
    return "\n\n".join(_unescape(b) for b in _render([builder.root]))


# ----------------------------------------------------------------------------------------------- entry


def extract(page: str) -> dict[str, str | None]:
    """Body text and metadata of one decoded HTML page: keys text, title, url, published_at, language."""
    builder = _LxmlBuilder() if not _needs_stdlib(page) else _TreeBuilder()
    try:
        builder.feed_page(page)
    except MarkupTooComplex:
        raise
    except Exception:  # noqa: BLE001 - the tokenizer's assorted errors: keep what was parsed so far
        builder._flush_text()
    root = builder.root
    # Prune by tag and class/id words; when that leaves (almost) nothing, by tag only, then not at all
    # (pages wrapped whole in a <form> or in a div whose class says "sidebar").
    text = ""
    for level in (2, 1, 0):
        if level != 2:  # a fresh tree has nothing to reset
            _reset(root)
        _measure(root)
        _prune(root, level)
        _measure(root)
        candidate = "\n\n".join(_render(_pick(root)))
        if len(candidate) > 2 * len(text):
            text = candidate
        if len(text) >= 250:
            break

    articles = _ld_articles(builder.ld_json)
    for obj in articles:
        body = obj.get("articleBody")
        if isinstance(body, str) and len(body) >= 200:
            try:
                ld_text = _html_fragment_text(body)
            except Exception:  # noqa: BLE001
                continue
            if len(ld_text) >= 0.6 * len(text):
                text = ld_text
            break

    meta = builder.meta
    ld = articles[0] if articles else {}
    h1 = _first_h1(root)
    title = _first_str(
        meta.get("og:title"), meta.get("twitter:title"), ld.get("headline"), h1, "".join(builder.title),
        limit=MAX_TITLE_CHARS,
    )
    published = None
    for value in (
        meta.get("article:published_time"), ld.get("datePublished"), meta.get("datepublished"),
        meta.get("og:published_time"), meta.get("published_time"), meta.get("pubdate"), meta.get("publishdate"),
        meta.get("date"), meta.get("dc.date.issued"), meta.get("dc.date"), meta.get("dcterms.created"),
        meta.get("sailthru.date"), meta.get("parsely-pub-date"),
    ):
        published = _valid_date(value)
        if published:
            break
    url = _first_str(builder.canonical, meta.get("og:url"))
    if url and not url.startswith(("http://", "https://")):
        url = None
    language = _first_str(builder.lang, meta.get("og:locale"), meta.get("content-language"), ld.get("inLanguage"))
    if language:
        language = language.replace("_", "-")
    return {"text": text, "title": title, "url": url, "published_at": published, "language": language}


def _reset(root: _Node) -> None:
    todo = [root]
    while todo:
        n = todo.pop()
        n.score, n.scored = 0.0, False
        n.dropped = n.hard
        todo.extend(c for c in n.children if c.__class__ is not str)


def _first_h1(root: _Node) -> str | None:
    todo = collections.deque([root])
    while todo:
        n = todo.popleft()
        for c in n.children:
            if isinstance(c, str):
                continue
            if c.tag == "h1":
                return _plain(c) or None
            todo.append(c)
    return None


def parse_html(raw: bytes, source: str, *, max_chars: int, url: str | None) -> Iterator[RawRecord | Reject]:
    """One `RawRecord` with the page's article body and metadata, or one `Reject`."""
    page = decode_html(raw)
    if "\x00" in page:  # binary content, or NUL anywhere in the page (after decoding: UTF-16/32 hold NUL bytes)
        yield Reject(source, "not_text", f"NUL character at offset {page.index(chr(0))} (binary content?)")
        return
    try:
        found = extract(page)
    except Exception as exc:  # noqa: BLE001 - a page we cannot make sense of is a reject, not a crash
        yield Reject(source, "parse_error", f"{type(exc).__name__}: {exc}"[:300])
        return
    record = RawRecord(
        doc_id=source,
        source=source,
        text=found["text"],
        title=found["title"],
        url=url or found["url"],
        published_at=found["published_at"],
        language=found["language"],
    )
    names = ("title", "published_at", "language") + (() if url else ("url",))  # a fetched URL is the caller's
    yield checked(record, source, max_chars=max_chars, empty_detail="no body text found in HTML", names=names)
