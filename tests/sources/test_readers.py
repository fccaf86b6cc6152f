import gzip
import json
import socket
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from newsfacts.sources.readers import (
    RawRecord,
    Reject,
    SourceError,
    TransientFetchError,
    expand_sources,
    parse_jsonl,
    parse_text_file,
    read_source,
)

from tests.httpserver import QuietHandler, serving


def test_text_file_first_nonempty_line_is_title():
    [rec] = parse_text_file(b"\n\n  Title here \nBody line one.\nBody two.\n", "a.txt", max_chars=1000)
    assert isinstance(rec, RawRecord)
    assert rec.title == "Title here"
    assert rec.text == "Body line one.\nBody two."
    assert rec.doc_id == "a.txt"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"", "empty"), (b"   \n\n", "empty"), (b"Only a title\n", "empty"), (b"\xff\xfe bad", "bad_encoding"), (b"a\x00b", "not_text")],
)
def test_text_file_rejects(raw, reason):
    [item] = parse_text_file(raw, "x.txt", max_chars=1000)
    assert isinstance(item, Reject) and item.reason == reason


def test_text_file_too_large():
    [item] = parse_text_file(b"T\n" + b"x" * 50, "x.txt", max_chars=10)
    assert item.reason == "too_large"


def test_jsonl_records_and_rejects():
    lines = [
        json.dumps({"id": "d1", "text": "Zürich’s text", "title": "T", "published_at": "2022-11-17T10:00:00Z"}),
        "",
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps({"text": "   "}),
        json.dumps([1, 2]),
        json.dumps({"text": 5}),
        json.dumps({"text": "no id"}),
    ]
    items = list(parse_jsonl("\n".join(lines).encode(), "in.jsonl", max_chars=1000))
    kinds = [(type(i).__name__, getattr(i, "reason", None)) for i in items]
    assert kinds == [
        ("RawRecord", None),
        ("Reject", "bad_json"),
        ("Reject", "no_text_field"),
        ("Reject", "empty"),
        ("Reject", "bad_json"),
        ("Reject", "not_text"),
        ("RawRecord", None),
    ]
    assert items[0].text == "Zürich’s text" and items[0].doc_id == "d1"
    assert items[1].source == "in.jsonl:3"
    assert items[-1].doc_id == "in.jsonl:8"


def test_read_gzipped_jsonl_and_unsupported(tmp_path: Path):
    gz = tmp_path / "a.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"text": "hello world"}\n'))
    png = tmp_path / "b.png"
    png.write_bytes(b"\x89PNG")
    assert [r.text for r in read_source(str(gz), max_chars=100)] == ["hello world"]
    [rej] = read_source(str(png), max_chars=100)
    assert rej.reason == "not_text"


def test_expand_sources_recursive_sorted_skips_hidden(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("x")
    (tmp_path / "1.txt").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "3.txt").write_text("x")
    assert expand_sources([str(tmp_path)]) == [str(tmp_path / "1.txt"), str(tmp_path / "b" / "2.txt")]
    with pytest.raises(SourceError):
        expand_sources([str(tmp_path / "missing")])



# --- http(s) sources against a real local server --------------------------------------


class _StatusHandler(QuietHandler):
    """`/status/<code>` answers that HTTP status; `/ok.txt` answers a text article."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path.startswith("/status/"):
            self.reply(int(self.path.rsplit("/", 1)[1]), b"nope")
        else:
            self.reply(200, b"A title\nA body line.\n")


@pytest.fixture(scope="module")
def http_base():
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _StatusHandler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


def test_url_200_is_a_record(http_base):
    [rec] = read_source(f"{http_base}/ok.txt", max_chars=1000, timeout_s=5, raise_transient=True)
    assert isinstance(rec, RawRecord) and rec.title == "A title" and rec.url == f"{http_base}/ok.txt"
    [big] = read_source(f"{http_base}/ok.txt", max_chars=2, timeout_s=5, raise_transient=True)  # 21 bytes > 2 * 4
    assert isinstance(big, Reject) and big.reason == "too_large"  # cut off by us, not a truncated response


def test_url_503_is_transient_only_when_asked(http_base):
    url = f"{http_base}/status/503"
    with pytest.raises(TransientFetchError, match="503"):
        list(read_source(url, max_chars=1000, timeout_s=5, raise_transient=True))
    [rej] = read_source(url, max_chars=1000, timeout_s=5)
    assert isinstance(rej, Reject) and rej.reason == "fetch_error" and "503" in rej.detail
    assert rej.source == url


@pytest.mark.parametrize("raise_transient", [True, False])
def test_url_404_is_a_reject_never_transient(http_base, raise_transient):
    [rej] = read_source(f"{http_base}/status/404", max_chars=1000, timeout_s=5, raise_transient=raise_transient)
    assert isinstance(rej, Reject) and rej.reason == "fetch_error" and "404" in rej.detail


def test_refused_connection_is_transient():
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/a.txt"
    with pytest.raises(TransientFetchError):
        list(read_source(url, max_chars=1000, timeout_s=5, raise_transient=True))
    [rej] = read_source(url, max_chars=1000, timeout_s=5)
    assert rej.reason == "fetch_error"


@pytest.fixture
def truncating_server():
    """A raw socket server that announces a body (chunked or by Content-Length), sends part of it and hangs up."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    heads = {
        "chunked": b"Transfer-Encoding: chunked\r\n\r\n40\r\nA title\nA body that stops",
        "length": b"Content-Length: 400\r\n\r\nA title\nA body that stops",
    }

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                mode = conn.recv(4096).split(b" ")[1].decode().strip("/")
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + heads[mode])

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        srv.close()


