"""Extraction throughput and memory on N news-length articles, in this process.

    uv run python benchmarks/throughput.py --docs 5000 --batch 500 [--repeat 3]

The articles are benchmarks/scale.py's corpus (about 1.5 KB each, paragraphs drawn from `seeds/articles/`
and the dev texts). Measures the steps of `extract_facts` (the transforms, no Prefect, no publishing) batch
by batch as the flow runs them, plus the one-off cost of loading reference data, after a warm-up on 20
articles. Each of `--repeat` passes over the corpus is timed step by step in CPU seconds of this process
(`time.process_time`, polars' threads included: steadier than wall seconds on a shared machine) and in wall
seconds; the JSON gives the best pass's totals and, per step, the best CPU seconds per 1,000 articles. For
the whole CLI, several sizes and a process pool, see benchmarks/scale.py.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import scale
from newsfacts.reference.loader import load_reference
from newsfacts.transforms.facts import STEPS, ReferenceData, extract_facts

from newsfacts.settings import Settings


def one_pass(articles, reference: ReferenceData, batch: int) -> tuple[dict[str, float], float, float, dict[str, int]]:
    """CPU seconds per step, total CPU and wall seconds, and rows per table of one pass over `articles`."""
    wall, total = time.perf_counter(), time.process_time()
    cpu, rows = scale.timed_extract(articles, reference, batch, clock=time.process_time)
    return cpu, time.process_time() - total, time.perf_counter() - wall, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=1, help="passes over the corpus; the best is reported")
    args = ap.parse_args()
    settings = Settings()

    started = time.perf_counter()
    reference = load_reference(settings)
    reference_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus.jsonl"
        scale.write_jsonl(scale.build_corpus(args.docs, seed=args.docs, pool=scale.paragraphs()), corpus)
        articles = scale.corpus_articles(corpus)
    extract_facts(articles.head(20).lazy(), reference)  # warm-up: first-call and per-process preparation

    passes = [one_pass(articles, reference, args.batch) for _ in range(args.repeat)]
    _, cpu, seconds, rows = min(passes, key=lambda p: p[1])
    per_1000 = {step: round(min(p[0][step] for p in passes) * 1000 / articles.height, 3) for step in STEPS}
    chars = articles["text"].str.len_chars().sum()
    print(
        json.dumps(
            {
                "docs": articles.height,
                "batch": args.batch,
                "repeat": args.repeat,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "reference_load_s": round(reference_s, 2),
                "extract_s": round(seconds, 2),
                "extract_cpu_s": round(cpu, 2),
                "docs_per_s": round(articles.height / seconds, 1),
                "docs_per_cpu_s": round(articles.height / cpu, 1),
                "chars_per_s": round(chars / seconds),
                "cpu_s_per_1000_by_step": per_1000,
                "all_cpu_s_per_1000": [round(p[1] * 1000 / articles.height, 3) for p in passes],
                "rows": rows,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
