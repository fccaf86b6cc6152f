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
import importlib.util
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsfacts.reference.figures import load_figure_lexicon  # noqa: E402
from newsfacts.transforms.figures import extract_figures  # noqa: E402

EVAL = Path("/work/shared/eval")
if not EVAL.exists():
    EVAL = ROOT.parent / "shared" / "eval"


def load_scorer():
    spec = importlib.util.spec_from_file_location("nf_evaluate", EVAL / "evaluate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class FakeWarehouse:
    """What `score_figures` reads: rows('figures', cols) grouped by doc_id."""

    def __init__(self, figures: pl.DataFrame):
        self.by_doc: dict[str, list[dict]] = defaultdict(list)
        for r in figures.sort("article_id", "start_char").iter_rows(named=True):
            self.by_doc[r["article_id"]].append(r)

    def rows(self, table: str, wanted: list[str]) -> dict[str, list[dict]]:
        return {k: [{c: r.get(c) for c in wanted} for r in v] for k, v in self.by_doc.items()}


def articles_frame(docs: list[dict]) -> pl.LazyFrame:
    return pl.LazyFrame(
        {"article_id": [d["doc_id"] for d in docs], "text": [d["text"] for d in docs]},
        schema={"article_id": pl.String, "text": pl.String},
    )


def score(docs: list[dict], lexicon: pl.DataFrame) -> tuple[dict, pl.DataFrame]:
    ev = load_scorer()
    figs = extract_figures(articles_frame(docs), lexicon).collect()
    return ev.score_figures(docs, FakeWarehouse(figs)), figs


def show_errors(docs: list[dict], figs: pl.DataFrame) -> None:
    ev = load_scorer()
    wh = FakeWarehouse(figs)
    for d in docs:
        mine = wh.by_doc.get(d["doc_id"], [])
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
                    default=[EVAL / "dev" / "newsquant_dev.jsonl", EVAL / "dev" / "seed.jsonl"])
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
        frame = articles_frame(docs)
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
