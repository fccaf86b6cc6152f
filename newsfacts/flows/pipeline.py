"""The `newsfacts run` flow: load sources -> build articles -> extract -> validate -> publish.

Flows only sequence; the work is in `newsfacts.sources`, `newsfacts.transforms`,
`newsfacts.expectations` and `newsfacts.warehouse`. Articles travel in batches
(one task per batch, never one per article) through a bounded thread pool.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from newsfacts import progress
from newsfacts.reference.loader import load_reference
from newsfacts.schema import REJECTS, RUNS, conform
from newsfacts.settings import Settings
from newsfacts.sources.readers import RawRecord, Reject, expand_sources, read_source
from newsfacts.transforms.articles import RAW_RECORDS, build_articles, split_new_articles
from newsfacts.transforms.facts import ReferenceData, extract_facts
from newsfacts.transforms.ids import id_expr
from newsfacts.warehouse.publish import LocalWarehouse

FACT_TABLES = ("locations", "figures", "events")


class DataQualityError(RuntimeError):
    """The data-quality gate failed; nothing was published."""

    def __init__(self, message: str, summary: "RunSummary") -> None:
        super().__init__(message)
        self.summary = summary


@dataclass
class RunSummary:
    run_id: str
    warehouse: str
    status: str = "running"
    sources_seen: int = 0
    inputs_seen: int = 0
    articles_new: int = 0
    duplicates_skipped: int = 0
    rejects: int = 0
    new_rows: dict[str, int] = field(default_factory=dict)
    total_rows: dict[str, int] = field(default_factory=dict)
    dq_outcome: str = "not run"
    dq_summary: str = ""
    dq_report: str | None = None
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
        }
        return conform(pl.DataFrame([row]), RUNS).collect()


@dataclass
class LoadedInputs:
    records: pl.DataFrame
    rejects: pl.DataFrame
    sources_seen: int
    inputs_seen: int


@task(name="load-sources", cache_policy=NO_CACHE, persist_result=False)
def load_sources(sources: list[str], settings: Settings, run_id: str, now: datetime) -> LoadedInputs:
    reporter = progress.current()
    paths = expand_sources(sources)
    reporter.stage("load", len(paths))
    records: list[dict] = []
    rejects: list[dict] = []
    for path in paths:
        for item in read_source(path, max_chars=settings.max_article_chars, timeout_s=settings.fetch_timeout_s):
            if isinstance(item, RawRecord):
                records.append(item.__dict__)
            else:
                assert isinstance(item, Reject)
                rejects.append(item.__dict__)
        reporter.advance("load")
    reporter.done("load", f"{len(records)} records, {len(rejects)} rejects")
    record_frame = pl.DataFrame(records, schema=RAW_RECORDS) if records else pl.DataFrame(schema=RAW_RECORDS)
    reject_frame = conform(
        pl.DataFrame(rejects, schema={"source": pl.String, "reason": pl.String, "detail": pl.String}).with_columns(
            reject_id=id_expr("rej_", "source", "reason"),
            run_id=pl.lit(run_id),
            rejected_at=pl.lit(now),
        ),
        REJECTS,
    ).collect()
    return LoadedInputs(record_frame, reject_frame, len(paths), len(records) + len(rejects))


@task(name="build-articles", cache_policy=NO_CACHE, persist_result=False)
def new_articles(records: pl.DataFrame, known_ids: pl.Series, run_id: str, now: datetime) -> tuple[pl.DataFrame, int]:
    articles = build_articles(records.lazy(), run_id=run_id, ingested_at=now).collect()
    return split_new_articles(articles, known_ids)


@task(name="load-reference", cache_policy=NO_CACHE, persist_result=False)
def reference_data(settings: Settings) -> ReferenceData:
    return load_reference(settings)


@task(name="extract-batch", cache_policy=NO_CACHE, persist_result=False)
def extract_batch(articles: pl.DataFrame, reference: ReferenceData) -> dict[str, pl.DataFrame]:
    facts = extract_facts(articles.lazy(), reference)
    progress.current().advance("extract", articles.height)
    return facts


@task(name="validate", cache_policy=NO_CACHE, persist_result=False)
def validate(tables: dict[str, pl.DataFrame], report_dir: Path, run_id: str):
    from newsfacts.expectations.gate import run_gate, write_report

    result = run_gate(tables)
    write_report(result, report_dir / f"dq-{run_id}.html")
    return result


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish(warehouse: LocalWarehouse, run_id: str, tables: dict[str, pl.DataFrame]) -> dict[str, int]:
    warehouse.publish(run_id, tables)
    return warehouse.row_counts()


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


@flow(
    name="newsfacts-run",
    persist_result=False,
    log_prints=False,
    task_runner=ThreadPoolTaskRunner(max_workers=Settings().max_workers),
)
def newsfacts_run(sources: list[str] | None = None, warehouse_dir: str | None = None) -> RunSummary:
    """Run the pipeline over SOURCE files/folders/URLs (default: the bundled seeds) into a warehouse folder."""
    settings = Settings(**({"warehouse_dir": Path(warehouse_dir)} if warehouse_dir else {}))
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    run_id = _current_run_id()
    warehouse = LocalWarehouse(settings.warehouse_dir.resolve())
    summary = RunSummary(run_id=run_id, warehouse=str(warehouse.root))
    reporter = progress.current()
    stage_clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal stage_clock
        summary.stage_seconds[name] = round(time.perf_counter() - stage_clock, 3)
        stage_clock = time.perf_counter()

    inputs = load_sources(list(sources or [str(settings.articles_dir)]), settings, run_id, now)
    rejects = inputs.rejects.filter(~pl.col("reject_id").is_in(warehouse.known_keys("rejects").implode()))
    summary.sources_seen, summary.inputs_seen = inputs.sources_seen, inputs.inputs_seen
    summary.rejects = inputs.rejects.height
    lap("load")

    reporter.stage("articles", inputs.records.height)
    articles, summary.duplicates_skipped = new_articles(
        inputs.records, warehouse.known_keys("articles"), run_id, now
    )
    summary.articles_new = articles.height
    reporter.advance("articles", inputs.records.height)
    reporter.done("articles", f"{articles.height} new, {summary.duplicates_skipped} duplicates")
    lap("articles")

    reporter.stage("extract", articles.height)
    tables: dict[str, pl.DataFrame] = {"articles": articles}
    if articles.height:
        reference = reference_data(settings)
        futures = extract_batch.map(_batches(articles, settings.batch_size), reference=unmapped(reference))
        results = futures.result()
        for name in FACT_TABLES:
            tables[name] = pl.concat([r[name] for r in results], how="vertical")
    else:
        from newsfacts.schema import TABLES, empty

        for name in FACT_TABLES:
            tables[name] = empty(TABLES[name])
    reporter.done("extract", ", ".join(f"{tables[n].height} {n}" for n in FACT_TABLES))
    lap("extract")

    reporter.stage("validate", 1)
    report_dir = warehouse.root / "reports"
    report_dir.mkdir(parents=True, exist_ok=True)
    gate = validate(tables, report_dir, run_id)
    summary.dq_outcome = "passed" if gate.success else "failed"
    summary.dq_summary = gate.summary()
    summary.dq_report = str(report_dir / f"dq-{run_id}.html")
    reporter.advance("validate")
    reporter.done("validate", summary.dq_outcome)
    lap("validate")
    if not gate.success:
        summary.status = "failed"
        summary.seconds = round(time.perf_counter() - started, 2)
        raise DataQualityError(f"data-quality gate failed; nothing published. {gate.summary()}", summary)

    summary.new_rows = {name: tables[name].height for name in ("articles", *FACT_TABLES)}
    summary.new_rows["rejects"] = rejects.height
    summary.status = "completed"
    summary.seconds = round(time.perf_counter() - started, 2)
    reporter.stage("publish", 1)
    summary.total_rows = publish(
        warehouse, run_id, {**tables, "rejects": rejects, "runs": summary.run_row(started_at=now)}
    )
    reporter.advance("publish")
    reporter.done("publish", str(warehouse.db_path))
    lap("publish")
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary
