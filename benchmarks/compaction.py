"""Small Parquet parts before and after compaction: N small runs (every run adds one part to each of six
tables) published into one warehouse, without and with automatic compaction; prints the Parquet file
count, publish seconds (total and the mean of the last 50 publishes), `rebuild()` seconds and `compact()`
seconds, as a table and as JSON.

    uv run python benchmarks/compaction.py [--runs 1000] [--runs-per-day 50]

Runs are spread over days (`--runs-per-day` runs share an ingest date, i.e. a partition); compaction
merges per table and ingest date, so the floor is one part per table per day.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
from newsfacts.warehouse.compaction import CompactionPolicy
from newsfacts.warehouse.publish import LocalWarehouse

from newsfacts.schema import (
    ARTICLES,
    EVENTS,
    FIGURES,
    LOCATIONS,
    REJECTS,
    RUNS,
    conform,
)

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def small_run(n: int, runs_per_day: int) -> dict[str, pl.DataFrame]:
    """One run's rows: 3 articles of ~1.5 KB with a location, a figure and an event each, a reject, its runs row."""
    at = START + timedelta(days=n // runs_per_day, seconds=n % runs_per_day)
    ids = [f"a{n}-{i}" for i in range(3)]
    text = "Armed men attacked a village near Goma on Monday, killing 12 people. " * 22
    frames = {
        "articles": pl.DataFrame({"article_id": ids, "text": [text] * 3, "ingested_at": [at] * 3, "run_id": [f"r{n}"] * 3}),
        "locations": pl.DataFrame({"location_id": [f"l-{i}" for i in ids], "article_id": ids, "start_char": [40] * 3,
                                   "end_char": [44] * 3, "mention_text": ["Goma"] * 3, "country_code": ["CD"] * 3}),
        "figures": pl.DataFrame({"figure_id": [f"f-{i}" for i in ids], "article_id": ids, "start_char": [60] * 3,
                                 "end_char": [62] * 3, "mention_text": ["12"] * 3, "value": [12.0] * 3, "category": ["KILL"] * 3}),
        "events": pl.DataFrame({"event_id": [f"e-{i}" for i in ids], "article_id": ids, "event_type": ["ASSAULT"] * 3,
                                "fatalities": [12] * 3}),
        "rejects": pl.DataFrame({"reject_id": [f"rej-{n}"], "source": [f"bad-{n}.txt"], "reason": ["empty"]}),
        "runs": pl.DataFrame({"run_id": [f"r{n}"], "started_at": [at], "status": ["completed"]}),
    }
    schemas = {"articles": ARTICLES, "locations": LOCATIONS, "figures": FIGURES, "events": EVENTS,
               "rejects": REJECTS, "runs": RUNS}
    return {t: conform(f, schemas[t]).collect() for t, f in frames.items()}


def parquet_files(root: Path) -> int:
    return sum(1 for _ in (root / "parquet").rglob("part-*.parquet"))


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def scenario(runs: int, runs_per_day: int, policy: CompactionPolicy) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        wh = LocalWarehouse(Path(tmp), compaction=policy)
        seconds = [timed(lambda n=n: wh.publish(f"r{n}", small_run(n, runs_per_day))) for n in range(runs)]
        out = {
            "publish_total_s": round(sum(seconds), 2),
            "publish_last50_mean_s": round(sum(seconds[-50:]) / len(seconds[-50:]), 4),
            "files": parquet_files(wh.root),
            "rebuild_s": round(timed(wh.rebuild), 2),
        }
        if not policy.auto:
            out["compact_s"] = round(timed(wh.compact), 2)
            out["files_after_compact"] = parquet_files(wh.root)
            out["rebuild_after_compact_s"] = round(timed(wh.rebuild), 2)
        out["rows"] = sum(wh.row_counts().values())
        out["commits"] = len(wh.commits())
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--runs-per-day", type=int, default=50)
    args = parser.parse_args()
    results = {}
    for name, policy in (
        ("never compacted, then `compact()` once", CompactionPolicy(auto=False)),
        ("automatic compaction (defaults)", CompactionPolicy()),
    ):
        results[name] = scenario(args.runs, args.runs_per_day, policy)
        print(name, json.dumps(results[name]), flush=True)  # each scenario as soon as it is measured
    keys = sorted({k for r in results.values() for k in r}, key=lambda k: list(results[next(iter(results))]).index(k)
                  if k in results[next(iter(results))] else 99)
    print(f"{args.runs} runs, {args.runs_per_day} per day\n")
    print("| | " + " | ".join(keys) + " |")
    print("|---|" + "---:|" * len(keys))
    for name, r in results.items():
        print(f"| {name} | " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
    print(json.dumps({"runs": args.runs, "runs_per_day": args.runs_per_day, "results": results}, indent=1))


if __name__ == "__main__":
    main()