@pytest.mark.parametrize("mode", ["chunked", "length"])
def test_truncated_body_is_transient_never_a_partial_record(truncating_server, mode):
    """A connection dropped mid-body is retried by the flow, and without retries a reject: never an exception
    that escapes the reader (it failed the whole run) nor an article cut short."""
    url = f"{truncating_server}/{mode}"
    with pytest.raises(TransientFetchError):
        list(read_source(url, max_chars=1000, timeout_s=5, raise_transient=True))
    [rej] = read_source(url, max_chars=1000, timeout_s=5)
    assert isinstance(rej, Reject) and rej.reason == "fetch_error"


# --- metadata in .txt articles -----------------------------------------------------------------------


def test_key_value_lines_under_the_title_are_metadata_not_text():
    raw = "Floods in Dhaka\nDate: 2024-05-02\nSource: Daily Wire\nURL: https://example.org/a\n\nFloods hit Dhaka.\nSource: not a header here\n"
    [record] = parse_text_file(raw.encode(), "a.txt", max_chars=1000)
    assert (record.title, record.published_at, record.source, record.url) == (
        "Floods in Dhaka", "2024-05-02", "Daily Wire", "https://example.org/a"
    )
    assert record.text == "Floods hit Dhaka.\nSource: not a header here"


def test_front_matter_gives_title_and_date():
    raw = "---\ntitle: Storm in Manila\ndate: '2024-07-01T08:00:00+08:00'\nlanguage: en\n---\nA storm hit Manila.\n"
    [record] = parse_text_file(raw.encode(), "a.md", max_chars=1000)
    assert (record.title, record.published_at, record.language, record.text) == (
        "Storm in Manila", "2024-07-01T08:00:00+08:00", "en", "A storm hit Manila."
    )


def test_a_line_that_only_looks_like_a_header_after_the_body_began_stays_text():
    raw = "Title\nThe minister said:\nDate: not parsed because the body began\n"
    [record] = parse_text_file(raw.encode(), "a.txt", max_chars=1000)
    assert record.published_at is None and record.text.startswith("The minister said:")


def test_expand_each_lists_a_file_for_the_first_source_that_names_it(tmp_path: Path):
    from newsfacts.sources.readers import Expanded, expand_each

    (tmp_path / "d").mkdir()
    a, b = tmp_path / "d" / "a.txt", tmp_path / "d" / "b.txt"
    a.write_text("x")
    b.write_text("x")
    got = expand_each([str(b), str(tmp_path / "d"), str(tmp_path / "missing")])
    assert got[:2] == [Expanded(str(b), [str(b)]), Expanded(str(tmp_path / "d"), [str(a)])]
    assert got[2].paths == [] and "no such file" in got[2].error


def test_front_matter_fills_every_field_and_skips_other_yaml():
    raw = (
        "---\r\n"
        'title: "Storm in Manila"\r\n'
        "author: Jane Doe\r\n"
        "tags:\r\n"
        "  - weather\r\n"
        "  - philippines\r\n"
        "# a comment\r\n"
        "url: https://example.org/storm\r\n"
        "published_at: 2024-07-01T08:00:00+08:00\r\n"
        "source: Manila Wire\r\n"
        "language: en\r\n"
        "summary: >\r\n"
        "  folded text\r\n"
        "---\r\n"
        "A storm hit Manila.\r\nSecond line.\r\n"
    )
    [record] = parse_text_file(raw.encode(), "a.md", max_chars=1000)
    assert (record.title, record.url, record.published_at, record.source, record.language) == (
        "Storm in Manila", "https://example.org/storm", "2024-07-01T08:00:00+08:00", "Manila Wire", "en"
    )
    assert record.text == "A storm hit Manila.\nSecond line."


def test_front_matter_without_a_title_leaves_the_first_line_as_title():
    raw = "---\ndate: 2024-05-02\nauthor: X\n---\n\nFloods in Dhaka\nLanguage: bn\n\nFloods hit Dhaka.\n"
    [record] = parse_text_file(raw.encode(), "a.md", max_chars=1000)
    assert (record.title, record.published_at, record.language, record.text) == (
        "Floods in Dhaka", "2024-05-02", "bn", "Floods hit Dhaka."
    )


def test_dashes_around_prose_are_not_front_matter():
    raw = "---\nThis is not YAML, just a rule above the title.\n---\nBody text.\n"
    [record] = parse_text_file(raw.encode(), "a.md", max_chars=1000)
    assert record.title == "---" and "This is not YAML" in record.text


def test_language_line_under_the_title_reaches_the_record():
    raw = "Inondations à Paris\nLanguage: fr\nDate: 2024-05-02\n\nLa Seine a débordé.\n"
    [record] = parse_text_file(raw.encode(), "a.txt", max_chars=1000)
    assert (record.title, record.language, record.published_at, record.text) == (
        "Inondations à Paris", "fr", "2024-05-02", "La Seine a débordé."
    )
