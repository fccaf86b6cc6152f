"""`newsfacts run` against a real `prefect server start` on 127.0.0.1: the flow run lands there, whether the
server is named by PREFECT_API_URL or by the active Prefect profile; a service that is not Prefect is not used."""
from __future__ import annotations

import http.server
import os
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from newsfacts.local_server import (
    PrefectApi,
    free_port,
    is_prefect_api,
    running_api,
)
from tests.flows.servers import BIN


def _article(tmp_path: Path) -> Path:
    article = tmp_path / "a.txt"
    article.write_text("Storm in Manila\nA storm left about 40,000 people without power in Manila on Sunday.\n", encoding="utf-8")
    return article


def _flow_runs(api: str) -> list[dict]:
    return httpx.post(f"{api}/flow_runs/filter", json={"limit": 50}, timeout=10).json()


def test_run_reports_to_running_server(prefect_server, tmp_path: Path):
    before = len(_flow_runs(prefect_server.api))
    done = subprocess.run(
        [str(BIN / "newsfacts"), "run", str(_article(tmp_path)), "--warehouse", str(tmp_path / "wh")],
        env={**prefect_server.env, "PREFECT_API_URL": prefect_server.api}, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"prefect api: {prefect_server.api}" in done.stdout
    runs = _flow_runs(prefect_server.api)
    assert len(runs) == before + 1
    assert {r["state_type"] for r in runs} == {"COMPLETED"}
    assert (tmp_path / "wh" / "newsfacts.duckdb").exists()


def test_run_finds_the_server_of_the_active_profile(prefect_server, tmp_path: Path):
    """No PREFECT_API_URL in the environment: the profile's server is used, no temporary one is started."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(
        f'active = "team"\n\n[profiles.team]\nPREFECT_API_URL = "{prefect_server.api}"\n', encoding="utf-8"
    )
    env = {k: v for k, v in prefect_server.env.items() if k not in ("PREFECT_API_URL", "PREFECT_PROFILE")}
    env["PREFECT_HOME"] = str(home)
    before = len(_flow_runs(prefect_server.api))
    done = subprocess.run(
        [str(BIN / "newsfacts"), "run", str(_article(tmp_path)), "--warehouse", str(tmp_path / "wh")],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"prefect api: {prefect_server.api}" in done.stdout
    assert len(_flow_runs(prefect_server.api)) == before + 1


def test_running_server_found_at_the_default_address(prefect_server, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))  # no profiles.toml there
    monkeypatch.delenv("PREFECT_PROFILES_PATH", raising=False)
    assert is_prefect_api(prefect_server.api)
    assert running_api(default=prefect_server.api) == PrefectApi(prefect_server.api, "running local server")


class _NotPrefect(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # answers 200 "true" on /api/health, but /api/admin/version is no Prefect version
        body = b"true" if self.path.endswith("/health") else b"<html>hello</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def not_prefect():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotPrefect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


def test_other_services_and_closed_ports_are_not_used(not_prefect, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    (tmp_path / "profiles.toml").write_text(
        f'active = "x"\n[profiles.x]\nPREFECT_API_URL = "http://127.0.0.1:{free_port()}/api"\n', encoding="utf-8"
    )
    assert not is_prefect_api(not_prefect)
    assert running_api(default=not_prefect) is None


TEMPORARY_SERVER_SCRIPT = """
import os, sys
from newsfacts.local_server import is_prefect_api, prefect_api
with prefect_api(timeout_s=120, default=sys.argv[1]) as api:
    assert api.origin == "temporary server", api
    assert os.environ["PREFECT_API_URL"] == api.url
    assert api.wait() == api.url
    assert is_prefect_api(api.url)
assert "PREFECT_API_URL" not in os.environ
assert not is_prefect_api(api.url)
print("ok", api.url)
"""


def test_temporary_server_url_is_set_before_it_answers(tmp_path: Path):
    """The temporary server's URL is in PREFECT_API_URL as soon as it is spawned; wait() returns once it answers,
    and the server is gone after the block. In a fresh interpreter: this test process has Prefect configured
    by other tests' harnesses, which `prefect_api` rightly prefers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path)
    closed = f"http://127.0.0.1:{free_port()}/api"
    proc = subprocess.run(
        [str(BIN / "python"), "-c", TEMPORARY_SERVER_SCRIPT, closed],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("ok "), proc.stdout + proc.stderr[-3000:]
