"""RSS and Atom feeds read by `read_source` (files and URLs), their pages fetched from a real site on 127.0.0.1,
the hostile and broken cases as rejects, and de-duplication by canonical URL then content."""
from __future__ import annotations

import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest
from newsfacts.sources.language import detect
from newsfacts.sources.pages import not_article_reason
from newsfacts.sources.readers import RawRecord, Reject, read_source
from newsfacts.transforms.articles import build_articles, split_new_articles

from tests.feedsite import page

LONG_BODY = " ".join(
    f"Paragraph {n}: heavy rain flooded the low-lying districts of Dhaka, Bangladesh, on Monday and "
    f"rescue teams moved families to shelters, officials said." for n in range(8)
)


pytestmark = pytest.mark.usefixtures("fast_fetching")


def _rss(items: str, title: str = "Wire Feed") -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{title}</title><link>https://news.example/</link>{items}</channel></rss>"
    )


def _read(path: Path, text: str) -> list:
    path.write_text(text, encoding="utf-8")
    return list(read_source(str(path), max_chars=100_000))


# --------------------------------------------------------------------------------------- full text


def test_full_text_entries_are_articles_without_a_request(tmp_path):
    items = (
        "<item><title>Floods in Dhaka</title><link>https://news.example/a/?utm_source=rss#top</link>"
        "<guid>wire-1</guid><pubDate>Tue, 03 Nov 2026 09:30:00 +0100</pubDate>"
        f"<description>Short teaser.</description><content:encoded><![CDATA[<p>{LONG_BODY}</p>]]></content:encoded></item>"
    )
    [record] = _read(tmp_path / "wire.rss", _rss(items))
    assert isinstance(record, RawRecord)
    assert record.text.startswith("Paragraph 0: heavy rain") and len(record.text) >= 600
    assert (record.doc_id, record.source, record.title) == ("wire-1", "Wire Feed", "Floods in Dhaka")
    assert record.url == "https://news.example/a"  # canonical: no tracking parameter, fragment, slash
    assert record.published_at == "2026-11-03T08:30:00+00:00"


def test_atom_feed_with_full_content(tmp_path):
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title>'
        '<id>urn:feed</id><updated>2026-11-02T10:00:00Z</updated>'
        '<entry><title>Quake</title><id>urn:entry:1</id><link href="https://news.example/quake"/>'
        f'<updated>2026-11-02T10:00:00Z</updated><content type="html">&lt;p&gt;{LONG_BODY}&lt;/p&gt;</content></entry>'
        "</feed>"
    )
    [record] = _read(tmp_path / "news.atom", atom)
    assert (record.doc_id, record.source, record.url) == ("urn:entry:1", "Atom News", "https://news.example/quake")
    assert record.published_at == "2026-11-02T10:00:00+00:00"


def test_short_content_means_the_page_is_fetched(tmp_path, site):
    items = (
        f"<item><title>From the feed</title><link>{site.base}/news/2</link><guid>g2</guid>"
        "<content:encoded><![CDATA[<p>Only a teaser.</p>]]></content:encoded></item>"
    )
    [record] = _read(tmp_path / "feed.xml", _rss(items))
    assert site.page_requests() == ["/news/2"]
    assert record.title == "From the feed" and "Floods displaced about 1074 people in Nairobi" in record.text
    assert record.url == f"{site.base}/news/2" and record.source == "Wire Feed" and record.doc_id == "g2"


def test_feed_url_by_sniffing_pages_fetched(site):
    site.extra["/latest"] = (200, "text/plain", (
        _rss(f"<item><title>One</title><link>{site.base}/news/1</link></item>"
             f"<item><title>Three</title><link>{site.base}/news/3</link></item>")
    ).encode())
    records = list(read_source(f"{site.base}/latest", max_chars=100_000, timeout_s=2))
    assert [r.title for r in records] == ["One", "Three"]
    assert site.paths().count("/robots.txt") <= 1


# ------------------------------------------------------------------------------------------ bad input


