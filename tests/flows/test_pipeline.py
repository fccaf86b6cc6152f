"""The flow's gate: a data-quality failure publishes nothing and leaves the warehouse as it was."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from newsfacts.flows import pipeline
from newsfacts.warehouse.publish import LocalWarehouse


def _write_article(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"Title {name}\n{body}\n", encoding="utf-8")
    return path


def test_failed_gate_publishes_nothing(prefect_harness, tmp_path: Path, monkeypatch):
    good = _write_article(tmp_path, "a.txt", "Protesters rallied in Nairobi, Kenya, on Tuesday; about 2,000 people marched.")
    wh_dir = tmp_path / "wh"
    first = pipeline.newsfacts_run(sources=[str(good)], warehouse_dir=str(wh_dir))
    assert first.status == "completed" and first.dq_outcome == "passed"
    db_before = (wh_dir / "newsfacts.duckdb").read_bytes()
    counts_before = LocalWarehouse(wh_dir).row_counts()

    real_extract = pipeline.extract_facts

    def corrupt(articles, reference):
        facts = real_extract(articles, reference)
        figures = facts["figures"]
        assert figures.height, "the test article must yield figures"
        facts["figures"] = figures.with_columns(value_low=pl.col("value") + 1)  # breaks value_low <= value
        return facts

    monkeypatch.setattr(pipeline, "extract_facts", corrupt)
    bad = _write_article(tmp_path, "b.txt", "Police arrested 45 people in Lima, Peru, after more than 300 protesters gathered.")
    with pytest.raises(pipeline.DataQualityError) as failure:
        pipeline.newsfacts_run(sources=[str(bad)], warehouse_dir=str(wh_dir))
    assert failure.value.summary.dq_outcome == "failed"
    assert (wh_dir / "newsfacts.duckdb").read_bytes() == db_before
    assert LocalWarehouse(wh_dir).row_counts() == counts_before
    assert Path(failure.value.summary.dq_report).exists()
