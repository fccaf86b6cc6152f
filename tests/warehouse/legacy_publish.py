"""The warehouse writer as it was before the commit log (newsfacts 0.1.0, warehouse/publish.py at a70820e),
kept verbatim below this docstring so tests can create a LEGACY warehouse (parts and DuckDB file, no
`_commits/`) exactly as deployed versions wrote it. Used only by tests/warehouse/test_recovery.py.
"""
from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from newsfacts.schema import PRIMARY_KEYS, TABLES, conform

DB_NAME = "newsfacts.duckdb"


class PublishError(RuntimeError):
    """The warehouse could not be updated; it was left as it was."""


class WarehouseBusy(PublishError):
    """Another process held the warehouse's publish lock for longer than the wait allowed."""


def _sql(name: str) -> str:
    return resources.files("newsfacts.warehouse").joinpath("sql", name).read_text(encoding="utf-8")


def _mart_files() -> list[str]:
    marts = resources.files("newsfacts.warehouse").joinpath("sql", "marts")
    return sorted(f"marts/{p.name}" for p in marts.iterdir() if p.name.endswith(".sql"))


@dataclass
class LocalWarehouse:
    """The default storage: a local folder holding Parquet parts and the DuckDB file."""

    root: Path
    lock_timeout_s: float = 600.0
    _lock_depth: int = field(default=0, init=False, repr=False, compare=False)
    _lock_fd: int | None = field(default=None, init=False, repr=False, compare=False)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the warehouse's exclusive publish lock (re-entrant within this object)."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".publish.lock", os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.lock_timeout_s
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise WarehouseBusy(
                            f"{self.root} is being published by another run; gave up after {self.lock_timeout_s:.0f} s"
                        ) from None
                    time.sleep(0.2)
            self._lock_fd, self._lock_depth = fd, 1
            try:
                yield
            finally:
                self._lock_fd, self._lock_depth = None, 0
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def unpublished(self, tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
        """`tables` without the rows whose primary keys are already published (call under `locked()`)."""
        out = {}
        for table, frame in tables.items():
            key = PRIMARY_KEYS.get(table)
            if key is None or frame.height == 0:
                out[table] = frame
                continue
            known = self.known_keys(table)
            out[table] = frame.filter(~pl.col(key).is_in(known.implode())) if known.len() else frame
        return out

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def parquet_dir(self) -> Path:
        return self.root / "parquet"

    def parts(self, table: str) -> list[Path]:
        return sorted((self.parquet_dir / table).glob("part-*.parquet"))

    def known_keys(self, table: str) -> pl.Series:
        """Primary keys already published for `table` (read from Parquet, so no DuckDB lock is taken)."""
        key = PRIMARY_KEYS[table]
        parts = self.parts(table)
        if not parts:
            return pl.Series(key, [], dtype=pl.String)
        return pl.scan_parquet(parts).select(key).collect()[key]

    def row_counts(self) -> dict[str, int]:
        counts = {}
        for table in TABLES:
            parts = self.parts(table)
            counts[table] = pl.scan_parquet(parts).select(pl.len()).collect().item() if parts else 0
        return counts

    def publish(self, run_id: str, tables: dict[str, pl.DataFrame]) -> None:
        """Add `tables` (new rows only) as this run's parts and swap in a rebuilt DuckDB file."""
        with self.locked():
            self._publish(run_id, tables)

    def rebuild(self) -> dict[str, int]:
        """Rebuild the DuckDB file (tables and marts) from the Parquet parts; returns rows per table."""
        with self.locked():
            self._publish(f"rebuild-{os.getpid()}-{time.time_ns()}", {})
            return self.row_counts()

    def _publish(self, run_id: str, tables: dict[str, pl.DataFrame]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        staged: list[tuple[Path, Path]] = []
        tmp_db = self.root / f".{DB_NAME}.{run_id}.tmp"
        try:
            for table in TABLES:  # one folder per table, also while it has no rows
                (self.parquet_dir / table).mkdir(parents=True, exist_ok=True)
            for table, frame in tables.items():
                if table not in TABLES:
                    raise PublishError(f"unknown table {table!r}")
                if frame.height == 0:
                    continue
                folder = self.parquet_dir / table
                final = folder / f"part-{run_id}.parquet"
                if final.exists():
                    raise PublishError(f"{final} exists: run ids must be unique")
                tmp = folder / f".part-{run_id}.parquet.tmp"
                conform(frame, TABLES[table]).collect().write_parquet(tmp)
                staged.append((tmp, final))
            new_parts = {tmp.parent.name: tmp for tmp, _ in staged}
            self._build_database(tmp_db, new_parts)
            for tmp, final in staged:
                os.replace(tmp, final)
            os.replace(tmp_db, self.db_path)
        except Exception as exc:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise PublishError(f"publish failed, warehouse unchanged: {exc}") from exc
        finally:
            for leftover in (tmp_db, tmp_db.with_name(tmp_db.name + ".wal")):
                leftover.unlink(missing_ok=True)

    def _build_database(self, path: Path, new_parts: dict[str, Path]) -> None:
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        try:
            con.execute(_sql("ddl.sql"))
            for table, schema in TABLES.items():
                files = [str(p) for p in self.parts(table)]
                if table in new_parts:
                    files.append(str(new_parts[table]))
                if not files:
                    continue
                columns = ", ".join(schema.names())
                con.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} "
                    "FROM read_parquet(?, union_by_name = true)",
                    [files],
                )
            for mart in _mart_files():
                con.execute(_sql(mart))
            con.execute("CHECKPOINT")
        finally:
            con.close()
