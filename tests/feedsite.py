"""A news site on 127.0.0.1 for feed and sitemap tests: an RSS feed (with ETag), article pages, robots.txt,
and a log of every request. Pages can be made to fail (500), hang past the client's timeout, or mirror another
page under a second URL."""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer

from tests.httpserver import QuietHandler, serving

PLACES = [
    ("Dhaka", "Bangladesh"), ("Nairobi", "Kenya"), ("Lima", "Peru"), ("Manila", "Philippines"), ("Cairo", "Egypt"),
    ("Quito", "Ecuador"), ("Accra", "Ghana"), ("Hanoi", "Vietnam"), ("Kampala", "Uganda"), ("Santiago", "Chile"),
    ("Lagos", "Nigeria"), ("Karachi", "Pakistan"), ("Bogota", "Colombia"), ("Amman", "Jordan"), ("Tunis", "Tunisia"),
    ("Dakar", "Senegal"), ("Lusaka", "Zambia"), ("Harare", "Zimbabwe"), ("Kigali", "Rwanda"), ("Beirut", "Lebanon"),
    ("Caracas", "Venezuela"), ("Maputo", "Mozambique"), ("Yangon", "Myanmar"), ("Tbilisi", "Georgia"),
]


def story(n: int) -> tuple[str, str]:
    """(title, paragraphs) of article `n`: distinct text per `n`."""
    city, country = PLACES[(n - 1) % len(PLACES)]
    people = 1000 + 37 * n
    title = f"Floods displace {people} people in {city}"
    body = [
        f"Floods displaced about {people} people in {city}, {country}, on Monday after days of heavy rain, "
        f"the national disaster agency said in a statement.",
        f"At least {n + 2} people were killed and {n + 10} others were injured when rivers burst their banks "
        f"in the districts around {city}, officials said.",
        f"Rescue teams used boats to reach families stranded on rooftops, and the government of {country} "
        f"opened {n + 4} shelters in schools and churches for those who lost their homes.",
    ]
    return title, "\n".join(f"<p>{p}</p>" for p in body)


def page(base: str, n: int, canonical_n: int | None = None) -> bytes:
    title, paragraphs = story(n)
    canonical = f'<link rel="canonical" href="{base}/news/{canonical_n or n}">'
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title>{canonical}</head><body>'
        f'<nav><a href="/">Home</a> <a href="/world">World</a></nav>'
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>Copyright 2026 Test News</footer></body></html>"
    ).encode()


def rss(base: str, count: int) -> bytes:
    items = []
    for n in range(1, count + 1):
        title, _ = story(n)
        link = f"{base}/mirror/3" if n == 20 else f"{base}/news/{n}"
        items.append(
            f"<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">story-{n}</guid>"
            f"<pubDate>Mon, {n:02d} Nov 2026 08:00:00 GMT</pubDate><description>Teaser {n}.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test News</title>'
        f"<link>{base}/</link><description>News</description>{''.join(items)}</channel></rss>"
    ).encode()


class NewsSite(ThreadingHTTPServer):
    """`/feed.xml` lists `entries` stories; `/news/<n>` is story n, except `failing` (500) and `hanging` (no
    answer until the test ends); `/mirror/3` is story 3 under a second URL. `requests` logs (path, headers)."""

    def __init__(self, entries: int = 20, failing: int = 5, hanging: int = 9) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.entries, self.failing, self.hanging = entries, failing, hanging
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.robots = b"User-agent: *\nDisallow: /private/\n"
        self.extra: dict[str, tuple[int, str, bytes]] = {}  # path -> (status, content type, body)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self, prefix: str = "/") -> list[str]:
        with self.lock:
            return [path for path, _ in self.requests if path.startswith(prefix)]

    def page_requests(self) -> list[str]:
        return [p for p in self.paths() if p.startswith(("/news/", "/mirror/", "/private/"))]


class _Handler(QuietHandler):
    server: NewsSite

    def do_GET(self):  # noqa: N802 (http.server's name)
        site = self.server
        with site.lock:
            site.requests.append((self.path, dict(self.headers.items())))
        if self.path in site.extra:
            status, content_type, body = site.extra[self.path]
            self.reply(status, body, content_type)
        elif self.path == "/robots.txt":
            self.reply(200, site.robots)
        elif self.path == "/feed.xml":
            body = rss(site.base, site.entries)
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == f"/news/{site.failing}":
            self.reply(500, b"internal error")
        elif self.path == f"/news/{site.hanging}":
            site.release.wait(60)  # past every client timeout; released when the test ends
            self.reply(200, page(site.base, site.hanging), "text/html; charset=utf-8")
        elif self.path == "/mirror/3":
            self.reply(200, page(site.base, 3), "text/html; charset=utf-8")
        elif self.path.startswith(("/news/", "/private/")) and self.path.rsplit("/", 1)[1].isdigit():
            self.reply(200, page(site.base, int(self.path.rsplit("/", 1)[1])), "text/html; charset=utf-8")
        else:
            self.reply(404, b"not found")


@contextmanager
def news_site(**kwargs) -> Iterator[NewsSite]:
    site = NewsSite(**kwargs)
    with serving(site):
        try:
            yield site
        finally:
            site.release.set()

