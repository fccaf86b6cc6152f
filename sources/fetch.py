"""Polite http(s) fetching: what every URL newsfacts reads goes through (SOURCE URLs, feeds, sitemaps, pages).

- a clear User-Agent (`newsfacts/<version>`, plus the project URL when the package declares one; the
  `fetch_user_agent` setting to name a contact);
- per host (`host:port`) at most `concurrency_per_host` requests at once and, for the URLs newsfacts
  discovers (feed entries, sitemap pages and child sitemaps, robots.txt itself), at most `rate_per_host`
  request starts a second; shared by every thread of the process (the flow's page-fetch tasks run in threads);
- robots.txt respected for every URL newsfacts discovers: `urllib.robotparser` rules, fetched once per host
  and cached for `ROBOTS_TTL_S`; a disallowed URL is a `robots_disallowed` failure; a robots.txt answering
  4xx allows everything, one that cannot be fetched (5xx, timeout, no connection) makes the page's fetch a
  transient failure (RFC 9309);
- a SOURCE URL the operator names (a feed, a sitemap, a page) is fetched when asked, as a browser or Google's
  Feedfetcher would: no robots.txt check and no pacing, the other rules hold;
- a timeout per request, a size cap on the body (Content-Length checked first, then while reading),
  at most `max_redirects` redirects, and only http(s) (also as a redirect target);
- conditional requests: given the ETag / Last-Modified of an earlier fetch, sends If-None-Match /
  If-Modified-Since; a 304 answer is a `Response` with `status` 304 and no body.

Failures raise `FetchFailed` with a reject reason and whether trying again may help (`transient`: no
connection, a timeout, a body cut short, HTTP 429 or 5xx). Retrying is the caller's business: the flow retries
transient failures as Prefect task retries.
"""
from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urlsplit, urlunsplit

from newsfacts.sources.urls import is_http_url

ROBOTS_TTL_S = 3600.0  # robots.txt is fetched again after an hour
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB


def version() -> str:
    try:
        return metadata.version("newsfacts")
    except metadata.PackageNotFoundError:
        return "0"


def project_url() -> str | None:
    """The first Project-URL of the installed package's metadata (`[project.urls]`), if it declares one."""
    try:
        urls = metadata.metadata("newsfacts").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    return urls[0].partition(",")[2].strip() or None if urls else None


def default_user_agent() -> str:
    """`newsfacts/<version> (+<project URL>)`, or `newsfacts/<version>` while the package declares no URL:
    deployments name their contact with the `fetch_user_agent` setting."""
    url = project_url()
    return f"newsfacts/{version()}" + (f" (+{url})" if url else "")


class TransientFetchError(OSError):
    """A fetch that may succeed if tried again: no connection, a timeout, HTTP 429 or 5xx.

    Raised only when the caller asks for it (`raise_transient=True`, the flow's retrying
    task); otherwise the failure is a `fetch_error` reject like any other.
    """


class FetchFailed(Exception):
    """A fetch that gave no body: `reason` is the reject reason code, `transient` whether a retry may help."""

    def __init__(self, reason: str, detail: str, *, transient: bool = False) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail[:300]
        self.transient = transient


@dataclass(frozen=True)
class FetchPolicy:
    """How to fetch (from the settings; picklable, so a task can carry it)."""

    user_agent: str
    timeout_s: float = 20.0
    max_bytes: int = 8_000_000
    max_redirects: int = 5
    rate_per_host: float = 1.0
    concurrency_per_host: int = 2
    robots: bool = True

    @classmethod
    def from_settings(cls, settings, *, max_bytes: int | None = None) -> FetchPolicy:
        return cls(
            user_agent=settings.fetch_user_agent or default_user_agent(),
            timeout_s=settings.fetch_timeout_s,
            max_bytes=max_bytes if max_bytes is not None else settings.max_article_chars * 4,
            max_redirects=settings.fetch_max_redirects,
            rate_per_host=settings.fetch_rate_per_host,
            concurrency_per_host=settings.fetch_concurrency_per_host,
        )


@dataclass(frozen=True)
class Response:
    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 200-299, or 304 (not modified: `body` is empty)
    content_type: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# ------------------------------------------------------------------------------------------ per host


