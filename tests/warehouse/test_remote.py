"""The remote warehouse against a real S3 API (moto's server mode on 127.0.0.1): commits pushed from local
mirrors with a conditional create, `sync` into a local folder, concurrent and crashed pushers."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import duckdb
import obstore
import polars as pl
import pytest
from newsfacts.warehouse.commits import Manifest, PartFile
from newsfacts.warehouse.compaction import CompactionPolicy
from newsfacts.warehouse.faults import InjectedFault
from newsfacts.warehouse.publish import LocalWarehouse
from newsfacts.warehouse.remote import (
    RemoteError,
    RemoteStore,
    manifest_key,
    mirror_warehouse,
    pending,
    push,
    sync,
)
from newsfacts.warehouse.remote_url import RemoteURLError, parse, redact

from newsfacts.schema import ARTICLES, EVENTS, RUNS, conform
from newsfacts.settings import Settings
from tests.warehouse.s3server import SECRET_KEY, S3Server, s3_server

OFF = CompactionPolicy(auto=False)


@pytest.fixture(scope="module")
def s3() -> S3Server:
    with s3_server() as server:
        yield server


@pytest.fixture
def url(s3: S3Server, monkeypatch) -> str:
    for key, value in s3.env().items():
        monkeypatch.setenv(key, value)
    return f"s3://{s3.new_bucket()}/team/warehouse"


def _run(n: int, articles: list[str] | None = None) -> dict[str, pl.DataFrame]:
    """One small run: its articles (default two of its own), one event each, and its runs row."""
    started = datetime(2026, 3, 1, 6, n, tzinfo=timezone.utc)
    ids = articles or [f"a{n}-{i}" for i in range(2)]
    return {
        "articles": conform(
            pl.DataFrame({"article_id": ids, "text": [f"text {i}" for i in ids], "ingested_at": [started] * len(ids)}),
            ARTICLES,
        ).collect(),
        "events": conform(pl.DataFrame({"event_id": [f"e-{i}" for i in ids], "article_id": ids}), EVENTS).collect(),
        "runs": conform(pl.DataFrame({"run_id": [f"r{n}"], "started_at": [started], "status": ["completed"]}), RUNS).collect(),
    }


def _publish(warehouse: LocalWarehouse, n: int, articles: list[str] | None = None) -> None:
    """What the flow's publish task does: drop what is published already, commit the rest."""
    with warehouse.locked():
        warehouse.publish(f"r{n}", warehouse.unpublished(_run(n, articles)))


def _ids(folder: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(folder / "newsfacts.duckdb"), read_only=True)
    try:
        return {
            table: [r[0] for r in con.execute(f"SELECT {key} FROM {table} ORDER BY 1").fetchall()]
            for table, key in (("articles", "article_id"), ("events", "event_id"), ("runs", "run_id"))
        }
    finally:
        con.close()


def _keys(store: RemoteStore, prefix: str) -> list[str]:
    return sorted(m["path"] for m in obstore.list(store.store, prefix=prefix).collect())


