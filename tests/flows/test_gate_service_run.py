"""A `newsfacts run` that finds a gate service (NEWSFACTS_GATE_ADDRESS / _AUTHKEY) validates there and never
imports Great Expectations itself (real processes: a gate service, a Prefect server, the CLI)."""
from __future__ import annotations

import subprocess

import duckdb
from newsfacts.expectations import service

from tests.expectations.test_service import gate_service  # noqa: F401  (the fixture: a real service process)
from tests.flows.servers import BIN


def test_a_run_with_a_gate_service_does_not_import_gx(prefect_server, gate_service, tmp_path):  # noqa: F811
    address, key = gate_service
    env = {**prefect_server.env, "PREFECT_API_URL": prefect_server.api, service.ADDRESS_ENV: address,
           service.AUTHKEY_ENV: key, "PYTHONPROFILEIMPORTTIME": "1"}  # every import of the CLI's process on stderr
    done = subprocess.run([str(BIN / "newsfacts"), "run", "--warehouse", str(tmp_path / "wh")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "newsfacts.flows.pipeline" in imported  # the import log works
    assert "great_expectations" not in imported
    con = duckdb.connect(str(tmp_path / "wh" / "newsfacts.duckdb"), read_only=True)
    try:  # validated all the same: the run's expectation results are published
        assert con.execute("select count(*) from dq_results").fetchone()[0] > 0
    finally:
        con.close()
