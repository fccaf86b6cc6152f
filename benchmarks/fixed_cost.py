"""Where the seconds of a small `newsfacts run` go: the fixed cost of a run, phase by phase.

    uv run python benchmarks/fixed_cost.py [--runs 3] [--json FILE] [--importtime]

Each measurement is taken `--runs` times, each time in a fresh process, and the median is reported
(wall seconds, and CPU seconds of the measured process where it is one process):
* components, each alone: `import newsfacts.cli` (what the command line loads before `run` starts),
  `import newsfacts.flows.pipeline` (Prefect, polars, the readers and transforms), `import
  great_expectations`, the temporary Prefect server from spawn to a healthy `/api/health`
  (`newsfacts.local_server.temporary_server`), and `load_reference` (gazetteer from its disk cache, lexicons);
* the whole run: `newsfacts run --warehouse NEW_DIR` on the bundled articles (no SOURCE), in a new
  warehouse each time, with no Prefect server configured (`PREFECT_API_URL` unset: the run starts its own)
  and again with one running (a server this benchmark starts first, `PREFECT_API_URL` pointing at it).
  Per run: seconds until the CLI prints the API it reports to (start-up: imports and, without a server,
  the server's start), the stage seconds the run prints (load, articles, extract, validate, publish), and
  the seconds from the last stage's "done" line to the process's exit (summary, flow-run end, stopping a
  temporary server, interpreter exit), and the rest (the same plus the engine's work between stages) as
  total minus the others. Both again with a `newsfacts gate` running (started in the runs' folder, so the
  runs find it): the runs then validate there and import no Great Expectations themselves.
`--importtime` adds the 15 slowest imports (cumulative, `python -X importtime`) of `newsfacts.cli`'s run path.
The machine may be shared: the load average is printed with the results.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

COMPONENTS = {
    "import newsfacts.cli": "import newsfacts.cli",
    "import newsfacts.flows.pipeline": "import newsfacts.flows.pipeline",
    "import great_expectations": "import great_expectations",
    "temporary Prefect server start": (
        "import os\n"
        "os.environ.pop('PREFECT_API_URL', None)\n"
        "from newsfacts.local_server import temporary_server\n"
        "with temporary_server() as api: pass"
    ),
    "load_reference": (
        "from newsfacts.reference.loader import load_reference\n"
        "from newsfacts.settings import Settings\n"
        "import time\n"
        "started = time.perf_counter(); load_reference(Settings())\n"
        "print('inner', time.perf_counter() - started)"
    ),
}

STAGES = re.compile(r"seconds\s+([\d.]+)\s+\(([^)]*)\)")
STAGE = re.compile(r"(\w+) ([\d.]+)")


def _env(api: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["COLUMNS"] = "250"  # the summary table on one line per row
    if api:
        env["PREFECT_API_URL"] = api
    return env


def component(code: str) -> dict[str, float]:
    """Wall and CPU seconds of a fresh interpreter running `code` (children's CPU included)."""
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=_env(None), capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    after = os.times()
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    out = {"wall_s": wall, "cpu_s": (after.children_user - before.children_user) + (after.children_system - before.children_system)}
    inner = re.search(r"inner ([\d.]+)", done.stdout)
    if inner:  # load_reference alone, without the interpreter's start and imports
        out["inner_s"] = float(inner.group(1))
    return out


def whole_run(api: str | None, workdir: Path) -> dict[str, float]:
    """One `newsfacts run` on the bundled articles into a new warehouse; timestamps of its output lines."""
    warehouse = Path(tempfile.mkdtemp(prefix="wh-", dir=workdir))
    before = os.times()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "newsfacts"), "run", "--warehouse", str(warehouse)], env=_env(api), cwd=workdir,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    api_at = first_stage_at = last_stage_at = None
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        now = time.perf_counter() - started
        lines.append(line)
        if api_at is None and "[newsfacts] prefect api:" in line:
            api_at = now
        if first_stage_at is None and re.match(r"\[newsfacts\] \w+: started", line):
            first_stage_at = now
        if re.match(r"\[newsfacts\] \w+: done", line):
            last_stage_at = now
    code = proc.wait()
    total = time.perf_counter() - started
    after = os.times()
    text = "".join(lines)
    if code != 0:
        raise RuntimeError(f"newsfacts run exited {code}:\n{text[-3000:]}")
    match = STAGES.search(text)
    stages = {name: float(sec) for name, sec in STAGE.findall(match.group(2))} if match else {}
    shutil.rmtree(warehouse, ignore_errors=True)
    out = {
        "total_s": total,
        "cpu_s": (after.children_user - before.children_user) + (after.children_system - before.children_system),
        "until_api_s": api_at or 0.0,
        "api_to_first_stage_s": (first_stage_at or 0.0) - (api_at or 0.0),
        "stages_s": sum(stages.values()),
        **{f"stage {name}": sec for name, sec in stages.items()},
    }
    out["last_stage_to_exit_s"] = total - (last_stage_at or total)
    out["rest_s"] = total - out["until_api_s"] - out["api_to_first_stage_s"] - out["stages_s"]
    return out


