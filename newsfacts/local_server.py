"""A temporary Prefect API server for one `newsfacts run` when no PREFECT_API_URL is set.

Prefect would start its own temporary server, but a run killed with SIGKILL leaves that one running
(about 200 MB, until someone finds it). This one is the same server (uvicorn on Prefect's app factory,
UI off, on a free 127.0.0.1 port), started so that the kernel stops it when the process that started
it dies, however it dies (Linux `PR_SET_PDEATHSIG`), and stopped explicitly when the run ends.
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
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PR_SET_PDEATHSIG = 1


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


@contextmanager
def temporary_server(timeout_s: float = 90.0) -> Iterator[str | None]:
    """Yield the API URL runs report to: PREFECT_API_URL when set (nothing started), else a temporary
    server's, which is stopped when the block ends and dies with this process if it is killed."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    if "prefect" in sys.modules:  # already configured in this process (a test harness, a profile)
        from prefect.settings import PREFECT_API_URL

        if PREFECT_API_URL.value():
            yield PREFECT_API_URL.value()
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
    try:
        deadline = time.monotonic() + timeout_s
        while not answers(api):
            if process.poll() is not None:
                log.seek(0)
                raise ServerStartError(f"the temporary Prefect server exited: {log.read()[-2000:].decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise ServerStartError(f"the temporary Prefect server did not answer within {timeout_s:.0f} s")
            time.sleep(0.2)
        os.environ["PREFECT_API_URL"] = api
        yield api
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
