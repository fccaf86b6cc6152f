"""Compaction of a remote warehouse (`warehouse/remote.py`): many small parts merged in the store itself.

Every run adds one small part per table to the store, and a new copy (`newsfacts sync`) downloads each. After
a run pushes, its worker compacts the tables that are due under the same policy as a local warehouse
(`compact_auto`, `compact_max_small_parts`, `compact_small_mb`; `compaction.py` plans it): per table and
ingest date the small parts are merged, from the mirror's copies of them, into one part named
`part-compact-<random token>.parquet` (names never collide across workers, unlike a sequence number), which
is uploaded; then a `compact` manifest (format 2: `parts` and `retires`) is created at the next number like
any commit. When that number was taken meanwhile:

- by a publish: the parts it retires are all still live, so it takes the next number;
- by another compaction that retired any of the same parts: this one is abandoned (its uploads deleted),
  so rows are never shown twice or lost; an automatic compaction then stops, an explicit one plans again.

The retired objects stay in the store: a copy being synced may still be reading them, and a new copy never
downloads them (only live parts are fetched). The merged parts are staged in the mirror, so the mirror pulls
the compaction without downloading what it wrote; its copies of the retired parts go at its next recovery
(every publish starts with one).
"""
from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone

import polars as pl
from newsfacts.warehouse.commits import Manifest, PartFile, committed_parts, fsync_file
from newsfacts.warehouse.compaction import (
    CompactionPolicy,
    MergeGroup,
    plan_compaction,
    tables_due,
)
from newsfacts.warehouse.layout import part_path, partition_of, staged_path
from newsfacts.warehouse.publish import LocalWarehouse
from newsfacts.warehouse.remote import (
    RemoteError,
    RemoteStore,
    local_file,
    manifest_key,
    pending,
    pull,
    push,
)

from newsfacts.schema import TABLES, conform

log = logging.getLogger(__name__)

MAX_PLANS = 5  # an explicit compaction re-plans at most this often when other compactions win


@dataclass
class RemoteCompaction:
    """What `compact_remote` committed (manifest None: nothing was due, or it lost to another compaction)."""

    manifest: str | None = None
    written: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    abandoned: int = 0  # plans given up because another compaction retired the same parts first


def _file_date(path: os.PathLike) -> date:
    return datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc).date()


def _plan(mirror: LocalWarehouse, policy: CompactionPolicy, auto: bool) -> list[MergeGroup]:
    parts = committed_parts(mirror.commits())
    flat = {p.path: _file_date(local_file(mirror, p.path)) for p in parts if partition_of(p.path) is None}
    groups = plan_compaction(parts, lambda path: local_file(mirror, path).stat().st_size, flat, policy.small_bytes)
    if auto:
        due = tables_due(groups, parts, policy.max_small_parts)
        groups = [g for g in groups if g.table in due]
    return groups


def _merge(mirror: LocalWarehouse, group: MergeGroup) -> pl.DataFrame:
    frame = pl.concat(
        [conform(pl.scan_parquet(local_file(mirror, p.path), hive_partitioning=False), TABLES[group.table])
         for p in group.parts]
    ).collect()
    if frame.height != group.rows:
        raise RemoteError(f"{group.table} {group.ingest_date}: read {frame.height} rows, the manifests say {group.rows}")
    return frame


def compact_remote(
    store: RemoteStore, mirror: LocalWarehouse, policy: CompactionPolicy, *, auto: bool
) -> RemoteCompaction:
    """Merge the store's small parts (the tables due when `auto`, else every table with something to merge)
    as one `compact` commit. Pushes the mirror's waiting commits first; holds the mirror's lock."""
    done = RemoteCompaction()
    with mirror.locked():
        push(store, mirror)
        head = pull(store, mirror).head
        if pending(mirror):
            raise RemoteError(f"{mirror.root} still has commits to push; not compacting {store.url}")
        for _ in range(MAX_PLANS):
            groups = _plan(mirror, policy, auto)
            if not groups:
                return done
            token = uuid.uuid4().hex[:12]
            written = [PartFile(g.table, part_path(g.table, g.ingest_date, f"compact-{token}"), g.rows) for g in groups]
            staged = [mirror.root / staged_path(p.path) for p in written]
            for group, part, local in zip(groups, written, staged):
                local.parent.mkdir(parents=True, exist_ok=True)
                _merge(mirror, group).write_parquet(local)
                fsync_file(local)
                store.upload(local, part.path)
            retires = tuple(p for g in groups for p in g.parts)
            manifest = Manifest(head + 1, f"compact-{token}", "compact", datetime.now(timezone.utc).isoformat(),
                                tuple(written), retires=retires)
            while not store.create(manifest_key(manifest.seq), manifest.to_json()):
                head = pull(store, mirror).head  # someone committed first: still valid?
                live = {p.path for p in committed_parts(mirror.commits())}
                if not all(p.path in live for p in retires):
                    manifest = None
                    break
                manifest = replace(manifest, seq=head + 1)
            if manifest is None:  # another compaction retired some of these parts: ours would show rows twice
                store.delete([p.path for p in written])
                for local in staged:
                    local.unlink(missing_ok=True)
                done.abandoned += 1
                log.warning("%s: another worker compacted the same parts first; abandoned %s", store.url, token)
                if auto:
                    return done
                continue
            pull(store, mirror)  # the compaction into the mirror: its merged parts are staged there already
            log.info("%s: compacted %d parts into %d (%s)", store.url, len(retires), len(written),
                     manifest_key(manifest.seq))
            done.manifest = manifest_key(manifest.seq)
            done.written = [p.path for p in written]
            done.retired = [p.path for p in retires]
            return done
    return done
