"""Read SOURCE arguments (files, folders, http(s) URLs) into raw article records.

This is the extract edge of the pipeline: it does I/O and nothing else. Every
input either becomes a `RawRecord` or a `Reject` with a short reason code, so
nothing is lost silently. Readers are generators, so callers can batch.
"""
from __future__ import annotations

import gzip
import http.client
import io
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

from newsfacts.sources.html import parse_html
from newsfacts.sources.records import Item, RawRecord, Reject, body_reject

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
HTML_SUFFIXES = {".html", ".htm"}


class SourceError(ValueError):
    """A SOURCE argument that cannot be read at all (a usage error, not a reject)."""


class TransientFetchError(OSError):
    """A fetch that may succeed if tried again: no connection, a timeout, HTTP 429 or 5xx.

    Raised only when the caller asks for it (`raise_transient=True`, the flow's retrying
    task); otherwise the failure is a `fetch_error` reject like any other.
    """


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _suffixes(path: Path) -> tuple[str, bool]:
    """(format suffix, gzipped) e.g. 'a.jsonl.gz' -> ('.jsonl', True)."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), gz


def expand_sources(sources: Iterable[str]) -> list[str]:
    """Files and URLs in a stable order; folders are read recursively, hidden entries skipped."""
    out: list[str] = []
    for source in sources:
        if is_url(source):
            out.append(source)
            continue
        path = Path(source)
        if path.is_dir():
            found = []
            for folder, dirs, files in os.walk(path, followlinks=True):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.extend(Path(folder) / f for f in files if not f.startswith("."))
            out.extend(str(p) for p in sorted(found))
        elif path.is_file():
            out.append(str(path))
        else:
            raise SourceError(f"no such file, folder or URL: {source}")
    return out


def read_source(
    source: str, *, max_chars: int, timeout_s: float = 20.0, raise_transient: bool = False
) -> Iterator[Item]:
    """Yield the records (or rejects) one source holds.

    With `raise_transient`, a URL that fails in a way worth retrying raises `TransientFetchError`
    instead of yielding a `fetch_error` reject.
    """
    if is_url(source):
        yield from _read_url(source, max_chars=max_chars, timeout_s=timeout_s, raise_transient=raise_transient)
        return
    path = Path(source)
    fmt, gz = _suffixes(path)
    try:
        raw = path.read_bytes()
        if gz:
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield Reject(source, "parse_error" if gz else "read_error", str(exc)[:300])
        return
    if fmt in JSONL_SUFFIXES:
        yield from parse_jsonl(raw, source, max_chars=max_chars)
    elif fmt in TEXT_SUFFIXES:
        yield from parse_text_file(raw, source, max_chars=max_chars)
    elif fmt in HTML_SUFFIXES:
        yield from parse_html(raw, source, max_chars=max_chars, url=None)
    else:
        yield Reject(source, "not_text", f"unsupported file type {fmt or '(none)'!r}")


def _decode(raw: bytes, source: str) -> str | Reject:
    if b"\x00" in raw[:8192]:
        return Reject(source, "not_text", "binary content (NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Reject(source, "bad_encoding", str(exc)[:300])


def parse_text_file(raw: bytes, source: str, *, max_chars: int) -> Iterator[Item]:
    """A plain-text article: the first non-empty line is the title, the rest is the body."""
    decoded = _decode(raw, source)
    if isinstance(decoded, Reject):
        yield decoded
        return
    if len(decoded) > max_chars:
        yield Reject(source, "too_large", f"{len(decoded)} characters > {max_chars}")
        return
    lines = decoded.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    nonempty = [i for i, line in enumerate(lines) if line.strip()]
    if not nonempty:
        yield Reject(source, "empty", "no text")
        return
    title = lines[nonempty[0]].strip()
    body = "\n".join(lines[nonempty[0] + 1 :]).strip()
    if not body:
        yield Reject(source, "empty", "a title but no body")
        return
    yield RawRecord(doc_id=source, source=source, text=body, title=title)


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_jsonl(raw: bytes, source: str, *, max_chars: int) -> Iterator[Item]:
    """One article per line: `text` required; `id`, `title`, `url`, `published_at`, `source`, `language` optional."""
    decoded = _decode(raw, source)
    if isinstance(decoded, Reject):
        yield decoded
        return
    for line_no, line in enumerate(io.StringIO(decoded), start=1):
        where = f"{source}:{line_no}"
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Reject(where, "bad_json", str(exc)[:300])
            continue
        if not isinstance(obj, dict):
            yield Reject(where, "bad_json", f"expected an object, got {type(obj).__name__}")
            continue
        text = obj.get("text")
        if text is None:
            yield Reject(where, "no_text_field", "no 'text' field")
            continue
        if not isinstance(text, str):
            yield Reject(where, "not_text", f"'text' is {type(text).__name__}")
            continue
        problem = body_reject(text, where, max_chars=max_chars, empty_detail="'text' is blank")
        if problem:
            yield problem
            continue
        yield RawRecord(
            doc_id=_opt_str(obj.get("id")) or where,
            source=_opt_str(obj.get("source")) or source,
            text=text,
            title=_opt_str(obj.get("title")),
            url=_opt_str(obj.get("url")),
            published_at=_opt_str(obj.get("published_at")),
            language=_opt_str(obj.get("language")),
        )


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, (urllib.error.URLError, TimeoutError, ConnectionError, http.client.IncompleteRead))


def _read_url(url: str, *, max_chars: int, timeout_s: float, raise_transient: bool = False) -> Iterator[Item]:
    request = urllib.request.Request(url, headers={"User-Agent": "newsfacts/0.1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            content_type = response.headers.get_content_type()
            raw = response.read(max_chars * 4 + 1)
            if response.length and len(raw) <= max_chars * 4:  # closed before its Content-Length
                raise http.client.IncompleteRead(raw, response.length)
            final_url = response.geturl()
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        if raise_transient and _is_transient(exc):
            raise TransientFetchError(f"{url}: {exc}") from exc
        yield Reject(url, "fetch_error", str(exc)[:300])
        return
    if len(raw) > max_chars * 4:
        yield Reject(url, "too_large", f"more than {max_chars * 4} bytes")
        return
    path = Path(urllib.request.urlparse(final_url).path)
    fmt, gz = _suffixes(path)
    if gz:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            yield Reject(url, "parse_error", str(exc)[:300])
            return
    if fmt in JSONL_SUFFIXES or content_type in {"application/x-ndjson", "application/jsonl"}:
        yield from parse_jsonl(raw, url, max_chars=max_chars)
    elif content_type in {"text/html", "application/xhtml+xml"} or fmt in HTML_SUFFIXES:
        yield from parse_html(raw, url, max_chars=max_chars, url=final_url)
    elif content_type.startswith("text/"):
        for item in parse_text_file(raw, url, max_chars=max_chars):
            yield RawRecord(**{**item.__dict__, "url": final_url}) if isinstance(item, RawRecord) else item
    else:
        yield Reject(url, "not_text", f"content type {content_type}")
