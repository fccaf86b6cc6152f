"""The deployments `newsfacts serve` serves (and `prefect.yaml` declares for `prefect deploy`).

- `newsfacts-run/ingest`: the ingest flow; its parameters (sources, warehouse, batch size, workers,
  fetch settings) form the run form in the UI, pre-filled with the serving process's settings.
  Optional cron schedule, off by default; `newsfacts serve --cron "*/5 * * * *" --source FEED_URL` polls a
  feed (each run fetches only the entries that are new since the last committed run).
- `newsfacts-rebuild/rebuild-warehouse`: rebuild the DuckDB file and marts from the Parquet parts.
- `newsfacts-compact/compact-warehouse`: merge small Parquet parts (publishes also do it when parts pile up).
"""
from __future__ import annotations

from typing import Any

from newsfacts.flows.maintenance import compact_warehouse, rebuild_warehouse
from newsfacts.flows.pipeline import newsfacts_run

from newsfacts.settings import Settings

INGEST = "ingest"
REBUILD = "rebuild-warehouse"
COMPACT = "compact-warehouse"
TAGS = ["newsfacts"]


def ingest_defaults(settings: Settings, sources: list[str] | None = None) -> dict[str, Any]:
    """The ingest form's pre-filled values: this process's settings, paths made absolute; `sources` (e.g. a
    feed URL that a schedule polls) when given, else none (the bundled sample articles)."""
    resolved = {"sources": [settings.resolve_source(s) for s in sources]} if sources else {}
    return {
        **resolved,
        # a remote warehouse (NEWSFACTS_WAREHOUSE_URL) when one is configured, else the folder
        "warehouse_dir": settings.warehouse_url or str(settings.warehouse_path),
        "batch_size": settings.batch_size,
        "max_workers": settings.max_workers,
        "max_article_chars": settings.max_article_chars,
        "fetch_timeout_s": settings.fetch_timeout_s,
        "fetch_retries": settings.fetch_retries,
    }


def build_deployments(settings: Settings, cron: str | None = None, sources: list[str] | None = None) -> list:
    """Runner deployments for `prefect.serve`; `sources` become the ingest deployment's default (what its
    schedule and a Quick run read: a feed URL is polled, only new entries fetched)."""
    ingest = newsfacts_run.to_deployment(
        name=INGEST,
        cron=cron,
        parameters=ingest_defaults(settings, sources),
        description=(
            "Read articles, extract events, figures and locations, validate and publish them. "
            f"Relative paths resolve against {settings.base_dir}."
        ),
        tags=TAGS,
    )
    rebuild = rebuild_warehouse.to_deployment(
        name=REBUILD,
        parameters={"warehouse_dir": str(settings.warehouse_path)},
        description="Rebuild the warehouse's DuckDB file and marts from its Parquet parts.",
        tags=TAGS,
    )
    compact = compact_warehouse.to_deployment(
        name=COMPACT,
        parameters={"warehouse_dir": str(settings.warehouse_path)},
        description="Merge the warehouse's small Parquet parts, per table and ingest date, in one commit.",
        tags=TAGS,
    )
    return [ingest, rebuild, compact]
