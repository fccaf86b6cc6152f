"""The ingest flow (`newsfacts run`, deployment `newsfacts-run/ingest`): read -> (per chunk: articles -> extract ->
validate -> stage) -> publish.

Flows only sequence; the work is in `newsfacts.sources`, `newsfacts.transforms`,
`newsfacts.expectations` and `newsfacts.warehouse`. The run graph a person reads in the
Prefect UI: one `read <source>` task per SOURCE argument and one `fetch <url>` task per page a feed or
sitemap names (the only tasks that retry: a URL that times out or answers 429/5xx is tried again),
then for each chunk of `stream_chunk_articles` records `build-articles`, one `extract batch i/n` task per
batch of articles (never one per article; `load-reference` once per run when batches run in threads) and
`validate`, and once `publish` (which saves the feeds' watermarks after the commit). Records and chunk
tables wait in the run's spool (`warehouse/spool.py`), so memory holds one chunk, not the run
(docs/architecture.md "Streaming"). A run triggered from the UI behaves like the CLI: relative paths
resolve against the settings' base directory, GX is imported in the background from the start.
"""
from __future__ import annotations

import gc
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl
from newsfacts.expectations.quarantine import dq_results, split_quarantine
from newsfacts.flows import artifacts
from newsfacts.flows.streaming import ArticleDedupe, QuarantineTotals, repeated_keys
from newsfacts.reference.loader import load_reference
from newsfacts.sources import state as feed_state
from newsfacts.sources.fetch import FetchPolicy
from newsfacts.sources.language import detect as detect_language
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
from newsfacts.transforms.articles import RAW_RECORDS, build_articles
from newsfacts.transforms.facts import (
    FAILURES,
    ExtractedBatch,
    ReferenceData,
    extract_facts_isolated,
    extractable,
)
from newsfacts.transforms.ids import id_expr
from newsfacts.warehouse.publish import LocalWarehouse, PublishError
from newsfacts.warehouse.spool import RecordWriter, RunSpool, SpooledFile, iter_frames
from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from newsfacts import progress
from newsfacts.errors import DataQualityError, interruption
from newsfacts.schema import (
    PRIMARY_KEYS,
    QUARANTINE,
    REJECTS,
    RUNS,
    TABLES,
    conform,
    empty,
)
from newsfacts.settings import Settings, is_url

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
    spooled: SpooledFile | None = None  # the records, when the task wrote them to a file instead of `records`


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
    spool_to: Path | None = None,
) -> SourceItems:
    """Read one SOURCE (its `paths`: a file, a folder's files, or a URL) into records and rejects. A feed or
    sitemap gives its pages to fetch (each then in its own `fetch <url>` task) instead of fetching them here.
    `spool_to`: the records go to this Parquet file as they are read (a thousand at a time), not into memory;
    a retry writes it again from the start."""
    out = SourceItems(inputs=len(paths), records=[], rejects=[])
    writer = RecordWriter(spool_to, RAW_RECORDS) if spool_to is not None else None
    keep_record = (lambda r: writer.append(r.__dict__)) if writer is not None else out.records.append
    by_type = {RawRecord: keep_record, Reject: out.rejects.append, PageLink: out.pages.append,
               Checkpoint: out.checkpoints.append}
    try:
        with reading(options):
            for path in paths:
                for item in read_source(
                    path, max_chars=max_chars, timeout_s=timeout_s, raise_transient=True, columns=columns
                ):
                    by_type[type(item)](item)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        out.spooled = writer.close()
    return out


@task(name="fetch-page", task_run_name="fetch {link.url}", **RETRYING_FETCH)
def fetch_page(link: PageLink, policy: FetchPolicy, max_chars: int) -> list[RawRecord | Reject]:
    """Fetch and extract one page a feed entry or sitemap names (retried like `read <source>`)."""
    return read_page(link, policy, max_chars=max_chars, raise_transient=True)


