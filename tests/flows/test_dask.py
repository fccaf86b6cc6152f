"""Extraction on a real Dask cluster (a `dask scheduler` and two `dask worker` processes on 127.0.0.1) and on
local processes gives the same rows and ids as threads in one process."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.flows.servers import BIN, start_dask, stop

TABLES = {"articles": "article_id", "locations": "location_id", "figures": "figure_id", "events": "event_id"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, project_root: Path) -> Path:
    bodies = [p.read_text(encoding="utf-8").split("\n", 2)[2] for p in sorted((project_root / "seeds" / "articles").glob("*.txt"))]
    path = tmp_path_factory.mktemp("corpus") / "news.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(300):
            out.write(json.dumps({"id": f"d{i}", "text": bodies[i % len(bodies)] + f"\nUpdate {i}: {i % 40 + 2} people were hurt."}) + "\n")
    return path


@pytest.fixture(scope="module")
def dask_cluster(prefect_server, tmp_path_factory):
    address, procs = start_dask({**prefect_server.env, "PREFECT_API_URL": prefect_server.api},
                                tmp_path_factory.mktemp("dask"))
    try:
        yield address
    finally:
        for proc in reversed(procs):
            stop(proc)


def _run(prefect_server, corpus: Path, warehouse: Path, *args: str, **env: str) -> dict[str, set[str]]:
    done = subprocess.run(
        [str(BIN / "newsfacts"), "run", str(corpus), "--warehouse", str(warehouse), *args],
        env={**prefect_server.env, "PREFECT_API_URL": prefect_server.api, "NEWSFACTS_BATCH_SIZE": "30", **env},
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    con = duckdb.connect(str(warehouse / "newsfacts.duckdb"), read_only=True)
    try:
        return {t: {r[0] for r in con.execute(f"select {k} from {t}").fetchall()} for t, k in TABLES.items()}
    finally:
        con.close()


def test_processes_and_dask_give_the_rows_of_one_process(prefect_server, dask_cluster, corpus: Path, tmp_path: Path):
    threads = _run(prefect_server, corpus, tmp_path / "threads", NEWSFACTS_EXECUTOR="threads")
    assert len(threads["articles"]) == 300 and all(threads.values())
    processes = _run(prefect_server, corpus, tmp_path / "processes", NEWSFACTS_EXECUTOR="processes")
    assert processes == threads
    on_dask = _run(prefect_server, corpus, tmp_path / "dask", "--dask-address", dask_cluster)
    assert on_dask == threads
    assert set(_workers_that_extracted(dask_cluster).values()) == {True}  # both workers ran batches


# evaluated on each worker (a builtin, so nothing of the tests needs importing there)
LOADED_REFERENCE = "bool(getattr(__import__('sys').modules.get('newsfacts.flows.pipeline'), '_WORKER_REFERENCE', None))"


def _workers_that_extracted(address: str) -> dict[str, bool]:
    from distributed import Client

    with Client(address, timeout=10) as client:
        return client.run(eval, LOADED_REFERENCE)


# evaluated on each worker: what the preload left there before any run sent a batch
PRELOADED = (
    "(bool(getattr(__import__('sys').modules.get('newsfacts.flows.pipeline'), '_WORKER_REFERENCE', None)),"
    " __import__('os').environ.get('POLARS_MAX_THREADS'), __import__('polars').thread_pool_size())"
)


def test_a_preloaded_worker_is_ready_before_the_first_batch(prefect_server, tmp_path: Path):
    env = {**prefect_server.env, "PREFECT_API_URL": prefect_server.api}
    env.pop("POLARS_MAX_THREADS", None)
    address, procs = start_dask(env, tmp_path, workers=1, preload=True)
    try:
        from distributed import Client

        with Client(address, timeout=10) as client:
            (state,) = client.run(eval, PRELOADED).values()
    finally:
        for proc in reversed(procs):
            stop(proc)
    # reference data loaded, and one polars thread for the worker's one task thread (not one per core)
    assert state == (True, "1", 1)
    assert "pipeline and reference data ready" in (tmp_path / "worker0.log").read_text()


def test_polars_threads_follow_the_task_threads_unless_set(monkeypatch):
    from newsfacts.flows import worker

    monkeypatch.delitem(worker.sys.modules, "polars", raising=False)  # as in a worker that has not imported it yet
    environ: dict[str, str] = {}
    assert worker.polars_threads(3, environ) == "3" and environ == {"POLARS_MAX_THREADS": "3"}
    assert worker.polars_threads(1, {"POLARS_MAX_THREADS": "2"}) == "2"  # the environment decides
    monkeypatch.setitem(worker.sys.modules, "polars", object())
    assert worker.polars_threads(1, {}) is None  # too late: polars has sized its pool


def _pool_state() -> tuple[bool, int]:
    import polars

    from newsfacts.flows import pipeline

    return bool(pipeline._WORKER_REFERENCE), polars.thread_pool_size()


def test_a_local_pool_process_gets_its_share_of_threads_and_the_reference_data(monkeypatch):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from newsfacts.flows.worker import setup_process
    from newsfacts.settings import Settings

    monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)  # the spawned process inherits the environment
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=setup_process,
                             initargs=(1, Settings())) as pool:
        assert pool.submit(_pool_state).result(timeout=300) == (True, 1)
