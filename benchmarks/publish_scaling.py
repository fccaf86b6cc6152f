"""Publish cost against warehouse size: 1,000 articles (with their real facts) published N times into one
warehouse; prints seconds per publish. Publishing should cost what the run adds, not what the warehouse holds.

    uv run python benchmarks/publish_scaling.py [--runs 40] [--articles 1000]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from newsfacts.reference.loader import load_reference
from newsfacts.schema import PRIMARY_KEYS
from newsfacts.settings import Settings
from newsfacts.sources.readers import expand_sources, read_source
from newsfacts.sources.records import RawRecord
from newsfacts.sources.language import detect as detect_language
from newsfacts.transforms.articles import RAW_RECORDS, build_articles
from newsfacts.transforms.facts import extract_facts
from newsfacts.warehouse.publish import LocalWarehouse

FOREIGN = ("article_id", "event_id", "location_id")


def one_run(n: int) -> dict[str, pl.DataFrame]:
    settings = Settings()
    records = [
        r.__dict__ for p in expand_sources([str(settings.articles_dir)]) for r in read_source(p, max_chars=10**6)
        if isinstance(r, RawRecord)
    ]
    rows = [{**records[i % len(records)], "text": records[i % len(records)]["text"] + f"\nUpdate {i}."} for i in range(n)]
    articles = build_articles(pl.DataFrame(rows, schema=RAW_RECORDS).lazy(), run_id="r", ingested_at=datetime.now(timezone.utc), detect=detect_language).collect()
    facts = extract_facts(articles.lazy(), load_reference(settings))
    return {"articles": articles, **{t: facts[t] for t in ("locations", "figures", "events")}}


def renamed(tables: dict[str, pl.DataFrame], run: int) -> dict[str, pl.DataFrame]:
    """The same rows under new ids (every key and reference gets the run's suffix)."""
    out = {}
    for name, frame in tables.items():
        keys = [c for c in (PRIMARY_KEYS[name], *FOREIGN) if c in frame.columns]
        out[name] = frame.with_columns([pl.col(c) + f"-{run}" for c in dict.fromkeys(keys)])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()
    base = one_run(args.articles)
    with tempfile.TemporaryDirectory() as tmp:
        wh = LocalWarehouse(Path(tmp))
        timings = []
        for run in range(args.runs):
            started = time.perf_counter()
            wh.publish(f"run{run:04d}", renamed(base, run))
            timings.append(round(time.perf_counter() - started, 3))
            print(f"publish {run + 1:>3}: warehouse {(run + 1) * args.articles:>7} articles, {timings[-1]:.2f} s", flush=True)
        size_mb = wh.db_path.stat().st_size / 1e6
    first, last = sum(timings[:3]) / 3, sum(timings[-3:]) / 3
    print(json.dumps({"articles_per_run": args.articles, "runs": args.runs, "first_3_mean_s": round(first, 3),
                      "last_3_mean_s": round(last, 3), "ratio": round(last / first, 2), "db_mb": round(size_mb, 1)}))


if __name__ == "__main__":
    main()
