"""Apache Superset for tests/bi/test_superset.py: a cached environment, a throwaway instance, its REST API.

The environment is built once from the pinned `superset-requirements.txt` into
`~/.cache/newsfacts-ci/superset-<hash of that file and the Python version>` and reused by later runs. A run of
the test module passes once per change to the warehouse code: `code_hash()` covers `warehouse/` (SQL and
code) and `tests/bi/` (these tests, their helpers, the pinned requirements), and a pass leaves the marker
`~/.cache/newsfacts-ci/superset-passed-<code hash>`. `NEWSFACTS_CI_CACHE` moves the cache folder;
`NEWSFACTS_SUPERSET_FORCE=1` runs the tests even when the marker exists.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from tests.flows.servers import free_port

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "superset-requirements.txt"
# Superset 6.1.0 declares Python >= 3.10, but its pandas<2.2 pin has no wheels for 3.13.
PYTHON = "3.11"
CACHE = Path(os.environ.get("NEWSFACTS_CI_CACHE") or Path.home() / ".cache" / "newsfacts-ci")
FORCE = os.environ.get("NEWSFACTS_SUPERSET_FORCE", "") not in ("", "0")
READY = ".newsfacts-ready.json"
VERSIONS_SCRIPT = """
import json, platform
from importlib.metadata import version

print(json.dumps({"python": platform.python_version(),
                  **{name: version(name) for name in ("apache-superset", "sqlalchemy", "duckdb", "duckdb-engine")}}))
