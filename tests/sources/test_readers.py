import gzip
import json
from pathlib import Path

import pytest

from newsfacts.sources.readers import (
    RawRecord,
    Reject,
    SourceError,
    expand_sources,
    parse_jsonl,
    parse_text_file,
    read_source,
)


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

