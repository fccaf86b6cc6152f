"""A warehouse in an object store (`--warehouse s3://bucket/prefix`), shared by workers on several machines.

Remote layout (the local one, docs/warehouse.md, with numbered manifests):

    URL/parquet/<table>/ingest_date=YYYY-MM-DD/part-<run_id>.parquet   a run's rows of one table
    URL/_commits/<seq, 10 digits>.json                                 one manifest per commit (same JSON)

**The commit point is the manifest object**, created with a conditional put (`If-None-Match: *` on S3,
obstore's `mode="create"`) after every part it names was uploaded. A manifest's key is its sequence number
alone, so two workers that both try to commit seq N cannot both succeed: the loser sees "already exists",
takes the winner's commit and tries N+1 (with its rows re-checked against the winner's, see `push`). No
global counter, no lock service: the store's create-if-absent orders the commits (as Delta Lake's log
does). Part keys hold the run id, so uploads never collide. Readers go by the manifests alone: a part no
manifest names is invisible, and the committed set is the fold of the manifests in seq order (a `compact`
manifest's `retires` dropped), exactly as in a local warehouse.

Every machine works through a **mirror**: a normal `LocalWarehouse` folder (`settings.remote_mirror_path`,
under the cache folder, one per URL) that holds the remote's committed parts and manifests. A run:

1. `pull`: the remote manifests not yet in the mirror (a LIST, then a GET per new manifest) and the parts they
   name that are live (not retired by a later compaction), staged under the mirror's `_staging/`, then the
   manifests written into the mirror's `_commits/` (renumbered after the mirror's own) and the parts moved
   into place; `_remote/pulled.json` maps remote seq -> mirror manifest, so a second pull of an unchanged
   remote is one LIST and no GET;
2. pushes what an earlier run on this machine committed to the mirror and never pushed (it died between);
3. the run publishes into the mirror exactly as into any local warehouse (dedupe against everything pulled);
4. `push`: for each mirror commit no remote manifest matches, oldest first: pull again; drop its rows that
   commits pulled after it already published (their primary keys; the part file is rewritten in the mirror);
   upload its parts; create `_commits/<remote head + 1>.json`; on "already exists" start over at 4.

A mirror commit and a remote manifest are the same commit when they have the same label, kind, part paths
and retired paths (`identity`), whatever their seq: a push that died after creating the manifest and before
recording it is recognised by the next pull and never pushed twice.

`sync(url, DIR)` pulls into any folder and then runs the folder's recovery, which rebuilds its DuckDB file
when there are new commits: a local, queryable copy. Credentials: what obstore reads from the environment,
or the Prefect Secret block named by `warehouse_credentials_block` (`open_store`); URLs carrying them are
refused (`remote_url.py`). Mirrors and sync targets never compact themselves (their commits must match the
store's): after a run pushes, `remote_compaction.compact_remote` compacts the store itself when due.
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import polars as pl
from newsfacts.warehouse.commits import (
    COMMITS_DIR,
    Manifest,
    PartFile,
    committed_parts,
    fsync_dir,
    fsync_file,
    write_durably,
)
from newsfacts.warehouse.compaction import CompactionPolicy
from newsfacts.warehouse.faults import fault_point
from newsfacts.warehouse.layout import staged_path
from newsfacts.warehouse.publish import LocalWarehouse
from newsfacts.warehouse.remote_url import WarehouseURL, parse, redact

from newsfacts.schema import PRIMARY_KEYS

if TYPE_CHECKING:
    from newsfacts.settings import Settings

log = logging.getLogger(__name__)

STATE_DIR = "_remote"  # in a mirror or sync target: which remote commits it holds
STATE_FILE = "pulled.json"
MAX_CONFLICTS = 100  # commits lost to other workers in a row before a push gives up


class RemoteError(RuntimeError):
    """The remote warehouse could not be read or written; the message names the URL without credentials."""


class RemotePushError(RemoteError):
    """A commit is in the local mirror but not in the remote warehouse yet; the next run or `newsfacts sync`
    of that URL pushes it."""


@dataclass
class TransferStats:
    """Requests made to the store (the tests count them: an idempotent sync makes no GET)."""

    lists: int = 0
    gets: int = 0
    puts: int = 0
    bytes_down: int = 0
    bytes_up: int = 0


def manifest_key(seq: int) -> str:
    return f"{COMMITS_DIR}/{seq:010d}.json"


def _seq_of(key: str) -> int | None:
    name = PurePosixPath(key).name
    stem = name.removesuffix(".json")
    return int(stem) if name.endswith(".json") and len(stem) == 10 and stem.isdigit() else None


def identity(manifest: Manifest) -> tuple:
    """What makes two manifests the same commit, whatever their seq (row counts may differ after a push
    dropped rows another worker published first)."""
    return (
        manifest.label,
        manifest.kind,
        tuple(sorted(p.path for p in manifest.parts)),
        tuple(sorted(p.path for p in manifest.retires)),
    )


def _client_options(scheme: str) -> tuple[dict, dict]:
    """(store config, client options) beyond what obstore reads from the environment itself: the S3-only
    endpoint variable, and plain HTTP when the configured endpoint is an http:// URL (a local S3 such as
    MinIO or moto)."""
    config: dict = {}
    options: dict = {}
    if scheme in ("s3", "s3a"):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if os.environ.get("AWS_ENDPOINT_URL_S3"):
            config["endpoint"] = os.environ["AWS_ENDPOINT_URL_S3"]
        if endpoint and endpoint.startswith("http://"):
            options["allow_http"] = True
    return config, options


class RemoteStore:
    """The object store under a warehouse URL (obstore: s3://, gs://, az://, file://; `remote_url.SCHEMES`)."""

    def __init__(self, url: WarehouseURL, store: object) -> None:
        self.url = url
        self.store = store
        self.stats = TransferStats()

    @classmethod
    def open(cls, url: str, credentials: dict[str, str] | None = None) -> "RemoteStore":
        """The store at `url`; `credentials`: store settings (e.g. from a Prefect Secret block) over what obstore
        reads from the environment. They stay inside the store object (never in its repr or our messages)."""
        checked = parse(url)
        from obstore.store import from_url

        config, options = _client_options(checked.scheme)
        config.update(credentials or {})
        try:
            store = from_url(checked.url, config=config or None, client_options=options or None)
        except Exception as exc:
            raise RemoteError(f"cannot open warehouse {checked}: {type(exc).__name__}: {_clean(exc)}") from None
        return cls(checked, store)

    def __str__(self) -> str:
        return str(self.url)

    def _fail(self, doing: str, exc: BaseException) -> RemoteError:
        return RemoteError(f"{doing} {self.url} failed: {type(exc).__name__}: {_clean(exc)}")

    def manifests(self) -> dict[int, str]:
        """seq -> key of every committed manifest (one LIST)."""
        import obstore

        self.stats.lists += 1
        try:
            found = obstore.list(self.store, prefix=f"{COMMITS_DIR}/").collect()
        except Exception as exc:
            raise self._fail("listing the commits of", exc) from None
        out = {}
        for meta in found:
            seq = _seq_of(meta["path"])
            if seq is not None:
                out[seq] = meta["path"]
        return out

    def read(self, key: str) -> bytes:
        import obstore

        self.stats.gets += 1
        try:
            data = bytes(obstore.get(self.store, key).bytes())
        except Exception as exc:
            raise self._fail(f"reading {key} from", exc) from None
        self.stats.bytes_down += len(data)
        return data

    def download(self, key: str, dest: Path) -> None:
        """`key` into `dest`, whole or not at all (tmp file, fsync, rename)."""
        import obstore

        self.stats.gets += 1
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.download")
        try:
            with open(tmp, "wb") as handle:
                for chunk in obstore.get(self.store, key).stream():
                    handle.write(chunk)
                    self.stats.bytes_down += len(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, dest)
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            raise self._fail(f"downloading {key} from", exc) from None

    def upload(self, src: Path, key: str) -> None:
        import obstore

        self.stats.puts += 1
        try:
            obstore.put(self.store, key, src)
        except Exception as exc:
            raise self._fail(f"uploading {key} to", exc) from None
        self.stats.bytes_up += src.stat().st_size

    def delete(self, keys: list[str]) -> None:
        """Remove objects no manifest names (an abandoned compaction's uploads)."""
        import obstore

        if keys:
            try:
                obstore.delete(self.store, keys)
            except Exception as exc:
                raise self._fail("deleting uncommitted parts from", exc) from None

    def create(self, key: str, data: bytes) -> bool:
        """Write `key` only if no object has that key (the commit point); False when one already does."""
        import obstore
        from obstore.exceptions import AlreadyExistsError

        self.stats.puts += 1
        try:
            obstore.put(self.store, key, data, mode="create")
        except AlreadyExistsError:
            return False
        except Exception as exc:
            raise self._fail(f"committing {key} to", exc) from None
        self.stats.bytes_up += len(data)
        return True


def block_credentials(name: str) -> dict[str, str]:
    """The store settings kept in the Prefect Secret block `name`: a JSON object of strings such as
    `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`, `aws_region`, `aws_endpoint` (any key
    obstore's store configuration takes). Needs a Prefect API (a run has one; `newsfacts sync` uses
    PREFECT_API_URL or the profile's). Errors never include the block's value."""
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except Exception as exc:  # noqa: BLE001 - reported without details that could hold the value
        raise RemoteError(f"could not load the Prefect Secret block {name!r} ({type(exc).__name__})") from None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise RemoteError(
            f"the Prefect Secret block {name!r} must hold a JSON object of strings, e.g. "
            '{"aws_access_key_id": "...", "aws_secret_access_key": "..."}'
        )
    return value


def open_store(settings: "Settings", url: str | None = None) -> RemoteStore:
    """The store of `url` (default the `warehouse_url` setting) with the credentials the settings name: the
    Prefect Secret block `warehouse_credentials_block` when set, else the environment."""
    block = settings.warehouse_credentials_block
    return RemoteStore.open(url or settings.warehouse_url or "", block_credentials(block) if block else None)


def _clean(exc: BaseException) -> str:
    """An error message cut to its first line (obstore appends request dumps)."""
    text = str(exc).strip().splitlines()
    return text[0][:500] if text else ""


# --- the mirror's record of the remote commits it holds -------------------------------------------------


@dataclass
class PullState:
    """`DIR/_remote/pulled.json`: which remote warehouse this folder mirrors and remote seq -> manifest name."""

    url: str | None = None
    commits: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> "PullState":
        path = root / STATE_DIR / STATE_FILE
        try:
            body = json.loads(path.read_bytes())
            return cls(body.get("url"), {int(k): str(v) for k, v in body.get("commits", {}).items()})
        except FileNotFoundError:
            return cls()
        except (ValueError, TypeError, AttributeError):
            log.warning("%s is unreadable; the commits will be matched again", path)
            return cls()

    def save(self, root: Path) -> None:
        folder = root / STATE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        body = {"url": self.url, "commits": {str(k): v for k, v in sorted(self.commits.items())}}
        write_durably(folder / STATE_FILE, (json.dumps(body, indent=1) + "\n").encode("utf-8"))


@dataclass
class PullResult:
    """What one pull did."""

    commits: list[str] = field(default_factory=list)  # remote manifests added to the folder (their local names)
    matched: list[str] = field(default_factory=list)  # remote manifests the folder already held (e.g. its own pushes)
    downloaded: list[str] = field(default_factory=list)  # part files fetched
    head: int = 0  # the highest remote seq seen


def local_file(warehouse: LocalWarehouse, path: str) -> Path:
    """Where committed part `path` is in `warehouse`: its place, or `_staging/` while not moved yet."""
    final = warehouse.root / path
    staged = warehouse.root / staged_path(path)
    return staged if not final.exists() and staged.exists() else final


def _ensure_commit_log(warehouse: LocalWarehouse) -> None:
    if not warehouse.commits_dir.is_dir():
        warehouse.recover()  # a new folder: table folders and `_commits/` (and adopts a pre-manifest one)


def pull(store: RemoteStore, warehouse: LocalWarehouse) -> PullResult:
    """Bring the remote commits `warehouse` does not hold into it, under its lock: the live parts they name
    are staged, the manifests committed (renumbered after the folder's own commits), then the parts moved
    into place. Its DuckDB file is left as it is (stale when anything came in)."""
    with warehouse.locked():
        return _pull(store, warehouse)


def _pull(store: RemoteStore, warehouse: LocalWarehouse) -> PullResult:
    _ensure_commit_log(warehouse)
    state = PullState.load(warehouse.root)
    remote = store.manifests()
    result = PullResult(head=max(remote, default=0))
    local = warehouse.commits()
    names = {m.name for m in local}
    lost = sorted(s for s, n in state.commits.items() if n in names and s not in remote)
    if lost:  # never push a mirror's copy back into a store that was emptied or replaced
        raise RemoteError(
            f"{store.url} no longer holds commits {', '.join(manifest_key(s) for s in lost[:3])}"
            f"{', ...' if len(lost) > 3 else ''} that {warehouse.root} copied from it: the store was emptied or "
            "replaced; delete that folder (after checking nothing in it waits to be pushed) to start over"
        )
    state.commits = {s: n for s, n in state.commits.items() if n in names}
    state.url = str(store.url)
    new = sorted(s for s in remote if s not in state.commits)
    if not new:
        return result
    by_identity = {identity(m): m.name for m in local}
    fresh: list[Manifest] = []
    for seq in new:
        key = remote[seq]
        manifest = Manifest.from_json(store.read(key), PurePosixPath(key))  # type: ignore[arg-type]
        if manifest.seq != seq:
            raise RemoteError(f"{store.url}/{key} names commit {manifest.seq}: not a newsfacts commit log")
        known = by_identity.get(identity(manifest))
        if known is not None:
            state.commits[seq] = known
            result.matched.append(known)
        else:
            fresh.append(manifest)
    live = {p.path for p in committed_parts([*local, *fresh])}
    staged: list[PartFile] = []
    for manifest in fresh:
        for part in manifest.parts:
            if part.path not in live or (warehouse.root / part.path).exists():
                continue
            if not (warehouse.root / staged_path(part.path)).exists():  # staged already: merged here (compaction)
                store.download(part.path, warehouse.root / staged_path(part.path))
                result.downloaded.append(part.path)
            staged.append(part)
    for folder in {(warehouse.root / staged_path(p.path)).parent for p in staged}:
        fsync_dir(folder)
    last = local[-1].seq if local else 0
    for manifest in fresh:  # remote order; numbered after the folder's own commits
        last += 1
        mine = replace(manifest, seq=last)
        write_durably(warehouse.commits_dir / mine.name, mine.to_json())  # committed in this folder
        state.commits[manifest.seq] = mine.name
        result.commits.append(mine.name)
    state.save(warehouse.root)
    moved = set()
    for part in staged:  # as a publish does after its commit (recovery finishes it if this dies)
        final, source = warehouse.root / part.path, warehouse.root / staged_path(part.path)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, final)
        moved.add(final.parent)
    for folder in moved:
        fsync_dir(folder)
    if result.commits:
        log.info("%s: pulled %d commits (%d parts) from %s", warehouse.root, len(result.commits),
                 len(result.downloaded), store.url)
    return result


