"""Data-quality gate: validate the fact tables with Great Expectations.

    result = run_gate({"articles": a, "locations": l, "figures": f, "events": e})
    if not result.success:
        write_report(result, warehouse / "dq")     # dq.html + dq.json
        raise SystemExit(result.summary())

Each table (a polars DataFrame with the contract columns of ``newsfacts.schema``)
gets the derived ``_``-columns of ``derive.prepare_for_validation``, is
converted with ``to_pandas()`` and validated against its JSON suite in
``suites/`` through ONE ephemeral GX context per run (pandas datasource, one
dataframe asset per table, whole-dataframe batch definitions). GX is imported
lazily inside ``run_gate`` (the import costs seconds).

Row positions in the results are 0-based positions in the frame passed in.
"""
from __future__ import annotations

import html
import json
import math
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

import polars as pl
from newsfacts.expectations.derive import prepare_for_validation
from newsfacts.expectations.suites import SUITE_TABLES, load_suite, suite_path

from newsfacts.schema import PRIMARY_KEYS, TABLES, empty

EXAMPLES = 5


@dataclass(frozen=True)
class Example:
    """One failing row: 0-based position, the value(s) GX saw, the row's primary
    key and, for derived ``_`` checks, the contract columns the check reads."""

    row: int | None
    value: Any
    key: str | None = None
    context: dict[str, Any] | None = None


@dataclass(frozen=True)
class ExpectationOutcome:
    table: str
    expectation_type: str
    column: str | None
    success: bool
    description: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: Any = None
    examples: list[Example] = field(default_factory=list)
    error: str | None = None
    # positions (0-based, in the validated frame) of every failing row; None when the expectation is
    # about the table as a whole (column set, types, row count) and no row can be blamed
    failing_rows: list[int] | None = None

    def label(self) -> str:
        col = f"({self.column})" if self.column else ""
        return f"{self.table}.{self.expectation_type}{col}"


@dataclass
class GateResult:
    success: bool
    outcomes: list[ExpectationOutcome]
    row_counts: dict[str, int]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def for_table(self, table: str) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.table == table]

    def table_success(self, table: str) -> bool:
        return all(o.success for o in self.for_table(table))

    def summary(self, max_failures: int = 10) -> str:
        failed = self.failures()
        head = (
            f"data-quality gate {'PASSED' if self.success else 'FAILED'}: "
            f"{len(self.outcomes) - len(failed)}/{len(self.outcomes)} expectations met; rows "
            + ", ".join(f"{t}={n}" for t, n in self.row_counts.items())
            + f" ({self.seconds:.2f}s)"
        )
        lines = [head]
        for o in failed[:max_failures]:
            detail = o.error or (
                f"{o.unexpected_count} unexpected" if o.unexpected_count is not None
                else f"observed {o.observed_value!r}"
            )
            rows = [e.row for e in o.examples if e.row is not None]
            at = f" e.g. rows {rows}" if rows else ""
            lines.append(f"  FAIL {o.label()}: {detail}{at}")
        if len(failed) > max_failures:
            lines.append(f"  ... and {len(failed) - max_failures} more failures")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "seconds": self.seconds,
            "timings": self.timings,
            "row_counts": self.row_counts,
            "tables": {
                t: {"success": self.table_success(t), "rows": self.row_counts.get(t)}
                for t in self.row_counts
            },
            "outcomes": [asdict(o) for o in self.outcomes],
        }


# --- GX plumbing -------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Plain-JSON version of GX/numpy/pandas values (NaN -> None, tuples -> lists)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return _jsonable(item())
        except (TypeError, ValueError):
            pass
    isoformat = getattr(value, "isoformat", None)  # pandas Timestamp
    if callable(isoformat):
        return isoformat()
    try:
        if value != value:  # pandas NA / NaT
            return None
    except (TypeError, ValueError):
        return None
    return str(value)


def _find_exception(info: Any) -> str | None:
    if isinstance(info, dict):
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "exception during validation")
        for v in info.values():
            found = _find_exception(v)
            if found:
                return found
    return None


def _column_of(kwargs: Mapping[str, Any]) -> str | None:
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    return None


