"""A temporary Prefect API server for one `newsfacts run` when no PREFECT_API_URL is set.

Prefect would start its own temporary server, but a run killed with SIGKILL leaves that one running
(about 200 MB, until someone finds it). This one is the same server (uvicorn on Prefect's app factory,
UI off, on a free 127.0.0.1 port), started so that the kernel stops it when the process that started
it dies, however it dies (Linux `PR_SET_PDEATHSIG`), and stopped explicitly when the run ends.

Starting that server is most of a small run's fixed cost (docs/performance.md, "Fixed cost of a run"), so
`prefect_api()` first looks for a server that is already running: the `PREFECT_API_URL` of the active
Prefect profile (`prefect config set PREFECT_API_URL=...`), then `prefect server start`'s default address,
http://127.0.0.1:4200/api, each used only when it answers as a Prefect server of the installed version. When
it has to start one, it returns as soon as the process is spawned (the URL is known then), so the caller
imports Prefect and the pipeline while the server boots, and waits for it (`PrefectApi.wait`) only before
the flow starts.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PR_SET_PDEATHSIG = 1
DEFAULT_LOCAL_API = "http://127.0.0.1:4200/api"  # where `prefect server start` serves by default


class ServerStartError(RuntimeError):
    """The temporary Prefect server did not answer in time."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the explicit stop still applies
        pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(api: str) -> bool:
    """Whether a Prefect API answers its health check."""
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _prefect_dir() -> str:
    spec = importlib.util.find_spec("prefect")
    assert spec is not None and spec.origin is not None, "prefect is not installed"
    return str(Path(spec.origin).parent.parent)


def _profile_api_url() -> str | None:
    """PREFECT_API_URL of the active Prefect profile (profiles.toml under PREFECT_HOME), read without importing
    Prefect; None when there is none or the file cannot be read."""
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    url = profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL")
    return url if isinstance(url, str) and url.strip() else None


def _installed_prefect() -> str | None:
    try:
        return version("prefect")
    except PackageNotFoundError:
        return None


def is_prefect_api(api: str, timeout_s: float = 10.0) -> bool:
    """Whether `api` answers as a Prefect API of the installed version (`/health` true, `/admin/version`
    equal): a server of another version may not understand this client, and any other service is not one."""
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=timeout_s) as response:
            if response.status != 200 or response.read(16).strip() != b"true":
                return False
        with urllib.request.urlopen(f"{api}/admin/version", timeout=timeout_s) as response:
            served = response.read(64).decode("utf-8", "replace").strip().strip('"')
    except (OSError, ValueError):
        return False
    return served == _installed_prefect()


@dataclass
class PrefectApi:
    """The API a run reports to. `origin`: "PREFECT_API_URL", "Prefect settings", "Prefect profile",
    "running local server" or "temporary server"; `wait()` returns the URL once it answers."""

    url: str
    origin: str
    _wait: Callable[[], None] | None = field(default=None, repr=False)

    def wait(self) -> str:
        if self._wait is not None:
            self._wait()
            self._wait = None
        return self.url


def running_api(default: str = DEFAULT_LOCAL_API) -> PrefectApi | None:
    """A running Prefect server to report to, or None: the active profile's PREFECT_API_URL, then `default`,
    whichever answers as a Prefect API of the installed version."""
    for url, origin in ((_profile_api_url(), "Prefect profile"), (default, "running local server")):
        if url and is_prefect_api(url.rstrip("/")):
            return PrefectApi(url.rstrip("/"), origin)
    return None


@contextmanager
def prefect_api(timeout_s: float = 90.0, default: str = DEFAULT_LOCAL_API) -> Iterator[PrefectApi]:
    """The API runs report to, without waiting for it: PREFECT_API_URL when set (nothing started), a running
    server (`running_api`), else a temporary server just spawned, whose URL is in PREFECT_API_URL while the
    block runs; it is stopped when the block ends and dies with this process if it is killed. Call
    `wait()` before the first flow run; it raises ServerStartError if the server does not come up."""
    if os.environ.get("PREFECT_API_URL"):
        yield PrefectApi(os.environ["PREFECT_API_URL"], "PREFECT_API_URL")
        return
    if "prefect" in sys.modules:  # already configured in this process (a test harness, a profile)
        from prefect.settings import PREFECT_API_URL

        if PREFECT_API_URL.value():
            yield PrefectApi(PREFECT_API_URL.value(), "Prefect settings")
            return
    found = running_api(default)
    if found is not None:
        os.environ["PREFECT_API_URL"] = found.url
        try:
            yield found
        finally:
            os.environ.pop("PREFECT_API_URL", None)
        return
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "--app-dir", _prefect_dir(), "--factory",
            "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "error", "--lifespan", "on",
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent,
    )

    def wait() -> None:  # the server gets `timeout_s` from here, on top of the time the caller spent meanwhile
        deadline = time.monotonic() + timeout_s
        while not answers(api):
            if process.poll() is not None:
                log.seek(0)
                raise ServerStartError(f"the temporary Prefect server exited: {log.read()[-2000:].decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise ServerStartError(f"the temporary Prefect server did not answer within {timeout_s:.0f} s")
            time.sleep(0.1)

    try:
        os.environ["PREFECT_API_URL"] = api  # known now: Prefect may be imported while the server boots
        yield PrefectApi(api, "temporary server", wait)
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def temporary_server(timeout_s: float = 90.0) -> Iterator[str | None]:
    """`prefect_api()`, waited for: yield the URL of an API that answers."""
    with prefect_api(timeout_s) as api:
        yield api.wait()