def _files(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


# --- URLs and settings ----------------------------------------------------------------------------------


def test_url_with_credentials_or_query_is_refused_without_showing_the_secret():
    for bad in (f"s3://AKIAX:{SECRET_KEY}@bucket/prefix", f"s3://bucket/prefix?secret={SECRET_KEY}",
                f"https://user:{SECRET_KEY}@example.org/x"):
        with pytest.raises(RemoteURLError) as caught:
            parse(bad)
        assert SECRET_KEY not in str(caught.value)
        assert "***" in str(caught.value)
    assert SECRET_KEY not in redact(f"s3://k:{SECRET_KEY}@b/p")
    with pytest.raises(RemoteURLError, match="scheme"):
        parse("ftp://host/x")
    with pytest.raises(RemoteURLError, match="no bucket"):
        parse("s3:///prefix")
    assert str(parse("s3://bucket/prefix/")) == "s3://bucket/prefix"
    assert str(parse("file:///tmp/wh/")) == "file:///tmp/wh"


def test_a_warehouse_url_setting_is_not_mangled_into_a_path(tmp_path: Path, monkeypatch):
    settings = Settings(warehouse_dir="s3://bucket/prefix", remote_mirror_dir=tmp_path)
    assert settings.warehouse_url == "s3://bucket/prefix"
    assert settings.warehouse_dir == Path("data")  # untouched: local commands keep their default
    assert settings.remote_mirror_path.parent == tmp_path
    assert Settings(warehouse_dir="s3://bucket/other").remote_mirror_path != Settings(
        warehouse_dir="s3://bucket/prefix"
    ).remote_mirror_path
    monkeypatch.setenv("NEWSFACTS_WAREHOUSE_DIR", "gs://bucket/x")
    assert Settings().warehouse_url == "gs://bucket/x"
    assert Settings(warehouse_dir=str(tmp_path)).warehouse_url is None
    assert Settings(warehouse_dir="relative/folder").warehouse_path == Settings().base_dir / "relative" / "folder"


# --- push and sync ----------------------------------------------------------------------------------------


def test_pushed_runs_sync_into_the_same_warehouse_as_local_publishing(url: str, tmp_path: Path):
    mirror = mirror_warehouse(tmp_path / "mirror")
    store = RemoteStore.open(url)
    for n in (0, 1):
        _publish(mirror, n)
        assert push(store, mirror) == [manifest_key(n + 1)]
    control = LocalWarehouse(tmp_path / "control", compaction=OFF)
    for n in (0, 1):
        _publish(control, n)

    # the remote holds the local layout: parts under parquet/, one numbered manifest per commit
    assert _keys(store, "_commits/") == ["_commits/0000000001.json", "_commits/0000000002.json"]
    assert _keys(store, "parquet/") == sorted(
        f"parquet/{t}/ingest_date=2026-03-01/part-r{n}.parquet" for t in ("articles", "events", "runs") for n in (0, 1)
    )
    first = Manifest.from_json(store.read("_commits/0000000001.json"), Path("m"))
    assert (first.seq, first.label, first.kind) == (1, "r0", "publish")

    done = sync(url, tmp_path / "copy")
    assert done.rebuilt and len(done.pull.commits) == 2 and len(done.pull.downloaded) == 6
    assert _ids(tmp_path / "copy") == _ids(control.root)
    assert done.rows == control.row_counts()
    assert not LocalWarehouse(tmp_path / "copy").is_stale()


def test_a_second_sync_with_nothing_new_downloads_nothing(url: str, tmp_path: Path):
    mirror = mirror_warehouse(tmp_path / "mirror")
    for n in (0, 1):
        _publish(mirror, n)
    push(RemoteStore.open(url), mirror)
    copy = tmp_path / "copy"
    sync(url, copy)
    before = _files(copy)

    again = sync(url, copy)
    assert (again.stats.lists, again.stats.gets, again.stats.puts) == (1, 0, 0)
    assert not again.rebuilt and again.pull.commits == [] and again.pull.downloaded == []
    assert _files(copy) == before  # not one file rewritten

    _publish(mirror, 2)
    push(RemoteStore.open(url), mirror)
    third = sync(url, copy)
    assert sorted(third.pull.downloaded) == sorted(
        f"parquet/{t}/ingest_date=2026-03-01/part-r2.parquet" for t in ("articles", "events", "runs")
    )
    assert third.stats.gets == 1 + 3  # the new manifest and its three parts
    assert third.rebuilt and len(_ids(copy)["runs"]) == 3


def test_two_machines_pushing_at_once_both_land(url: str, tmp_path: Path):
    mirrors = [mirror_warehouse(tmp_path / f"machine{m}") for m in (0, 1)]
    for m, mirror in enumerate(mirrors):
        for n in range(4):
            _publish(mirror, 10 * m + n)  # four commits waiting on each machine
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(mirror: LocalWarehouse) -> None:
        try:
            store = RemoteStore.open(url)
            start.wait(timeout=120)
            push(store, mirror)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(mirror,)) for mirror in mirrors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors
    store = RemoteStore.open(url)
    keys = _keys(store, "_commits/")
    assert keys == [manifest_key(seq) for seq in range(1, 9)]
    labels = [Manifest.from_json(store.read(k), Path(k)).label for k in keys]
    assert sorted(labels) == sorted(f"r{10 * m + n}" for m in (0, 1) for n in range(4))
    for mirror in mirrors:
        assert pending(mirror_warehouse(mirror.root)) == []
    done = sync(url, tmp_path / "copy")
    assert len(_ids(tmp_path / "copy")["articles"]) == 16 and done.rows["runs"] == 8


class RacingStore(RemoteStore):
    """The real store, with another machine committing right before this one's first commit attempt
    (`rival`: a mirror whose waiting commits it pushes, or any call)."""

    rival: LocalWarehouse | Callable[[], object] | None = None

    def create(self, key: str, data: bytes) -> bool:
        if self.rival is not None:
            rival, self.rival = self.rival, None
            rival() if callable(rival) else push(RemoteStore.open(str(self.url)), rival)
        return super().create(key, data)


