"""Scale benchmark: the extract stage and the whole `newsfacts run` at several corpus sizes.

    uv run python benchmarks/scale.py                         # 2,000, 20,000 and 50,000 articles
    uv run python benchmarks/scale.py --sizes 2000 --json /tmp/scale.json

For each size a fresh corpus of news-length articles (about 1.5 KB: paragraphs drawn at random
from `seeds/articles/` and the dev texts in ../shared/eval/dev/*.jsonl, read now, never copied
into the repository) is written as JSONL to a new temporary folder, then, each in its own child
process so nothing is cached between sizes:

* extract, single process: `transforms/facts.py`'s steps over batches of `--batch` articles,
  timed step by step (sentences, locations, figures, events, figure links);
* extract, process pool: the same batches through `extract_facts` on `--workers` processes
  (each loads the reference data once; the pool's start-up is reported apart);
* the whole CLI: `newsfacts run CORPUS.jsonl --warehouse NEW_DIR` (its own temporary Prefect
  server unless PREFECT_API_URL is set), with the per-stage seconds it prints, then a second run
  of `--increment` new articles into the same warehouse, so publish seconds can be read against
  the warehouse's size.

Peak RSS is the child's VmHWM (/proc/<pid>/status, polled; it only grows). On the first size the
same articles also go through two registry packages (dev dependencies) for a speed ratio:
quantulum3 against our figures and flashgeotext against our locations, on `--baseline-docs`
articles, plus their scores on the dev gold (the official scorer's functions, as
benchmarks/score_figures.py and score_locations.py use them). Prints a table; `--json FILE` also
writes every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_DIR = ROOT.parent / "shared" / "eval" / "dev"
SEED_DIR = ROOT / "seeds" / "articles"
MAX_PARAGRAPH = 2500


# ---------------------------------------------------------------------------------------- corpus


def paragraphs() -> list[str]:
    """Paragraph pool: the bundled articles split at blank lines, plus every dev text."""
    texts: list[str] = []
    for path in sorted(SEED_DIR.iterdir()):
        if path.suffix == ".txt":
            texts.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".jsonl":  # (one record there deliberately has no text)
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            texts += [r["text"] for r in records if isinstance(r.get("text"), str)]
    for path in sorted(DEV_DIR.glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    pool = [p.strip() for t in texts for p in re.split(r"\n\s*\n", t)]
    return [p[:MAX_PARAGRAPH] for p in pool if len(p) >= 40]


def build_corpus(size: int, seed: int, pool: list[str], seen: set[str] | None = None) -> list[dict]:
    """`size` distinct articles of 1,000-2,000 characters (about 1.5 KB on average): a headline
    line, then random paragraphs separated by blank lines; the last one is cut at a sentence end
    when it would overshoot. `seen` (texts already used, e.g. by an earlier corpus for the same
    warehouse) is extended, so no two articles of a benchmark are the same text."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    seen = set() if seen is None else seen
    docs: list[dict] = []
    while len(docs) < size:
        target = rng.randint(1000, 2000)
        parts: list[str] = []
        used = 0
        while used < target:
            para = rng.choice(pool)
            room = target - used
            if len(para) > room + 200:  # cut at the last sentence end that fits, else take another
                cut = max(para.rfind(". ", 0, room), para.rfind(".\n", 0, room))
                if cut < 60:
                    if parts:
                        break
                    continue
                para = para[:cut + 1]
            parts.append(para)
            used += len(para) + 2
        title = parts[0].split("\n", 1)[0][:90]
        text = "\n\n".join(parts)
        if text in seen:
            continue
        seen.add(text)
        when = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        docs.append({"id": f"bench-{seed}-{len(docs)}", "title": title, "text": text,
                     "published_at": when.isoformat()})
    return docs


