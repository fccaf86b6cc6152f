"""The data-quality gate as a local service, so runs served from one process skip GX's import.

Importing Great Expectations costs 4-12 s per process. `newsfacts serve` starts every flow run in a
fresh subprocess, so each run would pay it again. Instead the serving process imports GX once and
answers `run_gate` calls over an authenticated loopback connection (`multiprocessing.managers`);
each flow run finds the address and key in `NEWSFACTS_GATE_ADDRESS` / `NEWSFACTS_GATE_AUTHKEY`,
which the serving process sets and its runs inherit. The same `run_gate` runs on the same frames,
so the rows and outcomes are those of an in-process gate. A run whose service is gone validates
in-process instead.

    address, authkey = start_gate_service()        # in the serving process
    result = validate_remotely(tables)             # in a run: GateResult, or None if no service
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Mapping
from multiprocessing import AuthenticationError
from multiprocessing.managers import BaseManager

import polars as pl
from newsfacts.expectations.gate import GateResult, preload, run_gate

ADDRESS_ENV = "NEWSFACTS_GATE_ADDRESS"
AUTHKEY_ENV = "NEWSFACTS_GATE_AUTHKEY"

log = logging.getLogger("newsfacts.expectations")


class _Gate:
    def validate(self, tables: dict[str, pl.DataFrame]) -> GateResult:
        return run_gate(tables)


_GATE = _Gate()


class _GateManager(BaseManager):
    pass


_GateManager.register("gate", callable=lambda: _GATE, exposed=("validate",))


def start_gate_service(host: str = "127.0.0.1") -> tuple[str, str]:
    """Serve the gate from this process on a free loopback port (a daemon thread); GX imports in the
    background. Sets ADDRESS_ENV and AUTHKEY_ENV for child processes and returns them."""
    authkey = secrets.token_hex(16)
    manager = _GateManager(address=(host, 0), authkey=authkey.encode())
    server = manager.get_server()
    threading.Thread(target=server.serve_forever, name="newsfacts-gate", daemon=True).start()
    preload()
    address = f"{server.address[0]}:{server.address[1]}"
    os.environ[ADDRESS_ENV], os.environ[AUTHKEY_ENV] = address, authkey
    return address, authkey


def validate_remotely(tables: Mapping[str, pl.DataFrame]) -> GateResult | None:
    """The gate's result from the serving process's service; None when no service is configured or
    it cannot be reached (the caller then validates in-process)."""
    address, authkey = os.environ.get(ADDRESS_ENV), os.environ.get(AUTHKEY_ENV)
    if not address or not authkey:
        return None
    host, _, port = address.rpartition(":")
    try:
        manager = _GateManager(address=(host, int(port)), authkey=authkey.encode())
        manager.connect()
        return manager.gate().validate(dict(tables))
    except (OSError, EOFError, ValueError, AuthenticationError) as exc:
        log.warning("gate service at %s unavailable (%s); validating in-process", address, exc)
        return None
