"""Deterministic ids: the same inputs give the same id in every run and version.

polars' own `hash` is not stable across releases, so ids come from SHA-1 over
the unit-separated string values, prefixed with a short table tag.
"""
from __future__ import annotations

import hashlib

import polars as pl

_SEP = "\x1f"


def stable_id(prefix: str, *parts: object) -> str:
    """`prefix` + 16 hex chars of SHA-1 over the parts (None -> empty)."""
    joined = _SEP.join("" if p is None else str(p) for p in parts)
    return prefix + hashlib.sha1(joined.encode("utf-8")).hexdigest()[:16]


def id_expr(prefix: str, *columns: str | pl.Expr) -> pl.Expr:
    """A column of `stable_id(prefix, *row values)`; vectorised per batch."""
    exprs = [pl.col(c) if isinstance(c, str) else c for c in columns]
    packed = pl.concat_str(
        [e.cast(pl.String).fill_null("") for e in exprs], separator=_SEP
    )

    def _hash(s: pl.Series) -> pl.Series:
        return pl.Series(
            [prefix + hashlib.sha1(v.encode("utf-8")).hexdigest()[:16] for v in s.to_list()],
            dtype=pl.String,
        )

    return packed.map_batches(_hash, return_dtype=pl.String)
