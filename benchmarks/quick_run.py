"""Trigger-to-Completed seconds of the ingest deployment's Quick run, as the Prefect UI starts it.

Starts `prefect server start` and `newsfacts serve` (real processes, 127.0.0.1), lets the serving process
import GX, then creates runs exactly as the UI's Quick run does (`POST /deployments/{id}/create_flow_run`),
each into a fresh warehouse folder, and prints the seconds from the request to Completed.

    uv run python benchmarks/quick_run.py [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.flows.servers import deployment_id, start_serve, start_server, stop, wait_for_run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm-up-s", type=float, default=20.0, help="time for the serving process to import GX")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "prefect"
        home.mkdir()
        server, server_proc = start_server(home)
        base = Path(tmp) / "base"
        base.mkdir()
        serve = start_serve(server, base, log=base / "serve.log")
        try:
            time.sleep(args.warm_up_s)
            ingest = deployment_id(server.api, "ingest")
            seconds = []
            for i in range(args.runs):
                started = time.monotonic()
                run = httpx.post(
                    f"{server.api}/deployments/{ingest}/create_flow_run",
                    json={"parameters": {"warehouse_dir": str(base / f"wh{i}")}}, timeout=10,
                ).json()
                run = wait_for_run(server.api, run["id"])
                seconds.append(round(time.monotonic() - started, 2))
                print(f"run {i + 1}: {run['state_type']} {seconds[-1]} s (flow run time {run['total_run_time']:.1f} s)")
            print(json.dumps({"quick_run_trigger_to_completed_s": seconds}))
        finally:
            stop(serve)
            stop(server_proc)


if __name__ == "__main__":
    main()
