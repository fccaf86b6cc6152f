"""Publishing a run into the warehouse folder, with one commit point.

Layout (docs/warehouse.md): `DIR/parquet/<table>/part-<run_id>.parquet` (the rows; the source of truth),
`DIR/_commits/<seq>-<run_id>.json` (one manifest per commit naming its part files) and
`DIR/newsfacts.duckdb` (built from the committed parts; its `warehouse_commits` table says up to which
commit). A part file is visible only once a committed manifest names it, and every reader here (`parts`,
`known_keys`, `row_counts`, `unpublished`, the DuckDB build) goes by the manifests alone.

A publish, under `DIR/.publish.lock` (an exclusive `flock`, so runs into one warehouse never interleave):

1. `recover()`: adopt a warehouse written before manifests existed, delete what a dead publish left behind
   (its staged parts, tmp files, tmp DuckDB files), rebuild a stale DuckDB file;
2. stage: each table's part is written to a tmp name, fsynced and renamed to its final name (invisible:
   no manifest names it yet);
3. build the new DuckDB file beside the old one from the committed parts plus the staged ones (this also
   checks the keys and constraints of the DDL, so rows that cannot be loaded are never committed);
4. COMMIT: write the manifest durably (tmp, fsync, rename, fsync of `_commits/`);
5. rename the new DuckDB file over the old one (DuckDB 2 refuses other opens while a process writes a
   file, so the database is never written in place; readers holding the old file keep their view).

Killed before 4: nothing changed that a reader sees; the next publish deletes the leftovers. Killed after 4
and before 5: the run is committed, the DuckDB file shows the previous commit (stale but consistent) and the
next publish or `rebuild()` brings it up to date. `NEWSFACTS_FAULT_AT` (test-only, `faults.py`) kills the
process at each of these steps.
"""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from newsfacts.schema import PRIMARY_KEYS, TABLES, conform
from newsfacts.warehouse.commits import (
    COMMITS_DIR,
    Manifest,
    PartFile,
    fsync_dir,
    fsync_file,
    intent_path,
    read_intents,
    read_manifests,
    write_durably,
    write_intent,
)
from newsfacts.warehouse.faults import fault_point

DB_NAME = "newsfacts.duckdb"
STORAGE_COMPATIBILITY = "v1.5.0"  # readable by DuckDB >= 1.5 clients (tests/warehouse/test_bi_clients.py)
log = logging.getLogger(__name__)

STALE = "the DuckDB file is stale and will be rebuilt by the next publish or `newsfacts rebuild`"


class PublishError(RuntimeError):
    """The warehouse could not be updated as asked. The message says the state it was left in:
    `nothing committed; ...` (readers see the warehouse as it was) or `committed run X; ...`
    (the run's rows are published; `committed` is then True)."""

    def __init__(self, message: str, *, run_id: str | None = None, committed: bool = False) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.committed = committed


class WarehouseBusy(PublishError):
    """Another process held the warehouse's publish lock for longer than the wait allowed."""


@dataclass
class Recovery:
    """What `recover()` did."""

    adopted: list[str] = field(default_factory=list)  # legacy part files adopted into the first manifest
    removed: list[str] = field(default_factory=list)  # uncommitted leftovers deleted
    foreign: list[str] = field(default_factory=list)  # part files nobody committed or staged: left alone
    rebuilt: bool = False  # the DuckDB file was rebuilt


def _sql(name: str) -> str:
    return resources.files("newsfacts.warehouse").joinpath("sql", name).read_text(encoding="utf-8")


def _mart_files() -> list[str]:
    marts = resources.files("newsfacts.warehouse").joinpath("sql", "marts")
    return sorted(f"marts/{p.name}" for p in marts.iterdir() if p.name.endswith(".sql"))


