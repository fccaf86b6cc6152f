"""Equality harness for the extract stage: the fact tables of a fixed set of texts, saved and compared.

    uv run python benchmarks/extract_equality.py save /tmp/eq/before      # with the code to compare against
    uv run python benchmarks/extract_equality.py save /tmp/eq/after --inputs /tmp/eq/before   # after a change
    uv run python benchmarks/extract_equality.py compare /tmp/eq/before /tmp/eq/after

`save` runs `newsfacts.transforms.facts.extract_facts` in batches of `--batch` (500, as the flow does) over
three groups of texts and writes each group's fact tables as `<group>_<table>.parquet` into the folder:

* `dev`: every text of `../shared/eval/dev/*.jsonl` (read at run time, never copied into the repository),
  fed as the dev scorer feeds them (article_id = doc_id, no title, no date);
* `seeds`: the bundled articles of `seeds/articles/` read by the project's readers and built into articles as
  a run does (titles, dates, language detection);
* `bench`: `--bench-docs` (2,000) articles of benchmarks/scale.py's corpus (paragraphs of both, seed fixed).

The input articles are saved beside the tables (`<group>_input.parquet`); `save --inputs EARLIER_FOLDER`
extracts from exactly those, so a later change to the readers or the dev files does not show up as a
difference of the extract stage.

`compare` checks every table of the first folder against the second, row for row (same rows, values, order
and dtypes: `polars.testing.assert_frame_equal`), prints one line per table and exits 1 on any difference.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import devscore
import polars as pl
import scale
from polars.testing import assert_frame_equal

ROOT = Path(__file__).resolve().parents[1]
DEV_DIR = ROOT.parent / "shared" / "eval" / "dev"
SEED_DIR = ROOT / "seeds" / "articles"


def dev_articles() -> pl.DataFrame:
    """Every dev text, as the dev scorer feeds them (benchmarks/devscore.py)."""
    docs = [d for path in sorted(DEV_DIR.glob("*.jsonl")) for d in devscore.load_gold(path)]
    return devscore.gold_articles(docs).collect()


def seed_articles() -> pl.DataFrame:
    from newsfacts.sources.readers import expand_sources, read_source
    from newsfacts.sources.records import RawRecord
    from newsfacts.sources.language import detect as detect_language
    from newsfacts.transforms.articles import RAW_RECORDS, build_articles

    from newsfacts.settings import Settings

    records = [
        item
        for path in expand_sources([str(SEED_DIR)])
        for item in read_source(path, max_chars=Settings().max_article_chars)
        if isinstance(item, RawRecord)
    ]
    raw = pl.DataFrame([vars(r) for r in records], schema=RAW_RECORDS)
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return build_articles(raw.lazy(), run_id="equality", ingested_at=when, detect=detect_language).collect()


def bench_articles(docs: int) -> pl.DataFrame:
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus.jsonl"
        scale.write_jsonl(scale.build_corpus(docs, seed=docs, pool=scale.paragraphs()), corpus)
        return scale.corpus_articles(corpus).drop("ingested_at", "run_id", strict=False).with_columns(source=pl.lit("bench"))


def save(folder: Path, batch: int, bench_docs: int, inputs: Path | None) -> None:
    from newsfacts.reference.loader import load_reference
    from newsfacts.transforms.facts import extract_facts

    from newsfacts.settings import Settings

    reference = load_reference(Settings())
    folder.mkdir(parents=True, exist_ok=True)
    if inputs is not None:  # the very articles of an earlier save (readers elsewhere may have changed since)
        groups = {p.name.removesuffix("_input.parquet"): pl.read_parquet(p) for p in sorted(inputs.glob("*_input.parquet"))}
    else:
        groups = {"dev": dev_articles(), "seeds": seed_articles()}
        if bench_docs:
            groups["bench"] = bench_articles(bench_docs)
    for group, articles in groups.items():
        articles.write_parquet(folder / f"{group}_input.parquet")
    for group, articles in groups.items():
        started = time.process_time()
        parts = [
            extract_facts(articles.slice(offset, batch).lazy(), reference)
            for offset in range(0, articles.height, batch)
        ]
        seconds = time.process_time() - started
        for table in parts[0]:
            frame = pl.concat([p[table] for p in parts], how="vertical")
            frame.write_parquet(folder / f"{group}_{table}.parquet")
            print(f"{group:6s} {table:10s} {frame.height:7d} rows")
        print(f"{group:6s} {articles.height} articles, extract {seconds:.2f} CPU s")


def compare(before: Path, after: Path) -> int:
    failed = 0
    names = sorted(p.name for p in before.glob("*.parquet") if not p.name.endswith("_input.parquet"))
    if not names:
        print(f"no tables in {before}")
        return 1
    for name in names:
        left = pl.read_parquet(before / name)
        if not (after / name).exists():
            print(f"MISSING {name}")
            failed += 1
            continue
        right = pl.read_parquet(after / name)
        try:
            assert_frame_equal(left, right, check_exact=True)
            print(f"same    {name} ({left.height} rows)")
        except AssertionError as exc:
            failed += 1
            print(f"DIFFERS {name}: {left.height} vs {right.height} rows\n{str(exc)[:2000]}")
    return 1 if failed else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("save")
    s.add_argument("folder", type=Path)
    s.add_argument("--batch", type=int, default=500)
    s.add_argument("--bench-docs", type=int, default=2000)
    s.add_argument("--inputs", type=Path, help="reuse the input articles saved in this folder by an earlier save")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = ap.parse_args()
    if args.command == "save":
        save(args.folder, args.batch, args.bench_docs, args.inputs)
    else:
        sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
