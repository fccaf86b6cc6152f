"""WARC and WARC.gz archives written here with warcio: HTML responses become articles, the rest is counted."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from newsfacts.sources.readers import RawRecord, Reject, read_source
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

MAX = 2_000_000


def page(title: str, words: str, *, published: str | None = None) -> bytes:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    body = "".join(f"<p>{words} Paragraph {i} adds more reporting about the {title.lower()}.</p>" for i in range(4))
    return (
        f"<html><head><title>{title}</title>{meta}</head><body><nav>Home | World</nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Contact us</footer></body></html>"
    ).encode()


ARTICLE_WORDS = "Heavy rain flooded the river valley on Tuesday and officials said that 12 people were evacuated."


def response(writer: WARCWriter, uri: str, body: bytes, *, status: str = "200 OK",
             content_type: str | None = "text/html; charset=utf-8", date: str = "2024-05-02T10:00:00Z",
             extra: list[tuple[str, str]] | None = None) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    http = StatusAndHeaders(status, headers + (extra or []), protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(
        uri, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict={"WARC-Date": date}
    ))


def request(writer: WARCWriter, uri: str) -> None:
    http = StatusAndHeaders(f"GET {uri} HTTP/1.1", [("Host", "news.example")], is_http_request=True)
    writer.write_record(writer.create_warc_record(uri, "request", payload=io.BytesIO(b""), http_headers=http))


def write_crawl(path: Path, *, gz: bool) -> None:
    """Three HTML articles (one with its own publication date), a PDF, a 404, a redirect, requests and a warcinfo."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gz)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for i, title in enumerate(("Floods in the valley", "Storm hits the coast", "Bridge reopens after repairs")):
            uri = f"https://news.example/story-{i}"
            request(writer, uri)
            published = "2024-04-30T08:00:00Z" if i == 1 else None
            response(writer, uri, page(title, ARTICLE_WORDS, published=published))
        response(writer, "https://news.example/report.pdf", b"%PDF-1.7\n" + b"\x00\x01binary" * 100,
                 content_type="application/pdf")
        response(writer, "https://news.example/missing", page("Not found", "Sorry."), status="404 Not Found")
        response(writer, "https://news.example/old", b"", status="301 Moved Permanently", content_type=None,
                 extra=[("Location", "https://news.example/story-0")])


def items(path: Path, **kwargs) -> tuple[list[RawRecord], list[Reject]]:
    got = list(read_source(str(path), max_chars=MAX, **kwargs))
    return [i for i in got if isinstance(i, RawRecord)], [i for i in got if isinstance(i, Reject)]


@pytest.mark.parametrize("name, gz", [("crawl.warc.gz", True), ("crawl.warc", False)])
def test_html_responses_become_articles_the_rest_is_counted(tmp_path, name, gz):
    path = tmp_path / name
    write_crawl(path, gz=gz)
    records, rejects = items(path)
    assert [r.url for r in records] == [f"https://news.example/story-{i}" for i in range(3)]
    assert [r.title for r in records] == ["Floods in the valley", "Storm hits the coast", "Bridge reopens after repairs"]
    assert all("12 people were evacuated" in r.text and "Contact us" not in r.text for r in records)
    # the capture date, unless the page says when it was published
    assert [r.published_at for r in records] == ["2024-05-02T10:00:00Z", "2024-04-30T08:00:00Z", "2024-05-02T10:00:00Z"]
    assert {r.source for r in records} == {str(path)}
    assert [r.doc_id for r in records] == [f"{path}#record{n}" for n in (3, 5, 7)]
    assert len(rejects) == 1, rejects
    summary = rejects[0]
    assert (summary.source, summary.reason) == (str(path), "skipped_records")
    assert summary.detail.startswith("1 non-HTML, 2 non-200, 4 non-response records")
    for word in ("application/pdf 1", "404 1", "301 1", "request 3", "warcinfo 1"):
        assert word in summary.detail, summary.detail


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_warc_keeps_the_intact_records(tmp_path, gz):
    whole = tmp_path / "whole.warc"
    write_crawl(whole, gz=gz)
    data = whole.read_bytes()
    # cut inside the third article's response record (the 7th record)
    cut = data.index(b"Bridge reopens") if not gz else _offset_of_record(data, 7) + 60
    path = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    path.write_bytes(data[:cut])
    records, rejects = items(path)
    assert [r.url for r in records] == ["https://news.example/story-0", "https://news.example/story-1"]
    damage = [r for r in rejects if r.reason == "parse_error"]
    assert len(damage) == 1 and damage[0].source == str(path), rejects
    assert "6 records before the damage" in damage[0].detail, damage[0].detail
    assert [r.reason for r in rejects] == ["skipped_records", "parse_error"]


def _offset_of_record(gz_data: bytes, number: int) -> int:
    """Byte offset of the `number`th (1-based) gzip member: warcio writes one member per record."""
    from warcio.archiveiterator import ArchiveIterator

    it = ArchiveIterator(io.BytesIO(gz_data))
    for n, _record in enumerate(it, 1):
        if n == number:
            return it.get_record_offset()
    raise AssertionError(number)