def write_jsonl(docs: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------- child: extract stage


def corpus_articles(corpus: Path):
    import polars as pl
    from newsfacts.sources.language import detect as detect_language
    from newsfacts.transforms.articles import RAW_RECORDS, build_articles

    docs = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    raw = pl.DataFrame(
        {"doc_id": [d["id"] for d in docs], "source": [str(corpus)] * len(docs), "text": [d["text"] for d in docs],
         "title": [d["title"] for d in docs], "url": [None] * len(docs),
         "published_at": [d["published_at"] for d in docs], "language": [None] * len(docs)},
    )
    raw = raw.select([pl.col(c).cast(t) if c in raw.columns else pl.lit(None, t).alias(c) for c, t in RAW_RECORDS.items()])
    return build_articles(raw.lazy(), run_id="bench", ingested_at=datetime.now(timezone.utc), detect=detect_language).collect()


def _pool_batch(batch) -> dict[str, int]:
    from newsfacts.flows.pipeline import _reference_in_worker
    from newsfacts.transforms.facts import extract_facts

    from newsfacts.settings import Settings

    facts = extract_facts(batch.lazy(), _reference_in_worker(Settings()))
    return {name: frame.height for name, frame in facts.items()}


def timed_extract(articles, reference, batch: int, clock=time.perf_counter) -> tuple[dict[str, float], dict[str, int]]:
    """`extract_facts` over `articles` in batches of `batch`, as the flow runs them: the seconds of each step
    by `clock` (wall by default; `time.process_time` for CPU), and the rows of each fact table."""
    from newsfacts.transforms.facts import STEPS, extract_facts

    seconds = dict.fromkeys(STEPS, 0.0)
    rows = dict.fromkeys(("sentences", "locations", "figures", "events"), 0)
    for offset in range(0, articles.height, batch):
        last = clock()

        def lap(step: str) -> None:
            nonlocal last
            now = clock()
            seconds[step] += now - last
            last = now

        facts = extract_facts(articles.slice(offset, batch).lazy(), reference, on_step=lap)
        for name in rows:
            rows[name] += facts[name].height
    return seconds, rows


def child_extract(corpus: Path, batch: int, workers: int) -> dict:
    """The extract stage over the corpus: single process step by step, then a process pool."""
    import polars as pl
    from newsfacts.reference.loader import load_reference
    from newsfacts.transforms.figures import extract_figures

    from newsfacts.settings import Settings

    t = time.perf_counter()
    reference = load_reference(Settings())
    out: dict = {"reference_load_s": round(time.perf_counter() - t, 2)}
    articles = corpus_articles(corpus)
    out["articles"] = articles.height
    out["mb"] = round(articles["text"].str.len_bytes().sum() / 1e6, 3)
    # warm-up on a few articles: lexicon compilation and first-call costs are not per-article work
    extract_figures(articles.head(20).lazy(), reference.figure_lexicon).collect()

    started, cpu = time.perf_counter(), time.process_time()
    stages, rows = timed_extract(articles, reference, batch)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    out["single"] = {
        "seconds": round(seconds, 2),
        # CPU seconds of this process (polars' threads included): steadier than wall time on a shared machine
        "cpu_s": round(cpu, 2),
        "articles_per_cpu_s": round(articles.height / cpu, 1),
        "articles_per_s": round(articles.height / seconds, 1),
        "mb_per_s": round(out["mb"] / seconds, 3),
        "stage_s": {k: round(v, 2) for k, v in stages.items()},
        "stage_s_per_1000": {k: round(v * 1000 / articles.height, 3) for k, v in stages.items()},
        "rows": rows,
    }
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        batches = [articles.slice(o, batch) for o in range(0, articles.height, batch)]
        t = time.perf_counter()
        from newsfacts.flows.worker import setup_process

        from newsfacts.settings import Settings

        # the set-up a run's own process pool gives each process (flows/pipeline.extraction_runner): its share
        # of the cores for polars, the reference data loaded as it starts
        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=setup_process,
                                 initargs=(threads, Settings())) as pool:
            list(pool.map(_pool_batch, [articles.head(5)] * workers))  # start the workers, load reference data
            startup = time.perf_counter() - t
            t = time.perf_counter()
            pool_rows = dict.fromkeys(rows, 0)
            for result in pool.map(_pool_batch, batches):
                for name, n in result.items():
                    pool_rows[name] += n
            pooled = time.perf_counter() - t
        out["pool"] = {
            "workers": workers,
            "startup_s": round(startup, 2),
            "seconds": round(pooled, 2),
            "articles_per_s": round(articles.height / pooled, 1),
            "mb_per_s": round(out["mb"] / pooled, 3),
            "same_row_counts": pool_rows == rows,
        }
    del pl
    return out


# --------------------------------------------------------------------------------- child: baselines


