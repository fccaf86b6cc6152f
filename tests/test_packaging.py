"""Packaging: the built wheel ships everything a run needs and works outside the checkout.

Two levels:

* cheap: build the wheel once (module fixture) and compare its file list with the checkout: every
  module of every mapped package, the warehouse SQL, the GX suites and every bundled seed file must be
  in it (byte for byte), so a newly added file that the `[tool.setuptools]` config does not ship fails
  here; `tests/` and `benchmarks/` must not be in it.
* slow (a few minutes the first time, mostly `uv pip install` resolving prefect/GX/duckdb from the
  registry or uv's cache): install the wheel into a fresh venv outside the checkout, check the modules
  and data resolve from that venv, then run `newsfacts run` (bundled seeds) from an empty folder with
  an environment that points nowhere into the checkout, and check the warehouse it leaves in `./data`.

The build redirects setuptools' `build/` and `*.egg-info` into the temp folder (`DIST_EXTRA_CONFIG`),
so the test leaves nothing behind in the checkout and never ships stale files from an old `build/lib`.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
BUILD_TIMEOUT_S = 300
INSTALL_TIMEOUT_S = 900  # resolving prefect, great-expectations, duckdb... from the registry or uv's cache
RUN_TIMEOUT_S = 600  # includes Prefect's temporary server start-up

# Environment variables that could make a subprocess import or read from the checkout (or its venv).
_DROP_ENV = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "CONDA_PREFIX",
             "UV_PROJECT_ENVIRONMENT", "UV_RUN_RECURSION_DEPTH", "DIST_EXTRA_CONFIG"}
_DROP_ENV_PREFIXES = ("NEWSFACTS_", "PREFECT_", "GX_")


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("`uv` is not on PATH: the packaging test builds and installs the wheel with uv", pytrace=False)
    return uv


def _within(path: str | Path, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def _outside_env(**extra: str) -> dict[str, str]:
    """The current environment minus anything that points into the checkout or its venv."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _DROP_ENV and not key.startswith(_DROP_ENV_PREFIXES)
    }
    # `uv run` puts the checkout's .venv/bin first on PATH; keep only entries outside the checkout.
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and not _within(p, PROJECT_ROOT)
    )
    env.update(extra)
    return env


def _check(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"timed out after {timeout} s: {cmd}\nstdout:\n{exc.stdout}\nstderr:\n{exc.stderr}", pytrace=False)
    if result.returncode != 0:
        pytest.fail(
            f"exit {result.returncode}: {cmd} (cwd {cwd})\nstdout:\n{result.stdout[-8000:]}\n"
            f"stderr:\n{result.stderr[-8000:]}",
            pytrace=False,
        )
    return result


def _package_dirs() -> dict[str, Path]:
    """`newsfacts.*` package -> checkout folder, as declared in `[tool.setuptools.package-dir]`."""
    mapping = PYPROJECT["tool"]["setuptools"]["package-dir"]
    return {package: PROJECT_ROOT / folder for package, folder in mapping.items()}


def _checkout_files(folder: str, pattern: str = "*") -> list[Path]:
    root = PROJECT_ROOT / folder
    files = [
        p for p in root.rglob(pattern)
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
    ]
    assert files, f"nothing matches {folder}/{pattern} in the checkout"
    return files


def _wheel_name(path: Path) -> str:
    """Where a checkout file lands in the wheel, via the package-dir mapping."""
    best = max(
        ((pkg, d) for pkg, d in _package_dirs().items() if _within(path, d)),
        key=lambda item: len(item[1].parts),
    )
    package, folder = best
    return "/".join([*package.split("."), *path.resolve().relative_to(folder.resolve()).parts])


