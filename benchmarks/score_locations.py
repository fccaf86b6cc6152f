"""Score `extract_locations` on dev gold files with the official scorer's logic.

    uv run python benchmarks/score_locations.py [gold.jsonl ...] [--errors N]

Calls the transform directly (no pipeline run) and feeds its rows to
evaluate.score_locations through a minimal in-memory stand-in for the warehouse.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import polars as pl
from devscore import DEV_DIR as DEV
from devscore import ROOT, MemoryWarehouse, gold_articles, load_scorer
from newsfacts.reference.gazetteer import load_gazetteer
from newsfacts.transforms.locations import extract_locations


def predict(docs: list[dict], gaz: pl.DataFrame) -> tuple[MemoryWarehouse, float]:
    t = time.perf_counter()
    out = extract_locations(gold_articles(docs), gaz).collect()
    return MemoryWarehouse({"locations": out}, docs), time.perf_counter() - t


def show_errors(docs, pred, ev, n):
    fp, fn, far = [], [], []
    for d in docs:
        gold = d["locations"]
        mine = pred.get(d["doc_id"], [])
        for g in gold:
            hit = [p for p in mine if min(g["end"], p["end_char"]) - max(g["start"], p["start_char"]) > 0]
            if not hit:
                fn.append(g["surface"])
            else:
                p = hit[0]
                km = ev.haversine_km(g["lat"], g["lon"], p["latitude"], p["longitude"])
                if km > 161:
                    far.append((g["surface"], g.get("name"), p["place_name"], p["feature_type"], p["country_code"], round(km)))
        for p in mine:
            if not any(min(g["end"], p["end_char"]) - max(g["start"], p["start_char"]) > 0 for g in gold):
                fp.append((p["mention_text"], p["mention_kind"], p["feature_type"], p["country_code"]))
    from collections import Counter
    print("  FN:", Counter(fn).most_common(n))
    print("  FP:", Counter(fp).most_common(n))
    print("  FAR:", Counter(far).most_common(n))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*", type=Path,
                    default=[DEV / "geowebnews.jsonl", DEV / "trnews.jsonl", DEV / "seed.jsonl"])
    ap.add_argument("--errors", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newsfacts-gazetteer")
    args = ap.parse_args()
    ev = load_scorer()
    t = time.perf_counter()
    gaz = load_gazetteer(ROOT / "seeds", args.cache)
    print(f"gazetteer: {gaz.height} rows, loaded in {time.perf_counter() - t:.2f}s")
    for f in args.files:
        docs = [json.loads(line) for line in f.open(encoding="utf-8")]
        pred, secs = predict(docs, gaz)
        res = ev.score_locations(docs, pred)
        chars = sum(len(d["text"]) for d in docs)
        print(f"{f.name}: {json.dumps(res)}  [{len(docs)} docs, {secs:.2f}s, {len(docs) / secs:.0f} docs/s, "
              f"{chars / secs / 1e6:.2f} MB/s]")
        if args.errors:
            show_errors(docs, pred.by_table["locations"], ev, args.errors)


if __name__ == "__main__":
    main()