@task(name="build-articles", task_run_name="build articles", cache_policy=NO_CACHE, persist_result=False)
def new_articles(records: pl.DataFrame, dedupe: ArticleDedupe, run_id: str, now: datetime) -> tuple[pl.DataFrame, int]:
    """One chunk's articles not published and not taken by an earlier chunk, and its duplicates."""
    articles = build_articles(records.lazy(), run_id=run_id, ingested_at=now, detect=detect_language).collect()
    return dedupe.split(articles)


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

        from newsfacts.flows.worker import setup_process

        workers = min(settings.max_workers, batches)
        # each process: its share of the cores for polars, and the reference data loaded as it starts
        threads = max(1, (os.cpu_count() or 1) // workers)
        return ProcessPoolTaskRunner(max_workers=workers, initializer=setup_process, initargs=(threads, settings))
    return ThreadPoolTaskRunner(max_workers=settings.max_workers)


@task(name="validate", task_run_name="validate", cache_policy=NO_CACHE, persist_result=False)
def validate(tables: dict[str, pl.DataFrame], report_dir: Path | None, run_id: str):
    """The GX gate over one chunk's tables: by the serving process's warm gate when there is one, else here.
    Returns (result, where it ran); `report_dir`: also write the HTML report of this result there."""
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
    spooled: dict[str, list[Path]] | None = None,
    spool: RunSpool | None = None,
) -> tuple[dict[str, int], dict[str, int]]:
    """Under the warehouse lock: drop rows another run published meanwhile, add this run's parts and its
    runs row; once committed, save the feeds' watermarks (`checkpoints`), never before: a run that dies
    earlier leaves the old ones, and its entries are fetched again. `spooled` (table -> the run's chunk files
    in `spool`): streamed into one file per table, never loaded whole. Returns (rows added, rows in the
    warehouse) per table."""
    with warehouse.locked():
        fresh = warehouse.unpublished(tables)
        summary.new_rows = {name: frame.height for name, frame in fresh.items()}
        files: dict[str, Path] = {}
        for name, chunk_files in (spooled or {}).items():
            assert spool is not None
            files[name] = spool.path(f"{name}.parquet")
            summary.new_rows[name] = warehouse.merge_unpublished(name, chunk_files, files[name])
            if not summary.new_rows[name]:
                del files[name]
        try:
            warehouse.publish_files(run_id, {**fresh, "runs": summary.run_row(started_at=started_at)}, files)
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