def test_garbage_is_one_parse_error_and_an_empty_file_empty(tmp_path):
    garbage = tmp_path / "junk.warc"
    garbage.write_bytes(b"this is not a web archive\n" * 100)
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    for path, reason in ((garbage, "parse_error"), (empty, "empty")):
        records, rejects = items(path)
        assert records == []
        assert [r.reason for r in rejects] == [reason], rejects


def test_a_record_with_a_broken_content_encoding_costs_only_itself(tmp_path):
    path = tmp_path / "encoding.warc.gz"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        response(writer, "https://news.example/broken", b"\x1f\x8b\x08\x00" + b"not deflate data" * 50,
                 extra=[("Content-Encoding", "gzip")])
        response(writer, "https://news.example/fine", page("Fine story", ARTICLE_WORDS))
    records, rejects = items(path)
    assert [r.url for r in records] == ["https://news.example/fine"]
    # warcio hands over a payload it cannot decompress as it is: binary, so `not_text`, for that record only
    assert [(r.source, r.reason) for r in rejects] == [(f"{path}#record1", "not_text")]


def test_record_over_the_cap_is_too_large_and_reading_goes_on(tmp_path):
    path = tmp_path / "big.warc.gz"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        response(writer, "https://news.example/huge", page("Huge", "word " * 40_000))
        response(writer, "https://news.example/small", page("Small story", ARTICLE_WORDS))
    records, rejects = items(path, max_bytes=50_000)
    assert [r.url for r in records] == ["https://news.example/small"]
    assert [(r.source, r.reason) for r in rejects] == [(f"{path}#record1", "too_large")]
    assert "https://news.example/huge" in rejects[0].detail


def test_html_without_content_type_is_sniffed_and_empty_pages_are_rejected(tmp_path):
    path = tmp_path / "mixed.warc"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=False)
        response(writer, "https://news.example/a", page("Sniffed story", ARTICLE_WORDS), content_type=None)
        response(writer, "https://news.example/b", b"plain bytes, no markup", content_type=None)
        response(writer, "https://news.example/c", b"<html><head><title>Gallery</title></head><body><img src=a.jpg></body></html>")
    records, rejects = items(path)
    assert [r.title for r in records] == ["Sniffed story"]
    assert [(r.source, r.reason) for r in rejects] == [(f"{path}#record3", "empty"), (str(path), "skipped_records")]
    assert rejects[0].detail.startswith("https://news.example/c: ")
    assert "no content type, not HTML 1" in rejects[1].detail


def test_newsfacts_run_over_a_warc_and_a_csv_fills_the_warehouse(prefect_harness, tmp_path, monkeypatch):
    import duckdb
    from typer.testing import CliRunner

    from newsfacts.cli import app

    monkeypatch.delenv("NEWSFACTS_COLUMNS", raising=False)
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_crawl(inputs / "crawl.warc.gz", gz=True)
    (inputs / "export.csv").write_text(
        "story,headline,date,lang\n"
        '"Gunmen killed 4 villagers in Zamfara, Nigeria, on Sunday, police said.",Zamfara attack,2024-05-05,\n'
        '"Al menos doce personas murieron tras el derrumbe de un edificio en el centro de Lima.",Lima,2024-05-06,\n'
        "ragged,row,with,too,many,fields\n",
        encoding="utf-8",
    )
    folder = tmp_path / "wh"
    result = CliRunner().invoke(app, ["run", str(inputs), "--warehouse", str(folder), "--column", "text=story",
                                      "--column", "title=headline"])
    assert result.exit_code == 0, result.output
    assert "NEWSFACTS_COLUMNS" not in __import__("os").environ  # the run's mapping does not outlive it
    con = duckdb.connect(str(folder / "newsfacts.duckdb"), read_only=True)
    try:
        articles = con.execute("select title, url, language from articles order by title").fetchall()
        rejects = con.execute("select reason, count(*) from rejects group by reason order by reason").fetchall()
        not_english = con.execute("select articles_not_english from runs").fetchall()
        figures = con.execute(
            "select a.title, count(f.article_id) from articles a left join figures f using (article_id) "
            "group by a.title order by a.title"
        ).fetchall()
    finally:
        con.close()
    assert articles == [
        ("Bridge reopens after repairs", "https://news.example/story-2", "en"),
        ("Floods in the valley", "https://news.example/story-0", "en"),
        ("Lima", None, "es"),
        ("Storm hits the coast", "https://news.example/story-1", "en"),
        ("Zamfara attack", None, "en"),
    ]
    assert rejects == [("ragged_row", 1), ("skipped_records", 1)]
    assert not_english == [(1,)] and "not English" in result.output
    counts = dict(figures)
    assert counts["Lima"] == 0 and counts["Zamfara attack"] > 0  # the Spanish article is kept, not extracted


def test_newsfacts_run_refuses_a_bad_column_option(tmp_path):
    from typer.testing import CliRunner

    from newsfacts.cli import app

    (tmp_path / "a.csv").write_text("story\nText.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "a.csv"), "--column", "body=story"])
    assert result.exit_code == 2 and "FIELD=COLUMN" in result.output
