"""`prefect.yaml` as a team using `prefect deploy` and a process work pool would use it, against a real server."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import httpx

from tests.flows.servers import BIN, deployment_id, wait_for_run


def _prefect(args: list[str], env: dict, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_deploy_and_process_worker(prefect_server, project_root: Path, tmp_path: Path):
    # A project folder of the team's own: prefect.yaml and the flows folder its entrypoints name.
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(project_root / "prefect.yaml", project / "prefect.yaml")
    shutil.copytree(project_root / "flows", project / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**prefect_server.env, "PREFECT_API_URL": prefect_server.api, "PWD": str(project)}

    _prefect(["work-pool", "create", "newsfacts", "--type", "process"], env, project)
    _prefect(["--no-prompt", "deploy", "--all"], env, project)
    ingest = deployment_id(prefect_server.api, "ingest")
    assert ingest and deployment_id(prefect_server.api, "rebuild-warehouse")
    assert deployment_id(prefect_server.api, "compact-warehouse")
    dep = httpx.get(f"{prefect_server.api}/deployments/{ingest}", timeout=10).json()
    assert dep["work_pool_name"] == "newsfacts"
    assert dep["parameter_openapi_schema"]["properties"]["batch_size"]["description"]

    run = httpx.post(f"{prefect_server.api}/deployments/{ingest}/create_flow_run", json={}, timeout=10).json()
    worker_cwd = tmp_path / "elsewhere"  # the worker's own folder does not decide where data lands
    worker_cwd.mkdir()
    _prefect(["worker", "start", "--pool", "newsfacts", "--run-once"], env, worker_cwd, timeout=600)
    run = wait_for_run(prefect_server.api, run["id"], timeout=60)
    assert run["state_type"] == "COMPLETED", run["state"]

    db = project / "data" / "newsfacts.duckdb"
    assert db.exists() and not (worker_cwd / "data").exists()
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from articles").fetchone()[0] == 33
    finally:
        con.close()
