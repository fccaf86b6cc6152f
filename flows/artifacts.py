"""What a run leaves in the Prefect UI besides logs: its summary, rejects, failed expectations, report link, progress.

Artifacts carry fixed keys, so the UI's Artifacts page shows each as one series with a version per run:
`newsfacts-run-summary` (markdown: the CLI summary), `newsfacts-rejects` and
`newsfacts-failed-expectations` and `newsfacts-quarantine` (tables), `newsfacts-dq-report` (a link to the run's HTML report) and,
while facts are extracted, a progress artifact. An artifact that cannot be written is logged, never a
reason to fail a run that has already published.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

if TYPE_CHECKING:  # pragma: no cover
    from newsfacts.expectations.gate import GateResult
    from newsfacts.flows.pipeline import RunSummary

SUMMARY_KEY = "newsfacts-run-summary"
REJECTS_KEY = "newsfacts-rejects"
FAILURES_KEY = "newsfacts-failed-expectations"
REPORT_KEY = "newsfacts-dq-report"
QUARANTINE_KEY = "newsfacts-quarantine"
MAX_TABLE_ROWS = 500
TABLES = ("articles", "locations", "figures", "events", "rejects", "quarantine")

log = logging.getLogger("newsfacts.flows")


def run_logger():
    try:
        from prefect.logging import get_run_logger

        return get_run_logger()
    except Exception:
        return log


def summary_markdown(summary: "RunSummary") -> str:
    """The CLI's run summary as markdown."""
    lines = [
        f"# newsfacts run {summary.status}",
        "",
        "| | |",
        "|---|---|",
        f"| inputs | {summary.inputs_seen} ({summary.sources_seen} sources) |",
        f"| new articles | {summary.articles_new} |",
        f"| not English (kept, no facts extracted) | {summary.articles_not_english} |",
        f"| duplicates | {summary.duplicates_skipped} |",
        f"| rejects | {summary.rejects} |",
        f"| quarantined rows | {summary.quarantined} |",
        f"| data quality | {summary.dq_outcome}{f' ({summary.dq_validated_by})' if summary.dq_validated_by else ''} |",
        f"| seconds | {summary.seconds:.1f} |",
        *([f"| reason | {summary.reason} |"] if summary.reason else []),
        f"| warehouse | `{summary.warehouse}` |",
        f"| base directory | `{summary.base_dir}` |",
        "",
        "## Rows per table",
        "",
        "| table | added | total |",
        "|---|---:|---:|",
    ]
    for name in TABLES:
        total = summary.total_rows.get(name)
        lines.append(f"| {name} | {summary.new_rows.get(name, 0)} | {'' if total is None else total} |")
    lines += ["", "## Seconds per stage", "", "| stage | seconds |", "|---|---:|"]
    lines += [f"| {name} | {seconds:.2f} |" for name, seconds in summary.stage_seconds.items()]
    if summary.dq_summary:
        lines += ["", "## Data quality", "", "```", summary.dq_summary, "```"]
    if summary.dq_report:
        lines += ["", f"Report: `{summary.dq_report}`"]
    return "\n".join(lines) + "\n"


def rejects_table(rejects: pl.DataFrame) -> dict[str, list[Any]]:
    shown = rejects.select("source", "reason", "detail").head(MAX_TABLE_ROWS)
    return {name: shown[name].to_list() for name in shown.columns}


def failures_table(gate: "GateResult") -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {"table": [], "expectation": [], "column": [], "unexpected": [], "detail": []}
    for outcome in gate.failures()[:MAX_TABLE_ROWS]:
        rows["table"].append(outcome.table)
        rows["expectation"].append(outcome.expectation_type)
        rows["column"].append(outcome.column or "")
        rows["unexpected"].append(outcome.unexpected_count)
        examples = ", ".join(repr(e.value) for e in outcome.examples[:3])
        rows["detail"].append(outcome.error or (f"e.g. {examples}" if examples else repr(outcome.observed_value)))
    return rows


def quarantine_table(quarantine: pl.DataFrame) -> dict[str, list[Any]]:
    shown = quarantine.select("table_name", "row_key", "article_id", "reason", "detail").head(MAX_TABLE_ROWS)
    return {name: shown[name].to_list() for name in shown.columns}


def run_artifacts(
    summary: "RunSummary", rejects: pl.DataFrame, gate: "GateResult | None", quarantine: pl.DataFrame | None = None
) -> None:
    """Write the run's artifacts (inside a flow run)."""
    try:
        if quarantine is not None:
            create_table_artifact(
                quarantine_table(quarantine), key=QUARANTINE_KEY,
                description=f"rows held back by this run ({quarantine.height}; first {MAX_TABLE_ROWS} shown)",
            )
        create_markdown_artifact(summary_markdown(summary), key=SUMMARY_KEY, description="newsfacts run summary")
        create_table_artifact(
            rejects_table(rejects), key=REJECTS_KEY,
            description=f"inputs refused by this run ({rejects.height}; first {MAX_TABLE_ROWS} shown)",
        )
        if gate is not None:
            failed = len(gate.failures())
            create_table_artifact(
                failures_table(gate), key=FAILURES_KEY,
                description=f"failed data-quality expectations ({failed})",
            )
        if summary.dq_report:
            create_link_artifact(
                Path(summary.dq_report).as_uri(), link_text=f"data-quality report ({summary.dq_outcome})",
                key=REPORT_KEY, description=summary.dq_report,
            )
    except Exception as exc:  # the API refused or is gone: the run's outcome stands
        run_logger().warning("could not write run artifacts: %s", exc)


class Progress:
    """A progress artifact (0-100 %) updated as batches finish."""

    def __init__(self, description: str) -> None:
        self.description = description
        try:
            self.artifact_id = create_progress_artifact(0.0, description=description)
        except Exception as exc:
            run_logger().warning("could not create a progress artifact: %s", exc)
            self.artifact_id = None

    def update(self, fraction: float) -> None:
        if self.artifact_id is None:
            return
        try:
            update_progress_artifact(self.artifact_id, round(100.0 * fraction, 1))
        except Exception as exc:
            run_logger().warning("could not update the progress artifact: %s", exc)
