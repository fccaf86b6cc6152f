"""Score event extraction on the dev gold files without the full pipeline.

    uv run python benchmarks/score_events.py [--dump N] [--figures]

Runs split_sentences + extract_events on the gold texts (no published_at, like the
official scorer's JSONL input; empty locations, and figures from the figures
transforms with `--full`), then applies the official scorer's
score_plover / score_acled_labels via a tiny in-memory stand-in for its Warehouse.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import polars as pl

from newsfacts.reference.events import load_actor_dictionary, load_event_lexicon
from newsfacts.schema import FIGURES, LOCATIONS, empty
from newsfacts.transforms.events import extract_events
from newsfacts.transforms.sentences import split_sentences

from devscore import DEV_DIR, ROOT, MemoryWarehouse, gold_articles, load_scorer


def run_full(docs: list[dict]) -> pl.DataFrame:
    """The real extraction DAG (locations, figures, events) via newsfacts.transforms.facts."""
    from newsfacts.reference.loader import load_reference
    from newsfacts.settings import Settings
    from newsfacts.transforms.facts import extract_facts

    global _REF
    if _REF is None:
        _REF = load_reference(Settings())
    return extract_facts(gold_articles(docs), _REF)["events"]


_REF = None


def run(docs: list[dict], use_figures: bool) -> pl.DataFrame:
    if use_figures:
        return run_full(docs)
    arts = gold_articles(docs).collect()
    sents = split_sentences(arts.lazy())
    figures = empty(FIGURES).lazy()
    lex = load_event_lexicon(ROOT / "seeds")
    actors = load_actor_dictionary(ROOT / "seeds")
    t = time.perf_counter()
    ev = extract_events(arts.lazy(), sents, empty(LOCATIONS).lazy(), figures, lex, actors).collect()
    print(f"{len(docs)} docs, {ev.height} events in {time.perf_counter() - t:.2f}s", file=sys.stderr)
    return ev


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", type=int, default=0, help="print N misclassified docs per file")
    ap.add_argument("--figures", "--full", action="store_true", help="use the real locations/figures transforms")
    ap.add_argument("files", nargs="*", default=["plover_gsr", "case2021_dev", "seed"])
    args = ap.parse_args()
    evaluate = load_scorer()
    report = {}
    for name in args.files:
        docs = evaluate.load(DEV_DIR / f"{name}.jsonl")
        ev = run(docs, args.figures)
        wh = MemoryWarehouse({"events": ev}, docs)
        out = {}
        if "events" in docs[0]:
            out["plover"] = evaluate.score_plover(docs, wh)
        if any("acled_sub_event_type" in d.get("doc_labels", {}) for d in docs):
            out["acled"] = evaluate.score_acled_labels(docs, wh)
        report[name] = out
        if args.dump:
            tops = evaluate.top_events(wh)
            shown = 0
            for d in docs:
                mine = tops.get(d["doc_id"], [])
                if "events" in d:
                    gold = {e["type"] for e in d["events"]}
                    pred = mine[0]["event_type"] if mine else None
                    ok = pred in gold
                    detail = [(e["event_type"], round(e["confidence"], 2)) for e in mine[:4]]
                else:
                    gold = d["doc_labels"].get("acled_sub_event_type")
                    coded = [e for e in mine if e.get("acled_sub_event_type")]
                    pred = coded[0]["acled_sub_event_type"] if coded else None
                    ok = gold is None or pred == gold
                    detail = [(e["acled_sub_event_type"], round(e["confidence"], 2)) for e in coded[:4]]
                if not ok and shown < args.dump:
                    shown += 1
                    sub = ev.filter(pl.col("article_id") == d["doc_id"]).sort("confidence", descending=True)
                    trig = list(zip(sub["trigger_text"].to_list(), sub["event_type"].to_list()))[:5]
                    print(f"--- gold={gold} pred={pred} {detail}\n    {trig}\n    {d['text'][:300]!r}")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
