"""Input that cannot hurt the machine (issue 9): a hostile corpus generated under tmp at test time.

Every case is a record or a reject with the expected reason code, the good articles beside the
hostile files always come through, and the big cases (a 2 GB sparse file, a gzip bomb, a
million-line JSONL, HTML built to be slow) are measured for peak RSS in a real subprocess.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from newsfacts.sources import limits, readers
from newsfacts.sources.readers import RawRecord, Reject, expand_sources, parse_jsonl, parse_text_file, read_source

MAX_CHARS = 2_000_000  # the default max_article_chars: 8 MB per document, ~12 MB per JSON line
RSS_LIMIT_MB = 300
BODY = "Floods hit the northern city of Alberton on Monday, officials said, forcing thousands from their homes."


def good_line(i: int) -> str:
    return json.dumps({"id": f"good-{i}", "title": f"Good {i}", "text": BODY})


def kinds(items) -> list[tuple[str, str | None]]:
    return [("record", None) if isinstance(i, RawRecord) else ("reject", i.reason) for i in items]


def reasons(items) -> list[str]:
    return [i.reason for i in items if isinstance(i, Reject)]


def records(items) -> list[RawRecord]:
    return [i for i in items if isinstance(i, RawRecord)]


def read(path: Path | str, max_chars: int = MAX_CHARS) -> list:
    return list(read_source(str(path), max_chars=max_chars))


def in_thread(fn, timeout: float = 20.0):
    """fn() in a daemon thread: a reader that blocks or loops fails the test instead of hanging it."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout} s (blocked or looping)"
    if "error" in out:
        raise out["error"]
    return out["value"]


MEASURE = textwrap.dedent(
    """
    import json, sys, time
    from newsfacts.sources.readers import RawRecord, read_source
    report = []
    for path in sys.argv[2:]:
        started = time.monotonic()
        n_records, reasons = 0, {}
        for item in list(read_source(path, max_chars=int(sys.argv[1]))):  # all kept, as the flow keeps them
            if isinstance(item, RawRecord):
                n_records += 1
            else:
                reasons[item.reason] = reasons.get(item.reason, 0) + 1
        report.append({"path": path, "seconds": time.monotonic() - started, "records": n_records, "rejects": reasons})
    # peak RSS of this program: VmHWM starts afresh at exec (ru_maxrss would carry the forking parent's)
    with open("/proc/self/status") as status:
        rss_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    print(json.dumps({"rss_mb": rss_mb, "files": report}))
    """
)


def measure(*paths: Path, max_chars: int = MAX_CHARS) -> dict:
    """Read `paths` in a fresh interpreter; its peak RSS (MB) and per-file records, rejects and seconds."""
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(max_chars), *map(str, paths)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


# ------------------------------------------------------------------------------ big inputs, real processes


def test_2gb_sparse_file_is_too_large_without_being_read(tmp_path: Path):
    """Was: read whole, 2.4 GB RSS. Now: stat says too large, nothing is read."""
    sparse = tmp_path / "sparse.txt"
    with open(sparse, "wb") as f:
        f.truncate(2 * 1024**3)  # no disk used
    good = tmp_path / "good.txt"
    good.write_text(f"Good\n{BODY}\n")
    report = measure(sparse, good)
    assert report["rss_mb"] < RSS_LIMIT_MB, report
    big, ok = report["files"]
    assert big["rejects"] == {"too_large": 1} and big["records"] == 0, report
    assert ok["records"] == 1


