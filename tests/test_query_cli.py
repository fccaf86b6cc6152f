"""`newsfacts query` for people on a narrow terminal and for scripts: long cells wrap, too many columns
switch to one block per row, errors go to stderr with a non-zero exit (never into a CSV on stdout), and a
DuckDB file another process holds for writing gives a message naming the lock, not a traceback."""
from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsfacts.cli import app

NARROW = {"COLUMNS": "80"}


@pytest.fixture(scope="module")
def warehouse(prefect_harness, tmp_path_factory) -> Path:
    from newsfacts.flows.pipeline import newsfacts_run

    folder = tmp_path_factory.mktemp("query") / "wh"
    newsfacts_run(warehouse_dir=str(folder))
    return folder


def _query(warehouse: Path, sql: str, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, ["query", sql, "--warehouse", str(warehouse), *args], env=env or NARROW)


@contextlib.contextmanager
def write_locked(db: Path):
    """Another process with the DuckDB file open read-write (DuckDB then refuses every other open)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
         "time.sleep(120)", str(db)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait(timeout=30)


def _copy(warehouse: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    folder.mkdir()
    shutil.copy(warehouse / "newsfacts.duckdb", folder / "newsfacts.duckdb")
    return folder


def test_many_columns_on_80_columns_switch_to_one_block_per_row(warehouse: Path):
    result = _query(warehouse, "SELECT * FROM mart_event_map WHERE title IS NOT NULL ORDER BY length(title) DESC, event_id LIMIT 2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert [line.split()[:2] for line in lines if line.startswith("record")] == [["record", "1"], ["record", "2"]]
    for column in ("event_id", "acled_sub_event_type", "place_name", "latitude", "title", "date_source"):
        assert any(line.startswith(column + " ") for line in lines), column
    assert "…" not in result.stdout  # wrapped, never cut


def test_long_cells_wrap_inside_the_terminal(warehouse: Path):
    title = _query(warehouse, "SELECT title FROM articles ORDER BY length(title) DESC LIMIT 1", "--format", "csv")
    longest = list(csv.reader(io.StringIO(title.stdout)))[1][0]
    result = _query(warehouse, "SELECT title, language FROM articles ORDER BY length(title) DESC LIMIT 3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and len(longest) > 40
    assert lines[0].startswith("┏")  # still a table: two columns fit
    assert "…" not in result.stdout
    for word in longest.split():
        assert word in result.stdout, word


def test_a_wide_terminal_keeps_the_table(warehouse: Path):
    sql = "SELECT event_id, event_type, place_name, country_code, event_date, fatalities FROM mart_event_map LIMIT 3"
    result = _query(warehouse, sql, env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("┏") and "record 1" not in result.stdout
    assert "event_type" in result.stdout.splitlines()[1]


def test_vertical_format_on_request(warehouse: Path):
    result = _query(warehouse, "SELECT 1 AS one, NULL AS nothing", "--format", "vertical")
    assert result.exit_code == 0, result.output
    assert "record 1" in result.stdout and "nothing" in result.stdout and "NULL" in result.stdout


def test_values_are_printed_as_text_not_markup(warehouse: Path):
    result = _query(warehouse, "SELECT '[bold]x[/bold] [red]' AS v")
    assert result.exit_code == 0, result.output
    assert "[bold]x[/bold] [red]" in result.stdout


def test_more_rows_than_the_limit_are_counted(warehouse: Path):
    result = _query(warehouse, "SELECT article_id FROM articles", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "more rows" in result.stdout


@pytest.mark.parametrize("output_format", ["csv", "json", "table"])
def test_sql_errors_go_to_stderr(warehouse: Path, output_format: str):
    result = _query(warehouse, "SELECT nope FROM nowhere", "--format", output_format)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error:" in result.stderr and "nowhere" in result.stderr
    assert "Traceback" not in result.output


def test_usage_errors_go_to_stderr(warehouse: Path, tmp_path: Path):
    bad_format = _query(warehouse, "SELECT 1", "--format", "xml")
    assert bad_format.exit_code == 2 and bad_format.stdout == "" and "--format" in bad_format.stderr
    missing = CliRunner().invoke(app, ["query", "SELECT 1", "--warehouse", str(tmp_path), "--format", "csv"])
    assert missing.exit_code == 2 and missing.stdout == "" and "no warehouse" in missing.stderr


def test_a_write_locked_warehouse_names_the_lock(warehouse: Path, tmp_path: Path):
    folder = _copy(warehouse, tmp_path)
    with write_locked(folder / "newsfacts.duckdb") as pid:
        result = _query(folder, "SELECT count(*) FROM articles", "--format", "csv")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "lock" in result.stderr and f"PID {pid}" in result.stderr
    assert "Traceback" not in result.output
    assert _query(folder, "SELECT count(*) AS n FROM articles", "--format", "csv").stdout.startswith("n\n")  # released


def test_a_csv_redirected_to_a_file_never_holds_the_error(warehouse: Path, tmp_path: Path):
    """The real process, with stdout going to a file as in `newsfacts query ... --format csv > out.csv`."""
    folder = _copy(warehouse, tmp_path)
    out = tmp_path / "out.csv"
    env = {**os.environ, "COLUMNS": "80"}
    command = [sys.executable, "-m", "newsfacts.cli", "query", "SELECT * FROM articles", "--warehouse", str(folder), "--format", "csv"]
    with write_locked(folder / "newsfacts.duckdb"), out.open("w") as stdout:
        done = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, timeout=300)
    assert done.returncode == 1
    assert out.read_text() == ""
    assert "is locked" in done.stderr and "Traceback" not in done.stderr
    with out.open("w") as stdout:
        done = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(list(csv.DictReader(out.open()))) >= 21
