"""A `newsfacts run` that finds a gate service (NEWSFACTS_GATE_ADDRESS / _AUTHKEY, or one that `newsfacts gate`
advertises on the machine) validates there and never imports Great Expectations itself (real processes: a gate
service, a Prefect server, the CLI)."""
from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import duckdb
from newsfacts.expectations import service

from tests.expectations.test_service import gate_service  # noqa: F401  (the fixture: a real service process)
from tests.flows.servers import BIN


def _run_without_gx(env: dict[str, str], warehouse: Path) -> str:
    """`newsfacts run` (the bundled articles): asserts it succeeded, published its checks and imported no GX;
    returns its stdout."""
    env = {**env, "PYTHONPROFILEIMPORTTIME": "1"}  # every import of the CLI's process on stderr
    done = subprocess.run([str(BIN / "newsfacts"), "run", "--warehouse", str(warehouse)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "newsfacts.flows.pipeline" in imported  # the import log works
    assert "great_expectations" not in imported
    con = duckdb.connect(str(warehouse / "newsfacts.duckdb"), read_only=True)
    try:  # validated all the same: the run's expectation results are published
        assert con.execute("select count(*) from dq_results").fetchone()[0] > 0
    finally:
        con.close()
    return done.stdout


def test_a_run_with_a_gate_service_does_not_import_gx(prefect_server, gate_service, tmp_path):  # noqa: F811
    address, key = gate_service
    env = {**prefect_server.env, "PREFECT_API_URL": prefect_server.api, service.ADDRESS_ENV: address,
           service.AUTHKEY_ENV: key}
    assert f"data-quality gate: service at {address}" in _run_without_gx(env, tmp_path / "wh")


def test_a_run_finds_the_gate_that_newsfacts_gate_keeps(prefect_server, tmp_path):
    env = {**prefect_server.env, "PREFECT_API_URL": prefect_server.api, "NEWSFACTS_CACHE_DIR": str(tmp_path / "cache")}
    env = {k: v for k, v in env.items() if k not in (service.ADDRESS_ENV, service.AUTHKEY_ENV)}
    keeper = subprocess.Popen([str(BIN / "newsfacts"), "gate"], env={**env, "COLUMNS": "300"},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ready = keeper.stdout.readline()  # printed once GX is imported and the service advertised
        assert "data-quality gate ready at" in ready, ready
        assert "data-quality gate: service at" in _run_without_gx(env, tmp_path / "wh")
    finally:
        keeper.send_signal(signal.SIGTERM)
        assert keeper.wait(timeout=60) == 0
    assert not (tmp_path / "cache" / service.REGISTRY_FILE).exists()  # withdrawn when it stopped