def test_a_push_that_loses_the_race_takes_the_next_seq_without_the_rows_published_first(url: str, tmp_path: Path):
    slow, fast = mirror_warehouse(tmp_path / "slow"), mirror_warehouse(tmp_path / "fast")
    _publish(slow, 1, ["shared", "only-slow"])
    _publish(fast, 2, ["shared", "only-fast"])
    plain = RemoteStore.open(url)
    store = RacingStore(plain.url, plain.store)
    store.rival = fast

    assert push(store, slow) == [manifest_key(2)]  # seq 1 went to the rival
    first = Manifest.from_json(store.read(manifest_key(1)), Path("1"))
    second = Manifest.from_json(store.read(manifest_key(2)), Path("2"))
    assert (first.label, second.label) == ("r2", "r1")
    assert {p.table: p.rows for p in second.parts} == {"articles": 1, "events": 1, "runs": 1}
    done = sync(url, tmp_path / "copy")
    ids = _ids(tmp_path / "copy")  # the DuckDB build checks the primary keys: "shared" once
    assert ids["articles"] == ["only-fast", "only-slow", "shared"]
    assert ids["events"] == ["e-only-fast", "e-only-slow", "e-shared"]
    assert done.rows["articles"] == 3
    # the slow machine's mirror now holds exactly what the remote holds
    assert mirror_warehouse(slow.root).row_counts() == done.rows


@pytest.mark.parametrize("step", ["remote:before_manifest", "remote:after_manifest"])
def test_a_push_that_dies_is_finished_by_the_next_one_exactly_once(url: str, tmp_path: Path, monkeypatch, step: str):
    mirror = mirror_warehouse(tmp_path / "mirror")
    _publish(mirror, 0)
    push(RemoteStore.open(url), mirror)
    _publish(mirror, 1)
    monkeypatch.setenv("NEWSFACTS_FAULT_AT", step)
    monkeypatch.setenv("NEWSFACTS_FAULT_MODE", "raise")
    with pytest.raises(InjectedFault):
        push(RemoteStore.open(url), mirror)
    monkeypatch.delenv("NEWSFACTS_FAULT_AT")
    store = RemoteStore.open(url)
    if step == "remote:before_manifest":  # parts uploaded, no manifest: nobody sees them
        assert _keys(store, "_commits/") == [manifest_key(1)]
        assert "parquet/articles/ingest_date=2026-03-01/part-r1.parquet" in _keys(store, "parquet/")
        assert _ids(sync(url, tmp_path / "early").folder)["runs"] == ["r0"]
        assert push(store, mirror_warehouse(mirror.root)) == [manifest_key(2)]
    else:  # committed, but the mirror did not record it: recognised, not pushed again
        assert _keys(store, "_commits/") == [manifest_key(1), manifest_key(2)]
        assert push(store, mirror_warehouse(mirror.root)) == []
    assert _keys(store, "_commits/") == [manifest_key(1), manifest_key(2)]
    assert pending(mirror_warehouse(mirror.root)) == []
    assert _ids(sync(url, tmp_path / "copy").folder)["runs"] == ["r0", "r1"]


def test_sync_understands_compaction_manifests(url: str, tmp_path: Path):
    """A `compact` commit in the remote: its merged parts replace the parts it retires, in an existing copy
    (the retired files are deleted) and in a new one (they are never downloaded)."""
    mirror = mirror_warehouse(tmp_path / "mirror")
    for n in (0, 1):
        _publish(mirror, n)
    store = RemoteStore.open(url)
    push(store, mirror)
    sync(url, tmp_path / "old-copy")
    before = _ids(tmp_path / "old-copy")
    # another tool compacts the articles of both runs into one part and commits that as seq 3
    day = "parquet/articles/ingest_date=2026-03-01"
    retired = tuple(PartFile("articles", f"{day}/part-r{n}.parquet", 2) for n in (0, 1))
    merged = PartFile("articles", f"{day}/part-compact-0000000003.parquet", 4)
    frame = pl.concat([pl.read_parquet(mirror.root / p.path, hive_partitioning=False) for p in retired])
    frame.write_parquet(tmp_path / "merged.parquet")
    store.upload(tmp_path / "merged.parquet", merged.path)
    compact = Manifest(3, "compact", "compact", "2026-03-02T00:00:00+00:00", (merged,), retires=retired)
    assert json.loads(compact.to_json())["format"] == 2
    assert store.create(manifest_key(3), compact.to_json())

    for folder in (tmp_path / "old-copy", tmp_path / "new-copy"):
        done = sync(url, folder)
        assert _ids(folder) == before and done.rows["articles"] == 4
        on_disk = sorted(p.name for p in (folder / day).glob("*.parquet"))
        assert on_disk == ["part-compact-0000000003.parquet"]
    assert "parquet/articles/ingest_date=2026-03-01/part-r0.parquet" not in sync(url, tmp_path / "third").pull.downloaded


