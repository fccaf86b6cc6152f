"""Which committed Parquet parts a compaction merges (pure planning; `LocalWarehouse.compact()` does the I/O).

Every run adds one small part per table, so 1,000 runs leave about 6,000 files. A compaction merges the
small parts of one table and one partition (`ingest_date`) into one file; parts written before partitions
existed (`parquet/<table>/part-*.parquet`) are moved into their partition on the way (merged with the
partition's other small parts), so a table folder is one clean hive dataset afterwards.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from newsfacts.warehouse.commits import PartFile
from newsfacts.warehouse.layout import partition_of

MiB = 1024 * 1024


@dataclass(frozen=True)
class CompactionPolicy:
    """When a publish compacts on its own (settings `compact_auto`, `compact_max_small_parts`,
    `compact_small_mb`; docs/warehouse.md "Compaction")."""

    auto: bool = True  # compact after a publish when a table needs it
    max_small_parts: int = 20  # ... i.e. when it has more small parts than this that could be merged
    small_bytes: int = 64 * MiB  # a part under this size is small; larger parts are left as they are

    @classmethod
    def from_settings(cls) -> "CompactionPolicy":
        from newsfacts.settings import Settings

        settings = Settings()
        return cls(
            auto=settings.compact_auto,
            max_small_parts=settings.compact_max_small_parts,
            small_bytes=int(settings.compact_small_mb * MiB),
        )


@dataclass(frozen=True)
class MergeGroup:
    """Parts of one table to merge into one file in the partition of `ingest_date`."""

    table: str
    ingest_date: date
    parts: tuple[PartFile, ...]

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)


def plan_compaction(
    parts: list[PartFile],
    size_of: Callable[[str], int],
    legacy_dates: Mapping[str, date],
    small_bytes: int,
) -> list[MergeGroup]:
    """The merges worth doing over the committed `parts` (in commit order): per table and ingest date, the
    small parts when there are at least two, and every part without a partition folder (moved into the
    partition `legacy_dates` gives it, merged with that partition's small parts). `size_of` is asked only
    for parts in partitions holding more than one part."""
    buckets: dict[tuple[str, date], list[PartFile]] = defaultdict(list)
    for part in parts:
        day = partition_of(part.path) or legacy_dates[part.path]
        buckets[(part.table, day)].append(part)
    groups = []
    for (table, day), members in buckets.items():
        legacy = [p for p in members if partition_of(p.path) is None]
        if len(members) < 2 and not legacy:
            continue
        chosen = [p for p in members if partition_of(p.path) is None or size_of(p.path) < small_bytes]
        if len(chosen) >= 2 or legacy:
            groups.append(MergeGroup(table, day, tuple(chosen)))
    return sorted(groups, key=lambda g: (g.table, g.ingest_date))


def tables_due(groups: list[MergeGroup], parts: list[PartFile], max_small_parts: int) -> set[str]:
    """The tables an automatic compaction should merge: more than `max_small_parts` parts could be merged,
    or the folder mixes parts with and without a partition (polars and DuckDB refuse such a folder)."""
    mergeable: dict[str, int] = defaultdict(int)
    for group in groups:
        mergeable[group.table] += len(group.parts)
    flat = {p.table for p in parts if partition_of(p.path) is None}
    partitioned = {p.table for p in parts if partition_of(p.path) is not None}
    return {t for t, n in mergeable.items() if n > max_small_parts} | (flat & partitioned)
