"""Extraction throughput and memory on N news-length articles, in this process.

    uv run python benchmarks/throughput.py --docs 5000 --batch 500

The articles are benchmarks/scale.py's corpus (about 1.5 KB each, paragraphs drawn from `seeds/articles/`
and the dev texts). Measures `extract_facts` (the transforms, no Prefect, no publishing) batch by batch
as the flow runs it, plus the one-off cost of loading reference data. Prints JSON. For the whole CLI,
several sizes and a process pool, see benchmarks/scale.py.
"""
from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import scale
from newsfacts.reference.loader import load_reference
from newsfacts.transforms.facts import extract_facts

from newsfacts.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    settings = Settings()

    started = time.perf_counter()
    reference = load_reference(settings)
    reference_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus.jsonl"
        scale.write_jsonl(scale.build_corpus(args.docs, seed=args.docs, pool=scale.paragraphs()), corpus)
        articles = scale.corpus_articles(corpus)

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