@contextmanager
def gate_running(workdir: Path) -> Iterator[None]:
    """`newsfacts gate` in `workdir` (so runs started there find it), ready (GX imported) until the block ends."""
    proc = subprocess.Popen([str(BIN / "newsfacts"), "gate"], env={**_env(None), "COLUMNS": "300"}, cwd=workdir,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "data-quality gate ready" not in line:
            raise RuntimeError(f"newsfacts gate did not start: {line}{proc.stdout.read()[-2000:]}")
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def medians(samples: list[dict[str, float]]) -> dict[str, float]:
    keys = dict.fromkeys(k for s in samples for k in s)
    return {k: round(statistics.median(s[k] for s in samples if k in s), 2) for k in keys}


def importtime(top: int = 15) -> list[tuple[str, float]]:
    """The slowest imports (cumulative seconds) of what `newsfacts run` imports."""
    code = "import newsfacts.cli, newsfacts.flows.pipeline, great_expectations"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=_env(None), capture_output=True, text=True, cwd=ROOT)
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((parts[2].rstrip(), int(parts[1]) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="measurements of each kind (median reported)")
    ap.add_argument("--json", type=Path, help="write the medians and every sample here")
    ap.add_argument("--importtime", action="store_true", help="also list the slowest imports")
    ap.add_argument("--skip-components", action="store_true", help="only the whole runs")
    args = ap.parse_args()

    from newsfacts.local_server import temporary_server

    results: dict[str, dict] = {"load_average_start": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}
    print(f"load average {results['load_average_start']} on {results['cpus']} cores; {args.runs} runs each, medians", flush=True)
    if not args.skip_components:
        comps = {}
        for name, code in COMPONENTS.items():
            samples = [component(code) for _ in range(args.runs)]
            comps[name] = {"median": medians(samples), "samples": samples}
            print(f"  {name:<34} {json.dumps(comps[name]['median'])}", flush=True)
        results["components"] = comps

    with tempfile.TemporaryDirectory(prefix="newsfacts-fixed-") as tmp:
        work = Path(tmp)
        runs = {}
        samples = [whole_run(None, work) for _ in range(args.runs)]
        runs["no server configured"] = {"median": medians(samples), "samples": samples}
        print(f"  run, no server configured          {json.dumps(runs['no server configured']['median'])}", flush=True)
        saved = os.environ.pop("PREFECT_API_URL", None)
        try:
            with temporary_server() as api:
                whole_run(api, work)  # the server's first flow run registers the flow; not counted
                samples = [whole_run(api, work) for _ in range(args.runs)]
                runs["server running"] = {"median": medians(samples), "samples": samples}
                print(f"  run, server running                {json.dumps(runs['server running']['median'])}", flush=True)
                with gate_running(work):
                    samples = [whole_run(api, work) for _ in range(args.runs)]
                runs["server and gate running"] = {"median": medians(samples), "samples": samples}
                print(f"  run, server and gate running       {json.dumps(runs['server and gate running']['median'])}", flush=True)
        finally:
            if saved is not None:
                os.environ["PREFECT_API_URL"] = saved
        with gate_running(work):
            samples = [whole_run(None, work) for _ in range(args.runs)]
        runs["no server, gate running"] = {"median": medians(samples), "samples": samples}
        print(f"  run, no server, gate running       {json.dumps(runs['no server, gate running']['median'])}", flush=True)
        results["runs"] = runs
    results["load_average_end"] = round(os.getloadavg()[0], 1)

    print()
    print("| phase | " + " | ".join(runs) + " |")
    print("|---|" + "---:|" * len(runs))
    for key in dict.fromkeys(k for r in runs.values() for k in r["median"]):
        print(f"| {key} | " + " | ".join(str(r["median"].get(key, "")) for r in runs.values()) + " |")
    if "components" in results:
        print("\n| component (fresh process) | wall s | CPU s |")
        print("|---|---:|---:|")
        for name, r in results["components"].items():
            m = r["median"]
            extra = f" (inner {m['inner_s']} s)" if "inner_s" in m else ""
            print(f"| {name} | {m['wall_s']}{extra} | {m['cpu_s']} |")
    if args.importtime:
        results["importtime"] = importtime()
        print("\nslowest imports (cumulative s):")
        for name, sec in results["importtime"]:
            print(f"  {sec:6.2f}  {name}")
    print(f"\nload average at the end {results['load_average_end']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
