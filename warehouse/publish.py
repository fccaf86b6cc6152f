"""Publishing a run into the warehouse folder, with one commit point.

Layout (docs/warehouse.md, `layout.py`): `DIR/parquet/<table>/ingest_date=YYYY-MM-DD/part-<run_id>.parquet`
(the rows; the source of truth; one hive-partitioned dataset per table folder), `DIR/_commits/<seq>-<label>.json`
(one manifest per commit naming its part files, and for a compaction the parts it retires) and
`DIR/newsfacts.duckdb` (built from the committed parts, with `parquet_<table>` views reading exactly those
files; its `warehouse_commits` table says up to which commit). A part file is visible only once a committed
manifest names it, and every reader here (`parts`, `known_keys`, `row_counts`, `unpublished`, the DuckDB
build) goes by the manifests alone.

A publish, under `DIR/.publish.lock` (an exclusive `flock`, so runs into one warehouse never interleave):

1. `recover()`: adopt a warehouse written before manifests existed, delete what a dead publish left behind
   (its staged parts, tmp files, tmp DuckDB files), rebuild a stale DuckDB file;
2. stage: each table's part is written under `DIR/_staging/` and fsynced (outside every table folder, so
   neither manifest readers nor folder readers see it);
3. build the new DuckDB file beside the old one from the committed parts plus the staged ones (this also
   checks the keys and constraints of the DDL, so rows that cannot be loaded are never committed);
4. COMMIT: write the manifest durably (tmp, fsync, rename, fsync of `_commits/`);
5. move the staged parts into their partition folders (recovery finishes this if the process dies);
6. rename the new DuckDB file over the old one (DuckDB 2 refuses other opens while a process writes a
   file, so the database is never written in place; readers holding the old file keep their view);
7. compact the tables that have too many small parts (`compact()`, its own commit; see `compaction.py`).

Killed before 4: nothing changed that a reader sees; the next publish deletes the leftovers. Killed after 4
and before 6: the run is committed, the DuckDB file shows the previous commit (stale but consistent) and the
next publish or `rebuild()` brings it up to date. `NEWSFACTS_FAULT_AT` (test-only, `faults.py`) kills the
process at each of these steps.
"""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path, PurePosixPath

import duckdb
import polars as pl
from newsfacts.warehouse.commits import (
    COMMITS_DIR,
    Manifest,
    PartFile,
    committed_parts,
    fsync_dir,
    fsync_file,
    intent_path,
    read_intents,
    read_manifests,
    write_durably,
    write_intent,
)
from newsfacts.warehouse.compaction import (
    CompactionPolicy,
    MergeGroup,
    plan_compaction,
    tables_due,
)
from newsfacts.warehouse.faults import fault_point
from newsfacts.warehouse.layout import (
    PARQUET_DIR,
    STAGING_DIR,
    TRIPWIRE,
    TRIPWIRE_TEXT,
    parquet_view_sql,
    part_path,
    partition_of,
    staged_path,
)
from newsfacts.warehouse.spool import remove_dead_spools

from newsfacts.schema import PRIMARY_KEYS, TABLES, conform

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
    moved: list[str] = field(default_factory=list)  # committed parts moved from `_staging/` into place
    retired: list[str] = field(default_factory=list)  # parts a committed compaction replaced, deleted now
    removed: list[str] = field(default_factory=list)  # uncommitted leftovers deleted
    foreign: list[str] = field(default_factory=list)  # part files nobody committed or staged: left alone
    rebuilt: bool = False  # the DuckDB file was rebuilt


@dataclass(frozen=True)
class CommitSteps:
    """How one commit names itself: its intent file, its messages and its fault steps."""

    intent: str  # `.pending-<intent>.json`; the run id for a publish
    failed: str  # "publish of run X" | "compaction": the subject of "... failed: <state>"
    committed_as: str  # "run X" | the manifest name: "committed <this>; ..."
    prefix: str  # fault step prefix: "" for a publish, "compact:" for a compaction