COMMITS_DDL = """
CREATE TABLE warehouse_commits (   -- the commits (DIR/_commits/*.json) this file was built from
    seq          BIGINT PRIMARY KEY,
    manifest     VARCHAR NOT NULL,
    kind         VARCHAR,          -- publish | legacy | adopted
    run_id       VARCHAR,
    committed_at TIMESTAMPTZ,
    parts        INTEGER,
    rows         BIGINT
);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _unlink(path: Path) -> bool:
    """Remove a file; False when it could not be removed (a missing file counts as removed)."""
    try:
        path.unlink(missing_ok=True)
        return True
    except OSError:
        return False


@dataclass
class LocalWarehouse:
    """The default storage: a local folder holding Parquet parts, the commit log and the DuckDB file."""

    root: Path
    lock_timeout_s: float = 600.0
    _lock_depth: int = field(default=0, init=False, repr=False, compare=False)
    _lock_fd: int | None = field(default=None, init=False, repr=False, compare=False)
    _manifests: dict[str, Manifest] = field(default_factory=dict, init=False, repr=False, compare=False)

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

    # --- reading: committed manifests only ----------------------------------------------------------

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def parquet_dir(self) -> Path:
        return self.root / "parquet"

    @property
    def commits_dir(self) -> Path:
        return self.root / COMMITS_DIR

    def commits(self) -> list[Manifest]:
        """The committed manifests, oldest first. A warehouse written before manifests existed (no
        `_commits/` yet) shows all its part files as one not yet adopted commit, as it always did."""
        if self.commits_dir.is_dir():
            return read_manifests(self.commits_dir, self._manifests)
        legacy = self._legacy_manifest()
        return [legacy] if legacy.parts else []

    def last_commit(self) -> Manifest | None:
        commits = self.commits()
        return commits[-1] if commits else None

    def _committed_parts(self) -> list[PartFile]:
        return [part for manifest in self.commits() for part in manifest.parts]

    def parts(self, table: str) -> list[Path]:
        """The committed part files of `table`, in commit order."""
        return [self.root / p.path for p in self._committed_parts() if p.table == table]

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

    def known_keys(self, table: str) -> pl.Series:
        """Primary keys already published for `table` (read from the committed Parquet, so no DuckDB lock)."""
        key = PRIMARY_KEYS[table]
        parts = self.parts(table)
        if not parts:
            return pl.Series(key, [], dtype=pl.String)
        return pl.scan_parquet(parts).select(key).collect()[key]

    def row_counts(self) -> dict[str, int]:
        """Rows per table over the committed parts (from the manifests)."""
        counts = dict.fromkeys(TABLES, 0)
        for part in self._committed_parts():
            if part.table in counts:
                counts[part.table] += part.rows
        return counts

    def database_commit(self) -> str | None:
        """The manifest of the last commit the DuckDB file was built from (None: built before any commit,
        or by a version without the commit log). Raises when the file is missing or unreadable."""
        if not self.db_path.is_file():
            raise FileNotFoundError(self.db_path)
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            try:
                row = con.execute("SELECT manifest FROM warehouse_commits ORDER BY seq DESC LIMIT 1").fetchone()
            except duckdb.CatalogException:
                return None
            return row[0] if row else None
        finally:
            con.close()

    def is_stale(self) -> bool:
        """True when the DuckDB file does not show exactly the committed data: it was built before the last
        commit, or it is missing or unreadable while there are commits."""
        last = self.last_commit()
        try:
            built = self.database_commit()
        except FileNotFoundError:
            return last is not None
        except (duckdb.Error, OSError):
            return True
        return built != (last.name if last else None)

    # --- writing -------------------------------------------------------------------------------------

    def publish(self, run_id: str, tables: dict[str, pl.DataFrame]) -> None:
        """Commit `tables` (new rows only) as this run's parts and swap in a rebuilt DuckDB file."""
        with self.locked():
            try:
                self._recover(adopt_foreign=False, force_rebuild=False)
            except WarehouseBusy:
                raise
            except Exception as exc:
                raise PublishError(
                    f"publish of run {run_id} failed while recovering {self.root}: nothing committed; "
                    f"nothing staged ({type(exc).__name__}: {exc})",
                    run_id=run_id,
                ) from exc
            frames = self._frames(run_id, tables)
            if frames:
                self._commit(run_id, frames)
            elif not self.db_path.exists():
                self._rebuild_database()  # a first publish with no rows still leaves a queryable file

    def recover(self) -> Recovery:
        """Under the lock: adopt a pre-manifest warehouse, delete uncommitted leftovers, rebuild a stale
        DuckDB file. Every publish starts with it; safe to call at any time."""
        with self.locked():
            return self._recover(adopt_foreign=False, force_rebuild=False)

    def rebuild(self) -> dict[str, int]:
        """Rebuild the DuckDB file (tables and marts) from the committed parts; returns rows per table.
        Part files copied into `parquet/<table>/` from elsewhere are adopted (committed) first."""
        with self.locked():
            self._recover(adopt_foreign=True, force_rebuild=True)
            return self.row_counts()

    # --- recovery ------------------------------------------------------------------------------------

    def _recover(self, *, adopt_foreign: bool, force_rebuild: bool) -> Recovery:
        report = Recovery()
        for table in TABLES:  # one folder per table, also while it has no rows
            (self.parquet_dir / table).mkdir(parents=True, exist_ok=True)
        report.adopted = self._adopt_legacy()
        report.removed = self._remove_leftovers()
        report.foreign = [str(p.relative_to(self.root)) for p in self._foreign_parts()]
        if report.removed:
            log.warning("%s: removed what an unfinished publish left: %s", self.root, ", ".join(report.removed))
        if report.foreign and adopt_foreign:
            self._adopt_foreign(report.foreign)
            report.rebuilt = True
        elif force_rebuild or self.is_stale():
            self._rebuild_database()
            report.rebuilt = True
        if report.foreign and not adopt_foreign:
            log.warning(
                "%s: part files no commit names (copied in?) are ignored: %s; `newsfacts rebuild` adopts them",
                self.root, ", ".join(report.foreign),
            )
        return report

    def _legacy_manifest(self) -> Manifest:
        """All part files on disk, as the warehouse showed them before the commit log existed."""
        import pyarrow.parquet as pq

        parts = []
        for table in TABLES:
            for path in sorted((self.parquet_dir / table).glob("part-*.parquet")):
                parts.append(PartFile(table, path.relative_to(self.root).as_posix(), pq.read_metadata(path).num_rows))
        return Manifest(1, "legacy", "legacy", _now(), tuple(parts))

    def _adopt_legacy(self) -> list[str]:
        """A folder without `_commits/` was written before manifests existed (or is new): its part files
        were all published, so they become the first commit. `_commits/` appears atomically with it."""
        if self.commits_dir.is_dir():
            return []
        staging = self.root / f"{COMMITS_DIR}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        legacy = self._legacy_manifest()
        if legacy.parts:
            write_durably(staging / legacy.name, legacy.to_json())
        fsync_dir(staging)
        os.replace(staging, self.commits_dir)
        fsync_dir(self.root)
        if legacy.parts:
            log.warning("%s: adopted %d part files of a warehouse without a commit log", self.root, len(legacy.parts))
        return [p.path for p in legacy.parts]

    def _remove_leftovers(self) -> list[str]:
        """Delete what a publish that died before its commit left: the parts its intent announced (unless
        committed), tmp files, tmp DuckDB files and their WAL. Only called under the lock, when no other
        publish is running."""
        removed: list[Path] = []
        committed = {p.path for p in self._committed_parts()}
        for intent, files in read_intents(self.commits_dir):
            for rel in files:
                path = self.root / rel
                if rel not in committed and path.is_file():
                    path.unlink()
                    removed.append(path)
            intent.unlink()
            removed.append(intent)
        candidates = [*self.commits_dir.glob(".*.tmp"), *self.root.glob(f".{DB_NAME}.*.tmp"),
                      *self.root.glob(f".{DB_NAME}.*.tmp.wal")]
        for table in TABLES:
            candidates += (self.parquet_dir / table).glob(".*.tmp")
        for path in candidates:
            if path.is_file():  # a directory there is not ours
                path.unlink()
                removed.append(path)
        shutil.rmtree(self.root / f"{COMMITS_DIR}.tmp", ignore_errors=True)
        return [str(p.relative_to(self.root)) for p in removed]

    def _foreign_parts(self) -> list[Path]:
        committed = {p.path for p in self._committed_parts()}
        return [
            path
            for table in TABLES
            for path in sorted((self.parquet_dir / table).glob("part-*.parquet"))
            if path.relative_to(self.root).as_posix() not in committed
        ]

    def _adopt_foreign(self, files: list[str]) -> None:
        """Commit part files someone put into `parquet/<table>/` (`rebuild()` after copying parts in)."""
        import pyarrow.parquet as pq

        last = self.last_commit()
        parts = tuple(
            PartFile(Path(rel).parent.name, rel, pq.read_metadata(self.root / rel).num_rows) for rel in files
        )
        manifest = Manifest((last.seq if last else 0) + 1, "adopted", "adopted", _now(), parts)
        tmp_db: Path | None = None
        try:
            tmp_db = self._build_tmp_database(f"adopt-{os.getpid()}-{time.time_ns()}", [*self.commits(), manifest])
            write_durably(self.commits_dir / manifest.name, manifest.to_json())
        except Exception as exc:
            if tmp_db:
                self._remove_db_files(tmp_db)
            self._rebuild_database()
            raise PublishError(
                f"could not adopt the part files {', '.join(files)}: nothing committed; they were left in place "
                f"and the DuckDB file was rebuilt from the committed parts ({type(exc).__name__}: {exc})"
            ) from exc
        log.warning("%s: adopted part files no commit named: %s", self.root, ", ".join(files))
        try:
            self._rebuild_database(self.commits(), tmp_db)
        except PublishError as exc:
            raise PublishError(f"adopted {', '.join(files)} as {manifest.name}; {STALE} ({exc})", committed=True) from exc

    # --- one commit ----------------------------------------------------------------------------------

    def _frames(self, run_id: str, tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
        """The run's non-empty tables conformed to the contract, in table order; refuses bad input."""
        fail = f"publish of run {run_id} refused: nothing committed; nothing staged"
        unknown = sorted(set(tables) - set(TABLES))
        if unknown:
            raise PublishError(f"{fail} (unknown table {unknown[0]!r})", run_id=run_id)
        frames = {}
        for table in TABLES:
            frame = tables.get(table)
            if frame is None or frame.height == 0:
                continue
            final = self._part_path(table, run_id)
            if final.exists():
                raise PublishError(f"{fail} ({final} exists: run ids must be unique)", run_id=run_id)
            try:
                frames[table] = conform(frame, TABLES[table]).collect()
            except Exception as exc:
                raise PublishError(f"{fail} ({table}: {type(exc).__name__}: {exc})", run_id=run_id) from exc
        if frames and any(m.run_id == run_id for m in self.commits()):
            raise PublishError(f"{fail} (run {run_id} is already committed: run ids must be unique)", run_id=run_id)
        return frames

    def _part_path(self, table: str, run_id: str) -> Path:
        return self.parquet_dir / table / f"part-{run_id}.parquet"

    def _commit(self, run_id: str, frames: dict[str, pl.DataFrame]) -> None:
        last = self.last_commit()
        finals = {table: self._part_path(table, run_id) for table in frames}
        manifest = Manifest(
            seq=(last.seq if last else 0) + 1,
            label=run_id,
            kind="publish",
            committed_at=_now(),
            parts=tuple(PartFile(t, p.relative_to(self.root).as_posix(), frames[t].height) for t, p in finals.items()),
            run_id=run_id,
        )
        created: list[Path] = []  # what to delete if this never commits
        tmp_db: Path | None = None
        committed = swapped = False
        intent = intent_path(self.commits_dir, run_id)
        try:
            write_intent(self.commits_dir, run_id, [p.path for p in manifest.parts])
            for table, frame in frames.items():
                final = finals[table]
                tmp = final.with_name(f".{final.name}.tmp")
                created.append(tmp)
                frame.write_parquet(tmp)
                fsync_file(tmp)
                os.replace(tmp, final)
                created.append(final)
                fault_point(f"staged:{table}")
            for folder in {p.parent for p in finals.values()}:
                fsync_dir(folder)
            tmp_db = self._build_tmp_database(run_id, [*self.commits(), manifest])
            fault_point("before_commit")
            manifest_file = self.commits_dir / manifest.name
            manifest_tmp = manifest_file.with_name(f".{manifest_file.name}.tmp")
            created.append(manifest_tmp)
            with open(manifest_tmp, "wb") as handle:
                handle.write(manifest.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(manifest_tmp, manifest_file)  # THE COMMIT POINT
            committed = True
            fsync_dir(self.commits_dir)
            fault_point("after_commit")
            _unlink(intent)
            fault_point("before_db_rename")
            os.replace(tmp_db, self.db_path)
            swapped = True
            fsync_dir(self.root)
            fault_point("after_db_rename")
        except BaseException as exc:
            if tmp_db is not None and not swapped:
                self._remove_db_files(tmp_db)
            if committed:
                state = f"committed run {run_id}; " + (
                    "the DuckDB file is up to date" if swapped else STALE
                )
            else:
                left = [p for p in reversed(created) if not _unlink(p)]
                if left:
                    state = (
                        "nothing committed; staged files could not all be removed ("
                        + ", ".join(str(p) for p in left)
                        + "): no reader sees them and the next publish deletes them"
                    )
                else:
                    _unlink(intent)
                    state = "nothing committed; staged files removed"
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt and the like: cleaned up, now let it through
            raise PublishError(
                f"publish of run {run_id} failed: {state} ({type(exc).__name__}: {exc})",
                run_id=run_id,
                committed=committed,
            ) from exc

    # --- the DuckDB file -----------------------------------------------------------------------------

    def _rebuild_database(self, commits: list[Manifest] | None = None, tmp_db: Path | None = None) -> None:
        """Build the DuckDB file from the committed parts beside the old one and rename it into place
        (`tmp_db`: already built from `commits`)."""
        commits = self.commits() if commits is None else commits
        swapped = False
        try:
            if tmp_db is None:
                tmp_db = self._build_tmp_database(f"rebuild-{os.getpid()}-{time.time_ns()}", commits)
            fault_point("rebuild:before_db_rename")
            os.replace(tmp_db, self.db_path)
            swapped = True
            fsync_dir(self.root)
            fault_point("rebuild:after_db_rename")
        except Exception as exc:
            if tmp_db is not None and not swapped:
                self._remove_db_files(tmp_db)
            shown = f"up to {commits[-1].name}" if commits else "(no commits)"
            raise PublishError(
                f"rebuilding {self.db_path} failed: nothing committed; the committed data is unchanged {shown}; "
                + ("the DuckDB file is up to date" if swapped else STALE)
                + f" ({type(exc).__name__}: {exc})"
            ) from exc

    @staticmethod
    def _remove_db_files(tmp_db: Path) -> None:
        for path in (tmp_db, tmp_db.with_name(tmp_db.name + ".wal")):
            if not path.is_dir():
                _unlink(path)

    def _build_tmp_database(self, tag: str, commits: list[Manifest]) -> Path:
        """A complete DuckDB file of `commits`, beside the real one, fsynced; its path."""
        path = self.root / f".{DB_NAME}.{tag}.tmp"
        try:
            if not self._extend_database(path, commits):
                self._build_database(path, commits)
            fsync_file(path)
        except BaseException:
            self._remove_db_files(path)
            raise
        return path

    def _extend_database(self, path: Path, commits: list[Manifest]) -> bool:
        """Publishing in proportion to the run: when the current file holds exactly `commits[:-1]`, copy it
        to `path` and add only the last commit's parts (a full build reads every part ever published).
        False, with `path` removed, when that is not possible (no file, stale, or a schema the copy lacks)."""
        if len(commits) < 2 or not self.db_path.is_file():
            return False
        try:
            if self.database_commit() != commits[-2].name:
                return False
        except (duckdb.Error, OSError):
            return False
        try:
            shutil.copyfile(self.db_path, path)
            con = duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_COMPATIBILITY})
            try:
                con.execute("BEGIN")
                self._load_parts(con, commits[-1:])
                for (view,) in con.execute(
                    "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
                ).fetchall():
                    con.execute(f'DROP VIEW IF EXISTS "{view}" CASCADE')
                for mart in _mart_files():  # recreated, so edited mart SQL applies
                    con.execute(_sql(mart))
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            finally:
                con.close()
        except duckdb.Error:
            self._remove_db_files(path)
            return False
        return True

    def _load_parts(self, con, commits: list[Manifest]) -> None:
        """Insert the parts of `commits` into their tables and the commits into `warehouse_commits`."""
        for table, schema in TABLES.items():
            files = [str(self.root / p.path) for m in commits for p in m.parts if p.table == table]
            if not files:
                continue
            columns = ", ".join(schema.names())
            con.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM read_parquet(?, union_by_name = true)",
                [files],
            )
        if commits:
            con.executemany(
                "INSERT INTO warehouse_commits VALUES (?, ?, ?, ?, ?, ?, ?)",
                [[m.seq, m.name, m.kind, m.run_id, m.committed_at, len(m.parts), m.rows] for m in commits],
            )

    def _build_database(self, path: Path, commits: list[Manifest]) -> None:
        path.unlink(missing_ok=True)
        # written in a storage format DuckDB 1.5 can read: most BI drivers bundle DuckDB 1.x
        con = duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_COMPATIBILITY})
        try:
            con.execute(_sql("ddl.sql"))
            con.execute(COMMITS_DDL)
            self._load_parts(con, commits)
            for mart in _mart_files():
                con.execute(_sql(mart))
            con.execute("CHECKPOINT")
        finally:
            con.close()
