"""Score the figures extractor on dev gold without the full pipeline.

    uv run python benchmarks/score_figures.py [GOLD.jsonl ...] [--errors] [--throughput N]

Runs `extract_figures` on each gold document's text and applies the official
scorer's `score_figures` (imported from ../shared/eval/evaluate.py) through a
stand-in for its warehouse reader. `--errors` prints per-document misses and false
positives; `--throughput N` replicates the texts to N documents and times
`extract_figures(...).collect()`.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import polars as pl

from devscore import DEV_DIR, ROOT, MemoryWarehouse, gold_articles, load_scorer

from newsfacts.reference.figures import load_figure_lexicon
from newsfacts.transforms.figures import extract_figures


def score(docs: list[dict], lexicon: pl.DataFrame) -> tuple[dict, pl.DataFrame]:
    ev = load_scorer()
    figs = extract_figures(gold_articles(docs), lexicon).collect()
    return ev.score_figures(docs, MemoryWarehouse({"figures": figs}, docs)), figs


def show_errors(docs: list[dict], figs: pl.DataFrame) -> None:
    ev = load_scorer()
    by_doc = MemoryWarehouse({"figures": figs}, docs).by_table["figures"]
    for d in docs:
        mine = by_doc.get(d["doc_id"], [])
        used: set[int] = set()
        missed = []
        for q in d["figures"]:
            lo, hi = ev.parse_gold_value(q)
            for i, p in enumerate(mine):
                if i in used:
                    continue
                v, plo, phi = p["value"], p["value_low"], p["value_high"]
                if (ev.close(v, lo) if lo == hi else (lo - 1e-9 <= v <= hi + 1e-9 or (plo <= hi and phi >= lo))):
                    used.add(i)
                    break
            else:
                missed.append(q)
        fps = [p for i, p in enumerate(mine) if i not in used]
        if missed or fps:
            print("##", d["text"][:3000].replace("\n", " / ") if len(d["text"]) < 600 else d["doc_id"])
            for q in missed:
                print("   MISS", q.get("value"), q.get("change"), repr(q.get("surface")), q.get("value_range") or "")
            for p in fps:
                print("   FP  ", p["value"], p["qualifier"], repr(p["mention_text"]), p["category"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("gold", nargs="*", type=Path,
                    default=[DEV_DIR / "newsquant_dev.jsonl", DEV_DIR / "seed.jsonl"])
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--throughput", type=int, default=0)
    args = ap.parse_args()
    lexicon = load_figure_lexicon(ROOT / "seeds")
    everything = []
    for path in args.gold:
        docs = [json.loads(x) for x in path.open(encoding="utf-8") if x.strip()]
        everything += docs
        result, figs = score(docs, lexicon)
        print(path.stem, json.dumps(result))
        if args.errors:
            show_errors(docs, figs)
    if args.throughput:
        n = args.throughput
        docs = [dict(d, doc_id=f"{d['doc_id']}#{i}") for i in range(n // len(everything) + 1) for d in everything][:n]
        frame = gold_articles(docs)
        chars = sum(len(d["text"]) for d in docs)
        extract_figures(frame.head(50), lexicon).collect()  # warm-up: lexicon compile
        t, c = time.perf_counter(), time.process_time()
        rows = extract_figures(frame, lexicon).collect().height
        dt, dc = time.perf_counter() - t, time.process_time() - c
        print(f"throughput: {n} docs, {chars / n:.0f} chars/doc avg, {rows} figures, "
              f"wall {dt:.2f} s = {n / dt:.0f} docs/s ({chars / dt / 1e6:.2f} MB/s), "
              f"cpu {dc:.2f} s = {n / dc:.0f} docs/cpu-s")


if __name__ == "__main__":
    main()
