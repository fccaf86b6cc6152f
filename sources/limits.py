"""Limits that keep hostile or broken input from hurting the machine (see docs/inputs.md).

The byte caps derive from `max_chars` (the setting `max_article_chars`) unless a reader is given an
explicit `max_bytes`. The readers import these constants by name: to change one in a test, patch it where it
is used (e.g. `readers.JSONL_GZ_MAX_BYTES`).
"""
from __future__ import annotations

READ_CHUNK = 1 << 20  # bytes read (or decompressed) at a time: memory stays flat whatever the input

# One document (a .txt or .html file, a fetched body, a decompressed .txt.gz/.html.gz) may hold this many
# bytes per allowed character: checked with stat before a file is opened, and again while reading.
BYTES_PER_CHAR = 4
# One JSON line may hold this many bytes per allowed character (json.dumps escapes non-ASCII as \uXXXX)
# plus room for the id, title, url and other fields.
JSONL_BYTES_PER_CHAR = 6
JSONL_LINE_SLACK = 64 * 1024
# Decompressed bytes read from one .jsonl.gz / .ndjson.gz (streamed line by line, so memory stays flat);
# past it the rest of the file is a `too_large` reject and the lines read so far are kept.
JSONL_GZ_MAX_BYTES = 1 << 30

# Fields of a record beside the text.
MAX_TITLE_CHARS = 1_000
MAX_FIELD_CHARS = 2_048  # id, url, source, published_at, language

# A JSON value with more '{' and '[' than this is refused before parsing: nesting bombs, and structures
# that would take ~20x their size in memory once parsed (`[{},{},...]`).
MAX_JSON_CONTAINERS = 100_000

# An HTML page with more elements than this is a `parse_error` reject (real pages have a few thousand).
MAX_HTML_ELEMENTS = 100_000

# Line rejects kept per file; later ones are summed up in one reject per reason code.
MAX_REJECTS_PER_FILE = 1_000


def doc_bytes(max_chars: int, max_bytes: int | None = None) -> int:
    """Byte cap for one document."""
    return max_bytes if max_bytes is not None else max_chars * BYTES_PER_CHAR


def line_bytes(max_chars: int, max_bytes: int | None = None) -> int:
    """Byte cap for one JSON line."""
    return max_bytes if max_bytes is not None else max_chars * JSONL_BYTES_PER_CHAR + JSONL_LINE_SLACK


def too_many_containers(text: str | bytes) -> bool:
    """True when a JSON text holds more '{' and '[' than `MAX_JSON_CONTAINERS` (strings included: cheap)."""
    if len(text) <= MAX_JSON_CONTAINERS:
        return False
    if isinstance(text, str):
        return text.count("{") + text.count("[") > MAX_JSON_CONTAINERS
    return text.count(b"{") + text.count(b"[") > MAX_JSON_CONTAINERS