# --------------------------------------------------------------------------- the wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`uv build --wheel` from the project root, with setuptools' scratch folders kept out of the checkout."""
    uv = _uv()
    tmp = tmp_path_factory.mktemp("wheel-build")
    extra_cfg = tmp / "setuptools-extra.cfg"
    extra_cfg.write_text(
        f"[build]\nbuild_base = {tmp / 'build'}\n\n[egg_info]\negg_base = {tmp}\n", encoding="utf-8"
    )
    env = _outside_env(DIST_EXTRA_CONFIG=str(extra_cfg))
    _check([uv, "build", "--wheel", "--out-dir", str(tmp / "dist")], cwd=PROJECT_ROOT, env=env, timeout=BUILD_TIMEOUT_S)
    wheels = sorted((tmp / "dist").glob("newsfacts-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_ships_code_sql_suites_and_seeds(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())

        expected: list[Path] = [PROJECT_ROOT / "warehouse" / "sql" / "ddl.sql"]
        expected += _checkout_files("warehouse/sql", "*.sql")  # ddl.sql and every mart
        expected += _checkout_files("warehouse/sql/marts", "*.sql")
        expected += _checkout_files("expectations/suites", "*.json")
        for seeds in ("seeds/lexicons", "seeds/gazetteer", "seeds/articles"):
            expected += _checkout_files(seeds)  # every file, in subfolders too
        for folder in _package_dirs().values():  # every module of every mapped package
            expected += [p for p in folder.rglob("*.py") if "__pycache__" not in p.parts]

        missing = sorted({_wheel_name(p) for p in expected} - names)
        assert not missing, f"checkout files the wheel does not ship: {missing}"
        assert "newsfacts/warehouse/sql/ddl.sql" in names
        stale = sorted(
            _wheel_name(p) for p in expected if p.suffix != ".py" and zf.read(_wheel_name(p)) != p.read_bytes()
        )
        assert not stale, f"wheel copies differ from the checkout: {stale}"

        # Nothing but the package and its metadata; no tests, no benchmarks.
        outside = sorted(n for n in names if not n.startswith(("newsfacts/", "newsfacts-")))
        assert not outside, outside
        leaked = sorted(n for n in names if {"tests", "benchmarks"} & set(n.split("/")))
        assert not leaked, leaked

        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        assert "newsfacts = newsfacts.cli:main" in entry_points


# --------------------------------------------------------------------------- installed outside the checkout


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Path:
    """A fresh venv outside the checkout with the wheel (and its dependencies) installed; its python."""
    uv = _uv()
    tmp = tmp_path_factory.mktemp("wheel-venv")
    assert not _within(tmp, PROJECT_ROOT), "the temp folder must be outside the checkout"
    venv = tmp / "venv"
    env = _outside_env()  # keeps uv's usual cache (XDG_CACHE_HOME/HOME) so installs are warm
    _check([uv, "venv", str(venv), "--python", sys.executable, "--no-project"], cwd=tmp, env=env, timeout=120)
    python = venv / "bin" / "python"
    assert python.exists(), list(venv.iterdir())
    _check([uv, "pip", "install", "--python", str(python), str(wheel)], cwd=tmp, env=env, timeout=INSTALL_TIMEOUT_S)
    assert (venv / "bin" / "newsfacts").exists()
    return python


def _run_env(tmp: Path, venv_python: Path) -> dict[str, str]:
    env = _outside_env(
        XDG_CACHE_HOME=str(tmp / "xdg-cache"),
        PREFECT_HOME=str(tmp / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        GX_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    env["PATH"] = os.pathsep.join([str(venv_python.parent), env["PATH"]])
    return env


def test_installed_modules_and_data_come_from_the_venv(installed: Path, tmp_path):
    venv = installed.parent.parent
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    probe = """
import json
from importlib import resources
import newsfacts, newsfacts.cli, newsfacts.settings, newsfacts.flows.pipeline, newsfacts.seeds
import newsfacts.sources.readers, newsfacts.transforms.facts, newsfacts.expectations.suites
import newsfacts.warehouse.publish, newsfacts.reference.loader
from newsfacts.settings import Settings
mods = [newsfacts, newsfacts.cli, newsfacts.settings, newsfacts.flows.pipeline, newsfacts.seeds,
        newsfacts.sources.readers, newsfacts.transforms.facts, newsfacts.expectations.suites,
        newsfacts.warehouse.publish, newsfacts.reference.loader]
s = Settings()
print(json.dumps({
    "modules": {m.__name__: m.__file__ for m in mods},
    "data": {
        "seeds": str(s.seeds_path),
        "articles": str(s.articles_dir),
        "suites": str(newsfacts.expectations.suites.SUITES_DIR),
        "sql": str(resources.files("newsfacts.warehouse").joinpath("sql", "ddl.sql")),
    },
    "warehouse": str(s.warehouse_path),
}))
"""
    out = _check([str(installed), "-c", probe], cwd=workdir, env=_run_env(tmp_path, installed), timeout=120)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    for name, path in {**found["modules"], **found["data"]}.items():
        assert not _within(path, PROJECT_ROOT), f"{name} resolves into the checkout: {path}"
        assert _within(path, venv), f"{name} does not come from the test venv: {path}"
    assert Path(found["data"]["sql"]).is_file()
    assert len(list(Path(found["data"]["articles"]).iterdir())) >= 31
    assert Path(found["warehouse"]) == (workdir / "data").resolve()


def test_newsfacts_run_from_the_wheel_in_an_empty_folder(installed: Path, tmp_path):
    venv_bin = installed.parent
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    env = _run_env(tmp_path, installed)

    run = _check([str(venv_bin / "newsfacts"), "run"], cwd=workdir, env=env, timeout=RUN_TIMEOUT_S)
    db = workdir / "data" / "newsfacts.duckdb"
    assert db.is_file(), f"no warehouse at {db}\n{run.stdout}"
    assert "data quality" in run.stdout and "passed" in run.stdout, run.stdout

    sql = (
        "select (select count(*) from articles) as articles, (select count(*) from locations) as locations, "
        "(select count(*) from figures) as figures, (select count(*) from events) as events, "
        "(select count(*) from runs where status = 'completed') as runs"
    )
    out = _check([str(venv_bin / "newsfacts"), "query", sql, "--format", "json"], cwd=workdir, env=env, timeout=120)
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    assert counts["articles"] >= 33, counts
    for table in ("locations", "figures", "events"):
        assert counts[table] > 0, counts
    assert counts["runs"] == 1, counts

    # Built artefacts went to the XDG cache in tmp, not to $HOME or the checkout.
    assert list((tmp_path / "xdg-cache" / "newsfacts").glob("gazetteer-*.parquet"))


# --------------------------------------------------------------------------- the editable install (checkout)


def test_editable_install_imports_from_the_checkout(tmp_path):
    """The dev venv (`uv sync`'s editable install) maps every `newsfacts.*` package onto the checkout's folders."""
    probe = (
        "import importlib.util, json, sys\n"
        "from newsfacts.settings import Settings\n"
        "pkgs = json.loads(sys.argv[1])\n"
        "print(json.dumps({'specs': {p: importlib.util.find_spec(p).origin for p in pkgs},"
        " 'seeds': str(Settings().seeds_path)}))\n"
    )
    packages = sorted(_package_dirs())
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "NEWSFACTS_SEEDS_DIR"}}
    # cwd outside the checkout, so only the editable finder (not '' on sys.path) can find the code.
    out = _check([sys.executable, "-c", probe, json.dumps(packages)], cwd=tmp_path, env=env, timeout=120)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    for package, origin in found["specs"].items():
        assert origin and Path(origin).resolve() == (_package_dirs()[package] / "__init__.py").resolve(), (package, origin)
    assert Path(found["seeds"]).resolve() == (PROJECT_ROOT / "seeds").resolve()


def test_cli_help_from_the_checkout():
    script = Path(sys.executable).parent / "newsfacts"
    if not script.exists():
        pytest.skip(f"no `newsfacts` script beside {sys.executable}")
    out = _check([str(script), "run", "--help"], cwd=PROJECT_ROOT, env=dict(os.environ), timeout=120)
    assert "Usage: newsfacts run" in out.stdout