@pytest.fixture(scope="module")
def gzip_bomb(tmp_path_factory) -> Path:
    """~256 MB decompressed from ~260 KB: a good line, 192 MB of newlines, one 64 MB line of zeros, a good line."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write((good_line(1) + "\n").encode())
        newlines = b"\n" * (1 << 20)
        for _ in range(192):
            f.write(newlines)
        zeros = b"0" * (1 << 20)
        for _ in range(64):
            f.write(zeros)
        f.write(("\n" + good_line(2) + "\n").encode())
    assert path.stat().st_size < 1 << 20
    return path


def test_decompression_bomb_streams_with_flat_memory(gzip_bomb: Path, tmp_path: Path):
    """Was: 88 s and 2.0 GB, no reject. Now: streamed, the 64 MB line is a too_large reject, both good lines
    come through; as .txt.gz the same bytes stop at the document cap (max_chars * 4 decompressed bytes)."""
    as_text = tmp_path / "bomb.txt.gz"
    as_text.write_bytes(gzip_bomb.read_bytes())
    report = measure(gzip_bomb, as_text)
    assert report["rss_mb"] < RSS_LIMIT_MB, report
    jsonl, text = report["files"]
    assert jsonl["records"] == 2 and jsonl["rejects"] == {"too_large": 1}, report
    assert text["records"] == 0 and text["rejects"] == {"too_large": 1}, report


def test_million_line_jsonl_streams_with_flat_memory(tmp_path: Path):
    """Was: read and decoded whole, and one reject kept per bad line (129 MB for 500,000 `{}` lines).
    Now: streamed; a file's first 1,000 line rejects are kept one by one, the rest summed up per reason."""
    path = tmp_path / "million.jsonl"
    with open(path, "w") as f:
        for i in range(1_000_000):
            f.write(good_line(i) + "\n" if i % 1000 == 0 else "\n" if i % 2 else "{}\n")
    report = measure(path)
    assert report["rss_mb"] < RSS_LIMIT_MB, report
    [one] = report["files"]
    assert one["records"] == 1000
    assert one["rejects"] == {"no_text_field": limits.MAX_REJECTS_PER_FILE + 1}  # 1,000 + one summary


def test_slow_html_is_parsed_or_rejected_in_bounded_time_and_memory(tmp_path: Path):
    """Was: 100,000 nested divs 10 s; 8 MB of attributes in one tag 1.6 GB; text split by 800,000 comments:
    quadratic string += (hours); "<!--x>" a million times: quadratic rescans (hours)."""
    para = f"<p>{BODY}</p>"
    pages = {
        "nested.html": "<div>" * 100_000 + para + "</div>" * 100_000,
        "attributes.html": "<div " + "a=b " * 1_900_000 + ">" + para,
        "comments.html": f"<p>{BODY}" + " <!---->" * 800_000 + "</p>",
        "unclosed.html": para + "<!--x>" * 1_000_000,
        "nested-ok.html": "<div>" * 20_000 + para + "</div>" * 20_000,
    }
    for name, page in pages.items():
        (tmp_path / name).write_text(page)
    report = measure(*(tmp_path / name for name in pages))
    assert report["rss_mb"] < RSS_LIMIT_MB, report
    got = {Path(f["path"]).name: f for f in report["files"]}
    for name in ("nested.html", "attributes.html", "unclosed.html"):
        assert got[name]["rejects"] == {"parse_error": 1}, got[name]
    for name in ("comments.html", "nested-ok.html"):
        assert got[name]["records"] == 1, got[name]
    assert all(f["seconds"] < 120 for f in got.values()), got  # a hang guard: quadratic inputs took hours


# --------------------------------------------------------------------------------------------- gzip


