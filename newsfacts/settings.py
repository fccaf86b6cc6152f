"""Typed settings: defaults that run locally, overridable by env vars and a TOML file.

Precedence (highest first): explicit arguments (CLI flags, flow parameters), environment
variables prefixed `NEWSFACTS_` (e.g. `NEWSFACTS_WAREHOUSE_DIR`), `newsfacts.toml` in the
base directory (or the file named by `NEWSFACTS_CONFIG`), then these defaults.

Relative paths (sources, warehouse, cache) resolve against `base_dir`: `NEWSFACTS_BASE_DIR`
when set, else the working directory. `newsfacts serve` pins it to the folder it was started
in (or `--base-dir`), so a run triggered from the Prefect UI lands where a CLI run would.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def bundled_seeds() -> Path:
    """The `seeds/` folder shipped with the package (the checkout's folder in an editable install)."""
    return Path(str(resources.files("newsfacts.seeds")))


def default_base_dir() -> Path:
    return Path(os.environ.get("NEWSFACTS_BASE_DIR") or os.getcwd()).resolve()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSFACTS_", extra="ignore")

    base_dir: Path = Field(
        default_factory=default_base_dir, description="relative sources, warehouse and cache paths resolve here"
    )
    warehouse_dir: Path = Field(Path("data"), description="where runs land (DuckDB file, Parquet parts, reports)")
    seeds_dir: Path = Field(default_factory=bundled_seeds, description="bundled articles and reference CSVs")
    cache_dir: Path = Field(
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsfacts",
        description="built artefacts such as the gazetteer Parquet",
    )
    batch_size: int = Field(500, ge=1, description="articles per extraction task")
    max_workers: int = Field(2, ge=1, description="bound on concurrently running extraction tasks")
    executor: Literal["processes", "threads"] = Field(
        "processes", description="run extraction batches in local processes (both cores) or threads"
    )
    dask_address: str | None = Field(None, description="a Dask scheduler address: run extraction batches there")
    max_article_chars: int = Field(2_000_000, ge=1, description="longer inputs are rejected as too_large")
    fetch_timeout_s: float = Field(20.0, gt=0, description="timeout for http(s) sources")
    max_quarantine_share: float = Field(
        0.05, ge=0, le=1, description="a table with a larger share of quarantined rows stops the publish"
    )
    fetch_retries: int = Field(2, ge=0, description="retries of a URL that times out or answers 429/5xx")
    fetch_retry_delay_s: float = Field(2.0, ge=0, description="seconds before the first retry (doubled for each next)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("NEWSFACTS_CONFIG") or default_base_dir() / "newsfacts.toml")
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))

    def resolve(self, path: str | Path) -> Path:
        """`path` made absolute against `base_dir` (absolute paths and `~` are kept as given)."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def resolve_source(self, source: str) -> str:
        """A SOURCE argument with relative file paths made absolute; URLs unchanged."""
        if source.startswith(("http://", "https://")):
            return source
        return str(self.resolve(source))

    @property
    def warehouse_path(self) -> Path:
        return self.resolve(self.warehouse_dir)

    @property
    def cache_path(self) -> Path:
        return self.resolve(self.cache_dir)

    @property
    def seeds_path(self) -> Path:
        return self.resolve(self.seeds_dir)

    @property
    def articles_dir(self) -> Path:
        return self.seeds_path / "articles"
