"""Score event extraction on the dev gold files without the full pipeline.

    uv run python benchmarks/score_events.py [--dump N] [--figures]
    uv run python benchmarks/score_events.py --halves [--confusion] [--fatal-dump N]
    uv run python benchmarks/score_events.py --full --dump 20 benchmarks/data/event_challenge.jsonl

FILES are dev file names (`case2021_dev`, looked up in ../shared/eval/dev) or paths to JSONL files in the
same shape (benchmarks/data/event_challenge.jsonl: invented snippets written without reading the coder or
the dev data, a check of how the rules generalise).

`--halves` splits every dev file deterministically into half A (crc32 of the doc_id even)
and half B (odd), runs the real extraction DAG once per file, and prints the issue-7
metrics per half (ACLED type / sub-event accuracy, fatalities exact, false-positive rate
and MAE, location within 25 / 161 km; CASE 2021 type / sub-event; PLOVER top-1; seed),
so a rule developed on half A is kept only when half B gains too.

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
import zlib
from collections import Counter
from pathlib import Path

import polars as pl
from devscore import DEV_DIR, ROOT, MemoryWarehouse, gold_articles, load_scorer
from newsfacts.reference.events import load_actor_dictionary, load_event_lexicon
from newsfacts.transforms.events import extract_events
from newsfacts.transforms.sentences import split_sentences

from newsfacts.schema import FIGURES, LOCATIONS, empty


def run_full(docs: list[dict]) -> pl.DataFrame:
    """The real extraction DAG (locations, figures, events) via newsfacts.transforms.facts."""
    from newsfacts.reference.loader import load_reference
    from newsfacts.transforms.facts import extract_facts

    from newsfacts.settings import Settings

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


def half_of(doc_id: str) -> str:
    """The dev-split half of a gold document: A when crc32(doc_id) is even, else B."""
    return "A" if zlib.crc32(doc_id.encode("utf-8")) % 2 == 0 else "B"


HALF_FILES = ["acled_dev", "case2021_dev", "plover_gsr", "seed"]


def print_confusion(label: str, docs: list[dict], tops: dict) -> None:
    """Sub-event confusion of `docs` (gold -> the top coded event's, errors only) to stderr; `tops`: the
    official scorer's top_events."""
    pairs = Counter()
    for d in docs:
        coded = [e for e in tops.get(d["doc_id"], []) if e.get("acled_sub_event_type")]
        pairs[(d["doc_labels"].get("acled_sub_event_type"), coded[0]["acled_sub_event_type"] if coded else "none")] += 1
    print(f"== {label} confusion (gold -> pred, errors only)", file=sys.stderr)
    for (gold, pred), n in pairs.most_common():
        if gold != pred:
            print(f"  {n:3d}  {gold} -> {pred}", file=sys.stderr)


def halves_report(evaluate, confusion: bool, fatal_dump: int, only: str | None) -> dict:
    """Issue-7 metrics per dev half (see the module docstring)."""
    report: dict = {}
    for name in HALF_FILES:
        docs = evaluate.load(DEV_DIR / f"{name}.jsonl")
        t = time.perf_counter()
        ev = run_full(docs)
        seconds = time.perf_counter() - t
        wh = MemoryWarehouse({"events": ev}, docs)
        for half in ("A", "B"):
            part = [d for d in docs if name == "seed" or half_of(d["doc_id"]) == half]
            if name == "seed" and half == "B":
                continue
            out: dict = {"docs": len(part)}
            if "events" in part[0]:
                out["plover_top1"] = evaluate.score_plover(part, wh)["top1_accuracy"]
            if any("acled_sub_event_type" in d.get("doc_labels", {}) for d in part):
                acled = evaluate.score_acled_labels(part, wh)
                out.update({k: v for k, v in acled.items() if not k.endswith("macro_f1")})
            report[f"{name}/{half}" if name != "seed" else name] = out
            if only and half != only:
                continue
            tops = evaluate.top_events(wh)
            if confusion and name in ("acled_dev", "case2021_dev"):
                print_confusion(f"{name}/{half}", part, tops)
            if fatal_dump and name == "acled_dev":
                shown = 0
                for d in part:
                    lab = d["doc_labels"]
                    mine = tops.get(d["doc_id"], [])
                    pred = max((int(e["fatalities"]) for e in mine if e.get("fatalities") is not None), default=0)
                    gold = int(lab["fatalities"])
                    if pred != gold and (gold == 0 or lab.get("fatalities_literal")) and shown < fatal_dump:
                        shown += 1
                        print(f"--- {name}/{half} gold={gold} pred={pred}\n    {d['text'][:400]!r}", file=sys.stderr)
        report[f"{name}/_seconds"] = round(seconds, 2)
    return report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--halves", action="store_true", help="issue-7 metrics per dev half (A / B)")
    ap.add_argument("--confusion", action="store_true", help="sub-event confusion (per half with --halves)")
    ap.add_argument("--fatal-dump", type=int, default=0, help="with --halves: print N fatality errors per half")
    ap.add_argument("--only", choices=["A", "B"], help="with --halves: dump errors of this half only")
    ap.add_argument("--dump", type=int, default=0, help="print N misclassified docs per file")
    ap.add_argument("--figures", "--full", action="store_true", help="use the real locations/figures transforms")
    ap.add_argument("files", nargs="*", default=["plover_gsr", "case2021_dev", "seed"])
    args = ap.parse_args()
    evaluate = load_scorer()
    if args.halves:
        print(json.dumps(halves_report(evaluate, args.confusion, args.fatal_dump, args.only), indent=1))
        return
    report = {}
    for name in args.files:
        docs = evaluate.load(Path(name) if name.endswith(".jsonl") else DEV_DIR / f"{name}.jsonl")
        ev = run(docs, args.figures)
        wh = MemoryWarehouse({"events": ev}, docs)
        out = {}
        if "events" in docs[0]:
            out["plover"] = evaluate.score_plover(docs, wh)
        if any("acled_sub_event_type" in d.get("doc_labels", {}) for d in docs):
            out["acled"] = evaluate.score_acled_labels(docs, wh)
        report[name] = out
        if args.confusion and "acled" in out:
            print_confusion(name, docs, evaluate.top_events(wh))
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