def test_truncated_gzip_keeps_the_lines_before_the_cut(tmp_path: Path):
    data = gzip.compress("".join(good_line(i) + "\n" for i in range(2000)).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    items = read(path)
    kept = records(items)
    assert 100 < len(kept) < 2000
    assert [r.doc_id for r in kept] == [f"good-{i}" for i in range(len(kept))]
    [rej] = [i for i in items if isinstance(i, Reject)]
    assert rej.reason == "parse_error" and "truncated" in rej.detail and rej.source == str(path)


def test_decompressed_total_is_capped(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(readers, "JSONL_GZ_MAX_BYTES", 300_000)
    path = tmp_path / "many.jsonl.gz"
    path.write_bytes(gzip.compress("".join(good_line(i) + "\n" for i in range(20_000)).encode()))
    items = read(path)
    assert len(records(items)) > 100
    assert reasons(items) == ["too_large"] and "decompressed" in items[-1].detail


def test_corrupt_and_non_gzip_files(tmp_path: Path):
    (tmp_path / "junk.jsonl.gz").write_bytes(b"this is not gzip at all\n")
    (tmp_path / "junk.txt.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "empty.txt.gz").write_bytes(b"")
    assert reasons(read(tmp_path / "junk.jsonl.gz")) == ["parse_error"]
    assert reasons(read(tmp_path / "junk.txt.gz")) == ["parse_error"]
    assert reasons(read(tmp_path / "empty.txt.gz")) == ["empty"]


# ------------------------------------------------------------------------------------ folders and paths


def test_symlink_loops_end_and_each_real_file_is_read_once(tmp_path: Path):
    """Was: a symlink loop read 42 times; two loops hung."""
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "1.txt").write_text(f"One\n{BODY}\n")
    (root / "a" / "b" / "2.txt").write_text(f"Two\n{BODY}\n")
    (root / "a" / "b" / "up").symlink_to("../..")  # loop 1
    (root / "a" / "self").symlink_to(".")  # loop 2
    (root / "alias").symlink_to("a")  # the same folder under another name
    (root / "a" / "link.txt").symlink_to("1.txt")  # the same file under another name
    (root / "selfloop.txt").symlink_to("selfloop.txt")  # ELOOP
    started = time.monotonic()
    paths = in_thread(lambda: expand_sources([str(root)]))
    assert time.monotonic() - started < 5
    assert sorted(map(os.path.realpath, paths[:-1])) == sorted(
        os.path.realpath(p) for p in (root / "a" / "1.txt", root / "a" / "b" / "2.txt")
    )
    assert paths[-1] == str(root / "selfloop.txt")
    assert reasons(read(paths[-1])) == ["read_error"]


def test_a_path_given_twice_is_read_once_first_seen_order(tmp_path: Path):
    (tmp_path / "d").mkdir()
    a, b = tmp_path / "d" / "a.txt", tmp_path / "d" / "b.txt"
    a.write_text("x")
    b.write_text("x")
    url = "https://example.org/a.txt"
    assert expand_sources([str(b), str(tmp_path / "d"), str(a), str(b), url, url]) == [str(b), str(a), url]
    assert expand_sources([str(tmp_path / "d"), str(tmp_path / "d" / ".." / "d")]) == [str(a), str(b)]


def test_fifo_device_and_socket_are_rejected_without_blocking(tmp_path: Path):
    (tmp_path / "good.txt").write_text(f"Good\n{BODY}\n")
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    sock = socket.socket(socket.AF_UNIX)
    short = Path("/tmp") / f"nf-{os.getpid()}.sock"  # AF_UNIX paths are short
    try:
        sock.bind(str(short))
        (tmp_path / "sock.html").symlink_to(short)
        paths = expand_sources([str(tmp_path)])
        items = in_thread(lambda: [i for p in paths for i in read(p)], timeout=10)
    finally:
        sock.close()
        short.unlink(missing_ok=True)
    by_source = {i.source: i for i in items}
    assert isinstance(by_source[str(tmp_path / "good.txt")], RawRecord)
    for name, kind in (("pipe.txt", "FIFO"), ("zero.jsonl", "character device"), ("sock.html", "socket")):
        rej = by_source[str(tmp_path / name)]
        assert rej.reason == "not_text" and kind in rej.detail


def test_unreadable_files_and_folders_are_read_errors(tmp_path: Path, monkeypatch):
    (tmp_path / "good.txt").write_text(f"Good\n{BODY}\n")
    (tmp_path / "secret.txt").write_text(f"Secret\n{BODY}\n")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "x.txt").write_text("x")
    if os.geteuid() == 0:  # root reads everything: refuse like the kernel would for anyone else
        real_open, real_scandir = os.open, os.scandir

        def deny_open(path, *args, **kwargs):
            if str(path).endswith("secret.txt"):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        def deny_scandir(path="."):
            if str(path).endswith("locked"):
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "open", deny_open)
        monkeypatch.setattr(os, "scandir", deny_scandir)
        monkeypatch.setattr(os, "listdir", lambda path=".": deny_scandir(path))
    else:
        (tmp_path / "secret.txt").chmod(0)
        (tmp_path / "locked").chmod(0)
    try:
        paths = expand_sources([str(tmp_path)])
        items = [i for p in paths for i in read(p)]
    finally:
        (tmp_path / "secret.txt").chmod(0o644)
        (tmp_path / "locked").chmod(0o755)
    by_source = {i.source: i for i in items}
    assert isinstance(by_source[str(tmp_path / "good.txt")], RawRecord)
    for name in ("secret.txt", "locked"):
        rej = by_source[str(tmp_path / name)]
        assert rej.reason == "read_error" and "Permission denied" in rej.detail


