"""`newsfacts run` unchanged against a real `prefect server start` on 127.0.0.1: the flow run lands there."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    bin_dir = Path(sys.executable).parent
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail("prefect server exited: " + (home / "server.log").read_text()[-2000:])
            time.sleep(0.5)
        else:
            pytest.fail("prefect server did not answer /api/health within 120 s")
        yield api, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_run_reports_to_running_server(prefect_server, tmp_path: Path):
    api, env = prefect_server
    article = tmp_path / "a.txt"
    article.write_text("Storm in Manila\nA storm left about 40,000 people without power in Manila on Sunday.\n", encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        [str(bin_dir / "newsfacts"), "run", str(article), "--warehouse", str(tmp_path / "wh")],
        env={**env, "PREFECT_API_URL": api}, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Starting temporary server" not in done.stdout + done.stderr
    runs = httpx.post(f"{api}/flow_runs/filter", json={"limit": 10}, timeout=10).json()
    assert [r["state_type"] for r in runs] == ["COMPLETED"]
    assert (tmp_path / "wh" / "newsfacts.duckdb").exists()
