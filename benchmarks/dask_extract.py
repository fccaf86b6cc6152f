"""The extract stage of `newsfacts run` in one process, on local processes and on a Dask cluster.

    uv run python benchmarks/dask_extract.py [--docs 6000] [--json /tmp/dask.json] [--gx-in-run] [--no-preload]

Starts, on 127.0.0.1, a `prefect server start` (shared by every run, so no run pays for a temporary
server), a `dask scheduler` and two `dask worker` processes of one thread each, started with
`--preload newsfacts.flows.worker` (each imports the pipeline, loads the reference data and takes one polars
thread before it joins; `--no-preload`: plain workers, which do that in the first run), builds a corpus of
`--docs` distinct news-length articles (benchmarks/scale.py's generator), then runs `newsfacts run` on it
into a new warehouse each time:

* one process: `NEWSFACTS_EXECUTOR=threads NEWSFACTS_MAX_WORKERS=1` (batches one after the other);
* local processes: `NEWSFACTS_EXECUTOR=processes NEWSFACTS_MAX_WORKERS=2`;
* Dask, twice: `--dask-address tcp://...` (the first run on the freshly started workers, the second as a
  long-lived cluster's later runs).

The runs validate with a gate service this benchmark starts (`expectations/service.py`, as `newsfacts
serve` does for the runs it serves), so no run imports Great Expectations itself: that import (about 8 s of
CPU) would otherwise run in the run's process during its extract stage and take one of the two cores from
the batches being measured. `--gx-in-run` measures the runs importing GX themselves, as a lone
`newsfacts run` does.

It reports the `extract` stage seconds each run prints (the batches through Prefect's task runner, not the
start-up, validation or publishing), articles per second of that stage and each one's ratio to the one-process
run. All four runs must publish the same number of events, figures and locations (checked). A machine with
two cores has two workers' worth of CPU at most, so other work running beside the benchmark lowers the
ratios; the load average before and after is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import duckdb
import scale

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.flows.servers import BIN, start_dask, start_server, stop  # noqa: E402


def run_cli(corpus: Path, warehouse: Path, env: dict[str, str], flags: list[str]) -> dict:
    """`newsfacts run CORPUS --warehouse DIR FLAGS`: wall seconds and the stage seconds it prints."""
    env = {**env, "COLUMNS": "300", "TERM": "dumb", "NO_COLOR": "1"}
    result, seconds, _ = scale.run_child([str(BIN / "newsfacts"), "run", str(corpus), "--warehouse", str(warehouse), *flags], env)
    if result.returncode != 0:
        raise RuntimeError(f"newsfacts run failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    line = re.search(r"seconds\s+([\d.]+)\s+\(([^)]*)\)", result.stdout)
    stages = {name: float(sec) for name, sec in re.findall(r"(\w+) ([\d.]+)", line.group(2))} if line else {}
    return {"wall_s": round(seconds, 2), "stage_s": stages}


def counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse / "newsfacts.duckdb"), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("articles", "events", "figures", "locations")}
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=6000, help="articles in the corpus")
    ap.add_argument("--batch", type=int, default=500, help="articles per extraction task")
    ap.add_argument("--json", type=Path, help="also write the measurements here")
    ap.add_argument("--gx-in-run", action="store_true", help="each run imports GX itself (no gate service)")
    ap.add_argument("--no-preload", action="store_true", help="workers without --preload newsfacts.flows.worker")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dask-extract-"))
    corpus = work / "corpus.jsonl"
    scale.write_jsonl(scale.build_corpus(args.docs, seed=7, pool=scale.paragraphs()), corpus)
    load_before = os.getloadavg()
    server, server_proc = start_server(work)
    env = {**server.env, "PREFECT_API_URL": server.api, "NEWSFACTS_BATCH_SIZE": str(args.batch)}
    if not args.gx_in_run:
        from newsfacts.expectations import gate
        from newsfacts.expectations.service import ADDRESS_ENV, AUTHKEY_ENV, start_gate_service

        start_gate_service()
        gate.wait_for_import()  # GX imported here before any run starts
        env.update({ADDRESS_ENV: os.environ[ADDRESS_ENV], AUTHKEY_ENV: os.environ[AUTHKEY_ENV]})
    address, dask_procs = start_dask(env, work, preload=not args.no_preload)
    runs: dict[str, dict] = {}
    try:
        plans = [
            ("one process", {"NEWSFACTS_EXECUTOR": "threads", "NEWSFACTS_MAX_WORKERS": "1"}, []),
            ("local processes (2)", {"NEWSFACTS_EXECUTOR": "processes", "NEWSFACTS_MAX_WORKERS": "2"}, []),
            ("dask, 2 workers (first run)", {}, ["--dask-address", address]),
            ("dask, 2 workers (warm)", {}, ["--dask-address", address]),
        ]
        for name, extra, flags in plans:
            warehouse = work / f"wh-{len(runs)}"
            result = run_cli(corpus, warehouse, {**env, **extra}, flags)
            extract_s = result["stage_s"].get("extract")
            runs[name] = {"extract_s": extract_s, "wall_s": result["wall_s"], "rows": counts(warehouse),
                          "extract_art_per_s": round(args.docs / extract_s, 1) if extract_s else None}
            print(f"{name}: extract {extract_s} s, rows {runs[name]['rows']}", file=sys.stderr, flush=True)
    finally:
        for proc in reversed(dask_procs):
            stop(proc)
        stop(server_proc)
    base = runs["one process"]
    for r in runs.values():
        r["vs_one_process"] = round(base["extract_s"] / r["extract_s"], 2) if r["extract_s"] else None
    same = all(r["rows"] == base["rows"] for r in runs.values())
    out = {"docs": args.docs, "batch": args.batch, "gx_in_run": args.gx_in_run, "preload": not args.no_preload, "cpus": os.cpu_count(), "load_before": [round(x, 1) for x in load_before],
           "load_after": [round(x, 1) for x in os.getloadavg()], "same_rows": same, "runs": runs}
    print("| run | extract s | extract art/s | x one process |\n|---|---:|---:|---:|")
    for name, r in runs.items():
        print(f"| {name} | {r['extract_s']} | {r['extract_art_per_s']} | {r['vs_one_process']} |")
    print(f"load average before {out['load_before']}, after {out['load_after']}; same rows in every run: {same}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    if not same:
        raise SystemExit("the runs published different row counts")


if __name__ == "__main__":
    main()
