"""The ingest flow (`newsfacts run`, deployment `newsfacts-run/ingest`): read -> articles -> extract -> validate -> publish.

Flows only sequence; the work is in `newsfacts.sources`, `newsfacts.transforms`,
`newsfacts.expectations` and `newsfacts.warehouse`. The run graph a person reads in the
Prefect UI: one `read <source>` task per SOURCE argument and one `fetch <url>` task per page a feed or
sitemap names (the only tasks that retry: a URL that times out or answers 429/5xx is tried again),
`build-articles`, `load-reference`, one `extract batch i/n` task per batch of articles (never one per
article) on a bounded thread pool, `validate`, `publish` (which saves the feeds' watermarks after the
commit). A run triggered from the UI behaves like the CLI: relative paths
resolve against the settings' base directory, GX is imported in the background from the start.
"""
from __future__ import annotations

import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl
from newsfacts.expectations.quarantine import dq_results, split_quarantine
from newsfacts.flows import artifacts
from newsfacts.reference.loader import load_reference
from newsfacts.sources import state as feed_state
from newsfacts.sources.fetch import FetchPolicy
from newsfacts.sources.pages import PageLink, read_page
from newsfacts.sources.readers import (
    RawRecord,
    Reject,
    TransientFetchError,
    expand_each,
    read_source,
)
from newsfacts.sources.state import Checkpoint
from newsfacts.sources.xmldocs import KnownUrls, ReadOptions, reading
from newsfacts.transforms.articles import (
    RAW_RECORDS,
    build_articles,
    split_new_articles,
)
from newsfacts.transforms.facts import (
    FAILURES,
    ExtractedBatch,
    ReferenceData,
    extract_facts_isolated,
    extractable,
)
from newsfacts.transforms.ids import id_expr
from newsfacts.warehouse.publish import LocalWarehouse, PublishError
from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from newsfacts import progress
from newsfacts.errors import DataQualityError
from newsfacts.schema import REJECTS, RUNS, TABLES, conform, empty
from newsfacts.settings import Settings

FACT_TABLES = ("locations", "figures", "events")
REJECT_COLUMNS = {"source": pl.String, "reason": pl.String, "detail": pl.String}


@dataclass
class RunSummary:
    run_id: str
    warehouse: str
    base_dir: str = ""
    status: str = "running"
    sources_seen: int = 0
    inputs_seen: int = 0
    articles_new: int = 0
    articles_not_english: int = 0
    duplicates_skipped: int = 0
    rejects: int = 0
    new_rows: dict[str, int] = field(default_factory=dict)
    total_rows: dict[str, int] = field(default_factory=dict)
    dq_outcome: str = "not run"
    dq_summary: str = ""
    dq_report: str | None = None
    dq_validated_by: str = ""
    quarantined: int = 0
    reason: str | None = None
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def run_row(self, started_at: datetime) -> pl.DataFrame:
        """This run as its row of the `runs` table."""
        row = {
            "run_id": self.run_id,
            "started_at": started_at,
            "finished_at": datetime.now(timezone.utc),
            "status": self.status,
            "inputs_seen": self.inputs_seen,
            "articles_new": self.articles_new,
            "duplicates_skipped": self.duplicates_skipped,
            "rejects": self.rejects,
            **{f"{name}_rows": self.new_rows.get(name, 0) for name in FACT_TABLES},
            "dq_outcome": self.dq_outcome,
            "seconds": self.seconds,
            "quarantined_rows": self.quarantined,
            "reason": self.reason,
            "articles_not_english": self.articles_not_english,
        }
        return conform(pl.DataFrame([row]), RUNS).collect()


@dataclass
class SourceItems:
    """What one SOURCE argument held: its files or URLs, the records read and the inputs refused; for feeds and
    sitemaps also the pages to fetch and the watermarks to save once the run commits."""

    inputs: int
    records: list[RawRecord]
    rejects: list[Reject]
    pages: list[PageLink] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)


def _retry_only_transient(task, task_run, state) -> bool:
    try:
        state.result()
    except TransientFetchError:
        return True
    except Exception:
        return False
    return False