def test_malformed_feed_is_a_parse_error(tmp_path):
    [reject] = _read(tmp_path / "broken.rss", _rss("<item><title>Unclosed</item>"))
    assert isinstance(reject, Reject) and reject.reason == "parse_error" and "malformed" in reject.detail


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>
"""


@pytest.mark.parametrize(
    "doc",
    [
        BILLION_LAUGHS,
        # quadratic blowup: one big entity referenced many times
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + "x" * 50_000 + '">]><rss><channel><title>'
        + "&a;" * 50_000 + "</title></channel></rss>",
        # external entity (XXE)
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<rss><channel><title>&xxe;</title></channel></rss>",
    ],
    ids=["billion-laughs", "quadratic-blowup", "external-entity"],
)
def test_entity_declarations_are_refused_before_expansion(tmp_path, doc):
    path = tmp_path / "bomb.rss"
    path.write_text(doc, encoding="utf-8")
    tracemalloc.start()
    try:
        items = list(read_source(str(path), max_chars=2_000_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [reject] = items
    assert reject.reason == "parse_error" and "entit" in reject.detail.lower()
    assert peak < 3 * len(doc) + 2_000_000, peak  # the file and the parser, never the expansion (3 GB)


def test_feed_pointing_at_404_500_and_a_timeout(tmp_path, site):
    items = "".join(
        f"<item><title>{t}</title><link>{site.base}{p}</link></item>"
        for t, p in (("fine", "/news/1"), ("gone", "/missing"), ("broken", "/news/5"), ("slow", "/news/9"))
    )
    items = _read(tmp_path / "f.rss", _rss(items))
    assert [type(i).__name__ for i in items] == ["RawRecord", "Reject", "Reject", "Reject"]
    by_source = {i.source: i for i in items if isinstance(i, Reject)}
    assert by_source[f"{site.base}/missing"].reason == "fetch_error" and "404" in by_source[f"{site.base}/missing"].detail
    assert by_source[f"{site.base}/news/5"].reason == "fetch_error" and "500" in by_source[f"{site.base}/news/5"].detail
    assert by_source[f"{site.base}/news/9"].reason == "fetch_error" and "timed out" in by_source[f"{site.base}/news/9"].detail


def test_feed_url_answering_500_is_a_fetch_error(site):
    site.extra["/feed-broken.xml"] = (500, "text/plain", b"oops")
    [reject] = read_source(f"{site.base}/feed-broken.xml", max_chars=1000, timeout_s=2)
    assert reject.reason == "fetch_error" and "500" in reject.detail


def test_entries_without_a_usable_link(tmp_path, site):
    items = (
        "<item><title>No link, no text</title><description>teaser</description></item>"
        "<item><title>Mail</title><link>mailto:desk@news.example</link></item>"
        f"<item><title>Private</title><link>{site.base}/private/1</link></item>"
    )
    items = _read(tmp_path / "f.rss", _rss(items))
    assert [(i.reason, i.source.rsplit("/", 1)[-1]) for i in items] == [
        ("empty", "f.rss#entry-1"), ("unsupported_scheme", "f.rss#entry-2"), ("robots_disallowed", "1"),
    ]
    assert site.page_requests() == []  # robots.txt said no: the page was never asked for


def test_xml_that_is_neither_feed_nor_sitemap(tmp_path):
    [reject] = _read(tmp_path / "data.xml", '<?xml version="1.0"?><catalog><book/></catalog>')
    assert reject.reason == "not_text" and "<catalog>" in reject.detail


LOGIN_WALL = b"""<!doctype html><html><head><title>Sign in</title></head><body><main>
<h1>Sign in to continue reading</h1><p>This story is for subscribers only. Already a subscriber? Log in below.</p>
<form><input type="email" name="email"><input type="password" name="pw"><button>Log in</button></form>
<p>Forgot your password? Create an account to read 3 free stories a month.</p></main></body></html>"""
CONSENT = b"""<!doctype html><html><body><div class="wrapper"><h2>We value your privacy</h2>
<p>We and our partners use cookies to store and access information on your device, for personalised ads
and content, ad and content measurement, and audience insights. With your consent, our partners may use
precise geolocation data. You can manage your preferences at any time, including your right to object
where legitimate interest is used.</p><p>Accept all or Reject all to continue.</p></div></body></html>"""


@pytest.mark.parametrize(("path", "body"), [("/wall", LOGIN_WALL), ("/consent", CONSENT)])
def test_login_walls_and_consent_pages_are_not_articles(tmp_path, site, path, body):
    site.extra[path] = (200, "text/html", body)
    items = _read(tmp_path / "f.rss", _rss(f"<item><title>Story</title><link>{site.base}{path}</link></item>"))
    [reject] = items
    assert reject.reason == "not_article", reject


def test_an_article_about_cookies_is_an_article():
    text = " ".join(["Regulators fined the company for setting cookies without consent, the court said."] * 30)
    assert not_article_reason(b"<html><body><p>...</p></body></html>", text) is None
    assert not_article_reason(b'<input type="password">', text) is None  # long: a comment box, not a wall
    brief = "Floods displaced 2,000 people in Dhaka on Monday, officials said."
    assert not_article_reason(b'<header><input type="password"></header>', brief) is None  # a header login box
    assert not_article_reason(b'<input type="password">', "Log in to read this story.") is not None


# ------------------------------------------------------------------------------------- de-duplication


def test_the_same_story_from_a_feed_a_sitemap_and_a_warc_is_one_article():
    rows = [
        {"doc_id": "feed", "source": "Feed", "text": "Story A, feed edition.", "url": "https://News.example/a/?utm_source=rss"},
        {"doc_id": "sitemap", "source": "Site", "text": "Story A, page edition.", "url": "https://news.example:443/a#x"},
        {"doc_id": "warc", "source": "CC-NEWS", "text": "Story A, feed edition.", "url": "https://mirror.example/a"},
        {"doc_id": "other", "source": "Site", "text": "Story B.", "url": "https://news.example/b"},
        {"doc_id": "front1", "source": "Site", "text": "Front page one.", "url": "https://news.example/"},
        {"doc_id": "front2", "source": "Site", "text": "Front page two.", "url": "https://news.example/"},
        {"doc_id": "nourl", "source": "x", "text": "No URL.", "url": None},
    ]
    articles = build_articles(pl.DataFrame(rows).lazy(), run_id="r", ingested_at=datetime.now(timezone.utc), detect=detect).collect()
    fresh, duplicates = split_new_articles(articles, pl.Series([], dtype=pl.String))
    # same canonical URL (feed, sitemap), then same text (warc): one article
    assert fresh["doc_id"].to_list() == ["feed", "other", "front1", "front2", "nourl"] and duplicates == 2

    published = pl.Series(["https://news.example/b"])
    fresh, duplicates = split_new_articles(articles, pl.Series([], dtype=pl.String), published)
    assert "other" not in fresh["doc_id"].to_list() and duplicates == 3


def test_a_mirror_page_with_a_canonical_link_has_the_original_url(tmp_path, site):
    site.extra["/amp/4"] = (200, "text/html", page(site.base, 4))  # names /news/4 as canonical
    [record] = _read(tmp_path / "f.rss", _rss(f"<item><title>AMP</title><link>{site.base}/amp/4</link></item>"))
    assert record.url == f"{site.base}/news/4"
