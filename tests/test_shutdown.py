"""Clean shutdown of `newsfacts run` (real processes, real signals): SIGTERM stops the run and records it;
the temporary Prefect server never outlives the run, even when the run is SIGKILLed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from newsfacts.local_server import answers

BIN = Path(sys.executable).parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_URL", "NEWSFACTS_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    return env


def _start(tmp_path: Path, source: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "newsfacts"), "run", str(source), "--warehouse", str(tmp_path / "wh")],
        env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


def _read_until(proc: subprocess.Popen, marker: str, timeout: float = 240) -> tuple[str, list[str]]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return line, lines
    pytest.fail(f"no {marker!r} line; output:\n" + "".join(lines)[-3000:])


def _gone_within(api: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not answers(api):
            return True
        time.sleep(0.3)
    return False


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, project_root: Path) -> Path:
    """1,500 distinct news-length articles (bundled ones with a numbered line): a run that takes a while."""
    bodies = [p.read_text(encoding="utf-8") for p in sorted((project_root / "seeds" / "articles").glob("*.txt"))]
    path = tmp_path_factory.mktemp("corpus") / "many.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(1500):
            text = bodies[i % len(bodies)] + f"\nUpdate {i}: officials said {i + 3} people were affected."
            out.write(json.dumps({"id": f"a{i}", "text": text}) + "\n")
    return path


def test_sigkill_never_orphans_the_temporary_server(tmp_path: Path, corpus: Path):
    proc = _start(tmp_path, corpus)
    line, _ = _read_until(proc, "prefect api:")
    api = line.split("prefect api:")[1].strip()
    assert answers(api)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _gone_within(api, 20), "the temporary Prefect server outlived a SIGKILLed run"


def test_sigterm_stops_the_run_and_records_it(tmp_path: Path, corpus: Path):
    proc = _start(tmp_path, corpus)
    line, _ = _read_until(proc, "prefect api:")
    api = line.split("prefect api:")[1].strip()
    _read_until(proc, "extract: started")
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out[-3000:]
    assert "interrupted" in out
    assert _gone_within(api, 20)
    parts = {p.parent.parent.name for p in (tmp_path / "wh").glob("parquet/*/ingest_date=*/part-*.parquet")}
    assert parts == {"runs"}, parts  # no facts: only the record of the interrupted run
    con = duckdb.connect(str(tmp_path / "wh" / "newsfacts.duckdb"), read_only=True)
    try:
        [(status, reason)] = con.execute("select status, reason from runs").fetchall()
    finally:
        con.close()
    assert status == "interrupted" and reason.startswith(("TerminationSignal", "KeyboardInterrupt")), reason


def test_an_error_raised_while_handling_a_signal_still_counts_as_the_signal():
    from newsfacts.errors import interruption

    def prefect_setting_up_a_task():
        try:
            raise KeyboardInterrupt("signal 15")
        except KeyboardInterrupt:
            raise ValueError("Task run is not set")  # what Prefect's crash handling raised

    try:
        prefect_setting_up_a_task()
    except ValueError as exc:
        found = interruption(exc)
    assert isinstance(found, KeyboardInterrupt)
    assert interruption(ValueError("a plain crash")) is None