# The tasks that fetch (a SOURCE, a page of a feed or sitemap) retry transient failures; `_retrying` sets the
# retries and delays from the settings for each run.
RETRYING_FETCH = dict(
    retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_retry_only_transient, cache_policy=NO_CACHE,
    persist_result=False,
)


@task(name="read-source", task_run_name="read {source}", **RETRYING_FETCH)
def read_one_source(
    source: str,
    paths: list[str],
    max_chars: int,
    timeout_s: float,
    options: ReadOptions,
    columns: dict[str, str],
) -> SourceItems:
    """Read one SOURCE (its `paths`: a file, a folder's files, or a URL) into records and rejects. A feed or
    sitemap gives its pages to fetch (each then in its own `fetch <url>` task) instead of fetching them here."""
    out = SourceItems(inputs=len(paths), records=[], rejects=[])
    by_type = {RawRecord: out.records, Reject: out.rejects, PageLink: out.pages, Checkpoint: out.checkpoints}
    with reading(options):
        for path in paths:
            for item in read_source(
                path, max_chars=max_chars, timeout_s=timeout_s, raise_transient=True, columns=columns
            ):
                by_type[type(item)].append(item)
    return out


@task(name="fetch-page", task_run_name="fetch {link.url}", **RETRYING_FETCH)
def fetch_page(link: PageLink, policy: FetchPolicy, max_chars: int) -> list[RawRecord | Reject]:
    """Fetch and extract one page a feed entry or sitemap names (retried like `read <source>`)."""
    return read_page(link, policy, max_chars=max_chars, raise_transient=True)


@task(name="build-articles", task_run_name="build articles", cache_policy=NO_CACHE, persist_result=False)
def new_articles(
    records: pl.DataFrame, known_ids: pl.Series, known_urls: pl.Series, run_id: str, now: datetime
) -> tuple[pl.DataFrame, int]:
    articles = build_articles(records.lazy(), run_id=run_id, ingested_at=now).collect()
    return split_new_articles(articles, known_ids, known_urls)


@task(name="load-reference", task_run_name="load reference", cache_policy=NO_CACHE, persist_result=False)
def reference_data(settings: Settings) -> ReferenceData:
    return load_reference(settings)


_WORKER_REFERENCE: dict[str, ReferenceData] = {}


def _reference_in_worker(settings: Settings) -> ReferenceData:
    """Reference data loaded once per worker process (a process pool's or a Dask worker's), not shipped
    with every batch."""
    key = f"{settings.seeds_path}|{settings.cache_path}"
    if key not in _WORKER_REFERENCE:
        _WORKER_REFERENCE[key] = load_reference(settings)
    return _WORKER_REFERENCE[key]


@task(name="extract-batch", task_run_name="extract batch {batch_no}/{batches}", cache_policy=NO_CACHE, persist_result=False)
def extract_batch(
    articles: pl.DataFrame, reference: ReferenceData | None, settings: Settings, batch_no: int, batches: int
) -> ExtractedBatch:
    """The batch's facts; an article whose extraction raises is returned as a failure, not raised.
    `reference` None: the worker loads (once) its own copy."""
    return extract_facts_isolated(articles, reference if reference is not None else _reference_in_worker(settings))


# Local processes pay a start-up cost (each worker imports Prefect and polars and loads the reference data,
# 3-5 s) that only many batches repay; measured on 2 cores (benchmarks: extract stage, threads vs processes):
# 3,000 articles 8.4 s vs 10.7 s, 10,000 articles 24.5 s vs 22.5 s.
PROCESS_MIN_BATCHES = 8


def extraction_runner(settings: Settings, batches: int):
    """Where batches run: a Dask cluster when `dask_address` is set; local processes (no GIL contention)
    when there are at least PROCESS_MIN_BATCHES batches; else threads in this process (no start-up cost)."""
    if settings.dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=settings.dask_address)
    if settings.executor == "processes" and batches >= PROCESS_MIN_BATCHES and settings.max_workers > 1:
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=min(settings.max_workers, batches))
    return ThreadPoolTaskRunner(max_workers=settings.max_workers)


