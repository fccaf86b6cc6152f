"""The warehouse publish lock between REAL processes: a second writer waits for the first, gives up with
`WarehouseBusy` after `lock_timeout_s`, and two runs publishing the same rows at once store each key once."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from newsfacts.warehouse.publish import LocalWarehouse

from newsfacts.schema import PRIMARY_KEYS, TABLES, conform

HOLD_S = 2.0


def _spawn(code: str, *args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _finish(proc: subprocess.Popen, timeout: float = 60) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail("holder exited early: " + proc.stderr.read()[-3000:])
        if time.monotonic() > deadline:
            pytest.fail(f"{path.name} did not appear within {timeout} s")
        time.sleep(0.05)


HOLDER = """
    import sys, time
    from pathlib import Path
    from newsfacts.warehouse.publish import LocalWarehouse
    root, marker, hold, until = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4])
    with LocalWarehouse(root).locked():
        marker.write_text(repr(time.time()))
        deadline = time.monotonic() + 120  # hold until the other process has done its part (never forever)
        while not until.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(hold)
        (marker.parent / "released").write_text(repr(time.time()))
"""

WAITER = """
    import sys, time
    from pathlib import Path
    from newsfacts.warehouse.publish import LocalWarehouse, WarehouseBusy
    root, out, timeout = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    out.with_suffix(".asking").write_text("")  # imports done: the holder may start its countdown
    asked = time.time()
    try:
        with LocalWarehouse(root, lock_timeout_s=timeout).locked():
            out.write_text(f"acquired {asked!r} {time.time()!r}")
    except WarehouseBusy as exc:
        out.write_text(f"busy {asked!r} {time.time()!r} {exc}")
"""


def test_second_process_waits_for_the_first(tmp_path: Path):
    root = tmp_path / "wh"
    # the holder keeps the lock until HOLD_S after the waiter has asked for it (a loaded machine may
    # take longer than that to start the waiter's interpreter)
    holder = _spawn(HOLDER, root, tmp_path / "held", HOLD_S, tmp_path / "waiter.asking")
    try:
        _wait_for(tmp_path / "held", holder)
        waiter = _spawn(WAITER, root, tmp_path / "waiter", 60)
        _finish(waiter)
    finally:
        _finish(holder)
    kind, asked, acquired = (tmp_path / "waiter").read_text().split()[:3]
    released = float((tmp_path / "released").read_text())
    assert kind == "acquired"
    assert float(asked) < released <= float(acquired), "the second process got the lock while the first held it"


def test_lock_timeout_raises_warehouse_busy(tmp_path: Path):
    root = tmp_path / "wh"
    # the holder keeps the lock until the waiter has written its outcome
    holder = _spawn(HOLDER, root, tmp_path / "held", 0, tmp_path / "waiter")
    try:
        _wait_for(tmp_path / "held", holder)
        waiter = _spawn(WAITER, root, tmp_path / "waiter", 0.5)
        _finish(waiter)
        kind, asked, gave_up, *message = (tmp_path / "waiter").read_text().split()
    finally:
        _finish(holder)
    assert float(gave_up) < float((tmp_path / "released").read_text())  # the holder still held it then
    assert kind == "busy", "the waiter got a lock another process held"
    assert 0.4 <= float(gave_up) - float(asked) < 30  # about the 0.5 s timeout (more on a loaded machine)
    assert "another run" in " ".join(message)


# --- two processes publishing the same rows at once ------------------------------------------

PUBLISHER = """
    import sys, time
    from pathlib import Path
    import polars as pl
    from newsfacts.warehouse.publish import LocalWarehouse
    root, frames, go, run_id = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    tables = {p.stem: pl.read_parquet(p) for p in sorted(frames.glob("*.parquet"))}
    (frames / f"ready-{run_id}").write_text("")
    while not go.exists():
        time.sleep(0.01)
    warehouse = LocalWarehouse(root)
    with warehouse.locked():  # what the flow's publish task does
        fresh = warehouse.unpublished(tables)
        time.sleep(0.5)  # widen the window in which an unlocked second writer would see no rows yet
        warehouse.publish(run_id, fresh)
    print(" ".join(f"{name}={frame.height}" for name, frame in sorted(fresh.items())))
"""


def _frames(folder: Path) -> dict[str, pl.DataFrame]:
    """Articles and figures as two runs of the same input would produce them (same ids)."""
    from datetime import datetime, timezone

    now = datetime(2026, 1, 2, tzinfo=timezone.utc)
    ids = [f"art_{i}" for i in range(5)]
    tables = {
        "articles": pl.DataFrame({"article_id": ids, "doc_id": ids, "text": [f"text {i}" for i in ids], "ingested_at": [now] * 5}),
        "figures": pl.DataFrame(
            {
                "figure_id": [f"fig_{i}" for i in range(5)], "article_id": ids, "start_char": [0] * 5,
                "end_char": [4] * 5, "mention_text": ["text"] * 5, "value": [float(i) for i in range(5)],
            }
        ),
    }
    folder.mkdir()
    out = {}
    for name, frame in tables.items():
        out[name] = conform(frame, TABLES[name]).collect()
        out[name].write_parquet(folder / f"{name}.parquet")
    return out


def test_concurrent_publishes_store_each_key_once(tmp_path: Path):
    root, go = tmp_path / "wh", tmp_path / "go"
    frames = _frames(tmp_path / "frames")
    procs = [_spawn(PUBLISHER, root, tmp_path / "frames", go, f"run{n}") for n in (1, 2)]
    try:
        deadline = time.monotonic() + 60
        while len(list((tmp_path / "frames").glob("ready-*"))) < 2:
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "publishers did not start"
            time.sleep(0.05)
        go.write_text("")  # both are past their imports: they now race for the warehouse
        outputs = sorted(_finish(p).strip() for p in procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert outputs == ["articles=0 figures=0", "articles=5 figures=5"]  # the second found everything published

    warehouse = LocalWarehouse(root)
    con = duckdb.connect(str(warehouse.db_path), read_only=True)
    try:
        for name, frame in frames.items():
            key = PRIMARY_KEYS[name]
            parquet_keys = pl.scan_parquet(warehouse.parts(name)).select(key).collect()[key].to_list()
            assert sorted(parquet_keys) == sorted(frame[key].to_list())
            db_keys = [row[0] for row in con.execute(f"select {key} from {name}").fetchall()]
            assert sorted(db_keys) == sorted(frame[key].to_list())
    finally:
        con.close()
    assert len(warehouse.parts("articles")) == 1
    assert not list(root.rglob("*.tmp"))