class _Host:
    """One host's rate limit (a minimum interval between request starts) and concurrency bound."""

    def __init__(self, rate: float, concurrency: int) -> None:
        self.rate, self.concurrency = rate, concurrency
        self.slots = threading.BoundedSemaphore(concurrency)
        self.lock = threading.Lock()
        self.next_start = 0.0

    def wait_turn(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + 1.0 / self.rate
        if start > now:
            time.sleep(start - now)


_HOSTS: dict[str, _Host] = {}
_HOSTS_LOCK = threading.Lock()


def _host(netloc: str, policy: FetchPolicy) -> _Host:
    with _HOSTS_LOCK:
        host = _HOSTS.get(netloc)
        if host is None or (host.rate, host.concurrency) != (policy.rate_per_host, policy.concurrency_per_host):
            host = _HOSTS[netloc] = _Host(policy.rate_per_host, policy.concurrency_per_host)
        return host


# -------------------------------------------------------------------------------------------- fetching


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.max_redirections = limit
        self.max_repeats = min(self.max_repeats, limit)

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not is_http_url(newurl):
            raise FetchFailed("unsupported_scheme", f"redirected to a non-http(s) URL: {newurl[:200]}")
        if self.max_redirections == 0:
            raise FetchFailed("fetch_error", f"redirected ({code}) and redirects are off")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def is_transient(exc: BaseException) -> bool:
    """True for a failure worth retrying: no connection, a timeout, a body cut short, HTTP 429 or 5xx."""
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(
        exc, (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError, http.client.IncompleteRead)
    )


def _open(url: str, policy: FetchPolicy, headers: dict[str, str], cap: int, *, paced: bool = True) -> Response:
    """One request (`paced`: after its turn on the host's rate limit) with redirects; raises FetchFailed."""
    host = _host(urlsplit(url).netloc.lower(), policy)
    opener = urllib.request.build_opener(_Redirects(policy.max_redirects))
    request = urllib.request.Request(url, headers={"User-Agent": policy.user_agent, **headers})
    with host.slots:
        if paced:
            host.wait_turn()
        try:
            with opener.open(request, timeout=policy.timeout_s) as response:
                length = response.length
                if length is not None and length > cap:
                    raise FetchFailed("too_large", f"Content-Length {length} > {cap} bytes")
                body = response.read(cap + 1)
                if len(body) > cap:
                    raise FetchFailed("too_large", f"more than {cap} bytes")
                if response.length:  # closed before its Content-Length
                    raise http.client.IncompleteRead(body, response.length)
                return Response(
                    url=url,
                    final_url=response.geturl(),
                    status=response.status,
                    content_type=response.headers.get_content_type(),
                    body=body,
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
        except FetchFailed:
            raise
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return Response(
                    url=url, final_url=exc.geturl() or url, status=304, content_type="", body=b"",
                    etag=exc.headers.get("ETag"), last_modified=exc.headers.get("Last-Modified"),
                )
            if exc.code in (301, 302, 303, 307, 308):
                raise FetchFailed("fetch_error", f"more than {policy.max_redirects} redirects: {exc}") from exc
            raise FetchFailed("fetch_error", f"{url}: {exc}", transient=is_transient(exc)) from exc
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            raise FetchFailed("fetch_error", f"{url}: {exc}", transient=is_transient(exc)) from exc


# --------------------------------------------------------------------------------------------- robots

_ROBOTS: dict[tuple[str, str], tuple[float, urllib.robotparser.RobotFileParser]] = {}
_ROBOTS_LOCK = threading.Lock()


def _robots(url: str, policy: FetchPolicy) -> urllib.robotparser.RobotFileParser:
    parts = urlsplit(url)
    key = (parts.scheme.lower(), parts.netloc.lower())
    with _ROBOTS_LOCK:
        cached = _ROBOTS.get(key)
    if cached and time.monotonic() - cached[0] < ROBOTS_TTL_S:
        return cached[1]
    robots_url = urlunsplit((key[0], key[1], "/robots.txt", "", ""))
    rules = urllib.robotparser.RobotFileParser(robots_url)
    try:
        response = _open(robots_url, policy, {}, ROBOTS_MAX_BYTES)
        rules.parse(response.body.decode("utf-8", "replace").splitlines())
    except FetchFailed as exc:
        if exc.transient:  # 5xx or unreachable: RFC 9309 says assume everything disallowed, for now
            raise FetchFailed("fetch_error", f"robots.txt of {key[1]} unavailable: {exc.detail}", transient=True) from exc
        rules.allow_all = True  # 4xx (no robots.txt), too large, a redirect loop: no rules
    rules.modified()
    with _ROBOTS_LOCK:
        _ROBOTS[key] = (time.monotonic(), rules)
    return rules


def forget_robots() -> None:
    """Drop the cached robots.txt rules (tests; a long-lived process picks them up again after an hour)."""
    with _ROBOTS_LOCK:
        _ROBOTS.clear()


def fetch(
    url: str, policy: FetchPolicy, *, etag: str | None = None, last_modified: str | None = None, discovered: bool = True
) -> Response:
    """GET `url` politely (see the module docstring); raises `FetchFailed`. robots.txt and the per-host rate
    limit apply to `discovered` URLs (feed entries, sitemap pages and children), not to a URL the operator
    named as SOURCE (it is fetched when asked, with the same User-Agent, caps and per-host concurrency)."""
    if not is_http_url(url):
        raise FetchFailed("unsupported_scheme", f"only http(s) URLs are fetched: {url[:200]}")
    if discovered and policy.robots and not _robots(url, policy).can_fetch(policy.user_agent, url):
        raise FetchFailed("robots_disallowed", f"robots.txt disallows {url[:250]}")
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return _open(url, policy, headers, policy.max_bytes, paced=discovered)
