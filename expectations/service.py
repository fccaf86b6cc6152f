"""The data-quality gate as a local service, so runs served from one process skip GX's import.

Importing Great Expectations costs 4-12 s per process. `newsfacts serve` starts every flow run in a
fresh subprocess, so each run would pay it again. Instead the serving process imports GX once and
answers `run_gate` calls over an authenticated loopback connection (`multiprocessing.managers`);
each flow run finds the address and key in `NEWSFACTS_GATE_ADDRESS` / `NEWSFACTS_GATE_AUTHKEY`,
which the serving process sets and its runs inherit. The same `run_gate` runs on the same frames,
so the rows and outcomes are those of an in-process gate. A run whose service is gone validates
in-process instead.

`newsfacts serve` and `newsfacts gate` also advertise their service to `newsfacts run` on the same machine:
they write its address and key to `<cache_dir>/gate-service.json` (mode 0600, removed when they stop), and a
CLI run that has no service configured uses the one it finds there, when it answers with the key and its
gate is this installation's (the fingerprint of the suites and the gate's code matches), so such runs skip
GX's import as served runs do.

    address, authkey = start_gate_service()        # in the serving process
    advertise(cache_dir, address, authkey)         # ... for CLI runs on this machine
    address = configure(cache_dir)                 # in `newsfacts run`: ADDRESS_ENV, else discover(); or None
    result = validate_remotely(tables)             # in a run: GateResult, or None if no service
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
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


def _connect(address: str, authkey: str) -> _GateManager:
    """A connection to the gate service at `address` ("host:port"); raises OSError, EOFError, ValueError
    or AuthenticationError when it does not answer with `authkey`."""
    host, _, port = address.rpartition(":")
    manager = _GateManager(address=(host, int(port)), authkey=authkey.encode())
    manager.connect()
    return manager


def validate_remotely(tables: Mapping[str, pl.DataFrame]) -> GateResult | None:
    """The gate's result from the serving process's service; None when no service is configured or
    it cannot be reached (the caller then validates in-process)."""
    address, authkey = os.environ.get(ADDRESS_ENV), os.environ.get(AUTHKEY_ENV)
    if not address or not authkey:
        return None
    try:
        return _connect(address, authkey).gate().validate(dict(tables))
    except (OSError, EOFError, ValueError, AuthenticationError) as exc:
        log.warning("gate service at %s unavailable (%s); validating in-process", address, exc)
        return None


REGISTRY_FILE = "gate-service.json"


class GateService(NamedTuple):
    address: str
    authkey: str


def fingerprint() -> str:
    """What the gate checks: a hash of the suites and of the gate's code (a service started from another
    version of newsfacts validates against other rules, and is not used)."""
    here = Path(__file__).parent
    digest = hashlib.sha1()
    for path in sorted([*here.glob("*.py"), *(here / "suites").glob("*.json")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def advertise(cache_dir: Path, address: str, authkey: str) -> Path:
    """Write the service's address and key for CLI runs on this machine (`<cache_dir>/gate-service.json`,
    readable by this user only); returns the file, for `withdraw`."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path, tmp = cache_dir / REGISTRY_FILE, cache_dir / f".{REGISTRY_FILE}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"address": address, "authkey": authkey, "pid": os.getpid(), "fingerprint": fingerprint()}, out)
    os.replace(tmp, path)
    return path


def withdraw(path: Path) -> None:
    """Remove the advertisement if it is still this process's (a later service may have replaced it)."""
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def discover(cache_dir: Path) -> GateService | None:
    """The service advertised in `cache_dir` when it answers with its key and runs this installation's gate;
    None otherwise (no file, a stopped service, another version)."""
    try:
        found = json.loads((cache_dir / REGISTRY_FILE).read_text())
        service = GateService(str(found["address"]), str(found["authkey"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if found.get("fingerprint") != fingerprint():
        log.info("gate service at %s runs another version of the gate; not used", service.address)
        return None
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(5)  # whatever now listens on a stopped service's port may never answer
    try:
        _connect(service.address, service.authkey)
    except (OSError, EOFError, ValueError, AuthenticationError):
        return None
    finally:
        socket.setdefaulttimeout(previous)
    return service


def configure(cache_dir: Path) -> str | None:
    """The address of the gate service this process's runs validate with: the one ADDRESS_ENV names, else
    one advertised in `cache_dir` (`discover`, then set in ADDRESS_ENV / AUTHKEY_ENV); None: none, the runs
    validate in-process."""
    if not os.environ.get(ADDRESS_ENV) and (found := discover(cache_dir)) is not None:
        os.environ[ADDRESS_ENV], os.environ[AUTHKEY_ENV] = found.address, found.authkey
    return os.environ.get(ADDRESS_ENV) or None
