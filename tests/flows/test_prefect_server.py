"""`newsfacts run` unchanged against a real `prefect server start` on 127.0.0.1: the flow run lands there."""
from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from tests.flows.servers import BIN


def test_run_reports_to_running_server(prefect_server, tmp_path: Path):
    article = tmp_path / "a.txt"
    article.write_text("Storm in Manila\nA storm left about 40,000 people without power in Manila on Sunday.\n", encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "newsfacts"), "run", str(article), "--warehouse", str(tmp_path / "wh")],
        env={**prefect_server.env, "PREFECT_API_URL": prefect_server.api}, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Starting temporary server" not in done.stdout + done.stderr
    runs = httpx.post(f"{prefect_server.api}/flow_runs/filter", json={"limit": 10}, timeout=10).json()
    assert [r["state_type"] for r in runs] == ["COMPLETED"]
    assert (tmp_path / "wh" / "newsfacts.duckdb").exists()
