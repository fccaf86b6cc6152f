"""Atomic publishing of a run into the warehouse folder.

Layout: `DIR/parquet/<table>/part-<run_id>.parquet` (one part per run that added
rows: the source of truth) and `DIR/newsfacts.duckdb` (built from all parts).
DuckDB 2 refuses every other open while a process writes a file, so the
database is never written in place: each publish builds a new file beside it
and renames it over the old one, and readers only ever see a whole warehouse.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from newsfacts.schema import PRIMARY_KEYS, TABLES, conform

DB_NAME = "newsfacts.duckdb"


class PublishError(RuntimeError):
    """The warehouse could not be updated; it was left as it was."""


def _sql(name: str) -> str:
    return resources.files("newsfacts.warehouse").joinpath("sql", name).read_text(encoding="utf-8")


def _mart_files() -> list[str]:
    marts = resources.files("newsfacts.warehouse").joinpath("sql", "marts")
    return sorted(f"marts/{p.name}" for p in marts.iterdir() if p.name.endswith(".sql"))


@dataclass
class LocalWarehouse:
    """The default storage: a local folder holding Parquet parts and the DuckDB file."""

    root: Path

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
