"""Language step speed and its English safety: articles per second over 10,000 news-length texts, and how many
English texts of the shared eval set it would keep from extraction (taken for another language).

    uv run python benchmarks/language_detect.py [--n 10000] [--chars 3000]

Texts: documents of `../shared/eval/dev/*.jsonl` (all English news) joined until each is about `--chars`
characters long, cycled to `--n` texts. Timed (wall and CPU seconds; the machine is shared): `sources.language.detect`
alone on every text (the worst case: a corpus in which no text is clearly English, so every row asks the
detector), and `build_articles` (whose `language` column asks the detector only for rows without a language
that are not clearly English) against the same frame with the language given: the difference is the language
step's cost in a run over English news.
"""
from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
from newsfacts.sources.language import detect
from newsfacts.sources.language import detect as detect_language
from newsfacts.transforms.articles import build_articles

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev"


def eval_texts() -> list[str]:
    texts = []
    for path in sorted(EVAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text") or ""
            if text.strip():
                texts.append(text)
    return texts


def news_length(texts: list[str], n: int, chars: int) -> list[str]:
    out, current = [], []
    i = 0
    while len(out) < n:
        current.append(texts[i % len(texts)])
        i += 1
        if sum(len(t) for t in current) >= chars:
            out.append("\n\n".join(current))
            current = []
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--chars", type=int, default=3_000)
    args = parser.parse_args()
    docs = eval_texts()
    texts = news_length(docs, args.n, args.chars)
    detect("warm up: load the model")

    start, cpu = time.perf_counter(), time.process_time()
    found = [detect(t) for t in texts]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"detect: {len(texts)} texts of ~{args.chars} chars in {seconds:.2f} s ({cpu:.2f} s CPU) = "
          f"{len(texts) / seconds:.0f} articles/s ({len(texts) / cpu:.0f} per CPU second)")

    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    frame = pl.DataFrame({"doc_id": [str(i) for i in range(len(texts))], "text": texts})
    timings = {}
    for label, language in (("detected", None), ("given", "en")):
        records = frame.with_columns(language=pl.lit(language, dtype=pl.String)).lazy()
        start, cpu = time.perf_counter(), time.process_time()
        languages = build_articles(records, run_id="bench", ingested_at=now, detect=detect_language).collect()["language"]
        timings[label] = (time.perf_counter() - start, time.process_time() - cpu)
        if label == "detected":
            print(f"build_articles languages: {languages.value_counts(sort=True).rows()}")
    (wall, cpu), (wall_given, cpu_given) = timings["detected"], timings["given"]
    print(f"build_articles: {wall:.2f} s ({cpu:.2f} s CPU) with detection, {wall_given:.2f} s ({cpu_given:.2f} s CPU) "
          f"with the language given: {len(texts) / wall:.0f} vs {len(texts) / wall_given:.0f} articles/s")

    wrong = [(code, doc[:70]) for doc in docs if (code := detect(doc)) not in (None, "en")]
    unsure = sum(detect(doc) is None for doc in docs)
    print(f"English eval documents: {len(docs)}; taken for another language: {len(wrong)} {wrong[:5]}; "
          f"no confident answer (function-word rule decides): {unsure}; joined news-length texts not 'en': "
          f"{sum(code != 'en' for code in found)}")


if __name__ == "__main__":
    main()
