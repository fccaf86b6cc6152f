"""Real processes for integration tests: `prefect server start` on a free 127.0.0.1 port and `newsfacts serve`."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from newsfacts.local_server import free_port

BIN = Path(sys.executable).parent


@dataclass
class PrefectServer:
    url: str  # the UI
    api: str
    env: dict[str, str]  # PREFECT_HOME and analytics off; add PREFECT_API_URL=api to report here
    log: Path


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM the process group, then SIGKILL what is left."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_until(check, timeout: float, what: str, proc: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited {proc.returncode}: " + (log.read_text()[-3000:] if log else ""))
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout:.0f} s" + ((": " + log.read_text()[-3000:]) if log else ""))


def start_server(home: Path):
    """Start `prefect server start`; returns (PrefectServer, process). Stop it with `stop`."""
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_LOGGING_LEVEL", None)  # tests/conftest.py quiets it; served runs keep their INFO lines
    api = f"http://127.0.0.1:{port}/api"
    env["PREFECT_UI_API_URL"] = api
    log = home / "server.log"
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"{api}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, 120, "prefect server /api/health", proc, log)
    except BaseException:
        stop(proc)
        raise
    return PrefectServer(url=f"http://127.0.0.1:{port}", api=api, env=env, log=log), proc


def deployment_id(api: str, name: str) -> str | None:
    found = httpx.post(f"{api}/deployments/filter", json={"deployments": {"name": {"any_": [name]}}}, timeout=10).json()
    return found[0]["id"] if found else None


def start_serve(server: PrefectServer, base_dir: Path, *args: str, log: Path):
    """Start `newsfacts serve --base-dir BASE_DIR ARGS` against `server`; returns the process once
    both deployments are registered."""
    proc = subprocess.Popen(
        [str(BIN / "newsfacts"), "serve", "--base-dir", str(base_dir), *args],
        env={**server.env, "PREFECT_API_URL": server.api}, cwd=base_dir,
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_until(
            lambda: all(deployment_id(server.api, name) for name in ("ingest", "rebuild-warehouse", "compact-warehouse")),
            120, "deployments registered", proc, log,
        )
    except BaseException:
        stop(proc)
        raise
    return proc


def wait_for_run(api: str, run_id: str, timeout: float = 300) -> dict:
    """Poll a flow run until it is final; returns the run."""
    def final():
        run = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()
        return run if run.get("state_type") in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None

    return wait_until(final, timeout, f"flow run {run_id} final")


def start_dask(
    env: dict[str, str], logs: Path, workers: int = 2, preload: bool = False
) -> tuple[str, list[subprocess.Popen]]:
    """A `dask scheduler` and `workers` one-thread `dask worker` processes on 127.0.0.1, logs in `logs`;
    returns (scheduler address, processes, scheduler first). Stop them with `stop`, workers first.
    `preload`: the workers start with `--preload newsfacts.flows.worker` (ready before the first run)."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
        env=env, stdout=(logs / "scheduler.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )]
    try:
        for i in range(workers):
            procs.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                 "--host", "127.0.0.1", "--name", f"w{i}",
                 *(["--preload", "newsfacts.flows.worker"] if preload else [])],
                env=env, stdout=(logs / f"worker{i}.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True,
            ))

        def all_workers() -> bool:
            try:
                with Client(address, timeout=5) as client:
                    return len(client.scheduler_info()["workers"]) == workers
            except OSError:
                return False

        wait_until(all_workers, 120, f"dask scheduler with {workers} workers", procs[0], logs / "scheduler.log")
    except BaseException:
        for proc in reversed(procs):
            stop(proc)
        raise
    return address, procs