@task(name="validate", task_run_name="validate", cache_policy=NO_CACHE, persist_result=False)
def validate(tables: dict[str, pl.DataFrame], report_dir: Path | None, run_id: str):
    """The GX gate over the run's tables: by the serving process's warm gate when there is one, else here.
    Returns (result, where it ran)."""
    from newsfacts.expectations.gate import run_gate, write_report
    from newsfacts.expectations.service import validate_remotely

    result, where = validate_remotely(tables), "gate service"
    if result is None:
        result, where = run_gate(tables), "in-process"
    if report_dir is not None:
        write_report(result, report_dir / f"dq-{run_id}.html")
    return result, where


@task(name="publish", task_run_name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish(
    warehouse: LocalWarehouse,
    run_id: str,
    tables: dict[str, pl.DataFrame],
    summary: RunSummary,
    started_at: datetime,
    checkpoints: list[Checkpoint] | None = None,
) -> tuple[dict[str, int], dict[str, int]]:
    """Under the warehouse lock: drop rows another run published meanwhile, add this run's parts and its
    runs row; once committed, save the feeds' watermarks (`checkpoints`), never before: a run that dies
    earlier leaves the old ones, and its entries are fetched again. Returns (rows added, rows in the
    warehouse) per table."""
    with warehouse.locked():
        fresh = warehouse.unpublished(tables)
        summary.new_rows = {name: frame.height for name, frame in fresh.items()}
        try:
            warehouse.publish(run_id, {**fresh, "runs": summary.run_row(started_at=started_at)})
        except PublishError as exc:
            if not exc.committed:
                raise
            # the run's rows are committed (Parquet); only the DuckDB file lags, and the next publish or
            # `newsfacts rebuild` brings it up to date: the run completed
            artifacts.run_logger().warning("%s", exc)
        try:
            feed_state.save_all(warehouse.root, checkpoints or [])
        except OSError as exc:  # committed all the same: the next poll asks again, known URLs are not refetched
            artifacts.run_logger().warning("could not save the feed watermarks: %s", exc)
        return summary.new_rows, warehouse.row_counts()


def _batches(frame: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    return [frame.slice(offset, size) for offset in range(0, frame.height, size)]


def _current_run_id() -> str:
    try:
        from prefect.runtime import flow_run

        if flow_run.id:
            return str(flow_run.id)
    except Exception:
        pass
    return str(uuid.uuid4())


def run_settings(**overrides: Any) -> Settings:
    """Settings for one run: flow parameters that were given win over env, `newsfacts.toml` and defaults."""
    return Settings(**{name: value for name, value in overrides.items() if value is not None})


@dataclass
class ReadResult:
    """Everything the load stage read: records, rejects, files and URLs read, feed watermarks to save."""

    records: pl.DataFrame
    rejects: pl.DataFrame
    inputs: int
    checkpoints: list[Checkpoint]


def _retrying(task_fn, settings: Settings):
    """`task_fn` retried `fetch_retries` times with doubling delays from `fetch_retry_delay_s`."""
    delays = [settings.fetch_retry_delay_s * 2**attempt for attempt in range(settings.fetch_retries)]
    return task_fn.with_options(retries=settings.fetch_retries, retry_delay_seconds=delays or 0)


def _read_options(settings: Settings, warehouse: LocalWarehouse, known_urls: KnownUrls) -> ReadOptions:
    """How read tasks treat feeds and sitemaps: pages left to `fetch` tasks, the warehouse's watermarks, and the
    URLs already published (never fetched again)."""
    return ReadOptions(
        FetchPolicy.from_settings(settings),
        follow_links=False,
        state_root=warehouse.root,
        known_urls=known_urls,
        full_text_min_chars=settings.feed_full_text_min_chars,
        sitemap_max_depth=settings.sitemap_max_depth,
        sitemap_max_urls=settings.sitemap_max_urls,
    )


def _fetch_pages(pages: list[PageLink], settings: Settings, options: ReadOptions) -> tuple[list[dict], list[dict]]:
    """One retrying `fetch <url>` task per page, at most `fetch_workers` at once (and the fetcher's per-host
    limits); a page still failing after its retries is a `fetch_error` reject. Returns (records, rejects)."""
    records: list[dict] = []
    rejects: list[dict] = []
    if not pages:
        return records, rejects
    fetcher = _retrying(fetch_page, settings)
    with ThreadPoolTaskRunner(max_workers=min(settings.fetch_workers, len(pages))) as runner:
        futures = [
            runner.submit(
                fetcher, {"link": link, "policy": options.policy, "max_chars": settings.max_article_chars}
            )
            for link in pages
        ]
        for link, future in zip(pages, futures):
            try:
                items = future.result()
            except TransientFetchError as exc:
                rejects.append({"source": link.url, "reason": "fetch_error", "detail": str(exc)[:300]})
                continue
            for item in items:
                (records if isinstance(item, RawRecord) else rejects).append(item.__dict__)
    return records, rejects


def _read_all(
    sources: list[str], settings: Settings, options: ReadOptions, run_id: str, now: datetime
) -> ReadResult:
    """One retrying task per SOURCE; a source still failing after its retries becomes a `fetch_error` reject.
    Then one retrying task per page a feed or sitemap named."""
    expanded = expand_each(sources)  # a file named twice (a folder and a file in it, a link) is read once
    # the CLI refuses a missing SOURCE up front; a run from the UI records it
    rejects: list[dict] = [
        {"source": e.source, "reason": "read_error", "detail": e.error[:300]} for e in expanded if e.error
    ]
    records: list[dict] = []
    plan = [e for e in expanded if e.paths]
    reader = _retrying(read_one_source, settings)
    futures = [
        reader.submit(
            e.source, e.paths, settings.max_article_chars, settings.fetch_timeout_s, options, settings.columns
        )
        for e in plan
    ]
    inputs = 0
    pages: list[PageLink] = []
    checkpoints: list[Checkpoint] = []
    for source, future in zip((e.source for e in plan), futures):
        try:
            items: SourceItems = future.result()
        except TransientFetchError as exc:
            inputs += 1
            rejects.append({"source": source, "reason": "fetch_error", "detail": str(exc)[:300]})
            continue
        inputs += items.inputs
        records.extend(r.__dict__ for r in items.records)
        rejects.extend(r.__dict__ for r in items.rejects)
        pages.extend(items.pages)
        checkpoints.extend(items.checkpoints)
    page_records, page_rejects = _fetch_pages(pages, settings, options)
    records.extend(page_records)
    rejects.extend(page_rejects)
    record_frame = pl.DataFrame(records, schema=RAW_RECORDS) if records else pl.DataFrame(schema=RAW_RECORDS)
    reject_frame = conform(
        pl.DataFrame(rejects, schema=REJECT_COLUMNS).with_columns(
            reject_id=id_expr("rej_", "source", "reason"), run_id=pl.lit(run_id), rejected_at=pl.lit(now)
        ),
        REJECTS,
    ).collect().unique("reject_id", keep="first", maintain_order=True)
    return ReadResult(record_frame, reject_frame, inputs, checkpoints)


def _extract(articles: pl.DataFrame, settings: Settings) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The fact tables for `articles` and the articles whose extraction raised: one task per batch, at
    most `max_workers` at a time."""
    if not articles.height:
        return {name: empty(TABLES[name]) for name in FACT_TABLES}, pl.DataFrame(schema=FAILURES)
    batches = _batches(articles, settings.batch_size)
    task_runner = extraction_runner(settings, len(batches))
    # threads share this process's reference data; other workers load their own once
    reference = reference_data(settings) if isinstance(task_runner, ThreadPoolTaskRunner) else None
    tracker = artifacts.Progress(f"Extracting facts from {articles.height} articles in {len(batches)} batches")
    reporter = progress.current()
    with task_runner as runner:
        futures = runner.map(
            extract_batch,
            {
                "articles": batches,
                "reference": unmapped(reference),
                "settings": unmapped(settings),
                "batch_no": list(range(1, len(batches) + 1)),
                "batches": unmapped(len(batches)),
            },
        )
        sizes = {future: batch.height for future, batch in zip(futures, batches)}
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()  # a failed batch fails the run here
            reporter.advance("extract", sizes[future])
            tracker.update(done / len(batches))
        results: list[ExtractedBatch] = [future.result() for future in futures]  # batch order: stable rows
    facts = {name: pl.concat([r.facts[name] for r in results], how="vertical") for name in FACT_TABLES}
    return facts, pl.concat([r.failures for r in results], how="vertical")


@flow(name="newsfacts-run", persist_result=False, log_prints=False, validate_parameters=True)
def newsfacts_run(
    sources: list[str] | None = None,
    warehouse_dir: str | None = None,
    batch_size: int | None = None,
    max_workers: int | None = None,
    max_article_chars: int | None = None,
    fetch_timeout_s: float | None = None,
    fetch_retries: int | None = None,
    dask_address: str | None = None,
    columns: dict[str, str] | None = None,
) -> RunSummary:
    """Load news articles, extract events, figures and locations, validate them and publish them to a warehouse.

    Args:
        sources: Files, folders (read recursively) or http(s) URLs: articles (.txt, .jsonl(.gz), .html and the
            other inputs of docs/inputs.md), RSS/Atom feeds and sitemaps (.rss, .atom, .xml, or a URL answering
            one: each entry's page is fetched, only entries not seen by an earlier run).
            Relative paths resolve against the base directory (NEWSFACTS_BASE_DIR; `newsfacts serve`
            sets it to the folder it was started in). Empty: the bundled sample articles.
        warehouse_dir: Warehouse folder (DuckDB file, Parquet parts, data-quality reports); relative
            to the base directory. Empty: NEWSFACTS_WAREHOUSE_DIR or ./data.
        batch_size: Articles per extraction task. Empty: NEWSFACTS_BATCH_SIZE or 500.
        max_workers: Extraction tasks running at once. Empty: NEWSFACTS_MAX_WORKERS or 2.
        max_article_chars: Longer articles are rejected as too_large. Empty: 2,000,000.
        fetch_timeout_s: Seconds before an http(s) fetch times out. Empty: 20.
        fetch_retries: Retries of a URL that times out or answers 429/5xx. Empty: 2.
        dask_address: A Dask scheduler (tcp://host:8786) to run the extraction batches on. Empty:
            NEWSFACTS_DASK_ADDRESS, else local processes.
        columns: CSV/Parquet column mapping, article field -> column name (for example {"text": "story"}).
            Empty: NEWSFACTS_COLUMNS, else the default names of docs/inputs.md.
    """
    from newsfacts.expectations.gate import preload
    from newsfacts.expectations.service import ADDRESS_ENV

    if not os.environ.get(ADDRESS_ENV):  # served runs validate with the serving process's warm GX
        preload()  # GX takes 4-12 s to import: start now, in the background, as the CLI does
    settings = run_settings(
        warehouse_dir=warehouse_dir,
        batch_size=batch_size,
        max_workers=max_workers,
        max_article_chars=max_article_chars,
        fetch_timeout_s=fetch_timeout_s,
        fetch_retries=fetch_retries,
        dask_address=dask_address,
        columns=columns,
    )
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    run_id = _current_run_id()
    warehouse = LocalWarehouse(settings.warehouse_path)
    summary = RunSummary(run_id=run_id, warehouse=str(warehouse.root), base_dir=str(settings.base_dir))
    try:
        return _run(sources, settings, warehouse, summary, now, started)
    except DataQualityError:
        raise
    except BaseException as exc:  # a crash, Ctrl-C or SIGTERM: leave a runs row saying so, then re-raise
        interrupted = isinstance(exc, (KeyboardInterrupt, SystemExit)) or type(exc).__name__ == "TerminationSignal"
        summary.status = "interrupted" if interrupted else "crashed"
        summary.reason = (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:500]
        summary.seconds = round(time.perf_counter() - started, 2)
        _record_unpublished_run(warehouse, summary, now)
        raise


def _record_unpublished_run(
    warehouse: LocalWarehouse, summary: RunSummary, started_at: datetime, extra: dict[str, pl.DataFrame] | None = None
) -> None:
    """Best effort: the runs row (status, reason) of a run that published no facts, and its dq_results."""
    try:
        warehouse.publish(summary.run_id, {**(extra or {}), "runs": summary.run_row(started_at=started_at)})
    except Exception as exc:
        artifacts.run_logger().warning("could not record run %s in the warehouse: %s", summary.run_id, exc)


def _run(
    sources: list[str] | None,
    settings: Settings,
    warehouse: LocalWarehouse,
    summary: RunSummary,
    now: datetime,
    started: float,
) -> RunSummary:
    run_id = summary.run_id
    reporter = progress.current()
    stage_clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal stage_clock
        summary.stage_seconds[name] = round(time.perf_counter() - stage_clock, 3)
        stage_clock = time.perf_counter()

    resolved = [settings.resolve_source(s) for s in (sources or [str(settings.articles_dir)])]
    reporter.stage("load", len(resolved))
    known_urls = KnownUrls(feed_state.known_url_keys(warehouse.parts("articles")))  # of the published articles
    read = _read_all(resolved, settings, _read_options(settings, warehouse, known_urls), run_id, now)
    records, rejects, summary.sources_seen = read.records, read.rejects, read.inputs
    summary.inputs_seen, summary.rejects = records.height + rejects.height, rejects.height
    reporter.advance("load", len(resolved))
    reporter.done("load", f"{records.height} records, {rejects.height} rejects")
    lap("load")

    reporter.stage("articles", records.height)
    articles, summary.duplicates_skipped = new_articles(
        records, warehouse.known_keys("articles"), pl.Series("url", sorted(known_urls.keys), dtype=pl.String), run_id, now
    )
    summary.articles_new = articles.height
    summary.articles_not_english = articles.height - extractable(articles.lazy()).select(pl.len()).collect().item()
    reporter.advance("articles", records.height)
    reporter.done("articles", f"{articles.height} new, {summary.duplicates_skipped} duplicates")
    lap("articles")

    reporter.stage("extract", articles.height)
    facts, failures = _extract(articles, settings)
    tables = {"articles": articles, **facts}
    note = ", ".join(f"{tables[n].height} {n}" for n in FACT_TABLES)
    reporter.done("extract", note + (f"; {failures.height} articles failed" if failures.height else ""))
    lap("extract")

    reporter.stage("validate", 1)
    report_dir = warehouse.root / "reports"
    report_dir.mkdir(parents=True, exist_ok=True)
    gate, summary.dq_validated_by = validate(tables, report_dir, run_id)
    summary.dq_summary = gate.summary()
    summary.dq_report = str(report_dir / f"dq-{run_id}.html")
    held = split_quarantine(
        tables, gate, run_id=run_id, now=now, extraction_failures=failures, max_share=settings.max_quarantine_share
    )
    if held.rows and not held.stops:  # what will publish must pass on its own
        regate, _ = validate.with_options(task_run_name="validate after quarantine")(held.tables, None, run_id)
        held.stops.extend(f"after quarantine: {o.label()}" for o in regate.failures())
    summary.quarantined = held.rows
    summary.dq_outcome = "failed" if held.stops else ("quarantined" if held.rows else "passed")
    reporter.advance("validate")
    reporter.done("validate", summary.dq_outcome + (f" ({held.rows} rows quarantined)" if held.rows else ""))
    lap("validate")
    results = dq_results(gate, run_id=run_id, now=now)
    if held.stops:
        summary.status = "stopped"
        summary.reason = "data-quality: " + "; ".join(held.stops[:5])
        summary.seconds = round(time.perf_counter() - started, 2)
        _record_unpublished_run(warehouse, summary, now, {"dq_results": results})
        artifacts.run_artifacts(summary, rejects, gate, held.quarantine)
        raise DataQualityError(
            f"data-quality gate stopped the publish: {'; '.join(held.stops[:5])}; no facts published. "
            f"{gate.summary()}",
            summary,
        )

    summary.status = "completed"
    summary.seconds = round(time.perf_counter() - started, 2)
    reporter.stage("publish", 1)
    summary.new_rows, summary.total_rows = publish(
        warehouse, run_id,
        {**held.tables, "rejects": rejects, "quarantine": held.quarantine, "dq_results": results},
        summary, now, read.checkpoints,
    )
    reporter.advance("publish")
    reporter.done("publish", str(warehouse.db_path))
    lap("publish")
    summary.seconds = round(time.perf_counter() - started, 2)
    artifacts.run_artifacts(summary, rejects, gate, held.quarantine)
    return summary
