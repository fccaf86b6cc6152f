"""The `newsfacts` command line: run the pipeline, serve it to the Prefect UI, query the warehouse, build reference data."""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

# Quiet, quick defaults for Prefect's temporary server; anything the user set wins.
_QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",  # the client's own telemetry notice, printed at every run on a terminal
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
}
_USER_SET = {key for key in _QUIET if key in os.environ}
for _key, _value in _QUIET.items():
    os.environ.setdefault(_key, _value)

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console(stderr=False)

# Exit codes of `newsfacts run` (README "Exit codes").
EXIT_OK = 0  # completed, also with rejected inputs or quarantined rows
EXIT_DATA_QUALITY = 1  # the data-quality gate stopped the publish
EXIT_USAGE = 2  # bad arguments, missing SOURCE
EXIT_CRASH = 3  # anything else went wrong (extraction, publishing, Prefect)
EXIT_INTERRUPTED = 130  # Ctrl-C / SIGTERM

EXAMPLE_SQL = (
    "SELECT event_type, acled_sub_event_type, count(*) AS events, sum(fatalities) AS deaths "
    "FROM events GROUP BY ALL ORDER BY events DESC"
)


class RichReporter:
    """One progress bar per stage (terminal only)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=console,
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> "RichReporter":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def stage(self, name: str, total: int | None) -> None:
        self.tasks[name] = self.progress.add_task(name, total=total, note="")

    def advance(self, name: str, amount: int = 1) -> None:
        if name in self.tasks:
            self.progress.advance(self.tasks[name], amount)

    def done(self, name: str, message: str = "") -> None:
        if name in self.tasks:
            task = self.progress.tasks[self.tasks[name]]
            self.progress.update(self.tasks[name], completed=task.total or task.completed, note=message)


class PlainReporter:
    """Plain lines for logs and pipes."""

    def stage(self, name: str, total: int | None) -> None:
        print(f"[newsfacts] {name}: started" + (f" ({total})" if total is not None else ""), flush=True)

    def advance(self, name: str, amount: int = 1) -> None:
        pass

    def done(self, name: str, message: str = "") -> None:
        print(f"[newsfacts] {name}: done" + (f" - {message}" if message else ""), flush=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _print_summary(summary, db_path: Path) -> None:
    table = Table(title=f"newsfacts run {summary.status}", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("inputs", f"{summary.inputs_seen} ({summary.sources_seen} sources)")
    table.add_row("new articles", str(summary.articles_new))
    if summary.articles_not_english:
        table.add_row("not English", f"{summary.articles_not_english} (kept, no facts extracted)")
    table.add_row("duplicates", str(summary.duplicates_skipped))
    table.add_row("rejects", str(summary.rejects))
    table.add_row("quarantined", f"{summary.quarantined} rows")
    for name in ("articles", "locations", "figures", "events", "rejects", "quarantine"):
        new = summary.new_rows.get(name, 0)
        total = summary.total_rows.get(name)
        table.add_row(name, f"+{new}" + (f" (total {total})" if total is not None else ""))
    table.add_row("data quality", summary.dq_outcome + (f" - {summary.dq_report}" if summary.dq_report else ""))
    stages = ", ".join(f"{name} {sec:.1f}" for name, sec in summary.stage_seconds.items())
    table.add_row("seconds", f"{summary.seconds:.1f}" + (f" ({stages})" if stages else ""))
    table.add_row("warehouse", str(db_path))
    console.print(table)
    console.print("Try:", style="bold")
    console.print(f'  uv run newsfacts query "{EXAMPLE_SQL}" --warehouse {Path(summary.warehouse)}', soft_wrap=True)


@app.command()
def run(
    sources: Annotated[Optional[list[str]], typer.Argument(help="files, folders (recursive) or http(s) URLs; default: the bundled sample articles")] = None,
    warehouse: Annotated[Optional[str], typer.Option("--warehouse", help="warehouse folder, or an object-store URL shared by several machines: s3://bucket/prefix, gs://, az://, file:// (credentials from the environment; default: ./data)")] = None,
    dask_address: Annotated[Optional[str], typer.Option("--dask-address", help="run extraction on this Dask scheduler (tcp://host:8786)")] = None,
    column: Annotated[Optional[list[str]], typer.Option("--column", help="CSV/Parquet column of an article field, FIELD=COLUMN (repeatable), e.g. --column text=story; fields: text, title, url, published_at, source, language, id")] = None,
) -> None:
    """Load, extract, validate and publish articles into the warehouse."""
    from newsfacts import progress
    from newsfacts.errors import DataQualityError, interruption
    from newsfacts.local_server import ServerStartError, prefect_api
    from newsfacts.settings import Settings
    from newsfacts.sources.readers import SourceError, expand_sources

    settings = Settings()
    try:
        expand_sources([settings.resolve_source(s) for s in sources or []])
        columns = _column_mapping(settings.columns, column or [])
        warehouse_dir, remote_url = _warehouse_arg(settings, warehouse)
    except (SourceError, ValueError) as exc:  # a refused warehouse URL too (its message hides credentials)
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE)
    from newsfacts.expectations.gate import preload
    from newsfacts.expectations.service import configure

    # a gate service (configured, or `newsfacts serve` / `newsfacts gate` on this machine) validates with its warm GX
    gate_address = configure(settings.cache_path)
    if gate_address is None:
        preload()  # GX imports while Prefect's server starts and the articles are extracted
    signal.signal(signal.SIGTERM, _interrupt)  # stop like Ctrl-C: the temporary Prefect server goes too
    interactive = console.is_terminal
    reporter = RichReporter(console) if interactive else PlainReporter()
    try:
        with prefect_api() as api:  # a running server, else a temporary one, spawned but not waited for
            # imports Prefect (PREFECT_API_URL is set) while a temporary server boots in its own process
            from newsfacts.flows.pipeline import newsfacts_run

            api.wait()
            if not interactive:
                print(f"[newsfacts] prefect api: {api.url}", flush=True)
                if gate_address:
                    print(f"[newsfacts] data-quality gate: service at {gate_address}", flush=True)
            progress.install(reporter)
            if interactive:
                with reporter:
                    summary = newsfacts_run(
                        sources=sources, warehouse_dir=warehouse_dir, dask_address=dask_address, columns=columns
                    )
            else:
                summary = newsfacts_run(
                    sources=sources, warehouse_dir=warehouse_dir, dask_address=dask_address, columns=columns
                )
    except DataQualityError as exc:
        console.print(
            f"[red]data-quality gate stopped the publish; no facts were published[/red]\n{exc.summary.reason}\n"
            f"{exc.summary.dq_summary}"
        )
        if exc.summary.dq_report:
            console.print(f"report: {exc.summary.dq_report}")
        raise typer.Exit(EXIT_DATA_QUALITY)
    except KeyboardInterrupt:
        console.print("[red]interrupted; nothing of this run was published[/red]")
        raise typer.Exit(EXIT_INTERRUPTED)
    except ServerStartError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_CRASH)
    except Exception as exc:
        if interruption(exc) is not None:  # a signal Prefect's task set-up turned into another error
            console.print("[red]interrupted; nothing of this run was published[/red]")
            raise typer.Exit(EXIT_INTERRUPTED)
        if remote_url is not None:
            from newsfacts.warehouse.remote import RemotePushError

            if isinstance(exc, RemotePushError):
                console.print(f"[red]run published into the local mirror, not pushed yet:[/red] {exc}", soft_wrap=True)
                raise typer.Exit(EXIT_CRASH)
        console.print(f"[red]run crashed; nothing of this run was published:[/red] {type(exc).__name__}: {exc}")
        raise typer.Exit(EXIT_CRASH)
    finally:
        progress.install(None)
    _print_summary(summary, Path(summary.warehouse) / "newsfacts.duckdb")
    if remote_url is not None:
        console.print(f"pushed to {remote_url} (this machine's mirror: {summary.warehouse}); a local copy to query: "
                      f"uv run newsfacts sync --warehouse {remote_url} --to DIR", soft_wrap=True)


def _warehouse_arg(settings, warehouse: str | None) -> tuple[str | None, str | None]:
    """(the flow's warehouse_dir parameter, the remote URL or None) for `--warehouse`: a folder resolved against
    the base directory, or an object-store URL checked here, before Prefect records it as a parameter
    (RemoteURLError, a ValueError, for credentials in it). Without the option: the warehouse_url setting."""
    from newsfacts.settings import is_url
    from newsfacts.warehouse.remote_url import parse

    if warehouse and is_url(warehouse):
        url = str(parse(warehouse))
        return url, url
    if warehouse:
        return str(settings.resolve(warehouse)), None
    return None, (str(parse(settings.warehouse_url)) if settings.warehouse_url else None)


def _column_mapping(configured: dict[str, str], pairs: list[str]) -> dict[str, str] | None:
    """The `columns` setting with `--column FIELD=COLUMN` pairs over it; None without pairs (the flow then uses
    the setting). Raises ValueError for a pair that is not FIELD=COLUMN with a known field."""
    if not pairs:
        return None
    from newsfacts.settings import COLUMN_FIELDS

    mapping = dict(configured)
    for pair in pairs:
        field, sep, name = pair.partition("=")
        field, name = field.strip(), name.strip()
        if not sep or not name or field not in COLUMN_FIELDS:
            raise ValueError(f"--column {pair!r}: expected FIELD=COLUMN with FIELD one of {', '.join(COLUMN_FIELDS)}")
        mapping[field] = name
    return mapping


@app.command()
def serve(
    cron: Annotated[Optional[str], typer.Option(help='schedule the ingest deployment, e.g. "0 * * * *" (default: no schedule)')] = None,
    base_dir: Annotated[Optional[Path], typer.Option("--base-dir", help="relative paths in runs resolve here (default: this folder)")] = None,
    warehouse: Annotated[Optional[Path], typer.Option("--warehouse", help="the run form's default warehouse folder (default: ./data)")] = None,
    limit: Annotated[Optional[int], typer.Option(help="flow runs executed at once (default: no limit)")] = None,
    source: Annotated[Optional[list[str]], typer.Option("--source", help="the ingest deployment's default SOURCE (repeatable), e.g. a feed URL to poll on the --cron schedule (default: the bundled sample articles)")] = None,
    poll_seconds: Annotated[float, typer.Option(help="seconds between checks for runs to start")] = 2.0,
) -> None:
    """Serve the ingest, rebuild-warehouse and compact-warehouse deployments to the Prefect server at PREFECT_API_URL.

    Runs triggered from the UI execute in this process's machine with its settings; relative paths
    resolve against --base-dir, as `newsfacts run` resolves them against its working directory.
    """
    base = (base_dir or Path.cwd()).expanduser().resolve()
    os.environ["NEWSFACTS_BASE_DIR"] = str(base)  # inherited by every flow-run subprocess
    if "PREFECT_LOGGING_LEVEL" not in _USER_SET:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"  # served runs send their stage lines to the UI
    if warehouse:
        os.environ["NEWSFACTS_WAREHOUSE_DIR"] = str((base / warehouse.expanduser()).resolve())
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL

    from newsfacts.flows.deployments import build_deployments
    from newsfacts.settings import Settings

    if not PREFECT_API_URL.value():
        console.print(
            "[red]error:[/red] PREFECT_API_URL is not set: start a server (`uv run prefect server start`) and "
            "export PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
        raise typer.Exit(EXIT_USAGE)
    if cron:
        from prefect.client.schemas.schedules import CronSchedule

        try:
            CronSchedule(cron=cron)
        except ValueError:
            console.print(f"[red]error:[/red] not a cron expression: {cron!r}")
            raise typer.Exit(EXIT_USAGE)
    from newsfacts.expectations.service import advertise, start_gate_service, withdraw

    settings = Settings()
    # GX imported once here, used by every run this process serves and by `newsfacts run` on this machine
    advertised = advertise(settings.cache_path, *start_gate_service())
    console.print(f"serving newsfacts deployments to {PREFECT_API_URL.value()} (base directory {base}); Ctrl-C stops")
    try:
        prefect_serve(
            *build_deployments(settings, cron=cron, sources=source), print_starting_message=True, limit=limit,
            query_seconds=poll_seconds,
        )
    finally:
        withdraw(advertised)


@app.command()
def gate() -> None:
    """Keep the data-quality gate (Great Expectations) loaded for `newsfacts run` on this machine.

    Each `newsfacts run` otherwise imports GX itself (about 8 s of CPU). This process imports it once and
    validates for the runs that find it: it writes its loopback address and a random key to
    <cache_dir>/gate-service.json (readable by this user only) and removes the file when it stops.
    `newsfacts serve` does the same for the runs it serves and for CLI runs. Ctrl-C stops.
    """
    from newsfacts.expectations import gate as quality_gate
    from newsfacts.expectations.service import advertise, start_gate_service, withdraw
    from newsfacts.settings import Settings

    address, authkey = start_gate_service()
    advertised = advertise(Settings().cache_path, address, authkey)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        quality_gate.wait_for_import()
        console.print(f"data-quality gate ready at {address} for `newsfacts run` on this machine ({advertised}); Ctrl-C stops")
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        withdraw(advertised)


@app.command()
def sync(
    warehouse: Annotated[Optional[str], typer.Option("--warehouse", help="the remote warehouse, e.g. s3://bucket/prefix (default: the warehouse_url setting)")] = None,
    to: Annotated[Optional[Path], typer.Option("--to", help="the local folder to build or update (default: ./data)")] = None,
) -> None:
    """Copy a remote warehouse into a local folder and build its DuckDB file (tables, marts, parquet_* views).

    Downloads only the commits and Parquet parts the folder does not hold yet (a second sync with nothing new
    downloads nothing), then rebuilds the DuckDB file if anything came in. First pushes what a run on this
    machine committed to its mirror and could not push. Credentials come from the environment, or from the
    Prefect Secret block named by NEWSFACTS_WAREHOUSE_CREDENTIALS_BLOCK.
    Exit status: 0 done, 1 failed (the folder keeps what it had), 2 usage error.
    """
    from newsfacts.settings import Settings
    from newsfacts.warehouse.publish import PublishError
    from newsfacts.warehouse.remote import RemoteError, open_store
    from newsfacts.warehouse.remote import sync as sync_remote
    from newsfacts.warehouse.remote_url import RemoteURLError, parse

    settings = Settings()
    url = warehouse or settings.warehouse_url
    if not url:
        raise _query_error("no remote warehouse: give --warehouse s3://bucket/prefix (or set NEWSFACTS_WAREHOUSE_URL)", EXIT_USAGE)
    try:
        url = str(parse(url))
    except RemoteURLError as exc:
        raise _query_error(str(exc), EXIT_USAGE)
    folder = settings.resolve(to) if to else settings.warehouse_path
    mirror = settings.model_copy(update={"warehouse_url": url}).remote_mirror_path
    try:  # credentials: the Prefect Secret block `warehouse_credentials_block` names, else the environment
        done = sync_remote(url, folder, mirror=mirror, store=open_store(settings, url))
    except (RemoteError, PublishError) as exc:
        raise _query_error(str(exc), 1)
    if done.pushed:
        console.print(f"pushed {len(done.pushed)} commits an earlier run on this machine left in {mirror}", soft_wrap=True)
    console.print(
        f"synced {url} into {folder}: {len(done.pull.commits)} new commits, {len(done.pull.downloaded)} parts "
        f"downloaded ({done.stats.bytes_down / 1e6:.1f} MB); DuckDB file "
        + ("rebuilt" if done.rebuilt else "up to date")
        + "; rows: " + ", ".join(f"{table} {n}" for table, n in done.rows.items()),
        soft_wrap=True,
    )


@app.command()
def rebuild(
    warehouse: Annotated[Optional[Path], typer.Option("--warehouse", help="warehouse folder (default: ./data)")] = None,
) -> None:
    """Rebuild the warehouse's DuckDB file and marts from its Parquet parts."""
    from newsfacts.flows.maintenance import rebuild_warehouse
    from newsfacts.settings import Settings

    settings = Settings()
    counts = rebuild_warehouse(warehouse_dir=str(settings.resolve(warehouse)) if warehouse else None)
    console.print(", ".join(f"{table} {n}" for table, n in counts.items()))


@app.command()
def compact(
    warehouse: Annotated[Optional[Path], typer.Option("--warehouse", help="warehouse folder (default: ./data)")] = None,
) -> None:
    """Merge the warehouse's small Parquet parts (per table and ingest date) into one part each.

    One commit of kind `compact`: rows and ids are unchanged, the replaced parts are deleted after it.
    Runs without Prefect (the `newsfacts-compact` flow does the same).
    Exit status: 0 done or nothing to do, 1 failed (the message says what state it left), 2 no warehouse.
    """
    from newsfacts.settings import Settings
    from newsfacts.warehouse.publish import LocalWarehouse, PublishError

    settings = Settings()
    folder = settings.resolve(warehouse) if warehouse else settings.warehouse_path
    if not folder.is_dir():
        raise _query_error(f"no warehouse at {folder}", 2)
    try:
        done = LocalWarehouse(folder).compact()
    except PublishError as exc:
        raise _query_error(str(exc), 1)
    files = sum(1 for _ in (folder / "parquet").rglob("part-*.parquet"))
    if done.manifest:
        console.print(
            f"compacted {len(done.retired)} parts into {len(done.written)} ({done.rows} rows, commit "
            f"{done.manifest}); {files} Parquet parts now",
            soft_wrap=True,
        )
    else:
        console.print(f"nothing to compact; {files} Parquet parts", soft_wrap=True)


QUERY_FORMATS = ("table", "vertical", "csv", "json")
QUERY_MIN_CELL = 12  # a table column narrower than this (or than its header) wraps too much to read


def _query_error(message: str, code: int) -> typer.Exit:
    """Print `message` on stderr (never into the CSV/JSON on stdout); the Exit to raise."""
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def _query_cell(value: object) -> Text:
    """A value as plain text (never Rich markup: "[b]" in a title stays "[b]"); NULL dimmed."""
    if value is None:
        return Text("NULL", style="dim")
    return Text(str(value))


def _query_fits(columns: list[str], rows: list[tuple], width: int) -> bool:
    """True when every column gets its header width (at least QUERY_MIN_CELL, or less when its values are
    all shorter) inside `width`; else the table would wrap into slivers and the vertical layout reads better."""
    needed = 1  # the table's left border
    for i, name in enumerate(columns):
        natural = max([len(name), *(len(str(row[i])) for row in rows)])
        needed += min(natural, max(len(name), QUERY_MIN_CELL)) + 3  # padding and border
    return needed <= width


def _query_table(columns: list[str], rows: list[tuple]) -> Table:
    table = Table(*columns)
    for column in table.columns:
        column.overflow = "fold"  # long ids and URLs wrap instead of being cut with an ellipsis
    for row in rows:
        table.add_row(*(_query_cell(v) for v in row))
    return table


def _query_records(out: Console, columns: list[str], rows: list[tuple], first: int = 1) -> None:
    """One block per row, one line per column (psql's \\x): readable however many columns there are."""
    name_width = min(max(len(c) for c in columns), max(10, out.width // 3))
    for n, row in enumerate(rows, start=first):
        out.rule(f"record {n}", align="left", style="dim")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", width=name_width, overflow="fold")
        grid.add_column(overflow="fold")
        for name, value in zip(columns, row):
            grid.add_row(name, _query_cell(value))
        out.print(grid)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="a SQL query against the warehouse (read-only)")],
    warehouse: Annotated[Optional[Path], typer.Option("--warehouse", help="warehouse folder (default: ./data)")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table (switches to vertical when the columns do not fit the terminal), vertical (one block per row), csv, or json (one object per line)")] = "table",
    limit: Annotated[int, typer.Option(help="rows to show in table and vertical format")] = 50,
) -> None:
    """Run a read-only SQL query against the warehouse and print the result.

    Errors go to stderr, so `--format csv > out.csv` never writes one into the file. Exit status: 0 ok,
    1 the warehouse could not be opened (e.g. another program holds the DuckDB file for writing),
    2 usage error (bad --format, no warehouse, SQL error).
    """
    import csv
    import json

    import duckdb

    from newsfacts.settings import Settings
    from newsfacts.warehouse.publish import DB_NAME
    from newsfacts.warehouse.report import ReportError, connect_read_only

    if output_format not in QUERY_FORMATS:
        raise _query_error(f"--format must be one of {', '.join(QUERY_FORMATS)}, not {output_format!r}", EXIT_USAGE)
    settings = Settings()
    folder = settings.resolve(warehouse) if warehouse else settings.warehouse_path
    try:
        con = connect_read_only(folder / DB_NAME)
    except ReportError as exc:
        raise _query_error(str(exc), exc.exit_code)
    try:
        result = con.execute(sql)
        columns = [d[0] for d in result.description or []]
        rows = result.fetchall()  # everything before the first byte of output: an error never lands in it
    except duckdb.Error as exc:
        raise _query_error(str(exc), EXIT_USAGE)
    finally:
        con.close()
    if output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
        return
    if output_format == "json":
        for row in rows:
            sys.stdout.write(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False) + "\n")
        return
    out = Console()  # created now: its width follows this terminal (or COLUMNS)
    shown = rows[:limit]
    if not columns:
        out.print("(no result)")
    elif output_format == "vertical" or not _query_fits(columns, shown, out.width):
        _query_records(out, columns, shown)
        if not shown:
            out.print(f"(no rows; columns: {', '.join(columns)})", soft_wrap=False)
    else:
        out.print(_query_table(columns, shown))
    if len(rows) > limit:
        out.print(f"({len(rows) - limit} more rows; --limit N shows more)")