def child_baselines(corpus: Path, docs: int) -> dict:
    """quantulum3 vs our figures, flashgeotext vs our locations: seconds on the same articles, and
    scores on the dev gold."""
    import importlib.util
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import polars as pl
    from flashgeotext.geotext import GeoText
    from newsfacts.reference.loader import load_reference
    from newsfacts.transforms.figures import extract_figures
    from newsfacts.transforms.locations import extract_locations
    from quantulum3 import parser as qparser

    from newsfacts.settings import Settings

    reference = load_reference(Settings())
    articles = corpus_articles(corpus).head(docs)
    texts = articles["text"].to_list()
    extract_figures(articles.head(20).lazy(), reference.figure_lexicon).collect()
    extract_locations(articles.head(5).lazy(), reference.gazetteer).collect()  # one-off gazetteer preparation
    qparser.parse("warm-up: 3 km and $5 million")
    geo = GeoText()

    def timed(fn) -> tuple[float, float]:
        """(wall, CPU) seconds: CPU is the fair comparison on a shared machine (polars' threads count)."""
        t, c = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - t, time.process_time() - c

    ours_fig = timed(lambda: extract_figures(articles.lazy(), reference.figure_lexicon).collect())
    theirs_fig = timed(lambda: [qparser.parse(t) for t in texts])
    ours_loc = timed(lambda: extract_locations(articles.lazy(), reference.gazetteer).collect())
    theirs_loc = timed(lambda: [geo.extract(input_text=t, span_info=True) for t in texts])
    out = {
        "docs": len(texts),
        "figures": {"ours_s": round(ours_fig[0], 3), "quantulum3_s": round(theirs_fig[0], 3),
                    "ours_cpu_s": round(ours_fig[1], 3), "quantulum3_cpu_s": round(theirs_fig[1], 3),
                    "quantulum3_over_ours": round(theirs_fig[1] / ours_fig[1], 1)},
        "locations": {"ours_s": round(ours_loc[0], 3), "flashgeotext_s": round(theirs_loc[0], 3),
                      "ours_cpu_s": round(ours_loc[1], 3), "flashgeotext_cpu_s": round(theirs_loc[1], 3),
                      "flashgeotext_over_ours": round(theirs_loc[1] / ours_loc[1], 2)},
    }

    # quality on the dev gold, with the official scorer's functions
    spec = importlib.util.spec_from_file_location("newsfacts_eval", DEV_DIR.parent / "evaluate.py")
    ev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ev)
    sys.path.insert(0, str(Path(__file__).parent))
    from devscore import MemoryWarehouse, gold_articles

    def gold(name: str) -> list[dict]:
        return [json.loads(x) for x in (DEV_DIR / name).read_text(encoding="utf-8").splitlines() if x.strip()]

    fig_docs = gold("newsquant_dev.jsonl")
    ours = extract_figures(gold_articles(fig_docs), reference.figure_lexicon).collect()
    q_rows = []
    for d in fig_docs:
        for q in qparser.parse(d["text"]):
            q_rows.append({"article_id": d["doc_id"], "start_char": q.span[0], "value": float(q.value),
                           "value_low": float(q.value), "value_high": float(q.value), "qualifier": "exact",
                           "category": "COUNT"})
    theirs = pl.DataFrame(q_rows, schema={"article_id": pl.String, "start_char": pl.Int64, "value": pl.Float64,
                                          "value_low": pl.Float64, "value_high": pl.Float64,
                                          "qualifier": pl.String, "category": pl.String})
    out["figures"]["dev_newsquant"] = {
        "ours": ev.score_figures(fig_docs, MemoryWarehouse({"figures": ours}, fig_docs)),
        "quantulum3": ev.score_figures(fig_docs, MemoryWarehouse({"figures": theirs}, fig_docs)),
    }
    loc_docs = gold("geowebnews.jsonl") + gold("trnews.jsonl")
    ours = extract_locations(gold_articles(loc_docs), reference.gazetteer).collect()
    g_rows = []
    for d in loc_docs:
        found = geo.extract(input_text=d["text"], span_info=True)
        for kind in ("cities", "countries"):
            for hit in found.get(kind, {}).values():
                for s, e in hit["span_info"]:
                    g_rows.append({"article_id": d["doc_id"], "start_char": s, "end_char": e})
    theirs = pl.DataFrame(g_rows, schema={"article_id": pl.String, "start_char": pl.Int64, "end_char": pl.Int64})
    out["locations"]["dev_geowebnews_trnews"] = {
        "ours": ev.score_locations(loc_docs, MemoryWarehouse({"locations": ours}, loc_docs)),
        # flashgeotext gives names and spans, no coordinates: only the span metrics mean anything
        "flashgeotext": ev.score_locations(loc_docs, MemoryWarehouse({"locations": theirs}, loc_docs)),
    }
    return out


# ------------------------------------------------------------------------------------- parent side


