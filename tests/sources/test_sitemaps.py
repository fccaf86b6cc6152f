"""News sitemaps and sitemap indexes: pages fetched from a real site on 127.0.0.1, Google News tags as the
article's columns, loops and depth bounded (one reject, the rest kept)."""
from __future__ import annotations

import gzip
from xml.etree.ElementTree import fromstring

import pytest
from newsfacts.sources.readers import RawRecord, Reject, read_source
from newsfacts.sources.sitemaps import Fetched, parse_sitemap, walk_sitemap

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'


pytestmark = pytest.mark.usefixtures("fast_fetching")


def urlset(*locs: str, news: bool = False) -> bytes:
    entries = []
    for n, loc in enumerate(locs, start=1):
        tags = (
            f"<news:news><news:publication><news:name>Test Daily</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>2026-11-0{n}T07:15:00Z</news:publication_date>"
            f"<news:title>Sitemap title {n}</news:title></news:news>"
        ) if news else ""
        entries.append(f"<url><loc>{loc}</loc><lastmod>2026-11-29</lastmod>{tags}</url>")
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{"".join(entries)}</urlset>'.encode()


def index(*locs: str) -> bytes:
    body = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {NS}>{body}</sitemapindex>'.encode()


def test_news_sitemap_tags_fill_the_columns(tmp_path, site):
    path = tmp_path / "sitemap.xml"
    path.write_bytes(urlset(f"{site.base}/news/1", f"{site.base}/news/2", news=True))
    records = list(read_source(str(path), max_chars=100_000))
    assert [(r.title, r.published_at, r.source) for r in records] == [
        ("Sitemap title 1", "2026-11-01T07:15:00Z", "Test Daily"),
        ("Sitemap title 2", "2026-11-02T07:15:00Z", "Test Daily"),
    ]
    assert records[0].url == f"{site.base}/news/1" and "Dhaka" in records[0].text
    assert site.page_requests() == ["/news/1", "/news/2"]


def test_plain_sitemap_page_metadata(site):
    site.extra["/sitemap.xml"] = (200, "application/xml", urlset(f"{site.base}/news/3"))
    [record] = read_source(f"{site.base}/sitemap.xml", max_chars=100_000, timeout_s=2)
    assert record.title == "Floods displace 1111 people in Lima"  # the page's own title
    assert record.source == f"{site.base}/sitemap.xml" and record.published_at is None


def test_index_with_gzipped_child_and_a_self_loop(site):
    site.extra["/sitemap_index.xml"] = (200, "application/xml", index(
        f"{site.base}/sitemap_index.xml", f"{site.base}/sitemap-1.xml.gz", f"{site.base}/sitemap-2.xml",
    ))
    site.extra["/sitemap-1.xml.gz"] = (200, "application/gzip", gzip.compress(urlset(f"{site.base}/news/1")))
    site.extra["/sitemap-2.xml"] = (200, "application/xml", urlset(f"{site.base}/news/2"))
    items = list(read_source(f"{site.base}/sitemap_index.xml", max_chars=100_000, timeout_s=2))
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [(r.source, r.reason) for r in rejects] == [(f"{site.base}/sitemap_index.xml", "sitemap_loop")]
    assert sorted(r.url for r in items if isinstance(r, RawRecord)) == [f"{site.base}/news/1", f"{site.base}/news/2"]
    assert site.paths().count("/sitemap_index.xml") == 1


def test_a_cycle_between_two_indexes_is_one_reject(site):
    site.extra["/a.xml"] = (200, "application/xml", index(f"{site.base}/b.xml", f"{site.base}/pages.xml"))
    site.extra["/b.xml"] = (200, "application/xml", index(f"{site.base}/a.xml"))
    site.extra["/pages.xml"] = (200, "application/xml", urlset(f"{site.base}/news/4"))
    items = list(read_source(f"{site.base}/a.xml", max_chars=100_000, timeout_s=2))
    [loop] = [i for i in items if isinstance(i, Reject)]
    assert loop.reason == "sitemap_loop" and loop.source == f"{site.base}/b.xml" and "a.xml -> " in loop.detail
    assert [r.url for r in items if isinstance(r, RawRecord)] == [f"{site.base}/news/4"]


def test_failing_and_broken_children_are_rejects_of_their_own(site):
    site.extra["/idx.xml"] = (200, "application/xml", index(
        f"{site.base}/gone.xml", f"{site.base}/bad.xml", f"{site.base}/ok.xml",
    ))
    site.extra["/bad.xml"] = (200, "application/xml", b"<urlset><url><loc>x</url>")
    site.extra["/ok.xml"] = (200, "application/xml", urlset(f"{site.base}/news/6"))
    items = list(read_source(f"{site.base}/idx.xml", max_chars=100_000, timeout_s=2))
    assert sorted((i.source.rsplit("/", 1)[1], i.reason) for i in items if isinstance(i, Reject)) == [
        ("bad.xml", "parse_error"), ("gone.xml", "fetch_error"),
    ]
    assert [r.url for r in items if isinstance(r, RawRecord)] == [f"{site.base}/news/6"]


# ------------------------------------------------------------------------------------- the walk itself


def _docs(docs: dict[str, bytes]):
    asked = []

    def fetch_document(url: str) -> Fetched:
        asked.append(url)
        return Fetched(root=fromstring(docs[url]))

    return fetch_document, asked


def test_depth_is_bounded():
    docs = {f"https://s.example/{n}.xml": index(f"https://s.example/{n + 1}.xml") for n in range(10)}
    fetch_document, asked = _docs(docs)
    walk = walk_sitemap(fromstring(docs["https://s.example/0.xml"]), "https://s.example/0.xml", fetch_document, max_depth=3)
    assert asked == ["https://s.example/1.xml", "https://s.example/2.xml", "https://s.example/3.xml"]
    [reject] = walk.rejects
    assert reject.reason == "too_large" and reject.source == "https://s.example/4.xml"


def test_url_cap_and_non_http_locs():
    root = fromstring(urlset(*(f"https://s.example/p{n}" for n in range(5)), "ftp://s.example/file"))
    walk = walk_sitemap(root, "sitemap.xml", _docs({})[0], max_urls=3)
    assert [link.url for link in walk.links] == ["https://s.example/p0", "https://s.example/p1", "https://s.example/p2"]
    assert sorted(r.reason for r in walk.rejects) == ["too_large", "unsupported_scheme"]
    assert "2 more page URLs" in next(r.detail for r in walk.rejects if r.reason == "too_large")


def test_a_diamond_is_read_once_without_a_loop_reject():
    docs = {
        "https://s.example/a.xml": index("https://s.example/b.xml", "https://s.example/c.xml"),
        "https://s.example/b.xml": index("https://s.example/d.xml"),
        "https://s.example/c.xml": index("https://s.example/d.xml"),
        "https://s.example/d.xml": urlset("https://s.example/page"),
    }
    fetch_document, asked = _docs(docs)
    walk = walk_sitemap(fromstring(docs["https://s.example/a.xml"]), "https://s.example/a.xml", fetch_document)
    assert asked.count("https://s.example/d.xml") == 1 and walk.rejects == []
    assert [link.url for link in walk.links] == ["https://s.example/page"]


def test_parse_without_namespaces():
    parsed = parse_sitemap(fromstring(b"<urlset><url><loc> https://s.example/x </loc></url></urlset>"))
    assert parsed.kind == "urlset" and [u.loc for u in parsed.urls] == ["https://s.example/x"]