def _outcome(table: str, evr: Any) -> ExpectationOutcome:
    config = evr.expectation_config
    kwargs = {k: v for k, v in dict(config.kwargs).items() if k not in ("batch_id",)}
    result = evr.result or {}
    values = result.get("partial_unexpected_list") or []
    rows = result.get("partial_unexpected_index_list") or []
    examples = []
    for i, value in enumerate(values[:EXAMPLES]):
        row = rows[i] if i < len(rows) else None
        examples.append(Example(row=None if row is None else int(row), value=_jsonable(value)))
    pct = result.get("unexpected_percent")
    index = result.get("unexpected_index_list")
    failing_rows = None
    if index is not None and not evr.success:
        failing_rows = sorted({int(i) for i in index if isinstance(i, (int, float)) or str(i).isdigit()})
    return ExpectationOutcome(
        table=table,
        expectation_type=config.type,
        column=_column_of(kwargs),
        success=bool(evr.success),
        description=getattr(config, "description", None) or None,
        kwargs=_jsonable(kwargs),
        element_count=result.get("element_count"),
        unexpected_count=result.get("unexpected_count"),
        unexpected_percent=None if pct is None else float(pct),
        observed_value=_jsonable(result.get("observed_value")),
        examples=examples,
        error=_find_exception(evr.exception_info),
        failing_rows=failing_rows,
    )