def pending(warehouse: LocalWarehouse) -> list[Manifest]:
    """The folder's commits no remote manifest matches yet (mirror commits not pushed), oldest first."""
    mapped = set(PullState.load(warehouse.root).commits.values())
    return [m for m in warehouse.commits() if m.name not in mapped]


def _drop_published(warehouse: LocalWarehouse, commit: Manifest, later: list[Manifest]) -> Manifest:
    """`commit` without the rows whose primary keys the `later` commits (pulled after it) published: its part
    files are rewritten in place (it is not pushed, nobody else reads them) and its manifest rewritten with
    the row counts. Rows are compared per table, so an article another worker published takes its facts
    along (their ids derive from the article's)."""
    later_paths = {p.path for m in later for p in m.parts}
    published = [p for p in committed_parts(warehouse.commits()) if p.path in later_paths]
    parts, changed = [], False
    for part in commit.parts:
        key = PRIMARY_KEYS.get(part.table)
        others = [str(local_file(warehouse, p.path)) for p in published if p.table == part.table]
        if key is None or not others or part.rows == 0:
            parts.append(part)
            continue
        path = local_file(warehouse, part.path)
        known = pl.scan_parquet(others, hive_partitioning=False).select(key).collect()[key]
        frame = pl.read_parquet(path, hive_partitioning=False)
        kept = frame.filter(~pl.col(key).is_in(known.implode()))
        if kept.height != frame.height:
            tmp = path.with_name(f".{path.name}.dedupe")
            kept.write_parquet(tmp)
            fsync_file(tmp)
            os.replace(tmp, path)
            fsync_dir(path.parent)
            changed = True
            log.warning("%s: %d %s rows of %s were published by another worker first; dropped",
                        warehouse.root, frame.height - kept.height, part.table, commit.name)
        parts.append(PartFile(part.table, part.path, kept.height))
    if not changed:
        return commit
    updated = replace(commit, parts=tuple(parts))
    write_durably(warehouse.commits_dir / updated.name, updated.to_json())
    # LocalWarehouse caches manifests by name (committed ones never change); this one was never pushed
    warehouse._manifests.pop(updated.name, None)
    return updated