@dataclass
class Compaction:
    """What `compact()` did: the commit it made (None: nothing was due) and the parts it wrote and retired."""

    manifest: str | None = None
    written: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    rows: int = 0


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
    rows         BIGINT,
    parquet_root VARCHAR           -- the absolute folder the parquet_<table> views read (moved: rebuild)
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
    compaction: CompactionPolicy | None = None  # None: from the settings (compact_*) when first needed
    build_memory_mb: int | None = None  # DuckDB's memory limit while building the file; None: the setting
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
        return self.root / PARQUET_DIR

    @property
    def staging_dir(self) -> Path:
        return self.root / STAGING_DIR

    @property
    def parquet_root(self) -> str:
        """The warehouse folder as the `parquet_<table>` views name it (absolute, POSIX)."""
        return self.root.resolve().as_posix()

    def policy(self) -> CompactionPolicy:
        if self.compaction is None:
            self.compaction = CompactionPolicy.from_settings()
        return self.compaction

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
        return committed_parts(self.commits())

    def _resolve(self, path: str) -> Path:
        """Where committed part `path` can be read: its place, or `_staging/` while a commit is still moving
        it there (or died doing so: recovery finishes the move)."""
        final = self.root / path
        if not final.exists():
            staged = self.root / staged_path(path)
            if staged.exists():
                return staged
        return final

    def parts(self, table: str) -> list[Path]:
        """The committed part files of `table`, in commit order (a compaction's parts at its place)."""
        return [self._resolve(p.path) for p in self._committed_parts() if p.table == table]

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
        return self._database_state()[0]

    def _database_state(self) -> tuple[str | None, str | None]:
        """(last manifest, parquet root) of the DuckDB file; the root is None for a file of a version
        without `parquet_<table>` views."""
        if not self.db_path.is_file():
            raise FileNotFoundError(self.db_path)
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            try:
                row = con.execute("SELECT manifest FROM warehouse_commits ORDER BY seq DESC LIMIT 1").fetchone()
            except duckdb.CatalogException:
                return None, None
            try:
                root = con.execute("SELECT parquet_root FROM warehouse_commits ORDER BY seq DESC LIMIT 1").fetchone()
            except duckdb.BinderException:
                root = None
            return (row[0] if row else None), (root[0] if root else None)
        finally:
            con.close()

    def is_stale(self) -> bool:
        """True when the DuckDB file does not show exactly the committed data: it was built before the last
        commit, or it is missing or unreadable while there are commits, or its `parquet_<table>` views read
        another folder (the warehouse was moved or copied) or are missing (built by an older version)."""
        last = self.last_commit()
        try:
            built, root = self._database_state()
        except FileNotFoundError:
            return last is not None
        except (duckdb.Error, OSError):
            return True
        if last is None:
            return built is not None
        return built != last.name or root != self.parquet_root

    # --- writing -------------------------------------------------------------------------------------

    def publish(self, run_id: str, tables: dict[str, pl.DataFrame], *, ingest_date: date | None = None) -> None:
        """Commit `tables` (new rows only) as this run's parts and swap in a rebuilt DuckDB file; then
        compact tables with too many small parts (when the policy says so).

        `ingest_date` names the partition (`ingest_date=YYYY-MM-DD`); by default the UTC date the run
        started (`runs.started_at` of this run), else the earliest `articles.ingested_at`, else today (UTC)."""
        self.publish_files(run_id, tables, {}, ingest_date=ingest_date)

    def publish_files(
        self, run_id: str, tables: dict[str, pl.DataFrame], files: Mapping[str, Path], *, ingest_date: date | None = None
    ) -> None:
        """`publish`, where some tables' rows come as one Parquet file each (`files`: table -> a file in the
        contract's columns, for example from `merge_unpublished`) instead of a frame: the file is moved into
        the run's part, never read into memory. A table may be given one way only."""
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
            day = ingest_date or _ingest_date(run_id, tables)
            both = sorted(set(tables) & set(files))
            if both:
                raise PublishError(
                    f"publish of run {run_id} refused: nothing committed; nothing staged ({both[0]} given twice)",
                    run_id=run_id,
                )
            frames = self._frames(run_id, {**tables, **{t: _FileRows(Path(f)) for t, f in files.items()}}, day)
            if frames:
                self._commit(run_id, frames, day)
            elif not self.db_path.exists():
                self._rebuild_database()  # a first publish with no rows still leaves a queryable file
            if frames and self.policy().auto:
                try:
                    self._compact(auto=True)
                except Exception as exc:  # noqa: BLE001 - the run is published; compaction can wait
                    log.warning("%s: run %s is published; compacting its small parts failed: %s", self.root, run_id, exc)

    def recover(self) -> Recovery:
        """Under the lock: adopt a pre-manifest warehouse, finish or undo what a dead publish or compaction
        left, rebuild a stale DuckDB file. Every publish starts with it; safe to call at any time."""
        with self.locked():
            return self._recover(adopt_foreign=False, force_rebuild=False)

    def rebuild(self) -> dict[str, int]:
        """Rebuild the DuckDB file (tables and marts) from the committed parts; returns rows per table.
        Part files copied into `parquet/<table>/` from elsewhere are adopted (committed) first."""
        with self.locked():
            self._recover(adopt_foreign=True, force_rebuild=True)
            return self.row_counts()

    def compact(self, tables: list[str] | None = None) -> Compaction:
        """Merge the small committed parts of each table and ingest date into one part (and move parts from
        before partitions into theirs), as one commit of kind `compact`; then delete the parts it retired.
        `tables`: only these. Row counts and ids are unchanged; readers go by the resulting set."""
        with self.locked():
            self._recover(adopt_foreign=False, force_rebuild=False)
            return self._compact(auto=False, tables=tables)

    # --- recovery ------------------------------------------------------------------------------------

    def _recover(self, *, adopt_foreign: bool, force_rebuild: bool) -> Recovery:
        report = Recovery()
        for table in TABLES:  # one folder per table, also while it has no rows
            (self.parquet_dir / table).mkdir(parents=True, exist_ok=True)
        tripwire = self.parquet_dir / TRIPWIRE
        if not tripwire.is_file():
            write_durably(tripwire, TRIPWIRE_TEXT.encode("utf-8"))
        report.adopted = self._adopt_legacy()
        report.moved = self._move_into_place(self._committed_parts())
        report.retired = self._delete_retired()
        report.removed = self._remove_leftovers()
        report.foreign = [str(p.relative_to(self.root)) for p in self._foreign_parts()]
        if report.moved or report.retired:
            log.warning(
                "%s: finished what a committed publish or compaction left: moved %s; deleted retired parts %s",
                self.root, ", ".join(report.moved) or "-", ", ".join(report.retired) or "-",
            )
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

    def _move_into_place(self, parts: list[PartFile] | tuple[PartFile, ...]) -> list[str]:
        """Rename committed parts still in `_staging/` into their partition folders (the step after a
        commit; recovery repeats it for a commit that died before finishing it). Returns what it moved."""
        moved, folders = [], set()
        for part in parts:
            final, staged = self.root / part.path, self.root / staged_path(part.path)
            if final.exists() or not staged.exists():
                continue
            if not final.parent.is_dir():
                final.parent.mkdir(parents=True)
                folders.add(final.parent.parent)
            os.replace(staged, final)
            folders.add(final.parent)
            moved.append(part.path)
        for folder in folders:
            fsync_dir(folder)
        return moved

    def _delete_retired(self, commits: list[Manifest] | None = None) -> list[str]:
        """Delete the files committed compactions retired that are still on disk (a compaction deletes them
        after its commit; recovery finishes that if it died). Only files no commit still names."""
        commits = self.commits() if commits is None else commits
        live = {p.path for p in committed_parts(commits)}
        deleted, folders = [], set()
        for manifest in commits:
            for part in manifest.retires:
                path = self.root / part.path
                if part.path not in live and path.is_file():
                    path.unlink()
                    folders.add(path.parent)
                    deleted.append(part.path)
                    fault_point("compact:deleting")
        for folder in folders:
            fsync_dir(folder)
        return deleted

    def _remove_leftovers(self) -> list[str]:
        """Delete what a publish or compaction that died before its commit left: the files its intent
        announced (unless committed), `_staging/` (committed parts were moved out of it first), tmp files,
        tmp DuckDB files and their WAL. Only called under the lock, when no other publish is running."""
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
            candidates += (self.parquet_dir / table).glob(".*.tmp")  # staged by versions before `_staging/`
        candidates += [p for p in self.staging_dir.rglob("*") if p.is_file()] if self.staging_dir.is_dir() else []
        for path in candidates:
            if path.is_file():  # a directory there is not ours
                path.unlink()
                removed.append(path)
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        for spill in self.root.glob(f".{DB_NAME}.*.tmp.tmp"):  # DuckDB's spill folder of a tmp file's build
            if spill.is_dir():
                shutil.rmtree(spill, ignore_errors=True)
                removed.append(spill)
        shutil.rmtree(self.root / f"{COMMITS_DIR}.tmp", ignore_errors=True)
        # the spools of runs that died (killed, crashed) before publishing; live runs' spools are locked
        return [str(p.relative_to(self.root)) for p in removed] + remove_dead_spools(self.root)

    def _foreign_parts(self) -> list[Path]:
        committed = {p.path for p in self._committed_parts()}
        return [
            path
            for table in TABLES
            for pattern in ("part-*.parquet", "ingest_date=*/part-*.parquet")
            for path in sorted((self.parquet_dir / table).glob(pattern))
            if path.relative_to(self.root).as_posix() not in committed
        ]

    def _adopt_foreign(self, files: list[str]) -> None:
        """Commit part files someone put into `parquet/<table>/` (`rebuild()` after copying parts in)."""
        import pyarrow.parquet as pq

        last = self.last_commit()
        parts = tuple(
            PartFile(PurePosixPath(rel).parts[1], PurePosixPath(rel).as_posix(), pq.read_metadata(self.root / rel).num_rows)
            for rel in files
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

    def _frames(
        self, run_id: str, tables: Mapping[str, "pl.DataFrame | _FileRows"], day: date
    ) -> dict[str, "pl.DataFrame | _FileRows"]:
        """The run's non-empty tables conformed to the contract, in table order; refuses bad input."""
        fail = f"publish of run {run_id} refused: nothing committed; nothing staged"
        unknown = sorted(set(tables) - set(TABLES))
        if unknown:
            raise PublishError(f"{fail} (unknown table {unknown[0]!r})", run_id=run_id)
        frames: dict[str, pl.DataFrame | _FileRows] = {}
        for table in TABLES:
            frame = tables.get(table)
            if frame is None or frame.height == 0:
                continue
            final = self.root / part_path(table, day, run_id)
            if final.exists():
                raise PublishError(f"{fail} ({final} exists: run ids must be unique)", run_id=run_id)
            try:
                frames[table] = frame.checked(TABLES[table]) if isinstance(frame, _FileRows) else conform(
                    frame, TABLES[table]
                ).collect()
            except Exception as exc:
                raise PublishError(f"{fail} ({table}: {type(exc).__name__}: {exc})", run_id=run_id) from exc
        if frames and any(m.run_id == run_id for m in self.commits()):
            raise PublishError(f"{fail} (run {run_id} is already committed: run ids must be unique)", run_id=run_id)
        return frames

    def _stage(self, path: str, frame: pl.DataFrame) -> Path:
        """Write the part committed as `path` under `_staging/`, fsynced; its staged path."""
        staged = self.root / staged_path(path)
        staged.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(staged)
        fsync_file(staged)
        return staged

    def _stage_file(self, path: str, source: Path) -> Path:
        """Move the finished Parquet file `source` (on this file system) to where the part committed as
        `path` is staged, fsynced."""
        staged = self.root / staged_path(path)
        staged.parent.mkdir(parents=True, exist_ok=True)
        fsync_file(source)
        os.replace(source, staged)
        return staged

    def merge_unpublished(self, table: str, files: list[Path], dest: Path) -> int:
        """Stream the rows of `files` (Parquet, same columns, e.g. a run's chunks of `table`) into one Parquet
        file `dest`, without the rows whose primary key is already published (call under `locked()`, as
        `unpublished`). Holds one row group at a time, plus the table's published keys. Returns the rows
        written (0: `dest` is not written)."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        key = PRIMARY_KEYS.get(table)
        known = self.known_keys(table) if key is not None else None
        value_set = known.to_arrow() if known is not None and known.len() else None
        writer: pq.ParquetWriter | None = None
        rows = 0
        try:
            for path in files:
                source = pq.ParquetFile(path)
                for group in range(source.num_row_groups):
                    batch = source.read_row_group(group)
                    if value_set is not None:
                        keys = batch.column(key)
                        batch = batch.filter(pc.invert(pc.is_in(keys, value_set=value_set.cast(keys.type))))
                    if not batch.num_rows:
                        continue
                    if writer is None:
                        writer = pq.ParquetWriter(dest, batch.schema, compression="zstd")
                    writer.write_table(batch if batch.schema == writer.schema else batch.cast(writer.schema))
                    rows += batch.num_rows
        except BaseException:
            if writer is not None:
                writer.close()
            dest.unlink(missing_ok=True)
            raise
        if writer is not None:
            writer.close()
        return rows

    def _write_manifest(self, manifest: Manifest, created: list[Path]) -> None:
        """THE COMMIT POINT: the manifest written to a tmp name, fsynced and renamed into `_commits/`."""
        manifest_file = self.commits_dir / manifest.name
        manifest_tmp = manifest_file.with_name(f".{manifest_file.name}.tmp")
        created.append(manifest_tmp)
        with open(manifest_tmp, "wb") as handle:
            handle.write(manifest.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(manifest_tmp, manifest_file)

    def _commit(self, run_id: str, frames: dict[str, "pl.DataFrame | _FileRows"], day: date) -> None:
        last = self.last_commit()
        manifest = Manifest(
            seq=(last.seq if last else 0) + 1,
            label=run_id,
            kind="publish",
            committed_at=_now(),
            parts=tuple(PartFile(t, part_path(t, day, run_id), frame.height) for t, frame in frames.items()),
            run_id=run_id,
        )
        self._apply(
            manifest, {p.path: (lambda f=frames[p.table]: f) for p in manifest.parts},
            CommitSteps(run_id, f"publish of run {run_id}", f"run {run_id}", ""),
        )

    def _apply(
        self, manifest: Manifest, writers: "dict[str, Callable[[], pl.DataFrame | _FileRows]]", steps: CommitSteps
    ) -> None:
        """Commit `manifest` whose new parts `writers` produce (path -> frame): intent, stage, build the DuckDB
        file, COMMIT, move the parts into place, add the Parquet views, swap the DuckDB file, delete what it
        retires. A failure raises PublishError saying what state it left."""
        commits = [*self.commits(), manifest]
        created: list[Path] = []  # what to delete if this never commits
        tmp_db: Path | None = None
        committed = swapped = False
        intent = intent_path(self.commits_dir, steps.intent)
        at = steps.prefix
        try:
            write_intent(self.commits_dir, steps.intent, [staged_path(p.path) for p in manifest.parts])
            for part in manifest.parts:
                created.append(self.root / staged_path(part.path))
                produced = writers[part.path]()
                if isinstance(produced, _FileRows):
                    self._stage_file(part.path, produced.path)
                else:
                    self._stage(part.path, produced)
                if not at:
                    fault_point(f"staged:{part.table}")
            for folder in {(self.root / staged_path(p.path)).parent for p in manifest.parts}:
                fsync_dir(folder)
            if at:
                fault_point(f"{at}staged")
            tmp_db = self._build_tmp_database(f"{steps.intent}-{time.time_ns()}" if at else steps.intent, commits,
                                              parquet_views=False)
            fault_point(f"{at}before_commit")
            self._write_manifest(manifest, created)  # THE COMMIT POINT
            committed = True
            fsync_dir(self.commits_dir)
            fault_point(f"{at}after_commit")
            self._move_into_place(manifest.parts)
            fault_point(f"{at}after_move")
            _unlink(intent)
            self._add_parquet_views(tmp_db, commits)
            fault_point(f"{at}before_db_rename")
            os.replace(tmp_db, self.db_path)
            swapped = True
            fsync_dir(self.root)
            fault_point(f"{at}after_db_rename")
            if manifest.retires:
                self._delete_retired(commits)
        except BaseException as exc:
            if tmp_db is not None and not swapped:
                self._remove_db_files(tmp_db)
            if committed:
                state = f"committed {steps.committed_as}; " + (
                    "the DuckDB file is up to date" if swapped else STALE
                ) + ("; the next publish deletes the retired parts" if swapped and manifest.retires else "")
            else:
                state = self._undo(created, intent)
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt and the like: cleaned up, now let it through
            raise PublishError(
                f"{steps.failed} failed: {state} ({type(exc).__name__}: {exc})",
                run_id=manifest.run_id,
                committed=committed,
            ) from exc

    @staticmethod
    def _undo(created: list[Path], intent: Path) -> str:
        """Delete what an uncommitted publish or compaction created; the state it leaves, in words."""
        left = [p for p in reversed(created) if not _unlink(p)]
        if left:
            return (
                "nothing committed; staged files could not all be removed ("
                + ", ".join(str(p) for p in left)
                + "): no reader sees them and the next publish deletes them"
            )
        _unlink(intent)
        return "nothing committed; staged files removed"

    # --- compaction ----------------------------------------------------------------------------------

    def _legacy_dates(self, parts: list[PartFile]) -> dict[str, date]:
        """The ingest date of each part written before partitions existed (`parquet/<table>/part-<run>.parquet`):
        the UTC day its run started (`runs.started_at`), else the day the file was last written (UTC)."""
        flat = [p for p in parts if partition_of(p.path) is None]
        if not flat:
            return {}
        started: dict[str, date] = {}
        runs = [self._resolve(p.path) for p in parts if p.table == "runs"]
        if runs:
            frame = pl.concat(
                [pl.scan_parquet(f, hive_partitioning=False).select("run_id", "started_at") for f in runs]
            ).drop_nulls().collect()
            for run_id, at in frame.iter_rows():
                started.setdefault(run_id, at.astimezone(timezone.utc).date())
        out = {}
        for part in flat:
            run_id = PurePosixPath(part.path).name.removeprefix("part-").removesuffix(".parquet")
            mtime = datetime.fromtimestamp(self._resolve(part.path).stat().st_mtime, timezone.utc).date()
            out[part.path] = started.get(run_id, mtime)
        return out

    def _compact(self, *, auto: bool, tables: list[str] | None = None) -> Compaction:
        """Under the lock, after recovery: plan, merge, commit, move, swap the DuckDB file, delete retired."""
        commits = self.commits()
        parts = committed_parts(commits)
        policy = self.policy()
        groups = plan_compaction(
            parts, lambda p: self._resolve(p).stat().st_size, self._legacy_dates(parts), policy.small_bytes
        )
        if auto:
            due = tables_due(groups, parts, policy.max_small_parts)
            groups = [g for g in groups if g.table in due]
        if tables is not None:
            unknown = sorted(set(tables) - set(TABLES))
            if unknown:
                raise PublishError(f"compaction refused: nothing committed (unknown table {unknown[0]!r})")
            groups = [g for g in groups if g.table in tables]
        if not groups:
            return Compaction()
        seq = commits[-1].seq + 1
        label = "compact"
        new_parts = tuple(
            PartFile(g.table, part_path(g.table, g.ingest_date, f"compact-{seq:010d}"), g.rows) for g in groups
        )
        manifest = Manifest(
            seq, label, "compact", _now(), new_parts, retires=tuple(p for g in groups for p in g.parts)
        )
        writers = {part.path: (lambda g=group: self._merged(g)) for group, part in zip(groups, new_parts)}
        self._apply(manifest, writers, CommitSteps(f"compact-{seq:010d}", "compaction", manifest.name, "compact:"))
        log.info("%s: compacted %d parts into %d (%s)", self.root, len(manifest.retires), len(new_parts), manifest.name)
        retired = [p.path for p in manifest.retires]
        return Compaction(manifest.name, [p.path for p in new_parts], retired, sum(p.rows for p in new_parts))

    def _merged(self, group: MergeGroup) -> pl.DataFrame:
        """The rows of `group`'s parts as one frame in the contract's columns (commit order kept)."""
        schema = TABLES[group.table]
        frame = pl.concat(
            [conform(pl.scan_parquet(self._resolve(p.path), hive_partitioning=False), schema) for p in group.parts]
        ).collect()
        if frame.height != group.rows:
            raise ValueError(f"{group.table} {group.ingest_date}: read {frame.height} rows, the manifests say {group.rows}")
        return frame

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

    def _build_connection(self, path: Path) -> duckdb.DuckDBPyConnection:
        """A connection that writes the DuckDB file at `path`: DuckDB 1.5's storage format, and at most
        `build_memory_mb` of memory (setting `publish_duckdb_memory_mb`; DuckDB spills to `<path>.tmp/`
        beyond it), so loading a big run's parts does not grow the run's memory with it."""
        if self.build_memory_mb is None:
            from newsfacts.settings import Settings

            self.build_memory_mb = Settings().publish_duckdb_memory_mb
        return duckdb.connect(
            str(path),
            config={"storage_compatibility_version": STORAGE_COMPATIBILITY, "memory_limit": f"{self.build_memory_mb}MB"},
        )

    def _build_tmp_database(self, tag: str, commits: list[Manifest], *, parquet_views: bool = True) -> Path:
        """A complete DuckDB file of `commits`, beside the real one, fsynced; its path. `parquet_views=False`:
        without the `parquet_<table>` views, which DuckDB can only create once every file they name is in
        place (a commit adds them with `_add_parquet_views` after moving its parts)."""
        path = self.root / f".{DB_NAME}.{tag}.tmp"
        try:
            if not self._extend_database(path, commits, parquet_views):
                self._build_database(path, commits, parquet_views)
            fsync_file(path)
        except BaseException:
            self._remove_db_files(path)
            raise
        return path

    def _extend_database(self, path: Path, commits: list[Manifest], parquet_views: bool) -> bool:
        """Publishing in proportion to the run: when the current file holds exactly `commits[:-1]` (and its
        views read this folder), copy it to `path` and add only the last commit's parts (a compaction adds no
        rows: only its commit and new views). False, with `path` removed, when that is not possible (no file,
        stale, or a schema the copy lacks)."""
        if len(commits) < 2 or not self.db_path.is_file():
            return False
        try:
            if self._database_state() != (commits[-2].name, self.parquet_root) or _has_key_indexes(self.db_path):
                return False  # stale, moved, or built with the key indexes (rebuilt once without them)
        except (duckdb.Error, OSError):
            return False
        try:
            shutil.copyfile(self.db_path, path)
            con = self._build_connection(path)
            try:
                con.execute("BEGIN")
                last = commits[-1]
                self._load_parts(con, [] if last.retires else list(last.parts), commits[-1:])
                for (view,) in con.execute(
                    "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
                ).fetchall():
                    con.execute(f'DROP VIEW IF EXISTS "{view}" CASCADE')
                self._create_views(con, commits, parquet_views)  # recreated, so edited mart SQL applies
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            finally:
                con.close()
        except duckdb.Error:
            self._remove_db_files(path)
            return False
        return True

    def _load_parts(self, con, parts: list[PartFile], commits: list[Manifest]) -> None:
        """Insert the rows of `parts` into their tables and `commits` into `warehouse_commits`."""
        for table, schema in TABLES.items():
            files = [str(self._resolve(p.path)) for p in parts if p.table == table]
            if not files:
                continue
            source = "read_parquet(?, union_by_name = true, hive_partitioning = false)"
            present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}", [files]).fetchall()}
            # columns the contract gained after these parts were written stay NULL
            columns = ", ".join(name for name in schema.names() if name in present)
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {source}", [files])
            if table in UNINDEXED_KEYS:
                _check_keys(con, table, source, files)
        if commits:
            con.executemany(
                "INSERT INTO warehouse_commits VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [m.seq, m.name, m.kind, m.run_id, m.committed_at, len(m.parts), m.rows, self.parquet_root]
                    for m in commits
                ],
            )

    def _create_views(self, con, commits: list[Manifest], parquet_views: bool) -> None:
        """The mart views, then a `parquet_<table>` view per table over exactly the parts `commits` leave."""
        for mart in _mart_files():
            con.execute(_sql(mart))
        if parquet_views:
            parts = committed_parts(commits)
            for table in TABLES:
                con.execute(parquet_view_sql(table, self.parquet_root, parts))

    def _add_parquet_views(self, path: Path, commits: list[Manifest]) -> None:
        """Add the `parquet_<table>` views to the DuckDB file at `path` (its parts are in place now); fsynced."""
        con = self._build_connection(path)
        try:
            parts = committed_parts(commits)
            con.execute("BEGIN")
            for table in TABLES:
                con.execute(parquet_view_sql(table, self.parquet_root, parts))
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        fsync_file(path)

    def _build_database(self, path: Path, commits: list[Manifest], parquet_views: bool = True) -> None:
        path.unlink(missing_ok=True)
        # written in a storage format DuckDB 1.5 can read: most BI drivers bundle DuckDB 1.x
        con = self._build_connection(path)
        try:
            con.execute(_sql("ddl.sql"))
            con.execute(COMMITS_DDL)
            self._load_parts(con, committed_parts(commits), commits)
            self._create_views(con, commits, parquet_views)
            con.execute("CHECKPOINT")
        finally:
            con.close()


# tables whose key the DuckDB file does not index (warehouse/sql/ddl.sql: an index is rewritten whole at every
# checkpoint); `_check_keys` checks it when parts are loaded instead
UNINDEXED_KEYS = {table: PRIMARY_KEYS[table] for table in ("articles", "locations", "figures", "events")}


def _check_keys(con, table: str, source: str, files: list[str]) -> None:
    """Raise duckdb.ConstraintException when a key of the rows just loaded from `files` occurs twice
    in `table` (in those rows or in rows already there), as a PRIMARY KEY would: one pass over the table's key
    column, probing the new keys only."""
    key = UNINDEXED_KEYS[table]
    found = con.execute(
        f"SELECT {key} FROM {table} WHERE {key} IN (SELECT {key} FROM {source}) GROUP BY {key} HAVING count(*) > 1 "
        f"LIMIT 1",
        [files],
    ).fetchone()
    if found is not None:
        raise duckdb.ConstraintException(f'Constraint Error: Duplicate key "{key}: {found[0]}" in table {table}')


def _has_key_indexes(db_path: Path) -> bool:
    """True when the DuckDB file indexes a key of `UNINDEXED_KEYS` (built by an earlier version)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = list(UNINDEXED_KEYS)
        return con.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' AND table_name IN "
            f"({', '.join('?' * len(tables))})",
            tables,
        ).fetchone()[0] > 0
    finally:
        con.close()


