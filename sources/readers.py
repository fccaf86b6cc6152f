"""Read SOURCE arguments (files, folders, http(s) URLs) into raw article records.

This is the extract edge of the pipeline: it does I/O and nothing else. Every
input either becomes a `RawRecord` or a `Reject` with a short reason code, so
nothing is lost silently. Readers are generators, so callers can batch.

Nothing here trusts its input (docs/inputs.md): a file's size is checked with stat before it
is opened and again while it is read; JSON Lines (plain or gzipped) are streamed line by line
with a byte cap per line and, for gzip, on the decompressed total; folders are walked once per
real folder (symlink loops), each real file read once; FIFOs, devices and sockets are never
opened. Memory stays flat whatever a file holds.
"""
from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import re
import stat
import urllib.request
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from newsfacts.sources.fetch import FetchFailed, TransientFetchError, fetch
from newsfacts.sources.html import parse_html
from newsfacts.sources.limits import (
    JSONL_GZ_MAX_BYTES,
    MAX_JSON_CONTAINERS,
    READ_CHUNK,
    doc_bytes,
    line_bytes,
    too_many_containers,
)
from newsfacts.sources.pages import page_items
from newsfacts.sources.records import (
    ROW_FIELDS,
    Item,
    RawRecord,
    Reject,
    RejectCap,
    checked,
    row_record,
)
from newsfacts.sources.state import Validators
from newsfacts.sources.tables import TABLE_SUFFIXES, read_table
from newsfacts.sources.urls import canonical_url
from newsfacts.sources.warc import read_warc
from newsfacts.sources.xmldocs import (
    XML_SUFFIXES,
    current_options,
    document_validators,
    looks_like_xml,
    read_xml,
)

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
HTML_SUFFIXES = {".html", ".htm"}
WARC_SUFFIXES = {".warc"}  # and .warc.gz

# Byte order marks, UTF-32 before UTF-16 (FF FE 00 00 starts with FF FE).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


class SourceError(ValueError):
    """A SOURCE argument that cannot be read at all (a usage error, not a reject)."""


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _suffixes(path: Path) -> tuple[str, bool]:
    """(format suffix, gzipped) e.g. 'a.jsonl.gz' -> ('.jsonl', True)."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), gz


def _error(exc: BaseException) -> str:
    """"[Errno 13] Permission denied: 'x'" as is; other exceptions with their type's name."""
    text = str(exc)
    return (text if isinstance(exc, OSError) and exc.errno else f"{type(exc).__name__}: {text}")[:300]


# ------------------------------------------------------------------------------------------ expanding


def expand_sources(sources: Iterable[str]) -> list[str]:
    """Files and URLs in a stable order; folders are read recursively, hidden entries skipped.

    Each real file is listed once, under the first path that reached it (a folder and a file inside
    it, the same path twice, a symlink beside its target); each real folder is walked once, so
    symlink loops end. Paths that exist but are not regular files (FIFOs, devices, folders that
    cannot be listed) are listed too: `read_source` turns them into rejects without opening them.
    """
    seen: set[str] = set()
    return [path for source in sources for path in _first_seen(_expand_one(source), seen)]


@dataclass(frozen=True)
class Expanded:
    """One SOURCE argument: the files or URLs it names that no earlier SOURCE named, or why it names none."""

    source: str
    paths: list[str]
    error: str | None = None


def expand_each(sources: Iterable[str]) -> list[Expanded]:
    """`expand_sources` per SOURCE (a file named by two SOURCEs is listed for the first); a SOURCE that does
    not exist is an `Expanded` with its error instead of raising."""
    seen: set[str] = set()
    out = []
    for source in sources:
        try:
            out.append(Expanded(source, list(_first_seen(_expand_one(source), seen))))
        except SourceError as exc:
            out.append(Expanded(source, [], str(exc)))
    return out


def _first_seen(paths: Iterable[str], seen: set[str]) -> Iterator[str]:
    """`paths` not yet in `seen` (by real path; URLs as given), recording them there."""
    for path in paths:
        key = path if is_url(path) else os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            yield path