def push(store: RemoteStore, warehouse: LocalWarehouse) -> list[str]:
    """Commit the folder's pending commits to the remote, oldest first (parts, then the manifest as a
    conditional create); returns the remote manifest keys created. Holds the folder's lock."""
    created: list[str] = []
    with warehouse.locked():
        head = pull(store, warehouse).head
        conflicts = 0
        uploaded: dict[str, tuple[int, int]] = {}  # path -> (size, mtime_ns) already in the store
        while True:
            waiting = pending(warehouse)
            if not waiting:
                return created
            commit = waiting[0]
            if commit.retires:
                raise RemotePushError(
                    f"{warehouse.root}: commit {commit.name} retires parts (a compaction of the mirror); it cannot "
                    f"be pushed to {store.url}"
                )
            waiting_names = {m.name for m in waiting}  # the others waiting were deduped against this one
            later = [m for m in warehouse.commits() if m.seq > commit.seq and m.name not in waiting_names]
            if later:
                commit = _drop_published(warehouse, commit, later)
            for part in commit.parts:
                source = local_file(warehouse, part.path)
                stat = source.stat()
                if uploaded.get(part.path) != (stat.st_size, stat.st_mtime_ns):
                    store.upload(source, part.path)
                    uploaded[part.path] = (stat.st_size, stat.st_mtime_ns)
            fault_point("remote:before_manifest")
            seq = head + 1
            if store.create(manifest_key(seq), replace(commit, seq=seq).to_json()):
                state = PullState.load(warehouse.root)
                state.url = str(store.url)
                state.commits[seq] = commit.name
                state.save(warehouse.root)
                created.append(manifest_key(seq))
                head = seq
                log.info("%s: pushed %s to %s as %s", warehouse.root, commit.name, store.url, manifest_key(seq))
                fault_point("remote:after_manifest")
                continue
            conflicts += 1  # another worker committed seq first: take its commit and try the next seq
            if conflicts > MAX_CONFLICTS:
                raise RemotePushError(f"{commit.name} lost {conflicts} commits in a row to other workers of {store.url}")
            head = pull(store, warehouse).head


