"""The gate service: a real separate process imports GX once and validates for its clients."""
from __future__ import annotations

import subprocess
import sys

import pytest
from newsfacts.expectations import service

from tests.expectations.test_gate import bad_tables, good_tables
from tests.flows.servers import free_port

SERVE = (
    "import time\n"
    "from newsfacts.expectations.service import start_gate_service\n"
    "address, key = start_gate_service()\n"
    "print(address, key, flush=True)\n"
    "time.sleep(600)\n"
)


@pytest.fixture(scope="module")
def gate_service():
    proc = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True)
    try:
        address, key = proc.stdout.readline().split()
        yield address, key
    finally:
        proc.kill()
        proc.wait()


def test_remote_gate_passes_good_and_names_bad(gate_service, monkeypatch):
    address, key = gate_service
    monkeypatch.setenv(service.ADDRESS_ENV, address)
    monkeypatch.setenv(service.AUTHKEY_ENV, key)
    good = service.validate_remotely(good_tables())
    assert good is not None and good.success
    tables, _ = bad_tables()
    bad = service.validate_remotely(tables)
    assert bad is not None and not bad.success
    assert {o.table for o in bad.failures()} == {"articles", "locations", "figures", "events"}


def test_no_service_or_wrong_key_means_in_process(gate_service, monkeypatch):
    monkeypatch.delenv(service.ADDRESS_ENV, raising=False)
    assert service.validate_remotely(good_tables()) is None
    address, _ = gate_service
    monkeypatch.setenv(service.ADDRESS_ENV, address)
    monkeypatch.setenv(service.AUTHKEY_ENV, "0" * 32)
    assert service.validate_remotely(good_tables()) is None
    monkeypatch.setenv(service.ADDRESS_ENV, f"127.0.0.1:{free_port()}")
    assert service.validate_remotely(good_tables()) is None