def run_child(args: list[str], env: dict | None = None, cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run a child process; (result, wall seconds, peak RSS MB from its VmHWM)."""
    started = time.perf_counter()
    children_cpu = _children_cpu()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_kb = 0
    out_chunks: list[str] = []
    import threading

    def drain(stream, sink):
        for line in stream:
            sink.append(line)

    err_chunks: list[str] = []
    readers = [threading.Thread(target=drain, args=(proc.stdout, out_chunks), daemon=True),
               threading.Thread(target=drain, args=(proc.stderr, err_chunks), daemon=True)]
    for r in readers:
        r.start()
    while proc.poll() is None:
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
        time.sleep(0.1)
    for r in readers:
        r.join()
    seconds = time.perf_counter() - started
    result = subprocess.CompletedProcess(args, proc.returncode, "".join(out_chunks), "".join(err_chunks))
    result.cpu_s = round(_children_cpu() - children_cpu, 2)  # the child's and its waited-for children's CPU
    return result, seconds, round(peak_kb / 1024)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _last_json(stdout: str) -> dict:
    """The child prints its result as one JSON line, last."""
    return json.loads(stdout.strip().splitlines()[-1])


def cli_run(corpus: Path, warehouse: Path, stream_chunk: int | None = None) -> dict:
    env = {**os.environ, "COLUMNS": "300", "TERM": "dumb", "NO_COLOR": "1"}
    if stream_chunk:
        env["NEWSFACTS_STREAM_CHUNK_ARTICLES"] = str(stream_chunk)
    result, seconds, peak = run_child([str(Path(sys.executable).parent / "newsfacts"), "run", str(corpus), "--warehouse", str(warehouse)], env)
    if result.returncode != 0:
        raise RuntimeError(f"newsfacts run failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    line = re.search(r"seconds\s+([\d.]+)\s+\(([^)]*)\)", result.stdout)
    stages = {name: float(sec) for name, sec in re.findall(r"(\w+) ([\d.]+)", line.group(2))} if line else {}
    new = re.search(r"new articles\s+(\d+)", result.stdout)
    size = sum(f.stat().st_size for f in warehouse.rglob("*") if f.is_file())
    parts = {
        entry.name: round(sum(f.stat().st_size for f in ([entry] if entry.is_file() else entry.rglob("*")) if f.is_file()) / 1e6, 2)
        for entry in sorted(warehouse.iterdir())
    }
    return {"wall_s": round(seconds, 2), "cpu_s": result.cpu_s, "run_s": float(line.group(1)) if line else None,
            "stage_s": stages,
            "new_articles": int(new.group(1)) if new else None, "peak_rss_mb": peak,
            "warehouse_mb_after": round(size / 1e6, 1), "warehouse_mb_by_entry": parts}


def bench_size(size: int, args, pool: list[str], work: Path) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"scale-{size}-", dir=work))
    corpus = folder / "corpus.jsonl"
    t = time.perf_counter()
    seen: set[str] = set()
    docs = build_corpus(size, seed=size, pool=pool, seen=seen)
    write_jsonl(docs, corpus)
    row: dict = {"size": size, "corpus_build_s": round(time.perf_counter() - t, 2),
                 "mean_chars": round(sum(len(d["text"]) for d in docs) / len(docs)),
                 "mb": round(corpus.stat().st_size / 1e6, 2)}
    del docs
    me = [sys.executable, str(Path(__file__).resolve())]
    result, _, peak = run_child([*me, "_extract", str(corpus), "--batch", str(args.batch), "--workers", str(args.workers)])
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    row["extract"] = {**_last_json(result.stdout), "peak_rss_mb": peak}
    if args.cli:
        row["cli"] = cli_run(corpus, folder / "warehouse", args.stream_chunk)
        if args.increment:
            more = folder / "increment.jsonl"
            write_jsonl(build_corpus(args.increment, seed=size + 7_000_000, pool=pool, seen=seen), more)
            row["cli_increment"] = {"articles": args.increment, "warehouse_articles_before": size,
                                    **cli_run(more, folder / "warehouse", args.stream_chunk)}
    shutil.rmtree(folder, ignore_errors=True)
    return row


def table(rows: list[dict], baselines: dict | None) -> str:
    lines = ["| articles | MB | extract art/s (1 proc) | art/CPU-s | MB/s | s per 1,000: sentences / locations / figures / events / link"
             " | pool art/s | extract peak RSS MB | CLI wall s | CLI stages s | CLI art/s | CLI peak RSS MB"
             " | publish s (empty) | +N publish s (into size) |",
             "|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        e, s = r["extract"], r["extract"]["single"]
        per = " / ".join(f"{v:.2f}" for v in s["stage_s_per_1000"].values())
        pool = e.get("pool", {}).get("articles_per_s", "")
        cli, inc = r.get("cli", {}), r.get("cli_increment", {})
        stages = ", ".join(f"{k} {v:g}" for k, v in cli.get("stage_s", {}).items())
        cli_rate = round(r["size"] / cli["wall_s"], 1) if cli else ""
        lines.append(
            f"| {r['size']:,} | {r['mb']} | {s['articles_per_s']} | {s.get('articles_per_cpu_s', '')} | {s['mb_per_s']} | {per} | {pool} | {e['peak_rss_mb']}"
            f" | {cli.get('wall_s', '')} | {stages} | {cli_rate} | {cli.get('peak_rss_mb', '')}"
            f" | {cli.get('stage_s', {}).get('publish', '')} | {inc.get('stage_s', {}).get('publish', '')}"
            f"{' (+' + str(inc['articles']) + ')' if inc else ''} |"
        )
    if len(rows) >= 2 and all("cli" in r for r in rows[:2]):
        a, b = rows[0], rows[1]
        margin = (b["size"] - a["size"]) / (b["cli"]["wall_s"] - a["cli"]["wall_s"])
        lines.append(f"\nCLI at the margin ({a['size']:,} -> {b['size']:,}): {margin:.0f} articles/s")
    if baselines:
        f, lo = baselines["figures"], baselines["locations"]
        lines.append(
            f"\nOn {baselines['docs']} articles, CPU seconds: figures ours {f.get('ours_cpu_s')}, quantulum3 "
            f"{f.get('quantulum3_cpu_s')} ({f['quantulum3_over_ours']}x ours); locations ours {lo.get('ours_cpu_s')}, "
            f"flashgeotext {lo.get('flashgeotext_cpu_s')} ({lo['flashgeotext_over_ours']}x ours)"
        )
        q = f["dev_newsquant"]
        lines.append(f"dev newsquant figures: ours {json.dumps(q['ours'])}; quantulum3 {json.dumps(q['quantulum3'])}")
        g = lo["dev_geowebnews_trnews"]
        lines.append(f"dev geowebnews+trnews locations: ours {json.dumps(g['ours'])}; flashgeotext {json.dumps(g['flashgeotext'])}")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("_extract", "_baselines"):
        ap = argparse.ArgumentParser()
        ap.add_argument("mode")
        ap.add_argument("corpus", type=Path)
        ap.add_argument("--batch", type=int, default=500)
        ap.add_argument("--workers", type=int, default=0)
        ap.add_argument("--docs", type=int, default=200)
        a = ap.parse_args()
        result = child_extract(a.corpus, a.batch, a.workers) if a.mode == "_extract" else child_baselines(a.corpus, a.docs)
        print(json.dumps(result))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2000,20000,50000", help="comma-separated corpus sizes")
    ap.add_argument("--batch", type=int, default=500, help="articles per extract batch")
    ap.add_argument("--workers", type=int, default=2, help="process-pool workers (0: no pool run)")
    ap.add_argument("--increment", type=int, default=1000, help="articles of the second run into each warehouse (0: none)")
    ap.add_argument("--no-cli", dest="cli", action="store_false", help="extract stage only")
    ap.add_argument("--baseline-docs", type=int, default=200, help="articles for quantulum3/flashgeotext (0: skip)")
    ap.add_argument("--json", type=Path, help="also write every measurement here")
    ap.add_argument("--stream-chunk", type=int, default=None,
                    help="records per chunk of the CLI runs (NEWSFACTS_STREAM_CHUNK_ARTICLES; default: the setting's)")
    ap.add_argument("--workdir", type=Path, default=None, help="temporary folders go here (default: the system's)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    pool = paragraphs()
    work = Path(tempfile.mkdtemp(prefix="newsfacts-scale-", dir=args.workdir))
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                    "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "batch": args.batch,
                    "stream_chunk": args.stream_chunk,
                    "paragraph_pool": len(pool), "sizes": []}
    try:
        baselines = None
        if args.baseline_docs:
            folder = Path(tempfile.mkdtemp(dir=work))
            corpus = folder / "baseline.jsonl"
            write_jsonl(build_corpus(args.baseline_docs, seed=sizes[0], pool=pool), corpus)
            result, _, _ = run_child([sys.executable, str(Path(__file__).resolve()), "_baselines", str(corpus),
                                      "--docs", str(args.baseline_docs)])
            if result.returncode != 0:
                raise RuntimeError(result.stderr[-3000:])
            baselines = report["baselines"] = _last_json(result.stdout)
        for size in sizes:
            row = bench_size(size, args, pool, work)
            report["sizes"].append(row)
            print(f"[scale] {size:,} articles done", file=sys.stderr, flush=True)
            if args.json:  # written after every size, so a long run leaves what it measured
                args.json.write_text(json.dumps(report, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(report["sizes"], baselines))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