def test_a_file_url_is_a_remote_warehouse_too(tmp_path: Path):
    url = (tmp_path / "store").as_uri()
    (tmp_path / "store").mkdir()
    mirror = mirror_warehouse(tmp_path / "mirror")
    _publish(mirror, 0)
    assert push(RemoteStore.open(url), mirror) == [manifest_key(1)]
    assert (tmp_path / "store" / "_commits" / "0000000001.json").is_file()
    assert _ids(sync(url, tmp_path / "copy").folder)["articles"] == ["a0-0", "a0-1"]


def test_sync_refuses_a_folder_that_is_not_a_copy_of_the_url(url: str, tmp_path: Path):
    local = LocalWarehouse(tmp_path / "local", compaction=OFF)
    _publish(local, 0)
    with pytest.raises(RemoteError, match="not a copy"):
        sync(url, local.root)
    assert _ids(local.root)["runs"] == ["r0"]


KILLED_PUSH = """
import sys
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
import polars as pl
from newsfacts.schema import ARTICLES, RUNS, conform
from newsfacts.warehouse.remote import RemoteStore, mirror_warehouse, push

mirror = mirror_warehouse(Path(sys.argv[2]))
now = datetime(2026, 3, 1, tzinfo=timezone.utc)
with mirror.locked():
    mirror.publish("killed", {
        "articles": conform(pl.DataFrame({"article_id": ["k1"], "text": ["t"], "ingested_at": [now]}), ARTICLES).collect(),
        "runs": conform(pl.DataFrame({"run_id": ["killed"], "started_at": [now], "status": ["completed"]}), RUNS).collect(),
    })
push(RemoteStore.open(sys.argv[1]), mirror)
"""


@pytest.mark.parametrize("step", ["remote:before_manifest", "remote:after_manifest"])
def test_a_pusher_killed_with_sigkill_leaves_its_commit_to_the_next_push(url: str, tmp_path: Path, step: str):
    """A real process SIGKILLed by the fault hook before or after its manifest is created: no half commit is
    visible, and the next push from the same mirror lands the run exactly once."""
    import os
    import signal
    import subprocess
    import sys

    mirror = tmp_path / "mirror"
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_PUSH, url, str(mirror)],
        env={**os.environ, "NEWSFACTS_FAULT_AT": step}, capture_output=True, timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    store = RemoteStore.open(url)
    assert len(_keys(store, "_commits/")) == (1 if step == "remote:after_manifest" else 0)
    push(store, mirror_warehouse(mirror))
    push(store, mirror_warehouse(mirror))
    assert _keys(store, "_commits/") == [manifest_key(1)]
    assert _ids(sync(url, tmp_path / "copy").folder)["runs"] == ["killed"]


def test_a_mirror_never_pushes_its_copy_into_an_emptied_store(url: str, tmp_path: Path):
    mirror = mirror_warehouse(tmp_path / "mirror")
    _publish(mirror, 0)
    store = RemoteStore.open(url)
    push(store, mirror)
    sync(url, tmp_path / "copy")
    obstore.delete(store.store, [manifest_key(1)])  # someone empties the warehouse
    for folder in (mirror.root, tmp_path / "copy"):
        with pytest.raises(RemoteError, match="no longer holds commits _commits/0000000001.json"):
            push(store, mirror_warehouse(folder)) if folder == mirror.root else sync(url, folder)
    assert _keys(store, "_commits/") == []


# --- compaction in the store ------------------------------------------------------------------------------

DUE = CompactionPolicy(auto=True, max_small_parts=3)
DAY = "ingest_date=2026-03-01"


def _pushed_runs(url: str, root: Path, runs: range) -> LocalWarehouse:
    mirror = mirror_warehouse(root)
    for n in runs:
        _publish(mirror, n)
    push(RemoteStore.open(url), mirror)
    return mirror


def _racing(url: str) -> RacingStore:
    plain = RemoteStore.open(url)
    return RacingStore(plain.url, plain.store)