# ------------------------------------------------------------------------------------ encodings and NUL


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be", "utf-8-sig"])
def test_bom_text_is_decoded_not_called_binary(tmp_path: Path, encoding: str):
    """Was: UTF-16/32 with a BOM rejected as binary (NUL bytes)."""
    def bom(text: str) -> bytes:
        raw = text.encode(encoding)
        return raw if encoding in ("utf-16", "utf-32", "utf-8-sig") else {"utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}[encoding] + raw

    (tmp_path / "a.txt").write_bytes(bom(f"Zürich floods\n{BODY}\n"))
    (tmp_path / "a.jsonl").write_bytes(bom(good_line(1) + "\n" + good_line(2) + "\n"))
    (tmp_path / "a.html").write_bytes(bom(f"<html><body><p>{BODY}</p></body></html>"))
    [txt] = read(tmp_path / "a.txt")
    assert isinstance(txt, RawRecord) and txt.title == "Zürich floods" and txt.text == BODY
    assert [r.doc_id for r in read(tmp_path / "a.jsonl")] == ["good-1", "good-2"]
    [page] = read(tmp_path / "a.html")
    assert isinstance(page, RawRecord) and page.text == BODY


def test_nul_anywhere_is_not_text(tmp_path: Path):
    """Was: only the first 8 KB were checked; a later NUL reached the article text."""
    (tmp_path / "late.txt").write_bytes(b"Title\n" + b"x" * 9000 + b"\x00tail\n")
    (tmp_path / "late.html").write_bytes(f"<html><body><p>{BODY}</p>".encode() + b" " * 9000 + b"<p>a\x00b</p></body></html>")
    padding = "".join(good_line(i) + "\n" for i in range(100))  # > 8 KB: past the binary sniff
    (tmp_path / "late.jsonl").write_bytes(
        padding.encode()
        + "\n".join([json.dumps({"text": BODY + "\u0000"}), json.dumps({"text": BODY, "title": "a\u0000"})]).encode()
        + b'\n{"text": "raw \x00 byte"}\n' + good_line(100).encode() + b"\n"
    )
    assert reasons(read(tmp_path / "late.txt")) == ["not_text"]
    assert reasons(read(tmp_path / "late.html")) == ["not_text"]
    assert kinds(read(tmp_path / "late.jsonl")) == [("record", None)] * 100 + [("reject", "not_text")] * 3 + [("record", None)]
    (tmp_path / "binary.jsonl").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\n" * 50)  # NUL in the first 8 KB
    [rej] = read(tmp_path / "binary.jsonl")
    assert rej.reason == "not_text" and rej.source == str(tmp_path / "binary.jsonl")


def test_invalid_utf8_mid_jsonl_rejects_that_line_only(tmp_path: Path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(f"{good_line(1)}\n".encode() + b'{"text": "caf\xe9 au lait"}\n' + f"{good_line(2)}\n".encode())
    assert kinds(read(path)) == [("record", None), ("reject", "bad_encoding"), ("record", None)]
    lone = json.dumps({"text": BODY + "\ud800"})  # an escaped lone surrogate cannot be written as UTF-8 later
    assert kinds(parse_jsonl(lone.encode(), "s.jsonl", max_chars=10_000)) == [("reject", "bad_encoding")]


def test_two_bytes_ff_fe_before_junk_are_not_utf16():
    [item] = parse_text_file(b"\xff\xfe bad", "x.txt", max_chars=1000)
    assert item.reason == "bad_encoding"


# ---------------------------------------------------------------------------------------- structure


def test_hostile_json_lines_are_bad_json_never_a_crash(tmp_path: Path):
    """Was: 100,000 nested arrays raised RecursionError out of the reader (the whole source lost)."""
    lines = [
        "[" * 100_000 + "]" * 100_000,  # a nesting bomb (refused before parsing)
        "[" * 5_000 + "]" * 5_000,  # deep enough for RecursionError in json.loads
        '{"text": ' + "[" * 5_000 + "]" * 5_000 + "}",
        "[" + "{}," * 200_000 + "{}]",  # ~600 KB that would take ~15 MB as objects
        '{"text": "x", "n": ' + "9" * 5000 + "}",  # int longer than Python's 4300 digit limit: ValueError
        good_line(1),
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert kinds(read(path)) == [("reject", "bad_json")] * 5 + [("record", None)]


def test_huge_lines_fields_and_titles(tmp_path: Path):
    max_chars = 1000  # lines up to 6,000 + 64 KiB bytes
    lines = [
        good_line(1),
        json.dumps({"text": "x" * 1500}),  # text over max_chars
        json.dumps({"text": "y" * 100_000}),  # the whole line over the line cap: not even parsed
        json.dumps({"text": BODY, "title": "T" * 5000}),  # overlong title
        json.dumps({"text": BODY, "url": "https://x.org/" + "u" * 5000}),  # overlong url
        json.dumps({"text": BODY, "id": "i" * 5000}),  # overlong id
        good_line(2),
    ]
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")
    items = read(path, max_chars=max_chars)
    assert kinds(items) == [("record", None)] + [("reject", "too_large")] * 5 + [("record", None)]
    assert [i.source for i in items][2] == f"{path}:3"
    (tmp_path / "long-title.txt").write_text("T" * 1001 + f"\n{BODY}\n")
    assert reasons(read(tmp_path / "long-title.txt", max_chars=MAX_CHARS)) == ["too_large"]
    (tmp_path / "newlines.txt").write_text("\n" * 1_900_000 + f"Title\n{BODY}\n")  # no list of 1.9M lines
    [rec] = read(tmp_path / "newlines.txt", max_chars=MAX_CHARS)
    assert rec.title == "Title"
    (tmp_path / "big.txt").write_bytes(b"x" * 4001)  # 4 bytes per allowed character: refused by stat
    assert reasons(read(tmp_path / "big.txt", max_chars=max_chars)) == ["too_large"]


def test_overlong_html_titles_are_passed_over(tmp_path: Path):
    head = f"<meta property='og:title' content='{'T' * 5000}'><title>{'T' * 5000}</title>"
    (tmp_path / "t.html").write_text(f"<html><head>{head}</head><body><h1>Real title</h1><p>{BODY}</p></body></html>")
    [rec] = read(tmp_path / "t.html")
    assert rec.title == "Real title" and rec.text == BODY
    (tmp_path / "u.html").write_text(f"<html><head>{head}</head><body><p>{BODY}</p></body></html>")
    [rec] = read(tmp_path / "u.html")
    assert rec.title is None and rec.text == BODY


def test_entity_expansion_does_not_expand(tmp_path: Path):
    """Billion laughs: html.parser leaves &lol9; as it is; the feed reader refuses the entity declarations."""
    entities = "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "lol"}">' for i in range(10)
    )
    page = f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]><html><body><p>{BODY} &lol9;</p></body></html>'
    (tmp_path / "laughs.html").write_text(page)
    (tmp_path / "laughs.xml").write_text(page)
    [rec] = read(tmp_path / "laughs.html")
    assert isinstance(rec, RawRecord) and len(rec.text) < 2 * len(page) and "lollol" not in rec.text
    assert reasons(read(tmp_path / "laughs.xml")) == ["parse_error"]  # read as a feed: refused before expanding


def test_empty_files_are_empty_rejects(tmp_path: Path):
    for name in ("e.txt", "e.jsonl", "e.html", "blank.jsonl"):
        (tmp_path / name).write_text("\n\n  \n" if name.startswith("blank") else "")
    for name in ("e.txt", "e.jsonl", "e.html", "blank.jsonl"):
        assert reasons(read(tmp_path / name)) == ["empty"], name


def test_reject_flood_is_summed_up(tmp_path: Path):
    path = tmp_path / "flood.jsonl"
    path.write_text("{}\n" * 1500 + good_line(1) + "\n" + "nope\n" * 10)
    items = read(path)
    assert len(records(items)) == 1
    summary = items[-2:]
    assert [(s.reason, s.source) for s in summary] == [
        ("no_text_field", f"{path}:1001-1500"), ("bad_json", f"{path}:1502-1511")
    ]
    assert summary[0].detail.startswith("500 more lines") and summary[1].detail.startswith("10 more lines")


def test_good_articles_always_come_through_a_hostile_folder(tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "01-good.txt").write_text(f"Good text\n{BODY}\n")
    (folder / "02-good.jsonl").write_text(good_line(1) + "\n" + good_line(2) + "\n")
    (folder / "03-good.html").write_text(f"<html><body><p>{BODY}</p></body></html>")
    (folder / "deep.jsonl").write_text("[" * 100_000 + "\n" + good_line(3) + "\n")
    (folder / "cut.jsonl.gz").write_bytes(gzip.compress((good_line(4) + "\n").encode() * 50)[:-30])
    (folder / "nul.txt").write_bytes(b"T\n" + b"a" * 9000 + b"\x00")
    (folder / "png.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "image.png").write_bytes(b"\x89PNG")
    (folder / "loop").symlink_to(".")
    os.mkfifo(folder / "fifo.jsonl")
    items = in_thread(lambda: [i for p in expand_sources([str(folder), str(folder / "01-good.txt")]) for i in read(p)])
    ids = {r.doc_id for r in records(items)}
    assert {str(folder / "01-good.txt"), "good-1", "good-2", str(folder / "03-good.html"), "good-3", "good-4"} <= ids
    assert sum(r.doc_id == str(folder / "01-good.txt") for r in records(items)) == 1
    got = {i.source: i.reason for i in items if isinstance(i, Reject)}
    assert got == {
        f"{folder / 'deep.jsonl'}:1": "bad_json",
        str(folder / "cut.jsonl.gz"): "parse_error",
        str(folder / "nul.txt"): "not_text",
        str(folder / "png.html"): "not_text",
        str(folder / "image.png"): "not_text",
        str(folder / "fifo.jsonl"): "not_text",
    }


# ---------------------------------------------------------------------------------------- properties


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("prop")


json_lines = st.lists(
    st.one_of(
        st.builds(lambda t, title: json.dumps({"text": t, "title": title}), st.text(max_size=30), st.text(max_size=8)),
        st.text(max_size=20),
        st.sampled_from(["", "   ", "{}", "[]", "\ufeff", "{\"text\": 1}", "\r"]),
    ),
    max_size=12,
).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=600) | json_lines, suffix=st.sampled_from([".txt", ".jsonl", ".html", ".jsonl.gz", ".txt.gz"]))
def test_any_bytes_become_records_or_rejects(scratch: Path, raw: bytes, suffix: str):
    """Whatever a file holds, reading it never raises and yields at least one record or reject."""
    data = raw
    if suffix.endswith(".gz"):
        data = gzip.compress(raw)
        if len(raw) % 3 == 0:  # and sometimes cut short
            data = data[: len(data) // 2]
    path = scratch / f"x{suffix}"
    path.write_bytes(data)
    items = list(read_source(str(path), max_chars=200))
    assert items and all(isinstance(i, (RawRecord, Reject)) for i in items)
    for item in items:
        if isinstance(item, RawRecord):
            assert item.text.strip() and len(item.text) <= 200 and "\x00" not in item.text
            item.text.encode("utf-8")  # never a lone surrogate
        else:
            assert item.reason in {"empty", "not_text", "bad_encoding", "bad_json", "no_text_field", "too_large", "parse_error"}


@settings(max_examples=200, deadline=None)
@given(raw=json_lines | st.binary(max_size=200), chunk=st.integers(1, 9), cap=st.integers(1, 40))
def test_line_splitter_matches_a_plain_split(raw: bytes, chunk: int, cap: int):
    """The chunked line reader (blank runs skipped, over-long lines dropped while read) equals splitting
    the whole input on newlines, whatever the chunk size."""
    if raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        return  # BOMs (transcoded) and binary (refused) are tested above
    expected = []
    for no, line in enumerate(raw.split(b"\n"), start=1):
        line = line.lstrip(b" \t\r\n")
        if line:
            expected.append((no, line if len(line) <= cap else None, len(line)))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(readers, "READ_CHUNK", chunk)
        assert list(readers._Lines(io.BytesIO(raw), cap)) == expected