"""


def _digest(chunks: list[bytes]) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(len(chunk).to_bytes(8, "big"))
        h.update(chunk)
    return h.hexdigest()[:16]


def env_key() -> str:
    """What the cached environment is made of: the pinned requirements and the Python version asked for."""
    return _digest([PYTHON.encode(), REQUIREMENTS.read_bytes()])


def code_hash(project_root: Path) -> str:
    """Hash of every file under warehouse/ and tests/bi/ (paths and contents; bytecode caches left out)."""
    chunks = []
    for folder in (project_root / "warehouse", HERE):
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            chunks += [path.relative_to(project_root).as_posix().encode(), path.read_bytes()]
    return _digest(chunks)


def pass_marker(project_root: Path) -> Path:
    return CACHE / f"superset-passed-{code_hash(project_root)}"


def _run(cmd: list[str], *, timeout: float, env: dict[str, str] | None = None, what: str) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{what} timed out after {timeout:.0f} s: {' '.join(cmd)}\n{exc.stderr or ''}") from exc
    if done.returncode != 0:
        raise AssertionError(
            f"{what} failed (exit {done.returncode}): {' '.join(cmd)}\n"
            f"--- stdout (tail)\n{done.stdout[-3000:]}\n--- stderr (tail)\n{done.stderr[-6000:]}")
    return done.stdout


@dataclass(frozen=True)
class SupersetEnv:
    root: Path
    versions: dict[str, str]
    built_now: bool

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def superset(self) -> Path:
        return self.root / "bin" / "superset"


def ensure_env() -> SupersetEnv:
    """The Superset virtual environment for the pinned requirements: reused when ready and working, else built.

    A file lock serialises concurrent builders; the ready file is written last, so a build that died half way
    is thrown away and redone. (Venvs are built in their final place because they are not relocatable.)
    """
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the Superset environment"
    CACHE.mkdir(parents=True, exist_ok=True)
    root = CACHE / f"superset-{env_key()}"
    ready = root / READY
    with open(CACHE / f"superset-{env_key()}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.is_file():
            try:  # still usable? (its base interpreter may have been removed or upgraded since)
                versions = json.loads(subprocess.run([str(root / "bin" / "python"), "-c", VERSIONS_SCRIPT],
                                                     capture_output=True, text=True, timeout=120).stdout)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                versions = None
            if versions == json.loads(ready.read_text()):
                return SupersetEnv(root, versions, built_now=False)
        shutil.rmtree(root, ignore_errors=True)
        _run([uv, "venv", "-q", str(root), "--python", PYTHON], timeout=600, what=f"uv venv (Python {PYTHON})")
        _run([uv, "pip", "sync", "-q", "--python", str(root / "bin" / "python"), str(REQUIREMENTS)],
             timeout=1800, what="installing Superset (uv pip sync)")
        versions = json.loads(_run([str(root / "bin" / "python"), "-c", VERSIONS_SCRIPT], timeout=120,
                                   what="reading the installed versions"))
        ready.write_text(json.dumps(versions, indent=1))
        return SupersetEnv(root, versions, built_now=True)


@dataclass
class Superset:
    """One throwaway Superset: its config file and SQLite metadata database live in `home`."""

    env: SupersetEnv
    home: Path
    admin: tuple[str, str] = field(default_factory=lambda: ("admin", "admin-" + secrets.token_hex(8)))
    config_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_path = self.home / "superset_config.py"
        self.config_path.write_text(
            "# Written by tests/bi/test_superset.py: a throwaway Superset for one test run.\n"
            f"SECRET_KEY = {secrets.token_urlsafe(42)!r}\n"
            f"SQLALCHEMY_DATABASE_URI = {'sqlite:///' + str(self.home / 'superset.db')!r}\n"
            "WTF_CSRF_ENABLED = False  # the test talks to the REST API with a JWT only\n"
            "TALISMAN_ENABLED = False\n"
            "CONTENT_SECURITY_POLICY_WARNING = False\n"
            "RATELIMIT_ENABLED = False\n"
            "DATA_CACHE_CONFIG = {'CACHE_TYPE': 'NullCache'}  # every chart query reaches DuckDB\n"
        )

    @property
    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        env.update(SUPERSET_CONFIG_PATH=str(self.config_path), SUPERSET_HOME=str(self.home),
                   PYTHONUNBUFFERED="1")
        return env

    def cli(self, *args: str, timeout: float = 600) -> str:
        return _run([str(self.env.superset), *args], timeout=timeout, env=self.environ, what=f"superset {args[0]}")

    def initialise(self) -> dict[str, float]:
        """The documented first-time setup; returns seconds per step."""
        user, password = self.admin
        steps = {
            "db upgrade": ["db", "upgrade"],
            "fab create-admin": ["fab", "create-admin", "--username", user, "--firstname", "Newsfacts",
                                 "--lastname", "CI", "--email", f"{user}@example.invalid", "--password", password],
            "init": ["init"],
        }
        seconds = {}
        for name, args in steps.items():
            started = time.monotonic()
            self.cli(*args)
            seconds[name] = round(time.monotonic() - started, 1)
        return seconds

    @contextlib.contextmanager
    def serve(self, startup_timeout: float = 240) -> Iterator[str]:
        """`superset run` on a free local port; yields its base URL, stops it (and only it) afterwards."""
        port = free_port()
        log_path = self.home / "server.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                [str(self.env.superset), "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
                stdout=log, stderr=subprocess.STDOUT, env=self.environ, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                if proc.poll() is not None:
                    raise AssertionError(f"superset run exited with {proc.returncode}:\n{_tail(log_path)}")
                try:
                    with urllib.request.urlopen(base + "/health", timeout=5) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"superset run not healthy after {startup_timeout:.0f} s:\n{_tail(log_path)}")
                time.sleep(0.5)
            yield base
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=20)

    def log_tail(self) -> str:
        return _tail(self.home / "server.log")


def _tail(path: Path, chars: int = 6000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


class ApiError(AssertionError):
    pass


class Api:
    """Superset's REST API with a JWT from /api/v1/security/login, as a script or another service uses it."""

    def __init__(self, base: str, user: str, password: str, on_error=lambda: "") -> None:
        self.base = base
        self.on_error = on_error
        self.token = None
        self.token = self.post("/api/v1/security/login",
                               {"username": user, "password": password, "provider": "db", "refresh": False}
                               )["access_token"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Accept": "application/json"}
        if body is not None:  # Superset rejects a GET that says JSON but has no body
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise ApiError(f"{method} {path} -> HTTP {exc.code}: {exc.read().decode(errors='replace')[:3000]}\n"
                           f"--- server log (tail)\n{self.on_error()}") from None

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, body)

    def sql(self, database_id: int, sql: str) -> list[dict]:
        """A synchronous SQL Lab query; its rows."""
        return self.post("/api/v1/sqllab/execute/",
                         {"database_id": database_id, "sql": sql, "runAsync": False, "schema": "main"})["data"]
