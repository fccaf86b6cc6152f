"""WARC and WARC.gz archives (web crawls such as Common Crawl's CC-NEWS) -> raw article records.

Every `response` record with HTTP status 200 and an HTML payload becomes an article: its body goes through
`parse_html`, `url` is the record's WARC-Target-URI and `published_at` the page's own publication date, else
the capture date (WARC-Date). Every other record (requests, metadata, warcinfo, revisits, 404s, redirects,
PDFs, images) is counted, not rejected one by one: the file gets one `skipped_records` reject that says how
many of each kind were skipped. Streaming: records are read one at a time (warcio), a record's body is read
up to the byte cap and the rest skipped unread, so memory stays flat whatever the archive's size. A truncated
or corrupt archive keeps the records before the damage and yields one `parse_error` reject for the tail.
"""
from __future__ import annotations

import gzip
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from newsfacts.sources.html import parse_html
from newsfacts.sources.limits import READ_CHUNK
from newsfacts.sources.records import Item, RawRecord, Reject, RejectCap
from warcio.archiveiterator import ArchiveIterator

GZIP_MAGIC = b"\x1f\x8b"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
HTML_SNIFF = re.compile(rb"(?i)<!doctype html|<html[\s>]")
STATUS = re.compile(r"\s*(\d{3})")


class _Damaged(Exception):
    """The archive ends or breaks inside a record."""


class _BadPayload(Exception):
    """A record whose HTTP payload cannot be decoded (its transfer or content encoding is broken)."""


class _GuardedGzip:
    """A .warc.gz decompressed with the standard library (every member, in order), where a truncated or
    corrupt stream reads as its end and the error is kept: warcio's own decompressor drops a damaged tail
    without telling. `read1` returns what each step decompressed, so nothing before the damage is lost."""

    def __init__(self, stream: BinaryIO) -> None:
        self.gz = gzip.GzipFile(fileobj=stream, mode="rb")
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        if self.error is not None:
            return b""
        try:
            return self.gz.read1(size if size and size > 0 else READ_CHUNK)
        except (EOFError, OSError, ValueError) as exc:  # EOFError: truncated; BadGzipFile/zlib.error: corrupt
            self.error = exc
            return b""


@dataclass
class SkipTally:
    """Records that did not become articles and were not rejected one by one, by kind."""

    non_response: Counter[str] = field(default_factory=Counter)  # by WARC-Type
    non_200: Counter[str] = field(default_factory=Counter)  # by HTTP status
    non_html: Counter[str] = field(default_factory=Counter)  # by content type

    def reject(self, source: str) -> Reject | None:
        parts = [
            (sum(counter.values()), label, counter)
            for label, counter in (("non-HTML", self.non_html), ("non-200", self.non_200), ("non-response", self.non_response))
        ]
        if not any(n for n, _, _ in parts):
            return None
        summary = ", ".join(f"{n} {label}" for n, label, _ in parts if n)
        kinds = "; ".join(
            f"{label}: " + ", ".join(f"{key} {n}" for key, n in counter.most_common(4))
            for total, label, counter in parts
            if total
        )
        return Reject(source, "skipped_records", f"{summary} records ({kinds})"[:300])


def _body(record, cap: int) -> tuple[bytes | None, int]:
    """(payload, bytes read) with the payload None when it holds more than `cap` bytes; the rest of the record
    is read and dropped. Raises `_Damaged` when the archive ends before the record does."""
    stream = record.content_stream()
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := stream.read(min(READ_CHUNK, cap + 1 - size) if size <= cap else READ_CHUNK):
            size += len(chunk)
            if size <= cap:
                chunks.append(chunk)
            else:
                chunks = []
    except Exception as exc:  # noqa: BLE001 - e.g. a corrupt gzip Content-Encoding: this record only
        _finish(record)
        raise _BadPayload(f"{type(exc).__name__}: {exc}") from exc
    _finish(record)
    return (b"".join(chunks) if size <= cap else None), size