def _expand_one(source: str) -> list[str]:
    if is_url(source):
        return [source]
    try:
        mode = os.stat(source).st_mode
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise SourceError(f"no such file, folder or URL: {source}") from exc
    except OSError:  # e.g. a symlink loop or no permission: read_source says why, as a reject
        return [source]
    if stat.S_ISDIR(mode):
        return _walk(Path(source))
    return [source]


def _walk(root: Path) -> list[str]:
    """Every non-hidden entry below `root` that is not a folder, sorted; each real folder entered once."""
    found: list[Path] = []
    entered: set[tuple[int, int]] = set()
    todo = [root]
    while todo:
        folder = todo.pop()
        try:
            st = os.stat(folder)
        except OSError:
            found.append(folder)  # vanished or unreachable: a read_error reject
            continue
        if (st.st_dev, st.st_ino) in entered:  # a symlink loop, or a folder reached twice
            continue
        entered.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(folder) as it:
                entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
        except OSError:
            found.append(folder)  # cannot be listed: a read_error reject
            continue
        subfolders = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False  # e.g. a symlink to itself: a read_error reject
            (subfolders if is_dir else found).append(Path(entry.path))
        todo.extend(reversed(subfolders))
    return [str(p) for p in sorted(found)]


# --------------------------------------------------------------------------------------------- reading