def test_the_store_is_compacted_and_a_new_copy_fetches_only_the_merged_parts(url: str, tmp_path: Path):
    from newsfacts.warehouse.remote_compaction import compact_remote

    mirror = _pushed_runs(url, tmp_path / "mirror", range(5))
    old_copy = tmp_path / "old-copy"
    sync(url, old_copy)
    before = _ids(old_copy)
    assert compact_remote(RemoteStore.open(url), mirror, CompactionPolicy(auto=True, max_small_parts=5), auto=True).manifest is None

    done = compact_remote(RemoteStore.open(url), mirror, DUE, auto=True)
    assert done.manifest == manifest_key(6) and len(done.retired) == 15
    token = PurePosixPath(done.written[0]).name
    assert sorted(done.written) == sorted(f"parquet/{t}/{DAY}/{token}" for t in ("articles", "events", "runs"))
    stored = Manifest.from_json(RemoteStore.open(url).read(manifest_key(6)), Path("6"))
    assert (stored.kind, len(stored.parts), len(stored.retires)) == ("compact", 3, 15)

    fresh = sync(url, tmp_path / "new-copy")
    assert sorted(fresh.pull.downloaded) == sorted(done.written)  # the retired parts are never fetched
    updated = sync(url, old_copy)  # an existing copy: fetches the merged parts, deletes the retired ones
    assert sorted(updated.pull.downloaded) == sorted(done.written)
    for folder in (tmp_path / "new-copy", old_copy):
        assert _ids(folder) == before
        assert sorted(p.name for p in (folder / "parquet" / "articles" / DAY).glob("*.parquet")) == [token]
    # the compacting mirror holds the compaction without having downloaded it; its next recovery tidies up
    assert pending(mirror_warehouse(mirror.root)) == []
    assert mirror_warehouse(mirror.root).recover().retired
    assert sorted(p.name for p in (mirror.root / "parquet" / "articles" / DAY).glob("*.parquet")) == [token]


def test_a_compaction_that_loses_its_number_to_a_publish_takes_the_next(url: str, tmp_path: Path):
    from newsfacts.warehouse.remote_compaction import compact_remote

    mirror = _pushed_runs(url, tmp_path / "mirror", range(4))
    other = mirror_warehouse(tmp_path / "other")
    push(RemoteStore.open(url), other)  # pulls the four runs
    _publish(other, 9)
    store = _racing(url)
    store.rival = other
    done = compact_remote(store, mirror, DUE, auto=True)
    assert done.manifest == manifest_key(6)  # 5 went to run r9, whose parts it does not retire
    assert len(done.retired) == 12
    assert _ids(sync(url, tmp_path / "copy").folder)["runs"] == ["r0", "r1", "r2", "r3", "r9"]


def test_of_two_compactions_of_the_same_parts_one_is_abandoned(url: str, tmp_path: Path):
    from newsfacts.warehouse.remote_compaction import compact_remote

    first = _pushed_runs(url, tmp_path / "first", range(4))
    second = mirror_warehouse(tmp_path / "second")
    push(RemoteStore.open(url), second)
    store = _racing(url)
    store.rival = lambda: compact_remote(RemoteStore.open(url), second, DUE, auto=True)
    done = compact_remote(store, first, DUE, auto=True)
    assert done.manifest is None and done.abandoned == 1
    plain = RemoteStore.open(url)
    assert _keys(plain, "_commits/") == [manifest_key(s) for s in range(1, 6)]
    merged = [k for k in _keys(plain, "parquet/") if "part-compact-" in k]
    assert len(merged) == 3  # the winner's; the loser's uploads were deleted
    copy = sync(url, tmp_path / "copy")
    assert copy.rows["articles"] == 8 and _ids(copy.folder)["runs"] == ["r0", "r1", "r2", "r3"]


def test_a_run_into_a_url_compacts_the_store_when_due(url: str, tmp_path: Path):
    from newsfacts.warehouse.remote import attached

    settings = Settings(warehouse_dir=url, remote_mirror_dir=tmp_path / "mirrors", compact_max_small_parts=3)
    for n in range(4):
        with attached(settings) as warehouse:
            _publish(warehouse, n)
    store = RemoteStore.open(url)
    kinds = [Manifest.from_json(store.read(k), Path(k)).kind for k in _keys(store, "_commits/")]
    assert kinds == ["publish"] * 4 + ["compact"]
    assert _ids(sync(url, tmp_path / "copy").folder)["runs"] == ["r0", "r1", "r2", "r3"]
    with attached(settings.model_copy(update={"compact_auto": False})) as warehouse:
        _publish(warehouse, 4)
    assert len(_keys(store, "_commits/")) == 6