class _GxSession:
    """One ephemeral GX context with a pandas datasource and one whole-dataframe
    batch definition per table. Built on first use and reused by later runs in
    the same process (building it saves config several times: ~0.1-0.4 s)."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self.context.data_sources.add_pandas(name="newsfacts")
        self.batch_definitions = {
            table: source.add_dataframe_asset(name=table).add_batch_definition_whole_dataframe(
                f"{table}_whole"
            )
            for table in SUITE_TABLES
        }
        self.suites: dict[tuple[str, int], Any] = {}

    def suite(self, table: str, suites_dir: Path | None):
        path = suite_path(table, suites_dir)
        key = (str(path), path.stat().st_mtime_ns)
        if key not in self.suites:
            self.suites[key] = load_suite(table, suites_dir)
        return self.suites[key]


_SESSION: _GxSession | None = None
_LOCK = threading.Lock()
_PRELOAD: threading.Thread | None = None


def _import_gx() -> None:
    import logging

    import great_expectations  # noqa: F401
    import great_expectations.data_context.types.base  # noqa: F401

    # that module sets its own logger to INFO on import and then logs ephemeral-context housekeeping
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)


def _import_gx_quietly() -> None:
    try:
        _import_gx()
    except Exception:  # run_gate imports again in the caller's thread and reports any error there
        pass


def preload() -> None:
    """Start importing GX in a background thread (it takes 4-12 s); `run_gate` waits for it.

    Callers start it while something slow that needs no Python, such as Prefect's temporary
    server, is starting. GX is only ever imported by one thread: `run_gate` joins this one first.
    """
    global _PRELOAD
    if _PRELOAD is None:
        _PRELOAD = threading.Thread(target=_import_gx_quietly, name="gx-preload", daemon=True)
        _PRELOAD.start()


def wait_for_import() -> None:
    """Block until GX is imported: by the preload thread when one was started, else here."""
    if _PRELOAD is not None:
        _PRELOAD.join()
    _import_gx()


def _session(fresh: bool) -> _GxSession:
    global _SESSION
    wait_for_import()
    if fresh or _SESSION is None:
        _SESSION = _GxSession()
    return _SESSION


# columns shown next to a failing derived check (derive.py computes it from them)
_DERIVED_CONTEXT = {
    "_mention_matches_text": ("start_char", "end_char", "mention_text"),
    "_trigger_matches_text": ("trigger_start", "trigger_end", "trigger_text"),
    "_article_exists": ("article_id",),
    "_event_exists": ("event_id",),
    "_location_exists": ("location_id",),
    "_acled_consistent": ("acled_event_type", "acled_sub_event_type"),
    "_coordinates_paired": ("latitude", "longitude"),
}


def _with_row_context(outcome: ExpectationOutcome, frame: pl.DataFrame) -> ExpectationOutcome:
    """Add the primary key (and the inputs of derived checks) to the examples."""
    if not outcome.examples:
        return outcome
    key = PRIMARY_KEYS[outcome.table]
    names = [c for c in _DERIVED_CONTEXT.get(outcome.column or "", ()) if c in frame.columns]
    examples = []
    for e in outcome.examples:
        if e.row is None or not 0 <= e.row < frame.height:
            examples.append(e)
            continue
        row = frame.row(e.row, named=True)
        examples.append(
            replace(
                e,
                key=None if row.get(key) is None else str(row[key]),
                context={c: _jsonable(row[c]) for c in names} or None,
            )
        )
    return replace(outcome, examples=examples)


def _validate_table(
    session: _GxSession, table: str, prepared: pl.DataFrame, suite, examples: int
) -> list[ExpectationOutcome]:
    """BOOLEAN_ONLY pass over the whole suite (2x cheaper than SUMMARY), then a
    COMPLETE pass (counts, example values and every failing row's position) over the failures only."""
    import great_expectations as gx

    frame = prepared.to_pandas()
    batch = session.batch_definitions[table].get_batch(batch_parameters={"dataframe": frame})
    first = batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
    results = list(first.results)
    failed = [evr for evr in results if not evr.success]
    if failed:
        detail_suite = gx.ExpectationSuite(
            name=f"{suite.name}.failures",
            expectations=[evr.expectation_config.to_json_dict() for evr in failed],
        )
        detail = batch.validate(
            detail_suite,
            result_format={"result_format": "COMPLETE", "partial_unexpected_count": max(examples, 1)},
        )
        results = [evr for evr in results if evr.success] + list(detail.results)
    outcomes = [_with_row_context(_outcome(table, evr), prepared) for evr in results]
    # GX returns results in its own order: restore the suite's order for reports.
    order: dict[tuple, int] = {}
    for i, e in enumerate(suite.expectations):
        config = e.configuration
        order.setdefault((config.type, _column_of(config.kwargs), config.description), i)
    outcomes.sort(key=lambda o: order.get((o.expectation_type, o.column, o.description), len(order)))
    return outcomes


def run_gate(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    *,
    suites_dir: Path | None = None,
    examples: int = EXAMPLES,
    fresh_context: bool = False,
) -> GateResult:
    """Validate articles, locations, figures and events; never raises on bad data.

    A table missing from ``tables`` is validated as an empty frame; extra keys
    are ignored. ``examples``: how many failing values/row positions to keep per
    failed expectation. ``fresh_context=True`` builds a new ephemeral GX context
    instead of reusing the process-wide one. Runs are serialised by a lock.
    ``timings["gx_setup"]`` includes the GX import on the first run of a process.

    Passing expectations carry only ``success`` (validated with BOOLEAN_ONLY);
    failing ones are re-validated with COMPLETE for counts, values and every failing row.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    frames: dict[str, pl.DataFrame] = {}
    for t in SUITE_TABLES:
        frame = tables.get(t)
        if frame is None:
            frame = empty(TABLES[t])
        elif isinstance(frame, pl.LazyFrame):
            frame = frame.collect()
        frames[t] = frame
    outcomes: list[ExpectationOutcome] = []
    with _LOCK:
        t0 = time.perf_counter()
        session = _session(fresh_context)
        timings["gx_setup"] = time.perf_counter() - t0
        for table in SUITE_TABLES:
            t0 = time.perf_counter()
            try:
                prepared = prepare_for_validation(
                    table,
                    frames[table],
                    frames["articles"],
                    locations=frames["locations"],
                    events=frames["events"],
                )
            except Exception as exc:  # e.g. a column of the wrong type: report, don't crash
                outcomes.append(
                    ExpectationOutcome(
                        table=table,
                        expectation_type="newsfacts_prepare_for_validation",
                        column=None,
                        success=False,
                        description="derived check columns could be computed",
                        error=f"{type(exc).__name__}: {exc}"[:500],
                    )
                )
                prepared = frames[table]
            suite = session.suite(table, suites_dir)
            outcomes.extend(_validate_table(session, table, prepared, suite, examples))
            timings[table] = time.perf_counter() - t0
    return GateResult(
        success=all(o.success for o in outcomes),
        outcomes=outcomes,
        row_counts={t: frames[t].height for t in SUITE_TABLES},
        seconds=time.perf_counter() - started,
        timings=timings,
    )


# --- report ------------------------------------------------------------------------

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
.ok{color:#17692e}.fail{color:#b3261e}
.badge{display:inline-block;padding:.1em .6em;border-radius:.8em;color:#fff;font-weight:600}
.badge.ok{background:#17692e}.badge.fail{background:#b3261e}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}tr.fail td{background:#fdecea}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
.small{color:#666;font-size:.9em}
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def render_html(result: GateResult) -> str:
    """Self-contained HTML page (inline CSS, no scripts, no external resources)."""
    status = "ok" if result.success else "fail"
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>newsfacts data-quality report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>newsfacts data-quality gate "
        f"<span class='badge {status}'>{'PASSED' if result.success else 'FAILED'}</span></h1>",
        f"<p class='small'>{len(result.outcomes) - len(result.failures())}/"
        f"{len(result.outcomes)} expectations met in {result.seconds:.2f}s "
        "(Great Expectations Core, pandas engine)</p>",
        "<table><tr><th>table</th><th>rows</th><th>status</th><th>failed expectations</th></tr>",
    ]
    for table, rows in result.row_counts.items():
        ok = result.table_success(table)
        n_failed = sum(1 for o in result.for_table(table) if not o.success)
        parts.append(
            f"<tr class='{'' if ok else 'fail'}'><td><a href='#{_esc(table)}'>{_esc(table)}</a>"
            f"</td><td>{rows}</td><td class='{'ok' if ok else 'fail'}'>"
            f"{'ok' if ok else 'FAILED'}</td><td>{n_failed}</td></tr>"
        )
    parts.append("</table>")
    for table in result.row_counts:
        parts.append(f"<h2 id='{_esc(table)}'>{_esc(table)}</h2>")
        parts.append(
            "<table><tr><th>status</th><th>expectation</th><th>column</th><th>check</th>"
            "<th>unexpected</th><th>examples (row: value)</th></tr>"
        )
        outcomes = sorted(result.for_table(table), key=lambda o: o.success)
        for o in outcomes:
            if o.error:
                unexpected = f"error: {o.error}"
            elif o.unexpected_count is not None:
                pct = f" ({o.unexpected_percent:.2f}%)" if o.unexpected_percent else ""
                unexpected = f"{o.unexpected_count}{pct}"
            elif o.observed_value is not None:
                unexpected = f"observed: {json.dumps(o.observed_value)[:300]}"
            else:
                unexpected = "" if o.success else "failed"
            examples = "<br>".join(
                f"{'' if e.row is None else e.row}"
                + (f" ({_esc(e.key)})" if e.key else "")
                + f": <code>{_esc(json.dumps(e.value)[:200])}</code>"
                + (f" <code>{_esc(json.dumps(e.context, ensure_ascii=False)[:300])}</code>"
                   if e.context else "")
                for e in o.examples
            )
            parts.append(
                f"<tr class='{'' if o.success else 'fail'}'>"
                f"<td class='{'ok' if o.success else 'fail'}'>{'ok' if o.success else 'FAIL'}</td>"
                f"<td><code>{_esc(o.expectation_type)}</code></td>"
                f"<td><code>{_esc(o.column)}</code></td><td>{_esc(o.description)}</td>"
                f"<td>{_esc(unexpected)}</td><td>{examples}</td></tr>"
            )
        parts.append("</table>")
    parts.append(
        "<p class='small'>Columns starting with <code>_</code> are derived before validation "
        "(newsfacts.expectations.derive). Row numbers are 0-based positions in the table "
        "as validated.</p></body></html>"
    )
    return "\n".join(parts)


def write_report(result: GateResult, path: Path) -> tuple[Path, Path]:
    """Write ``<path>.html`` (self-contained) and ``<path>.json``; return both paths.

    ``path`` may carry a ``.html``/``.json`` suffix or none; an existing
    directory gets ``dq_report.html`` / ``dq_report.json`` inside it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "dq_report"
    if path.suffix in (".html", ".json"):
        path = path.with_suffix("")
    path.parent.mkdir(parents=True, exist_ok=True)
    html_path = path.with_name(path.name + ".html")
    json_path = path.with_name(path.name + ".json")
    html_path.write_text(render_html(result), encoding="utf-8")
    json_path.write_text(
        json.dumps(_jsonable(result.to_dict()), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return html_path, json_path


# --- a streaming run: one result per chunk, merged -----------------------------------


def _merge_outcomes(parts: list[tuple[int, int, ExpectationOutcome]]) -> ExpectationOutcome:
    """One expectation's outcomes over consecutive chunks (each with the row offset of its chunk in the
    run's table and the chunk's rows of it) as one: failed if it failed in any chunk; element and unexpected
    counts summed (a passing chunk, validated for success only, counts its rows and no unexpected ones), the
    percentage recomputed from them (so over all the run's rows, where GX's own is over the non-null values
    of the column: GX does not report those for a passing chunk); row positions shifted to positions in the whole run's table; the
    first chunk's observed value unless a chunk failed (then the first failing chunk's); at most
    EXAMPLES examples, from the failing chunks in order; an error from any chunk."""
    outcomes = [o for _, _, o in parts]
    failed = [(offset, o) for offset, _, o in parts if not o.success]
    first = outcomes[0]
    elements = unexpected = None
    if any(o.element_count is not None for o in outcomes):  # GX counted rows in some chunk: row-level
        elements = sum(rows if o.element_count is None else o.element_count for _, rows, o in parts)
        unexpected = sum(o.unexpected_count or 0 for o in outcomes)
    percent = first.unexpected_percent
    if elements and unexpected is not None:
        percent = 100.0 * unexpected / elements
    elif len(outcomes) > 1:
        percent = None if unexpected is None else 0.0
    failing_rows: list[int] | None = None
    if failed and all(o.failing_rows is not None for _, o in failed):
        failing_rows = [offset + row for offset, o in failed for row in o.failing_rows or []]
    examples = [
        replace(e, row=None if e.row is None else offset + e.row) for offset, o in failed for e in o.examples
    ][:EXAMPLES]
    shown = failed[0][1] if failed else first
    return replace(
        first,
        success=not failed,
        element_count=elements,
        unexpected_count=unexpected,
        unexpected_percent=percent,
        observed_value=shown.observed_value,
        examples=examples,
        error=next((o.error for o in outcomes if o.error), None),
        failing_rows=failing_rows if failed else None,
    )


def merge_results(results: list[GateResult]) -> GateResult:
    """The gate results of a run's chunks (in chunk order) as the run's one result, as if the chunks'
    tables had been validated concatenated: see `_merge_outcomes` for how one expectation's outcomes
    combine. Expectations about the table as a whole that chunks cannot see (uniqueness across chunks)
    are checked by the caller (`with_cross_chunk_duplicates`). Row counts, seconds and timings add up."""
    if len(results) == 1:
        return results[0]
    if not results:
        return run_gate({})
    offsets: dict[str, int] = {}
    grouped: dict[tuple, list[tuple[int, int, ExpectationOutcome]]] = {}
    for result in results:
        for o in result.outcomes:
            key = (o.table, o.expectation_type, o.column, o.description, json.dumps(o.kwargs, sort_keys=True, default=str))
            grouped.setdefault(key, []).append((offsets.get(o.table, 0), result.row_counts.get(o.table, 0), o))
        for table, rows in result.row_counts.items():
            offsets[table] = offsets.get(table, 0) + rows
    outcomes = [_merge_outcomes(parts) for parts in grouped.values()]
    timings: dict[str, float] = {}
    for result in results:
        for name, seconds in result.timings.items():
            timings[name] = timings.get(name, 0.0) + seconds
    row_counts = {t: sum(r.row_counts.get(t, 0) for r in results) for t in results[0].row_counts}
    return GateResult(
        success=all(o.success for o in outcomes),
        outcomes=outcomes,
        row_counts=row_counts,
        seconds=sum(r.seconds for r in results),
        timings=timings,
    )


def with_cross_chunk_duplicates(result: GateResult, duplicates: Mapping[str, int]) -> GateResult:
    """`result` with the primary-key uniqueness expectation of each table in `duplicates` (table ->
    rows whose key an earlier chunk of the run already had) failed for the table as a whole: such rows
    cannot be blamed on one chunk's positions, so they stop the publish."""
    if not any(duplicates.values()):
        return result
    outcomes = []
    for o in result.outcomes:
        n = duplicates.get(o.table, 0)
        if n and o.expectation_type == "expect_column_values_to_be_unique" and o.column == PRIMARY_KEYS.get(o.table):
            o = replace(
                o, success=False, unexpected_count=(o.unexpected_count or 0) + n, failing_rows=None,
                observed_value=f"{n} rows repeat a {o.column} of an earlier chunk of the run",
            )
        outcomes.append(o)
    return replace(result, success=all(o.success for o in outcomes), outcomes=outcomes)