def read_source(
    source: str,
    *,
    max_chars: int,
    timeout_s: float = 20.0,
    raise_transient: bool = False,
    max_bytes: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> Iterator[Item]:
    """Yield the records (or rejects) one source holds.

    With `raise_transient`, a URL that fails in a way worth retrying raises `TransientFetchError`
    instead of yielding a `fetch_error` reject. `max_bytes` caps the bytes of one document (and of
    one JSON line, one WARC record's payload, one CSV row); by default it derives from `max_chars` (see
    `limits`). `columns` maps article fields to CSV/Parquet columns (`{"text": "story"}`, see
    `sources.tables`); None: the `columns` setting.
    """
    if is_url(source):
        yield from _read_url(
            source, max_chars=max_chars, timeout_s=timeout_s, raise_transient=raise_transient, max_bytes=max_bytes
        )
        return
    yield from _read_file(source, max_chars=max_chars, max_bytes=max_bytes, columns=columns)


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _read_file(
    source: str, *, max_chars: int, max_bytes: int | None, columns: Mapping[str, str] | None = None
) -> Iterator[Item]:
    fmt, gz = _suffixes(Path(source))
    try:
        st = os.stat(source)
    except OSError as exc:
        yield Reject(source, "read_error", _error(exc))
        return
    if stat.S_ISDIR(st.st_mode):
        try:
            os.listdir(source)
            detail = "a folder"
        except OSError as exc:
            detail = f"a folder that cannot be listed: {_error(exc)}"
        yield Reject(source, "read_error", detail[:300])
        return
    if not stat.S_ISREG(st.st_mode):  # never opened: a FIFO would block, a device never end
        yield Reject(source, "not_text", f"{_file_kind(st.st_mode)}, not a regular file")
        return
    if fmt not in JSONL_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | WARC_SUFFIXES | TABLE_SUFFIXES.keys() | XML_SUFFIXES:
        yield Reject(source, "not_text", f"unsupported file type {fmt or '(none)'!r}")
        return
    cap = doc_bytes(max_chars, max_bytes)
    if fmt in TABLE_SUFFIXES:  # streamed by pyarrow (which also reads .csv.gz)
        if fmt == ".parquet" and gz:
            yield Reject(source, "not_text", "unsupported file type '.parquet.gz' (Parquet compresses itself)")
            return
        yield from read_table(source, fmt, max_chars=max_chars, max_bytes=cap, columns=_columns(columns))
        return
    streamed = fmt in JSONL_SUFFIXES | WARC_SUFFIXES
    if not streamed and not gz and st.st_size > cap:
        yield Reject(source, "too_large", f"{st.st_size} bytes > {cap}")
        return
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(source, flags)
    except OSError as exc:
        yield Reject(source, "read_error", _error(exc))
        return
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the stat above
            yield Reject(source, "not_text", "not a regular file")
            return
        if fmt in WARC_SUFFIXES:  # gzip or not by its first bytes
            yield from read_warc(f, source, max_chars=max_chars, cap=cap)
            return
        stream: BinaryIO = gzip.GzipFile(fileobj=f, mode="rb") if gz else f
        if fmt in JSONL_SUFFIXES:
            yield from _jsonl(
                stream, source, max_chars=max_chars, max_bytes=max_bytes, total_cap=JSONL_GZ_MAX_BYTES if gz else None
            )
            return
        raw = yield from _read_document(stream, source, cap=cap, gz=gz)
        if raw is None:
            return
    if fmt in TEXT_SUFFIXES:
        yield from parse_text_file(raw, source, max_chars=max_chars)
    elif fmt in XML_SUFFIXES:  # a feed or a sitemap (sources.xmldocs)
        options = current_options(timeout_s=None, max_bytes=cap)
        yield from read_xml(raw, source, base_url=None, max_chars=max_chars, options=options)
    else:
        yield from parse_html(raw, source, max_chars=max_chars, url=None)


def _columns(columns: Mapping[str, str] | None) -> Mapping[str, str]:
    """The column mapping given, else the `columns` setting (env `NEWSFACTS_COLUMNS`, `newsfacts.toml`)."""
    if columns is not None:
        return columns
    from newsfacts.settings import Settings

    return Settings().columns


def _read_document(stream: BinaryIO, source: str, *, cap: int, gz: bool) -> Iterator[Item]:
    """Read at most `cap` bytes (decompressed, for gzip): returns them, or yields the reject and returns None."""
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := stream.read(min(READ_CHUNK, cap + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                what = "decompressed bytes" if gz else "bytes"
                yield Reject(source, "too_large", f"more than {cap} {what}")
                return None
    except GZIP_ERRORS as exc:
        yield Reject(source, "parse_error", f"corrupt or truncated gzip: {_error(exc)}"[:300])
        return None
    except OSError as exc:
        yield Reject(source, "parse_error" if gz else "read_error", _error(exc))
        return None
    return b"".join(chunks)


# ------------------------------------------------------------------------------------------ plain text


def _decode(raw: bytes, source: str) -> str | Reject:
    """Text by byte order mark (UTF-8/16/32), else UTF-8; binary (NUL) and undecodable bytes are rejects.

    A UTF-16/32 BOM is trusted when the decoded text holds some ASCII (line breaks, spaces, digits):
    two bytes FF FE in front of random bytes are not UTF-16 text."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                if encoding == "utf-8":
                    return Reject(source, "bad_encoding", str(exc)[:300])
                break
            if encoding == "utf-8" or re.search("[\x01-\x7f]", text):
                if "\x00" in text:
                    return Reject(source, "not_text", f"NUL character at offset {text.index(chr(0))}")
                return text
            break
    if b"\x00" in raw:
        return Reject(source, "not_text", f"binary content (NUL byte at offset {raw.index(0)})")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Reject(source, "bad_encoding", str(exc)[:300])


NON_SPACE = re.compile(r"\S")


# Metadata a .txt/.md article may carry: YAML-style front matter between `---` lines at the top, or
# `Key: value` lines right under the title (e.g. `Date: 2024-05-02`). Keys are case-insensitive.
HEADER_LINE = re.compile(r"(?i)^(title|date|published|published_at|url|source|language|lang)[ \t]*:[ \t]*(\S.*?)\s*$")
HEADER_FIELDS = {
    "title": "title", "date": "published_at", "published": "published_at", "published_at": "published_at",
    "url": "url", "source": "source", "language": "language", "lang": "language",
}


def _header(lines: list[str]) -> dict[str, str] | None:
    """The fields of `Key: value` lines, or None if a line is not one."""
    fields: dict[str, str] = {}
    for line in lines:
        match = HEADER_LINE.match(line)
        if match is None:
            return None
        fields.setdefault(HEADER_FIELDS[match.group(1).lower()], match.group(2).strip("\"'"))
    return fields


# Other YAML in front matter, skipped: keys of no article field (`author:`, `tags:`), indented or list lines,
# comments; and block scalars (`title: >`) whose value is on the next lines.
OTHER_YAML = re.compile(r"^(?:[A-Za-z_][\w -]*:(?:\s|$)|\s+\S|-(?:\s|$)|#)")
BLOCK_SCALAR = {">", "|", ">-", "|-", ">+", "|+"}


def _front_matter_fields(lines: list[str]) -> dict[str, str] | None:
    """The article fields of front matter lines, or None if a line is not YAML-like `key: value`."""
    fields: dict[str, str] = {}
    for line in lines:
        match = HEADER_LINE.match(line)
        if match is not None and match.group(2) not in BLOCK_SCALAR:
            fields.setdefault(HEADER_FIELDS[match.group(1).lower()], match.group(2).strip("\"'"))
        elif match is None and OTHER_YAML.match(line) is None:
            return None
    return fields


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """(fields, rest) for text that opens with a `---` block of YAML-style `key: value` lines, else ({}, text).
    Keys of no article field (author, tags, ...) are skipped."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0 or end > 4096:
        return {}, text
    fields = _front_matter_fields([line for line in text[4:end].split("\n") if line.strip()])
    if fields is None:
        return {}, text
    after = text.find("\n", end + 4)
    return fields, ("" if after < 0 else text[after + 1 :])


def parse_text_file(raw: bytes, source: str, *, max_chars: int) -> Iterator[Item]:
    """A plain-text article: the first non-empty line is the title, the rest is the body.

    Optional metadata: front matter (`---` / `title: ...` / `date: ...` / `---`) at the top, or
    `Key: value` lines directly under the title (`Date:`, `Published:`, `URL:`, `Source:`, `Language:`);
    they fill the article's columns and are not part of its text.
    """
    decoded = _decode(raw, source)
    if isinstance(decoded, Reject):
        yield decoded
        return
    if len(decoded) > max_chars:
        yield Reject(source, "too_large", f"{len(decoded)} characters > {max_chars}")
        return
    text = decoded.replace("\r\n", "\n").replace("\r", "\n")
    fields, text = _front_matter(text)
    first = NON_SPACE.search(text)  # no split into lines: a file of 8 MB of newlines is 8M strings
    if first is None:
        yield Reject(source, "empty", "no text")
        return
    from_front_matter = "title" in fields
    if from_front_matter:
        title, end = fields["title"], first.start() - 1
    else:
        start = text.rfind("\n", 0, first.start()) + 1
        end = text.find("\n", first.start())
        if end < 0:
            end = len(text)
        title = text[start:end].strip()
    while not from_front_matter:  # `Key: value` lines right under a first-line title
        line_end = text.find("\n", end + 1)
        line = text[end + 1 : line_end if line_end >= 0 else len(text)]
        found = _header([line]) if line.strip() else None
        if not found:
            break
        for key, value in found.items():
            fields.setdefault(key, value)
        end = line_end if line_end >= 0 else len(text)
    body = text[end + 1 :].strip()
    if not body:
        yield Reject(source, "empty", "a title but no body")
        return
    record = RawRecord(
        doc_id=source, source=fields.get("source") or source, text=body, title=title,
        url=fields.get("url"), published_at=fields.get("published_at"), language=fields.get("language"),
    )
    yield checked(
        record, source, max_chars=max_chars, empty_detail="no body",
        names=("title", "url", "source", "published_at", "language"),
    )


# ----------------------------------------------------------------------------------------- JSON Lines


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_jsonl(raw: bytes, source: str, *, max_chars: int) -> Iterator[Item]:
    """One article per line: `text` required; `id`, `title`, `url`, `published_at`, `source`, `language` optional."""
    yield from _jsonl(io.BytesIO(raw), source, max_chars=max_chars)


class _TooMuch(Exception):
    """More decompressed bytes than the cap."""


class _Binary(Exception):
    """NUL bytes at the start of a stream without a UTF-16/32 byte order mark: not JSON Lines at all."""


class _Lines:
    """Non-blank lines of a byte stream as (line number, bytes or None when longer than `cap`, length).

    Reads `READ_CHUNK` bytes at a time; runs of blank lines are skipped at C speed (a stream of
    newlines costs no Python loop per line); a line over `cap` is dropped while it is read, so
    memory never exceeds `cap` plus a chunk. UTF-16/32 input (by BOM) is transcoded to UTF-8
    chunk by chunk; a UTF-8 BOM is dropped. `line_no` and `size` tell how far reading got.
    """

    BLANK = re.compile(rb"[ \t\r\n]*")

    def __init__(self, stream: BinaryIO, cap: int, total_cap: int | None = None) -> None:
        self.stream, self.cap, self.total_cap = stream, cap, total_cap
        self.line_no = 1  # the line being read
        self.size = 0  # bytes read from the stream (decompressed)
        self.encoding = "utf-8"

    def _raw_chunks(self) -> Iterator[bytes]:
        # read1: GzipFile.read(n) loses what it decompressed when the stream turns out truncated
        read = getattr(self.stream, "read1", self.stream.read)
        while chunk := read(READ_CHUNK):
            self.size += len(chunk)
            if self.total_cap is not None and self.size > self.total_cap:
                raise _TooMuch
            yield chunk

    def _chunks(self) -> Iterator[bytes]:
        chunks = self._raw_chunks()
        head = b""
        for chunk in chunks:  # enough bytes to see a BOM
            head += chunk
            if len(head) >= 4:
                break
        for bom, encoding in BOMS:
            if head.startswith(bom):
                head, self.encoding = head[len(bom) :], encoding
                break
        if self.encoding == "utf-8":
            if b"\x00" in head[:8192]:
                raise _Binary
            yield from _chain(head, chunks)
            return
        decoder = codecs.getincrementaldecoder(self.encoding)("strict")
        for chunk in _chain(head, chunks):
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")

    def __iter__(self) -> Iterator[tuple[int, bytes | None, int]]:
        pending: list[bytes] = []  # pieces of the line being read
        length = 0  # its length so far
        too_long = False
        blank = self.BLANK
        for chunk in self._chunks():
            pos, n = 0, len(chunk)
            while pos < n:
                if length == 0:  # at a line start: skip blank lines (and leading blanks)
                    end = blank.match(chunk, pos).end()
                    self.line_no += chunk.count(b"\n", pos, end)
                    pos = end
                    if pos == n:
                        break
                nl = chunk.find(b"\n", pos)
                stop = n if nl < 0 else nl
                if not too_long:
                    if length + stop - pos > self.cap:
                        too_long, pending = True, []
                    else:
                        pending.append(chunk[pos:stop])
                length += stop - pos
                if nl < 0:
                    break
                yield self.line_no, (None if too_long else b"".join(pending)), length
                self.line_no += 1
                pending, length, too_long = [], 0, False
                pos = nl + 1
        if length:
            yield self.line_no, (None if too_long else b"".join(pending)), length


def _chain(head: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from chunks


def _jsonl(
    stream: BinaryIO, source: str, *, max_chars: int, max_bytes: int | None = None, total_cap: int | None = None
) -> Iterator[Item]:
    """Stream JSON Lines: one item per non-blank line, then at most one reject for the stream itself
    (truncated or corrupt gzip, decompressed past `total_cap`, unreadable, undecodable, no lines at all)."""
    cap = line_bytes(max_chars, max_bytes)
    lines = _Lines(stream, cap, total_cap)
    rejects = RejectCap(source)
    lines_seen = 0
    try:
        for line_no, line, length in lines:
            lines_seen += 1
            where = f"{source}:{line_no}"
            if line is None:
                item: Item = Reject(where, "too_large", f"a line of {length} bytes > {cap}")
            else:
                item = _jsonl_item(line, where, source, max_chars=max_chars)
            if isinstance(item, Reject):
                item = rejects.add(item, line_no)
                if item is None:
                    continue
            yield item
    except _Binary:
        yield Reject(source, "not_text", "binary content (NUL bytes)")
    except _TooMuch:
        yield Reject(source, "too_large", f"more than {total_cap} decompressed bytes; lines after {lines.line_no - 1} not read")
    except GZIP_ERRORS as exc:
        yield Reject(
            source, "parse_error",
            f"truncated or corrupt gzip: lines before {lines.line_no} kept, the rest lost ({_error(exc)})"[:300],
        )
    except UnicodeDecodeError as exc:
        yield Reject(source, "bad_encoding", f"{lines.encoding} from line {lines.line_no}: {exc}"[:300])
    except OSError as exc:
        yield Reject(source, "read_error", f"after line {lines.line_no - 1}: {_error(exc)}"[:300])
    else:
        if not lines_seen:
            yield Reject(source, "empty", "no JSON lines (the file is empty or blank)")
    yield from rejects.summary()


def _jsonl_item(line: bytes, where: str, source: str, *, max_chars: int) -> Item:
    if b"\x00" in line:
        return Reject(where, "not_text", "NUL byte in the line")
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Reject(where, "bad_encoding", str(exc)[:300])
    if too_many_containers(line):
        return Reject(where, "bad_json", f"more than {MAX_JSON_CONTAINERS} '{{' and '[' (nesting or structure bomb)")
    try:
        obj = json.loads(decoded)
    except RecursionError:
        return Reject(where, "bad_json", "nested too deeply")
    except ValueError as exc:  # JSONDecodeError, and e.g. an integer of more than 4300 digits
        return Reject(where, "bad_json", str(exc)[:300])
    if not isinstance(obj, dict):
        return Reject(where, "bad_json", f"expected an object, got {type(obj).__name__}")
    text = obj.get("text")
    if text is None:
        return Reject(where, "no_text_field", "no 'text' field")
    if not isinstance(text, str):
        return Reject(where, "not_text", f"'text' is {type(text).__name__}")
    fields = {name: _opt_str(obj.get(name)) for name in ROW_FIELDS}
    return row_record(text, fields, where, source, max_chars=max_chars, empty_detail="'text' is blank")


# ------------------------------------------------------------------------------------------------ URLs


def _read_url(
    url: str, *, max_chars: int, timeout_s: float, raise_transient: bool = False, max_bytes: int | None = None
) -> Iterator[Item]:
    """Fetch `url` (`sources.fetch`: User-Agent, per-host concurrency, timeout, size cap, bounded redirects, only
    http(s); a SOURCE the operator named is not checked against robots.txt nor paced) and read what it answers:
    JSON Lines, an HTML page (`sources.pages`: canonical URL, login walls), a feed or sitemap (`sources.xmldocs`),
    text.

    A feed or sitemap fetched before (by a flow run with a warehouse) is asked for with its stored ETag /
    Last-Modified; a 304 answer yields nothing: there is nothing new."""
    cap = doc_bytes(max_chars, max_bytes)
    options = current_options(timeout_s=timeout_s, max_bytes=cap)
    before = document_validators(url)
    try:
        response = fetch(url, options.policy, etag=before.etag, last_modified=before.last_modified, discovered=False)
    except FetchFailed as exc:
        if raise_transient and exc.transient:
            raise TransientFetchError(exc.detail) from exc
        yield Reject(url, exc.reason, exc.detail)
        return
    if response.not_modified:
        return
    raw, content_type, final_url = response.body, response.content_type, response.final_url
    path = Path(urllib.request.urlparse(final_url).path)
    fmt, gz = _suffixes(path)
    jsonl = fmt in JSONL_SUFFIXES or content_type in {"application/x-ndjson", "application/jsonl"}
    stream: BinaryIO = gzip.GzipFile(fileobj=io.BytesIO(raw), mode="rb") if gz else io.BytesIO(raw)
    if jsonl:
        yield from _jsonl(
            stream, url, max_chars=max_chars, max_bytes=max_bytes, total_cap=JSONL_GZ_MAX_BYTES if gz else None
        )
        return
    if gz:
        raw = yield from _read_document(stream, url, cap=cap, gz=True)
        if raw is None:
            return
    html = content_type in {"text/html", "application/xhtml+xml"} or fmt in HTML_SUFFIXES
    if fmt in XML_SUFFIXES or (not html and looks_like_xml(raw, content_type)):
        validators = Validators(response.etag, response.last_modified)
        yield from read_xml(
            raw, url, base_url=final_url, max_chars=max_chars, options=options, raise_transient=raise_transient,
            validators=validators,
        )
    elif html:
        yield from page_items(raw, url, final_url=final_url, max_chars=max_chars)
    elif content_type.startswith("text/"):
        for item in parse_text_file(raw, url, max_chars=max_chars):
            yield RawRecord(**{**item.__dict__, "url": canonical_url(final_url)}) if isinstance(item, RawRecord) else item
    else:
        yield Reject(url, "not_text", f"content type {content_type}")