def _batches(frame: pl.DataFrame, size: int, slots: int = 1) -> list[pl.DataFrame]:
    """The frame in batches of at most `size` rows, of even sizes, as many as whole rounds of `slots` batches
    at a time need (5,000 rows in batches of 1,000 on 2 workers: 6 of 834, not 5 of which the last runs
    alone); in order, so the batches' results concatenate to the frame's."""
    count = -(-frame.height // size)
    count = min(-(-count // max(1, slots)) * max(1, slots), frame.height)
    if count <= 1:
        return [frame]
    per, longer = divmod(frame.height, count)  # the first `longer` batches take one row more
    offsets = [i * per + min(i, longer) for i in range(count + 1)]
    return [frame.slice(start, end - start) for start, end in zip(offsets, offsets[1:])]


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
    """Everything the load stage read: the records (spool files, in reading order), rejects, files and URLs
    read, feed watermarks to save."""

    record_files: list[Path]
    records: int
    rejects: pl.DataFrame
    inputs: int
    checkpoints: list[Checkpoint]

    def chunks(self, size: int) -> Iterator[pl.DataFrame]:
        """The records in reading order, `size` at a time (the last chunk shorter)."""
        return iter_frames(self.record_files, size)


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
    sources: list[str], settings: Settings, options: ReadOptions, run_id: str, now: datetime, spool: RunSpool
) -> ReadResult:
    """One retrying task per SOURCE, writing its records to a file of the run's `spool`; a source still failing
    after its retries becomes a `fetch_error` reject. Then one retrying task per page a feed or sitemap named
    (their records, few, are spooled after the sources')."""
    expanded = expand_each(sources)  # a file named twice (a folder and a file in it, a link) is read once
    # the CLI refuses a missing SOURCE up front; a run from the UI records it
    rejects: list[dict] = [
        {"source": e.source, "reason": "read_error", "detail": e.error[:300]} for e in expanded if e.error
    ]
    plan = [e for e in expanded if e.paths]
    reader = _retrying(read_one_source, settings)
    futures = [
        reader.submit(
            e.source, e.paths, settings.max_article_chars, settings.fetch_timeout_s, options, settings.columns,
            spool.path(f"records-{n:05d}.parquet"),
        )
        for n, e in enumerate(plan)
    ]
    files: list[SpooledFile] = []
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
        if items.spooled is not None:
            files.append(items.spooled)
        rejects.extend(r.__dict__ for r in items.rejects)
        pages.extend(items.pages)
        checkpoints.extend(items.checkpoints)
    page_records, page_rejects = _fetch_pages(pages, settings, options)
    if page_records:
        writer = RecordWriter(spool.path("records-pages.parquet"), RAW_RECORDS)
        for record in page_records:
            writer.append(record)
        files.append(writer.close())
    rejects.extend(page_rejects)
    reject_frame = conform(
        pl.DataFrame(rejects, schema=REJECT_COLUMNS).with_columns(
            reject_id=id_expr("rej_", "source", "reason"), run_id=pl.lit(run_id), rejected_at=pl.lit(now)
        ),
        REJECTS,
    ).collect().unique("reject_id", keep="first", maintain_order=True)
    files = [f for f in files if f.rows]
    return ReadResult([f.path for f in files], sum(f.rows for f in files), reject_frame, inputs, checkpoints)


def _slots(runner, settings: Settings) -> int:
    """How many batches `runner` runs side by side: a Dask cluster's task threads, a process pool's workers
    (`max_workers`); threads share one interpreter's lock, so batches in threads are cut by size alone (1)."""
    if isinstance(runner, ThreadPoolTaskRunner):
        return 1
    client = getattr(runner, "client", None)
    if client is not None:  # DaskTaskRunner, entered
        return max(1, sum(client.nthreads().values()))
    return settings.max_workers


class _Extraction:
    """Where a run's extraction batches run, opened on first use and kept for all its chunks (a process pool
    or a Dask client starts once per run): threads, local processes or Dask as `extraction_runner` decides
    from the batches the whole run is expected to have (its records over `batch_size`)."""

    def __init__(self, settings: Settings, records: int, chunks: int) -> None:
        self.settings, self.records, self.chunks = settings, records, chunks
        self.expected_batches = max(1, -(-records // settings.batch_size))
        self._stack = ExitStack()
        self._runner = None
        self._reference: ReferenceData | None = None
        self._tracker: artifacts.Progress | None = None
        self.records_done = 0
        self.slots = 1

    def __enter__(self) -> "_Extraction":
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _open(self, batches: int):
        if self._runner is None:
            # one chunk: decided by its batches, as before streaming; several: by the run's expected batches
            runner = extraction_runner(self.settings, batches if self.chunks == 1 else self.expected_batches)
            # threads share this process's reference data; other workers load their own once
            self._reference = reference_data(self.settings) if isinstance(runner, ThreadPoolTaskRunner) else None
            self._runner = self._stack.enter_context(runner)
            self.slots = _slots(self._runner, self.settings)
        return self._runner

    def extract(self, articles: pl.DataFrame, records: int, chunk: int) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
        """The fact tables of one chunk's `articles` (from `records` records) and the articles whose extraction
        raised: one task per batch, at most `max_workers` at a time."""
        if not articles.height:
            self.records_done += records
            if self._tracker is not None:
                self._tracker.update(self.records_done / max(self.records, 1))
            return {name: empty(TABLES[name]) for name in FACT_TABLES}, pl.DataFrame(schema=FAILURES)
        runner = self._open(-(-articles.height // self.settings.batch_size))
        batches = _batches(articles, self.settings.batch_size, self.slots)
        if self._tracker is None:
            self._tracker = artifacts.Progress(
                f"Extracting facts from {articles.height} articles in {len(batches)} batches" if self.chunks == 1
                else f"Extracting facts from the articles of {self.records} records in {self.chunks} chunks"
            )
        task_fn = extract_batch if self.chunks == 1 else extract_batch.with_options(
            task_run_name=f"chunk {chunk}/{self.chunks}: extract batch {{batch_no}}/{{batches}}"
        )
        reporter = progress.current()
        futures = runner.map(
            task_fn,
            {
                "articles": batches,
                "reference": unmapped(self._reference),
                "settings": unmapped(self.settings),
                "batch_no": list(range(1, len(batches) + 1)),
                "batches": unmapped(len(batches)),
            },
        )
        sizes = {future: batch.height for future, batch in zip(futures, batches)}
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()  # a failed batch fails the run here
            reporter.advance("extract", sizes[future])
            self._tracker.update((self.records_done + records * done / len(batches)) / max(self.records, 1))
        results: list[ExtractedBatch] = [future.result() for future in futures]  # batch order: stable rows
        self.records_done += records
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
            to the base directory; or an object-store URL (s3://bucket/prefix, gs://, az://, file://) shared by
            workers on several machines, credentials from the environment. Empty: NEWSFACTS_WAREHOUSE_DIR,
            NEWSFACTS_WAREHOUSE_URL or ./data.
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
    if warehouse_dir and not is_url(warehouse_dir):  # a folder given for this run wins over a configured URL
        settings = settings.model_copy(update={"warehouse_url": None})
    from newsfacts.warehouse import remote

    # a remote warehouse (`warehouse_url`): the run publishes into its local mirror, pushed when it ends
    with remote.attached(settings) as warehouse:
        summary = RunSummary(run_id=run_id, warehouse=str(warehouse.root), base_dir=str(settings.base_dir))
        try:
            return _run(sources, settings, warehouse, summary, now, started)
        except DataQualityError:
            raise
        except BaseException as exc:  # a crash, Ctrl-C or SIGTERM: leave a runs row saying so, then re-raise
            signal_exc = interruption(exc)
            summary.status = "interrupted" if signal_exc is not None else "crashed"
            cause = signal_exc or exc
            summary.reason = (f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__)[:500]
            summary.seconds = round(time.perf_counter() - started, 2)
            _record_unpublished_run(warehouse, summary, now)
            if signal_exc is not None and signal_exc is not exc:
                raise signal_exc from exc  # the interruption, not the error Prefect raised while handling it
            raise


def _record_unpublished_run(
    warehouse: LocalWarehouse, summary: RunSummary, started_at: datetime, extra: dict[str, pl.DataFrame] | None = None
) -> None:
    """Best effort: the runs row (status, reason) of a run that published no facts, and its dq_results."""
    try:
        warehouse.publish(summary.run_id, {**(extra or {}), "runs": summary.run_row(started_at=started_at)})
    except Exception as exc:
        artifacts.run_logger().warning("could not record run %s in the warehouse: %s", summary.run_id, exc)


class _Stages:
    """The run's stage lines and seconds over its chunks: a stage starts with its first chunk and is done
    after its last (so a one-chunk run reports exactly as an unchunked one); seconds add up over chunks."""

    def __init__(self, summary: RunSummary) -> None:
        self.summary = summary
        self.reporter = progress.current()
        self.clock = time.perf_counter()
        self.open: list[str] = []

    def start(self, name: str, total: int | None) -> None:
        if name not in self.open and name not in self.summary.stage_seconds:
            self.reporter.stage(name, total)
            self.open.append(name)

    def done(self, name: str, message: str) -> None:
        if name in self.open:
            self.reporter.done(name, message)
            self.open.remove(name)

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        seconds = self.summary.stage_seconds
        seconds[name] = round(seconds.get(name, 0.0) + now - self.clock, 3)
        self.clock = now


@dataclass
class _Chunked:
    """What the run's chunks add up to: staged files per table, gate results, quarantine, counts."""

    staged: dict[str, list[Path]] = field(default_factory=lambda: {t: [] for t in ("articles", *FACT_TABLES)})
    gates: list[Any] = field(default_factory=list)
    quarantine: QuarantineTotals = field(default_factory=QuarantineTotals)
    stops: list[str] = field(default_factory=list)
    extracted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FACT_TABLES, 0))
    failures: int = 0
    validated_by: str = ""

    def stage(self, spool: RunSpool, chunk: int, tables: dict[str, pl.DataFrame]) -> None:
        """Write the chunk's tables to the spool in the contract's columns (uncommitted)."""
        for name, frame in tables.items():
            if frame.height:
                spooled = spool.write_table(name, chunk, conform(frame, TABLES[name]).collect())
                self.staged.setdefault(name, []).append(spooled.path)


def _run(
    sources: list[str] | None,
    settings: Settings,
    warehouse: LocalWarehouse,
    summary: RunSummary,
    now: datetime,
    started: float,
) -> RunSummary:
    """Read every SOURCE into the run's spool, then chunk by chunk (`stream_chunk_articles` records): build the
    new articles, extract, validate, quarantine, stage; then combine the chunks' gate results and quarantine,
    and publish all staged chunks in one commit (or nothing, when the gate stops the run)."""
    from newsfacts.expectations.gate import (
        merge_results,
        with_cross_chunk_duplicates,
        write_report,
    )

    with RunSpool(warehouse.root, summary.run_id) as spool:  # deleted when the run ends, however it ends
        run_id = summary.run_id
        stages = _Stages(summary)
        resolved = [settings.resolve_source(s) for s in (sources or [str(settings.articles_dir)])]
        stages.start("load", len(resolved))
        known_urls = KnownUrls(feed_state.known_url_keys(warehouse.parts("articles")))  # of the published articles
        read = _read_all(resolved, settings, _read_options(settings, warehouse, known_urls), run_id, now, spool)
        rejects, summary.sources_seen = read.rejects, read.inputs
        summary.inputs_seen, summary.rejects = read.records + rejects.height, rejects.height
        stages.reporter.advance("load", len(resolved))
        stages.done("load", f"{read.records} records, {rejects.height} rejects")
        stages.lap("load")

        size = settings.stream_chunk_articles
        chunks = max(1, -(-read.records // size))
        dedupe = ArticleDedupe(
            warehouse.known_keys("articles"), pl.Series("url", sorted(known_urls.keys), dtype=pl.String)
        )
        run = _Chunked()
        # no records: one empty chunk, validated all the same (the gate's report and dq_results of an empty run)
        record_chunks = read.chunks(size) if read.records else iter([pl.DataFrame(schema=RAW_RECORDS)])
        with _Extraction(settings, read.records, chunks) as extraction:
            for chunk, records in enumerate(record_chunks, start=1):
                label, last = ("" if chunks == 1 else f" {chunk}/{chunks}"), chunk == chunks
                stages.start("articles", read.records)
                builder = new_articles.with_options(task_run_name=f"build articles{label}") if label else new_articles
                articles, duplicates = builder(records, dedupe, run_id, now)
                summary.duplicates_skipped += duplicates
                summary.articles_new += articles.height
                summary.articles_not_english += (
                    articles.height - extractable(articles.lazy()).select(pl.len()).collect().item()
                )
                stages.reporter.advance("articles", records.height)
                if last:
                    stages.done("articles", f"{summary.articles_new} new, {summary.duplicates_skipped} duplicates")
                stages.lap("articles")

                stages.start("extract", articles.height if chunks == 1 else None)
                facts, failures = extraction.extract(articles, records.height, chunk)
                tables = {"articles": articles, **facts}
                for name in FACT_TABLES:
                    run.extracted[name] += tables[name].height
                run.failures += failures.height
                if last:
                    note = ", ".join(f"{run.extracted[n]} {n}" for n in FACT_TABLES)
                    stages.done("extract", note + (f"; {run.failures} articles failed" if run.failures else ""))
                stages.lap("extract")

                stages.start("validate", chunks)
                gate, run.validated_by = validate.with_options(task_run_name=f"validate{label}")(tables, None, run_id)
                # the share rule applies to the run's totals, after the last chunk
                held = split_quarantine(
                    tables, gate, run_id=run_id, now=now, extraction_failures=failures, max_share=1.0
                )
                if held.rows and not held.stops:  # what will publish must pass on its own
                    regate, _ = validate.with_options(task_run_name=f"validate after quarantine{label}")(
                        held.tables, None, run_id
                    )
                    held.stops.extend(f"after quarantine: {o.label()}" for o in regate.failures())
                run.stops.extend(f"chunk{label}: {stop}" if label else stop for stop in held.stops)
                run.gates.append(gate)
                run.quarantine.add(held)
                run.stage(spool, chunk, {**held.tables, "quarantine": held.quarantine})
                stages.reporter.advance("validate")
                del records, articles, facts, failures, tables, held, gate
                # task futures and states hold the chunk's frames in reference cycles: free them now, not when the
                # collector's oldest generation next runs (measured: +270 MB over 10 chunks without this)
                gc.collect()
                if run.stops:  # a gate failure stops the whole run: later chunks are not read
                    break
                if not last:
                    stages.lap("validate")

        gate = merge_results(run.gates)
        if chunks > 1 and not run.stops:  # ids are unique within each chunk's gate; across chunks, checked here
            repeated = {name: repeated_keys(run.staged.get(name, []), PRIMARY_KEYS[name]) for name in FACT_TABLES}
            gate = with_cross_chunk_duplicates(gate, repeated)
            run.stops.extend(f"{n} {name} rows repeat an id of an earlier chunk" for name, n in repeated.items() if n)
        run.stops.extend(run.quarantine.stops(settings.max_quarantine_share))
        report_dir = warehouse.root / "reports"
        report_dir.mkdir(parents=True, exist_ok=True)
        write_report(gate, report_dir / f"dq-{run_id}.html")
        summary.dq_validated_by = run.validated_by
        summary.dq_summary = gate.summary()
        summary.dq_report = str(report_dir / f"dq-{run_id}.html")
        summary.quarantined = run.quarantine.rows
        summary.dq_outcome = "failed" if run.stops else ("quarantined" if run.quarantine.rows else "passed")
        quarantine = _spooled_quarantine(run.staged.pop("quarantine", []))
        held_note = f" ({summary.quarantined} rows quarantined)" if summary.quarantined else ""
        stages.done("validate", summary.dq_outcome + held_note)
        for name in list(stages.open):  # stages a stopped run did not reach the end of
            stages.done(name, "stopped")
        stages.lap("validate")
        results = dq_results(gate, run_id=run_id, now=now)
        if run.stops:
            summary.status = "stopped"
            summary.reason = "data-quality: " + "; ".join(run.stops[:5])
            summary.seconds = round(time.perf_counter() - started, 2)
            _record_unpublished_run(warehouse, summary, now, {"dq_results": results})
            artifacts.run_artifacts(summary, rejects, gate, quarantine)
            raise DataQualityError(
                f"data-quality gate stopped the publish: {'; '.join(run.stops[:5])}; no facts published. "
                f"{gate.summary()}",
                summary,
            )

        summary.status = "completed"
        summary.seconds = round(time.perf_counter() - started, 2)
        stages.start("publish", 1)
        summary.new_rows, summary.total_rows = publish(
            warehouse, run_id, {"rejects": rejects, "quarantine": quarantine, "dq_results": results},
            summary, now, read.checkpoints, run.staged, spool,
        )
        stages.reporter.advance("publish")
        stages.done("publish", str(warehouse.db_path))
        stages.lap("publish")
        summary.seconds = round(time.perf_counter() - started, 2)
        artifacts.run_artifacts(summary, rejects, gate, quarantine)
        return summary


def _spooled_quarantine(files: list[Path]) -> pl.DataFrame:
    """The run's quarantine rows (held back rows are few: read whole), one per quarantine_id."""
    if not files:
        return empty(QUARANTINE)
    return pl.read_parquet(files).unique("quarantine_id", keep="first", maintain_order=True)
