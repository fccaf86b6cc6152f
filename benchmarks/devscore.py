"""In-process dev scoring: the extraction DAG on gold texts, scored by ../shared/eval/evaluate.py's own functions.

    uv run python benchmarks/devscore.py [GOLD.jsonl ...]      # default: every dev file

The same metrics as `evaluate.py` but with no Prefect run and no warehouse, so a tuning loop takes
seconds. One difference: evaluate.py's pipeline run merges gold documents with identical text into
one article (content ids), which here stay apart. The task scripts beside this one
(score_figures.py, score_locations.py, score_events.py) reuse these helpers to list errors.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT.parent / "shared" / "eval"
DEV_DIR = EVAL_DIR / "dev"


def load_scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("newsfacts_eval", EVAL_DIR / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_gold(path: Path | str) -> list[dict]:
    path = Path(path)
    if not path.exists():
        path = DEV_DIR / f"{path}.jsonl"
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gold_articles(docs: list[dict]) -> pl.LazyFrame:
    """Gold documents as an articles frame keyed by doc_id (as evaluate.py feeds them: no title, no date)."""
    return pl.LazyFrame(
        {
            "article_id": [d["doc_id"] for d in docs],
            "text": [d["text"] for d in docs],
            "title": [None] * len(docs),
            "published_at": [None] * len(docs),
        },
        schema={"article_id": pl.String, "text": pl.String, "title": pl.String, "published_at": pl.Datetime("us", "UTC")},
    )


class MemoryWarehouse:
    """What evaluate.py's scorers read from a warehouse (rows per doc_id, texts), from frames in memory."""

    def __init__(self, tables: dict[str, pl.DataFrame], docs: list[dict]) -> None:
        self.text_of = {d["doc_id"]: d["text"] for d in docs}
        self.by_table: dict[str, dict[str, list[dict]]] = {}
        for name, frame in tables.items():
            grouped: dict[str, list[dict]] = defaultdict(list)
            order = [c for c in ("article_id", "start_char", "trigger_start") if c in frame.columns]
            for row in frame.sort(order).iter_rows(named=True):
                grouped[row["article_id"]].append(row)
            self.by_table[name] = grouped

    def rows(self, table: str, wanted: list[str]) -> dict[str, list[dict]]:
        return {
            doc: [{c: r.get(c) for c in wanted if c in r} for r in rows]
            for doc, rows in self.by_table.get(table, {}).items()
        }


def main() -> None:
    from newsfacts.reference.loader import load_reference
    from newsfacts.settings import Settings
    from newsfacts.transforms.facts import extract_facts

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gold", nargs="*", default=sorted(DEV_DIR.glob("*.jsonl")))
    ap.add_argument("--json", type=Path, help="also write the metrics here")
    args = ap.parse_args()
    scorer = load_scorer()
    reference = load_reference(Settings())
    files = {Path(p).stem: load_gold(p) for p in args.gold}
    everything = [d for docs in files.values() for d in docs]
    started = time.perf_counter()
    facts = extract_facts(gold_articles(everything), reference)
    seconds = time.perf_counter() - started
    warehouse = MemoryWarehouse(facts, everything)
    report: dict = {"_extract": {"docs": len(everything), "seconds": round(seconds, 2),
                                 "docs_per_second": round(len(everything) / seconds, 1)}}
    for name, docs in files.items():
        report[name] = scorer.score_file(docs, warehouse)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
