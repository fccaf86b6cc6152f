"""Where a run's paths land: relative ones against NEWSFACTS_BASE_DIR (never the cwd), absolute ones and
URLs as given, and flow parameters over env over `newsfacts.toml` (`run_settings`, what `newsfacts_run` uses)."""
from __future__ import annotations

from pathlib import Path

import pytest
from newsfacts.flows.pipeline import run_settings

from newsfacts.settings import Settings


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch):
    """A base dir (from env) and a different working directory; no stray NEWSFACTS_* env."""
    base, cwd = tmp_path / "base", tmp_path / "elsewhere"
    base.mkdir()
    cwd.mkdir()
    for name in ("NEWSFACTS_WAREHOUSE_DIR", "NEWSFACTS_CONFIG", "NEWSFACTS_BATCH_SIZE", "NEWSFACTS_FETCH_RETRIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSFACTS_BASE_DIR", str(base))
    monkeypatch.chdir(cwd)
    return base.resolve(), cwd.resolve()


def test_relative_paths_resolve_against_base_dir_not_cwd(dirs):
    base, cwd = dirs
    settings = Settings(warehouse_dir=Path("out/wh"))
    assert settings.base_dir == base
    assert settings.warehouse_path == base / "out" / "wh"
    assert settings.resolve_source("in/a.txt") == str(base / "in" / "a.txt")
    assert settings.resolve_source("../x.txt") == str(base.parent / "x.txt")
    assert not settings.warehouse_path.is_relative_to(cwd)
    assert Settings().warehouse_path == base / "data"  # the default, too


def test_absolute_paths_and_urls_stay(dirs, tmp_path: Path):
    elsewhere = tmp_path / "abs" / "wh"
    settings = Settings(warehouse_dir=elsewhere)
    assert settings.warehouse_path == elsewhere
    assert settings.resolve_source(str(tmp_path / "a.txt")) == str(tmp_path / "a.txt")
    for url in ("http://127.0.0.1:8000/a/../b.txt", "https://example.org/news?id=1"):
        assert settings.resolve_source(url) == url


def test_env_warehouse_dir_resolves_against_base(dirs, monkeypatch):
    base, _ = dirs
    monkeypatch.setenv("NEWSFACTS_WAREHOUSE_DIR", "from-env")
    assert Settings().warehouse_path == base / "from-env"


def test_flow_parameters_win_over_env_and_toml(dirs, monkeypatch):
    base, _ = dirs
    (base / "newsfacts.toml").write_text('warehouse_dir = "from-toml"\nbatch_size = 7\nfetch_retries = 5\n')
    assert run_settings().warehouse_path == base / "from-toml"  # toml in the base dir is read
    assert run_settings().batch_size == 7
    monkeypatch.setenv("NEWSFACTS_WAREHOUSE_DIR", "from-env")
    monkeypatch.setenv("NEWSFACTS_BATCH_SIZE", "9")
    env = run_settings(warehouse_dir=None, batch_size=None)  # parameters left empty: env wins over toml
    assert env.warehouse_path == base / "from-env" and env.batch_size == 9 and env.fetch_retries == 5
    given = run_settings(warehouse_dir="from-param", batch_size=3, fetch_retries=0)
    assert given.warehouse_path == base / "from-param"
    assert given.batch_size == 3 and given.fetch_retries == 0  # 0 is a value, not "empty"
