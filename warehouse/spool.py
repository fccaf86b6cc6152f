"""A run's spool: the Parquet files a streaming run writes before its commit, in `DIR/_spool/<run_id>/`.

A run reads its inputs into record files here and writes each chunk's validated tables here (one file per
table and chunk); nothing here is committed, no reader looks here, and the publish streams these files into
the run's parts (`LocalWarehouse.publish_spooled`). The folder holds `.lock`, locked (`flock`) for as long
as the run lives, so a publish's recovery (`remove_dead_spools`) deletes the spools of dead runs (killed,
crashed) but never the one of a run still going: spools live outside `_staging/`, which every publish
empties, because runs extract while another run publishes.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

SPOOL_DIR = "_spool"
LOCK_NAME = ".lock"
UNLOCKED_GRACE_S = 60.0


@dataclass
class SpooledFile:
    """One file of a spool: what it holds and how many rows."""

    path: Path
    rows: int


@dataclass
class RunSpool:
    """`DIR/_spool/<run_id>/`, locked while open (`with RunSpool(...) as spool:`); removed on close."""

    root: Path  # the warehouse folder
    run_id: str
    _fd: int | None = field(default=None, init=False, repr=False)

    @property
    def folder(self) -> Path:
        return self.root / SPOOL_DIR / self.run_id

    def __enter__(self) -> "RunSpool":
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def remove(self) -> None:
        """Delete the spool (its lock last, so recovery never sees an unlocked spool of a live run)."""
        for path in sorted(self.folder.glob("*")) if self.folder.is_dir() else []:
            if path.name != LOCK_NAME:
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        if self._fd is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None
        parent = self.folder.parent
        try:
            parent.rmdir()  # only when no other run spools
        except OSError:
            pass

    def path(self, name: str) -> Path:
        return self.folder / name

    def write_table(self, table: str, chunk: int, frame: pl.DataFrame) -> SpooledFile:
        """Write one chunk's rows of `table` (already in the contract's columns)."""
        path = self.folder / f"{table}-{chunk:05d}.parquet"
        frame.write_parquet(path)
        return SpooledFile(path, frame.height)


class RecordWriter:
    """Rows appended in batches to one Parquet file of `schema` (the read tasks' records): at most
    `batch_rows` rows are held before they are written."""

    def __init__(self, path: Path, schema: pl.Schema, batch_rows: int = 1000) -> None:
        self.path, self.schema, self.batch_rows = path, schema, batch_rows
        self.rows = 0
        self._pending: list[dict] = []
        self._writer: pq.ParquetWriter | None = None

    def append(self, row: dict) -> None:
        self._pending.append(row)
        if len(self._pending) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._pending and self._writer is not None:
            return
        table = pl.DataFrame(self._pending, schema=self.schema).to_arrow()
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)
        self.rows += len(self._pending)
        self._pending = []

    def close(self) -> SpooledFile:
        self._flush()
        assert self._writer is not None
        self._writer.close()
        return SpooledFile(self.path, self.rows)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.path.unlink(missing_ok=True)


def iter_frames(files: list[Path], rows: int) -> Iterator[pl.DataFrame]:
    """The rows of `files` (same columns), in order, as frames of `rows` rows (the last one shorter);
    at most one frame and one Parquet batch are held at a time."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=min(rows, 10_000)):
            pending.append(batch)
            held += batch.num_rows
            while held >= rows:
                table = pa.Table.from_batches(pending)
                yield pl.from_arrow(table.slice(0, rows))
                rest = table.slice(rows)
                pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pl.from_arrow(pa.Table.from_batches(pending))


def remove_dead_spools(root: Path) -> list[str]:
    """Delete the spools under `root/_spool/` whose run is gone (lock free); what was removed."""
    base = root / SPOOL_DIR
    removed: list[str] = []
    if not base.is_dir():
        return removed
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        lock = folder / LOCK_NAME
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            if time.time() - folder.stat().st_mtime < UNLOCKED_GRACE_S:
                continue  # a run creating its spool this instant
            shutil.rmtree(folder, ignore_errors=True)  # created, never locked: a run that died at once
            removed.append(folder.relative_to(root).as_posix())
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live run's
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.relative_to(root).as_posix())
        finally:
            os.close(fd)
    return removed


