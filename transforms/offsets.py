"""Byte offsets (what polars' Aho-Corasick reports) to character offsets (what the contract uses)."""
from __future__ import annotations


def byte_to_char_offsets(text: str, byte_offsets: list[int]) -> list[int]:
    """Character offsets of UTF-8 byte offsets into `text`, in the order given.

    Linear in the text length plus the number of offsets (one incremental decode over the
    sorted offsets), so long non-ASCII articles with many matches stay cheap; ASCII texts
    need no conversion at all.
    """
    if not byte_offsets:
        return []
    if text.isascii():
        return list(byte_offsets)
    raw = text.encode("utf-8")
    chars: dict[int, int] = {}
    prev_byte = prev_char = 0
    for b in sorted(set(byte_offsets)):
        prev_char += len(raw[prev_byte:b].decode("utf-8", errors="replace"))
        prev_byte = b
        chars[b] = prev_char
    return [chars[b] for b in byte_offsets]
