"""Extraction throughput and memory on the bundled articles, replicated to N documents.

    uv run python benchmarks/throughput.py --docs 5000 --batch 500

Measures `extract_facts` (the transforms, no Prefect, no publishing) batch by batch as the flow runs it,
plus the one-off cost of loading reference data. Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import datetime, timezone

import polars as pl

from newsfacts.reference.loader import load_reference
from newsfacts.settings import Settings
from newsfacts.sources.readers import RawRecord, expand_sources, read_source
from newsfacts.transforms.articles import RAW_RECORDS, build_articles
from newsfacts.transforms.facts import extract_facts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    settings = Settings()

    started = time.perf_counter()
    reference = load_reference(settings)
    reference_s = time.perf_counter() - started

    records = [
        r.__dict__
        for path in expand_sources([str(settings.articles_dir)])
        for r in read_source(path, max_chars=settings.max_article_chars)
        if isinstance(r, RawRecord)
    ]
    base = pl.DataFrame(records, schema=RAW_RECORDS)
    reps = -(-args.docs // base.height)
    corpus = pl.concat(
        [base.with_columns(text=pl.col("text") + f"\n\n(copy {i})", doc_id=pl.col("doc_id") + f"#{i}") for i in range(reps)]
    ).head(args.docs)
    articles = build_articles(corpus.lazy(), run_id="bench", ingested_at=datetime.now(timezone.utc)).collect()

    rows = {"locations": 0, "figures": 0, "events": 0}
    started = time.perf_counter()
    for offset in range(0, articles.height, args.batch):
        facts = extract_facts(articles.slice(offset, args.batch).lazy(), reference)
        for name in rows:
            rows[name] += facts[name].height
    seconds = time.perf_counter() - started
    chars = articles["text"].str.len_chars().sum()
    print(
        json.dumps(
            {
                "docs": articles.height,
                "batch": args.batch,
                "reference_load_s": round(reference_s, 2),
                "extract_s": round(seconds, 2),
                "docs_per_s": round(articles.height / seconds, 1),
                "chars_per_s": round(chars / seconds),
                "rows": rows,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
