"""Per-feed watermarks kept with the warehouse: what a feed or sitemap poll already dealt with.

One JSON file per feed or sitemap SOURCE, `DIR/_state/feeds/<sha1 of the source>.json`:

    {"source": ..., "updated_at": ...,
     "documents": {url: {"etag": ..., "last_modified": ...}},   # validators of the feed / each sitemap read
     "seen": [key, ...]}                                       # entry guids and canonical links, oldest first

The flow writes it (`save`) only after the run's publish has committed (docs/warehouse.md), so a run that
crashes or is stopped by the data-quality gate leaves the previous watermark and its entries are fetched
again. Each file is written atomically: a temporary file, fsync, rename over the old one, fsync the folder.
`seen` keeps the newest `MAX_SEEN` keys. A missing or unreadable file is an empty watermark (everything is
new; the warehouse's known URLs still keep published articles from being fetched again).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

STATE_DIR = Path("_state") / "feeds"
MAX_SEEN = 50_000


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FeedState:
    source: str
    documents: dict[str, Validators] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Checkpoint:
    """What one read of a feed or sitemap learnt, to remember once the run has committed: the validators of
    the documents it fetched and the keys of the entries it handled (published, duplicate or rejected)."""

    source: str
    documents: dict[str, Validators]
    keys: tuple[str, ...]


def state_path(root: Path, source: str) -> Path:
    return Path(root) / STATE_DIR / f"{hashlib.sha1(source.encode('utf-8')).hexdigest()}.json"


def load(root: Path, source: str) -> FeedState:
    try:
        data = json.loads(state_path(root, source).read_text(encoding="utf-8"))
        documents = {
            url: Validators(v.get("etag"), v.get("last_modified")) for url, v in data.get("documents", {}).items()
        }
        seen = [k for k in data.get("seen", []) if isinstance(k, str)]
    except (OSError, ValueError, AttributeError):
        return FeedState(source)
    return FeedState(source, documents, seen)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(root: Path, checkpoint: Checkpoint) -> Path:
    """Merge `checkpoint` into the source's watermark and write it atomically. Call after the commit."""
    state = load(root, checkpoint.source)
    documents = {**state.documents, **checkpoint.documents}
    seen = list(dict.fromkeys([*state.seen, *checkpoint.keys]))[-MAX_SEEN:]
    data = {
        "source": checkpoint.source,
        "updated_at": datetime.now(timezone.utc).isoformat(),
        "documents": {url: {"etag": v.etag, "last_modified": v.last_modified} for url, v in documents.items()},
        "seen": seen,
    }
    path = state_path(root, checkpoint.source)
    _write_atomically(path, json.dumps(data, ensure_ascii=False, indent=1))
    return path


def save_all(root: Path, checkpoints: list[Checkpoint]) -> None:
    """Save several checkpoints; two of one source (the same feed named twice) merge."""
    for checkpoint in checkpoints:
        save(root, checkpoint)


def known_url_keys(article_parts: list[Path]) -> frozenset[str]:
    """`url_key` of every published article's URL (the warehouse's committed `articles` parts)."""
    if not article_parts:
        return frozenset()
    import polars as pl
    from newsfacts.sources.urls import url_key

    urls = pl.scan_parquet(article_parts).select("url").drop_nulls().unique().collect()["url"]
    return frozenset(key for key in map(url_key, urls) if key)
