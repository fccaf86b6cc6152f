"""The shared scorer, run as users run it, over the seed article: locations and figures F1 >= 0.8."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_seed_locations_and_figures_f1(shared_dir: Path, project_root: Path, tmp_path: Path):
    out = tmp_path / "metrics.json"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(
        [sys.executable, str(shared_dir / "eval" / "evaluate.py"), str(shared_dir / "eval" / "dev" / "seed.jsonl"), "--json", str(out)],
        cwd=project_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    seed = json.loads(out.read_text())["seed"]
    assert seed["docs_missing"] == 0 and seed["docs_text_changed"] == 0
    assert seed["locations"]["toponyms"]["f1"] >= 0.8, seed["locations"]
    assert seed["figures"]["values"]["f1"] >= 0.8, seed["figures"]
