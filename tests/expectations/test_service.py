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


def test_an_advertised_service_is_discovered_only_while_it_answers_as_this_gate(gate_service, tmp_path, monkeypatch):
    address, key = gate_service
    path = service.advertise(tmp_path, address, key)
    assert path.stat().st_mode & 0o777 == 0o600  # the key is this user's only
    assert service.discover(tmp_path) == service.GateService(address, key)
    assert service.discover(tmp_path / "elsewhere") is None  # nothing advertised there
    monkeypatch.setattr(service, "fingerprint", lambda: "another version")
    assert service.discover(tmp_path) is None  # a service started from other rules is not used
    monkeypatch.undo()
    service.advertise(tmp_path, address, "not-the-key")
    assert service.discover(tmp_path) is None  # does not answer with this key
    service.advertise(tmp_path, f"127.0.0.1:{free_port()}", key)
    assert service.discover(tmp_path) is None  # nothing listens there any more


def test_withdraw_removes_only_this_processes_advertisement(tmp_path):
    path = service.advertise(tmp_path, "127.0.0.1:1", "k")
    path.write_text(path.read_text().replace(f'"pid": {__import__("os").getpid()}', '"pid": 1'))
    service.withdraw(path)
    assert path.exists()  # another service's file since
    service.withdraw(service.advertise(tmp_path, "127.0.0.1:1", "k"))
    assert not path.exists()