# --- what the CLI and the flow call ---------------------------------------------------------------------


def mirror_warehouse(path: Path) -> LocalWarehouse:
    """A mirror or sync target: a LocalWarehouse without automatic compaction."""
    return LocalWarehouse(path, compaction=CompactionPolicy(auto=False))


@contextmanager
def attached(settings: "Settings") -> Iterator[LocalWarehouse]:
    """The warehouse a run publishes into. A local folder as it is; for `warehouse_url`, the URL's mirror,
    brought up to date (pull, then push what an earlier run left) before the run and pushed after it. A
    run that raises is still pushed (best effort: its `runs` row says crashed or stopped), then re-raised;
    an interrupted one (Ctrl-C) is pushed by the next run or sync."""
    if not settings.warehouse_url:
        yield LocalWarehouse(settings.warehouse_path)
        return
    store = open_store(settings)
    mirror = mirror_warehouse(settings.remote_mirror_path)
    try:
        push(store, mirror)
    except RemoteError as exc:
        raise RemoteError(f"could not bring the mirror {mirror.root} of {store.url} up to date: {exc}") from None
    mirror = mirror_warehouse(settings.remote_mirror_path)  # a fresh object: no manifest cached before the push
    try:
        yield mirror
    except Exception:
        try:
            push(store, mirror)
        except Exception as exc:  # noqa: BLE001 - the run's own error is the one to report
            log.warning("could not push to %s (the next run or `newsfacts sync` does): %s", store.url, exc)
        raise
    try:
        push(store, mirror)
    except Exception as exc:  # noqa: BLE001 - whatever stopped it, the run is safe in the mirror
        raise RemotePushError(
            f"the run is committed in the mirror {mirror.root} but not in {store.url}: {exc}; the next run or "
            f"`newsfacts sync --warehouse {store.url}` pushes it"
        ) from None
    if settings.compact_auto:
        from newsfacts.warehouse.compaction import MiB
        from newsfacts.warehouse.remote_compaction import compact_remote

        policy = CompactionPolicy(True, settings.compact_max_small_parts, int(settings.compact_small_mb * MiB))
        try:
            compact_remote(store, mirror, policy, auto=True)
        except Exception as exc:  # noqa: BLE001 - the run is pushed; compaction can wait for the next one
            log.warning("%s: the run is pushed; compacting small parts failed: %s", store.url, exc)


