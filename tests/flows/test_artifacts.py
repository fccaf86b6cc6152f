"""What a run leaves in the Prefect API besides logs: its artifacts (summary, rejects, failed expectations,
report link, progress), and a Failed flow-run state naming the expectation when the data-quality gate fails."""
from __future__ import annotations

import json
from pathlib import Path

from newsfacts.expectations import suites
from newsfacts.expectations.service import ADDRESS_ENV
from newsfacts.flows import artifacts
from newsfacts.flows.pipeline import RunSummary, newsfacts_run

ARTICLE = "Protest in Nairobi\nProtesters rallied in Nairobi, Kenya, on Tuesday; about 2,000 people marched.\n"


def _flow_run_artifacts(flow_run_id) -> dict[str, list]:
    """This flow run's artifacts, by key (`None` for the unkeyed progress artifact)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    by_key: dict[str, list] = {}
    for artifact in found:
        by_key.setdefault(artifact.key, []).append(artifact)
    return by_key


def _table(artifact) -> list[dict]:
    data = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    if isinstance(data, dict):  # columns -> values
        return [dict(zip(data, row)) for row in zip(*data.values())]
    return data


def test_run_writes_its_artifacts(prefect_harness, tmp_path: Path):
    article = tmp_path / "nairobi.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    junk = tmp_path / "photo.png"
    junk.write_bytes(b"\x89PNG")
    state = newsfacts_run(sources=[str(article), str(junk)], warehouse_dir=str(tmp_path / "wh"), return_state=True)
    assert state.is_completed(), state.message
    summary = state.result()
    found = _flow_run_artifacts(state.state_details.flow_run_id)

    [md] = found[artifacts.SUMMARY_KEY]
    assert md.type == "markdown"
    assert md.data == artifacts.summary_markdown(summary)
    assert "# newsfacts run completed" in md.data and "| new articles | 1 |" in md.data
    assert f"| data quality | passed ({summary.dq_validated_by}) |" in md.data and summary.dq_validated_by
    assert f"| articles | 1 | {summary.total_rows['articles']} |" in md.data
    assert f"| figures | {summary.new_rows['figures']} | {summary.total_rows['figures']} |" in md.data
    assert summary.new_rows["figures"] >= 1 and "| rejects | 1 | 1 |" in md.data

    [rejects] = found[artifacts.REJECTS_KEY]
    assert rejects.type == "table"
    assert _table(rejects) == [{"source": str(junk), "reason": "not_text", "detail": "unsupported file type '.png'"}]
    [failures] = found[artifacts.FAILURES_KEY]
    assert failures.type == "table" and _table(failures) == []

    [link] = found[artifacts.REPORT_KEY]
    assert link.type == "markdown"  # what Prefect stores a link artifact as: "[text](uri)"
    assert link.data == f"[data-quality report (passed)]({Path(summary.dq_report).as_uri()})"
    assert Path(summary.dq_report).exists()

    progress = [a for a in found.get(None, []) if a.type == "progress"]
    assert len(progress) == 1 and float(progress[0].data) == 100.0


def test_failed_gate_fails_the_flow_run_naming_the_expectation(prefect_harness, tmp_path: Path, monkeypatch):
    """A stricter contract (figures.value <= 100) than the extracted '2,000 people' meets: the real gate fails."""
    strict = tmp_path / "suites"
    strict.mkdir()
    for table in suites.SUITE_TABLES:
        data = suites.read_suite_dict(table)
        if table == "figures":
            data["expectations"].append(
                {"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "max_value": 100.0},
                 "meta": {}, "description": "value <= 100 (test contract)", "severity": "critical"}
            )
        suites.suite_path(table, strict).write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(suites, "SUITES_DIR", strict)
    monkeypatch.delenv(ADDRESS_ENV, raising=False)  # validate in this process, against the strict suites
    article = tmp_path / "nairobi.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    wh_dir = tmp_path / "wh"

    state = newsfacts_run(sources=[str(article)], warehouse_dir=str(wh_dir), return_state=True)

    assert state.is_failed()
    assert "DataQualityError" in state.message
    assert "figures.expect_column_values_to_be_between(value)" in state.message
    assert "no facts published" in state.message
    # no facts: only the run's own record (its runs row and expectation results) was written
    assert {p.parent.parent.name for p in wh_dir.glob("parquet/*/ingest_date=*/part-*.parquet")} == {"runs", "dq_results"}
    assert list((wh_dir / "reports").glob("dq-*.html"))  # the report says why

    found = _flow_run_artifacts(state.state_details.flow_run_id)
    [md] = found[artifacts.SUMMARY_KEY]
    assert "# newsfacts run stopped" in md.data and "| data quality | failed (in-process) |" in md.data
    rows = _table(found[artifacts.FAILURES_KEY][0])
    assert [(r["table"], r["expectation"], r["column"]) for r in rows] == [
        ("figures", "expect_column_values_to_be_between", "value")
    ]
    assert "2000" in rows[0]["detail"]


def test_summary_markdown_golden():
    summary = RunSummary(
        run_id="r1", warehouse="/w/data", base_dir="/w", status="completed", sources_seen=2, inputs_seen=5,
        articles_new=3, duplicates_skipped=1, rejects=1, new_rows={"articles": 3, "figures": 4, "rejects": 1},
        total_rows={"articles": 10, "locations": 7, "figures": 12, "events": 2}, dq_outcome="passed",
        dq_validated_by="gate service",
        dq_summary="data-quality gate PASSED: 9/9 expectations met", dq_report="/w/data/reports/dq-r1.html",
        seconds=1.26, stage_seconds={"load": 0.125, "extract": 1.0},
    )
    text = artifacts.summary_markdown(summary)
    lines = text.splitlines()
    assert lines[0] == "# newsfacts run completed"
    for line in (
        "| inputs | 5 (2 sources) |",
        "| new articles | 3 |",
        "| duplicates | 1 |",
        "| rejects | 1 |",
        "| data quality | passed (gate service) |",
        "| seconds | 1.3 |",
        "| warehouse | `/w/data` |",
        "| base directory | `/w` |",
        "| load | 0.12 |",
        "| extract | 1.00 |",
        "Report: `/w/data/reports/dq-r1.html`",
    ):
        assert line in lines, line
    table = lines[lines.index("## Rows per table") + 4 : lines.index("## Rows per table") + 9]
    assert table == [
        "| articles | 3 | 10 |",
        "| locations | 0 | 7 |",
        "| figures | 4 | 12 |",
        "| events | 0 | 2 |",
        "| rejects | 1 |  |",  # no total known: left blank, not 0
    ]
    assert "```\ndata-quality gate PASSED: 9/9 expectations met\n```" in text
    assert text.endswith("\n") and lines.index("## Rows per table") < lines.index("## Seconds per stage")


def test_summary_markdown_without_gate_or_report():
    text = artifacts.summary_markdown(RunSummary(run_id="r", warehouse="w"))
    assert "# newsfacts run running" in text and "| data quality | not run" in text
    assert "## Data quality" not in text and "Report:" not in text