def _finish(record) -> None:
    """Read what is left of `record`; raise `_Damaged` if the archive ended inside it."""
    raw = record.raw_stream
    while raw.read(READ_CHUNK):
        pass
    if getattr(raw, "limit", 0) > 0:
        raise _Damaged(f"{raw.limit} bytes of the record missing")


def _content_type(record) -> str | None:
    value = record.http_headers.get_header("Content-Type") if record.http_headers else None
    return value.split(";", 1)[0].strip().lower() if value else None


def read_warc(stream: BinaryIO, source: str, *, max_chars: int, cap: int) -> Iterator[Item]:
    """The articles an open WARC or WARC.gz file holds (by its first bytes, not its name), then the file's
    `skipped_records` summary and, when the archive is damaged, one `parse_error` for its tail. `cap` bounds
    one record's payload in bytes (larger ones are `too_large` rejects)."""
    head = stream.read(2)
    stream.seek(0)
    guarded = _GuardedGzip(stream) if head == GZIP_MAGIC else None
    tally = SkipTally()
    rejects = RejectCap(source, unit="records", sep="#record")
    number = intact = 0
    damage: str | None = None
    try:
        records = ArchiveIterator(guarded or stream)
        for record in records:
            if records.known_format != "warc":  # warcio also takes ARC files, and lines of text for them
                damage = f"not a WARC file (record {number + 1} is not a WARC record)"
                break
            number += 1
            item = _record_item(record, source, number, tally, max_chars=max_chars, cap=cap)
            intact = number
            if isinstance(item, Reject):
                item = rejects.add(item, number)
            if item is not None:
                yield item
    except _Damaged as exc:
        damage = f"record {number} is cut short ({exc})"
    except Exception as exc:  # noqa: BLE001 - warcio's parse errors (ArchiveLoadFailed, header parsing, ...)
        damage = f"{type(exc).__name__}: {exc}"
    if guarded is not None and guarded.error is not None:
        gz_error = f"{type(guarded.error).__name__}: {guarded.error}"
        damage = f"{damage}; {gz_error}" if damage else gz_error
    if number == 0 and damage is None:
        yield Reject(source, "empty", "no WARC records (an empty file)")
        return
    yield from rejects.summary()
    summary = tally.reject(source)
    if summary is not None:
        yield summary
    if damage is not None:
        yield Reject(source, "parse_error", f"truncated or corrupt WARC: the {intact} records before the damage were "
                     f"read, the rest is lost ({damage})"[:300])


def _record_item(record, source: str, number: int, tally: SkipTally, *, max_chars: int, cap: int) -> Item | None:
    """The article or reject of one record, or None when it is only counted in `tally`."""
    where = f"{source}#record{number}"
    kind = record.rec_type or "unknown"
    if kind != "response" or record.http_headers is None:
        _finish(record)
        tally.non_response[kind if kind != "response" else "response without HTTP headers"] += 1
        return None
    match = STATUS.match(record.http_headers.statusline or "")
    status = match.group(1) if match else "no status"
    if status != "200":
        _finish(record)
        tally.non_200[status] += 1
        return None
    content_type = _content_type(record)
    if content_type is not None and content_type not in HTML_TYPES:
        _finish(record)
        tally.non_html[content_type] += 1
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI") or None
    try:
        body, size = _body(record, cap)
    except _BadPayload as exc:
        return Reject(where, "parse_error", f"{uri}: the payload cannot be decoded: {exc}"[:300])
    if body is None:
        return Reject(where, "too_large", f"{uri}: a payload of {size} bytes > {cap}"[:300])
    if content_type is None and not HTML_SNIFF.search(body[:1024]):
        tally.non_html["no content type, not HTML"] += 1
        return None
    captured = record.rec_headers.get_header("WARC-Date") or None
    for item in parse_html(body, where, max_chars=max_chars, url=uri):
        if isinstance(item, Reject):
            return replace(item, detail=f"{uri}: {item.detail}"[:300])
        return _with_capture(item, source=source, captured=captured)
    return None


def _with_capture(record: RawRecord, *, source: str, captured: str | None) -> RawRecord:
    """The page's record with the archive as its source and the capture date when the page gives none."""
    return replace(record, source=source, published_at=record.published_at or captured)
