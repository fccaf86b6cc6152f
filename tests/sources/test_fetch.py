"""The polite fetcher against real servers on 127.0.0.1: User-Agent, robots.txt, per-host pacing and
concurrency, redirects, size cap, timeouts, conditional requests."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer

import pytest
from newsfacts.sources.fetch import FetchFailed, FetchPolicy, default_user_agent, fetch

from tests.httpserver import QuietHandler, serving

UA = "newsfacts/test (+https://example.org/newsfacts)"


class _Server(ThreadingHTTPServer):
    def __init__(self, robots_status: int = 200) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.robots_status = robots_status
        self.log: list[tuple[float, str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.release = threading.Event()


class _Handler(QuietHandler):
    server: _Server

    def do_GET(self):  # noqa: N802
        srv = self.server
        with srv.lock:
            srv.log.append((time.monotonic(), self.path, dict(self.headers.items())))
            srv.in_flight += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
        try:
            self._answer(srv)
        finally:
            with srv.lock:
                srv.in_flight -= 1

    def _answer(self, srv: _Server) -> None:
        path = self.path
        if path == "/robots.txt":
            self.reply(srv.robots_status, b"User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n")
        elif path.startswith("/redirect/"):
            n = int(path.rsplit("/", 1)[1])
            if n == 0:
                self.reply(200, b"arrived")
            else:
                self.send_response(302)
                self.send_header("Location", f"/redirect/{n - 1}")
                self.send_header("Content-Length", "0")
                self.end_headers()
        elif path == "/to-ftp":
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/file")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/big-declared":
            self.reply(200, b"x" * 5000)
        elif path == "/big-undeclared":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"x" * 5000)
            self.close_connection = True
        elif path.startswith("/slow"):
            srv.release.wait(0.3)
            self.reply(200, b"slow")
        elif path == "/hang":
            srv.release.wait(30)
            self.reply(200, b"late")
        elif path == "/etag":
            if self.headers.get("If-None-Match") == '"v1"' or self.headers.get("If-Modified-Since"):
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
            else:
                body = b"<rss/>"
                self.send_response(200)
                self.send_header("ETag", '"v1"')
                self.send_header("Last-Modified", "Mon, 30 Nov 2026 10:00:00 GMT")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        elif path == "/status/503":
            self.reply(503, b"busy")
        elif path == "/status/404":
            self.reply(404, b"no")
        else:
            self.reply(200, b"page " + path.encode())


@pytest.fixture
def server():
    srv = _Server()
    with serving(srv):
        try:
            yield srv
        finally:
            srv.release.set()


def _base(srv: _Server) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}"


def _policy(**kwargs) -> FetchPolicy:
    return FetchPolicy(**{"user_agent": UA, "timeout_s": 5.0, "rate_per_host": 1000.0, **kwargs})


def test_default_user_agent_names_the_project_and_its_version():
    from newsfacts.sources.fetch import version

    agent = default_user_agent()
    assert agent.startswith(f"newsfacts/{version()}") and "pypi.org" not in agent


def test_user_agent_is_sent_and_robots_read_once(server):
    base = _base(server)
    for n in range(3):
        assert fetch(f"{base}/a{n}", _policy()).body == f"page /a{n}".encode()
    paths = [p for _, p, _ in server.log]
    assert paths.count("/robots.txt") == 1 and len(paths) == 4
    assert {h["User-Agent"] for _, _, h in server.log} == {UA}


def test_robots_disallow_is_a_reject_but_not_for_a_named_source(server):
    base = _base(server)
    with pytest.raises(FetchFailed) as info:
        fetch(f"{base}/private/x", _policy())
    assert info.value.reason == "robots_disallowed" and not info.value.transient
    assert fetch(f"{base}/private/x", _policy(), discovered=False).body == b"page /private/x"
    with pytest.raises(FetchFailed) as info:  # robots.txt names this agent: disallowed everywhere
        fetch(f"{base}/public", _policy(user_agent="OtherBot/2.0"))
    assert info.value.reason == "robots_disallowed"


@pytest.mark.parametrize(("status", "outcome"), [(404, "allowed"), (503, "transient")])
def test_robots_unavailable_vs_unreachable(status, outcome):
    srv = _Server(robots_status=status)
    with serving(srv):
        url = f"{_base(srv)}/private/x"
        if outcome == "allowed":  # no robots.txt: everything allowed
            assert fetch(url, _policy()).status == 200
        else:  # robots.txt cannot be read: the page waits (a retry), RFC 9309
            with pytest.raises(FetchFailed) as info:
                fetch(url, _policy())
            assert info.value.transient and "robots.txt" in info.value.detail


def test_requests_to_one_host_are_paced(server):
    base = _base(server)
    policy = _policy(rate_per_host=5.0)  # one request start per 0.2 s
    for n in range(4):
        fetch(f"{base}/p{n}", policy)
    starts = [t for t, p, _ in server.log]  # robots.txt first, then the pages
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert len(gaps) == 4 and min(gaps) >= 0.18, gaps


def test_concurrency_per_host_is_bounded(server):
    base = _base(server)
    policy = _policy(concurrency_per_host=2)
    fetch(f"{base}/warm", policy)  # robots.txt read
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda n: fetch(f"{base}/slow?{n}", policy), range(6)))
    assert server.max_in_flight == 2


def test_redirects_are_bounded(server):
    base = _base(server)
    response = fetch(f"{base}/redirect/5", _policy())
    assert response.body == b"arrived" and response.final_url == f"{base}/redirect/0"
    with pytest.raises(FetchFailed) as info:
        fetch(f"{base}/redirect/6", _policy())
    assert info.value.reason == "fetch_error" and "redirect" in info.value.detail and not info.value.transient
    with pytest.raises(FetchFailed) as info:
        fetch(f"{base}/redirect/1", _policy(max_redirects=0))
    assert info.value.reason == "fetch_error"


def test_only_http_and_https(server):
    for url in ("ftp://127.0.0.1/a", "file:///etc/passwd", "javascript:alert(1)"):
        with pytest.raises(FetchFailed) as info:
            fetch(url, _policy())
        assert info.value.reason == "unsupported_scheme"
    with pytest.raises(FetchFailed) as info:
        fetch(f"{_base(server)}/to-ftp", _policy())
    assert info.value.reason == "unsupported_scheme"


@pytest.mark.parametrize("path", ["/big-declared", "/big-undeclared"])
def test_size_cap(server, path):
    with pytest.raises(FetchFailed) as info:
        fetch(f"{_base(server)}{path}", _policy(max_bytes=1000))
    assert info.value.reason == "too_large"
    assert fetch(f"{_base(server)}{path}", _policy(max_bytes=5000)).body == b"x" * 5000


def test_timeout_and_5xx_are_transient_404_is_not(server):
    base = _base(server)
    for path in ("/hang", "/status/503"):
        with pytest.raises(FetchFailed) as info:
            fetch(f"{base}{path}", _policy(timeout_s=0.5))
        assert info.value.transient and info.value.reason == "fetch_error", path
    with pytest.raises(FetchFailed) as info:
        fetch(f"{base}/status/404", _policy())
    assert not info.value.transient and "404" in info.value.detail


def test_conditional_requests(server):
    url = f"{_base(server)}/etag"
    first = fetch(url, _policy())
    assert first.status == 200 and first.etag == '"v1"' and first.last_modified
    again = fetch(url, _policy(), etag=first.etag)
    assert again.not_modified and again.body == b""
    by_date = fetch(url, _policy(), last_modified=first.last_modified)
    assert by_date.not_modified
    headers = [h for _, p, h in server.log if p == "/etag"]
    assert headers[1]["If-None-Match"] == '"v1"' and headers[2]["If-Modified-Since"] == first.last_modified
