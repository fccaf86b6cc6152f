"""Run the real extractors on the dev gold texts and put the output through the gate.

    uv run python benchmarks/gate_dev.py [--report /tmp/dq_dev] [FILE.jsonl ...]

Shows whether the extractors' output passes the data-quality gate (it must, or
the pipeline refuses to publish) and how long a gate run takes on real tables.
"""
from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from newsfacts.reference.loader import load_reference
from newsfacts.settings import Settings
from newsfacts.sources.language import detect as detect_language
from newsfacts.transforms.articles import RAW_RECORDS, build_articles
from newsfacts.transforms.facts import extract_facts

DEV = Path("/work/shared/eval/dev")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args()
    files = args.files or sorted(DEV.glob("*.jsonl"))
    records = []
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                row = json.loads(line)
                records.append({"doc_id": str(row.get("doc_id", f"{path.name}:{n}")),
                                "source": path.name, "text": row["text"],
                                "published_at": row.get("published_at")})
    now = datetime.now(timezone.utc)
    articles = (
        build_articles(pl.DataFrame(records, schema=RAW_RECORDS).lazy(), run_id="dev", ingested_at=now, detect=detect_language)
        .collect()
        .unique("article_id", keep="first", maintain_order=True)
    )
    t0 = time.perf_counter()
    facts = extract_facts(articles.lazy(), load_reference(Settings()))
    print(f"extract: {time.perf_counter() - t0:.2f}s")
    tables = {"articles": articles, **{k: facts[k] for k in ("locations", "figures", "events")}}

    t0 = time.perf_counter()
    from newsfacts.expectations.gate import run_gate, write_report

    for run in range(2):
        result = run_gate(tables)
        if run == 0:
            print(f"first gate run incl. GX import: {time.perf_counter() - t0:.2f}s")
        else:
            print(f"second gate run: {result.seconds:.2f}s {result.timings}")
    print(result.summary(30))
    if args.report:
        print(write_report(result, args.report))


if __name__ == "__main__":
    main()