@app.command()
def report(
    warehouse: Annotated[Optional[Path], typer.Option("--warehouse", help="warehouse folder (default: ./data)")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="HTML file to write (default: DIR/reports/report.html)")] = None,
) -> None:
    """Write one self-contained HTML page showing the warehouse at a glance (opens offline).

    Events per day by type, a world map of event locations sized by deaths, the most mentioned places,
    casualty and displacement figures over time, rejects by reason and the data quality of recent runs.
    Exit status: 0 written, 1 the warehouse could not be read, 2 no warehouse.
    """
    from newsfacts.settings import Settings
    from newsfacts.warehouse.report import ReportError, write_report

    settings = Settings()
    folder = settings.resolve(warehouse) if warehouse else settings.warehouse_path
    try:
        path = write_report(folder, settings.resolve(out) if out else None)
    except ReportError as exc:
        raise _query_error(str(exc), exc.exit_code)
    size = path.stat().st_size
    console.print(f"report: {path} ({size / 1024:.0f} KiB); open {path.as_uri()}", soft_wrap=True)


@app.command()
def gazetteer(
    rebuild: Annotated[bool, typer.Option(help="ignore the cached build")] = False,
) -> None:
    """Build (or show) the offline gazetteer used to resolve places."""
    import time

    from newsfacts.reference.gazetteer import load_gazetteer
    from newsfacts.settings import Settings

    settings = Settings()
    if rebuild:
        for cached in settings.cache_path.glob("gazetteer-*.parquet"):
            cached.unlink()
    started = time.perf_counter()
    frame = load_gazetteer(settings.seeds_path, settings.cache_path)
    console.print(
        f"gazetteer: {frame.height} names, {frame['feature_type'].value_counts().height} feature types, "
        f"{time.perf_counter() - started:.1f} s, cache {settings.cache_path}"
    )


_EXIT_STATUS: list[int] = []


def _skip_teardown() -> None:
    """The last exit handler of a command that ended by exiting: flush logging and the standard streams, then
    leave without the interpreter's teardown (freeing the modules of Prefect, polars, DuckDB and Great
    Expectations one by one: 1.3-2.4 s after a `newsfacts run`'s summary, measured with py-spy, which
    showed no Python frame left running). Every other exit handler (Prefect's log and event workers, its
    temporary server, multiprocessing, temporary folders) has run before it. After an uncaught exception the
    usual teardown runs."""
    if not _EXIT_STATUS:
        return
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or broken pipe: nothing left to write to
            pass
    os._exit(_EXIT_STATUS[0])


def main() -> None:
    """The console script: the CLI, then `_skip_teardown`."""
    import atexit

    # registered before Prefect is imported, so it runs after Prefect's exit handlers (last in, first out)
    atexit.register(_skip_teardown)
    try:
        app()
    except SystemExit as stop:
        code = stop.code
        _EXIT_STATUS.append(code if isinstance(code, int) else 0 if code is None else 1)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
