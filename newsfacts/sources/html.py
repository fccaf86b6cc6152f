"""Baseline (moved verbatim) -- temporary."""
from __future__ import annotations

import html.parser
import re
from collections.abc import Iterator


class _HTMLText(html.parser.HTMLParser):
    """Minimal body-text extraction: title, and paragraph-ish blocks outside script/style/nav."""

    SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg", "template"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "tr", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_depth = 0
        self.in_title = False
        self.title: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self.skip_depth += 1
        elif tag == "title":
            self.in_title = True
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip_depth:
            self.skip_depth -= 1
        elif tag == "title":
            self.in_title = False
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skip_depth:
            self.parts.append(data)


def parse_html(raw: bytes, source: str, *, max_chars: int, url: str | None) -> Iterator:
    from newsfacts.sources.readers import RawRecord, Reject, _decode

    decoded = _decode(raw, source)
    if isinstance(decoded, Reject):
        yield decoded
        return
    parser = _HTMLText()
    try:
        parser.feed(decoded)
        parser.close()
    except Exception as exc:  # html.parser raises assorted errors on broken markup
        yield Reject(source, "parse_error", str(exc)[:300])
        return
    blocks = [re.sub(r"[ \t\u00a0]+", " ", b).strip() for b in "".join(parser.parts).split("\n")]
    text = "\n\n".join(b for b in blocks if len(b.split()) >= 4)
    if not text:
        yield Reject(source, "empty", "no body text found in HTML")
        return
    if len(text) > max_chars:
        yield Reject(source, "too_large", f"{len(text)} characters > {max_chars}")
        return
    title = re.sub(r"\s+", " ", "".join(parser.title)).strip() or None
    yield RawRecord(doc_id=source, source=source, text=text, title=title, url=url)