@dataclass(frozen=True)
class _FileRows:
    """A table's rows as one finished Parquet file (`publish_files`): committed by moving the file."""

    path: Path

    @property
    def height(self) -> int:
        import pyarrow.parquet as pq

        return pq.read_metadata(self.path).num_rows

    def checked(self, schema: pl.Schema) -> "_FileRows":
        """Itself, when the file has exactly the contract's columns and types; else raises."""
        found = pl.read_parquet_schema(self.path)
        if dict(found) != dict(schema):
            raise ValueError(f"{self.path.name} does not have the contract's columns and types")
        return self


def _ingest_date(run_id: str, tables: dict[str, pl.DataFrame]) -> date:
    """The run's ingest date (UTC): when it started, else when its earliest article was ingested, else today."""
    candidates = []
    runs = tables.get("runs")
    if runs is not None and {"run_id", "started_at"} <= set(runs.columns):
        candidates = runs.filter(pl.col("run_id") == run_id)["started_at"].drop_nulls().to_list()
    articles = tables.get("articles")
    if not candidates and articles is not None and "ingested_at" in articles.columns:
        candidates = articles["ingested_at"].drop_nulls().to_list()
    if not candidates:
        return datetime.now(timezone.utc).date()
    first = min(candidates)
    if isinstance(first, datetime):
        return (first.astimezone(timezone.utc) if first.tzinfo else first).date()
    return first