@dataclass
class SyncResult:
    url: str
    folder: Path
    pushed: list[str]  # remote manifests created for commits this machine's mirror had not pushed
    pull: PullResult
    rebuilt: bool  # the DuckDB file was rebuilt
    rows: dict[str, int]
    stats: TransferStats


def sync(url: str, folder: Path, *, mirror: Path | None = None, store: RemoteStore | None = None) -> SyncResult:
    """Make `folder` a local copy of the remote warehouse at `url`: push what this machine's mirror (`mirror`)
    left unpushed, pull the new commits and the live parts they name (nothing already there is fetched
    again), rebuild the DuckDB file when anything changed. Refuses a folder holding commits of its own."""
    store = store or RemoteStore.open(url)
    pushed: list[str] = []
    if mirror is not None and (mirror / COMMITS_DIR).is_dir() and mirror.resolve() != folder.resolve():
        pushed = push(store, mirror_warehouse(mirror))
    target = mirror_warehouse(folder)
    with target.locked():
        state = PullState.load(folder)
        if (folder / COMMITS_DIR).is_dir() and target.commits() and state.url != str(store.url):
            raise RemoteError(
                f"{folder} holds a warehouse that is not a copy of {store.url}"
                + (f" (it copies {redact(state.url)})" if state.url else "")
                + ": sync into a new folder or an earlier copy of this URL"
            )
        result = pull(store, target)
        own = pending(target)
        if own:
            raise RemoteError(f"{folder} holds commits that are not in {store.url} ({own[0].name}, ...): a synced "
                              "folder is a read-only copy; publish with `newsfacts run --warehouse URL`")
        recovery = target.recover()  # rebuilds the DuckDB file when stale, deletes retired parts
        rows = target.row_counts()
    return SyncResult(str(store.url), folder, pushed, result, recovery.rebuilt, rows, store.stats)
