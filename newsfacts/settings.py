"""Typed settings: defaults that run locally, overridable by env vars and a TOML file.

Precedence (highest first): explicit arguments (CLI flags), environment variables
prefixed `NEWSFACTS_` (e.g. `NEWSFACTS_WAREHOUSE_DIR`), `newsfacts.toml` in the
working directory (or the file named by `NEWSFACTS_CONFIG`), then these defaults.
"""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSFACTS_", extra="ignore")

    warehouse_dir: Path = Field(Path("warehouse"), description="where runs land")
    seeds_dir: Path = Field(PROJECT_ROOT / "seeds", description="bundled articles and reference CSVs")
    cache_dir: Path = Field(
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsfacts",
        description="built artefacts such as the gazetteer Parquet",
    )
    batch_size: int = Field(500, ge=1, description="articles per extraction task")
    max_workers: int = Field(2, ge=1, description="bound on concurrently running extraction tasks")
    max_article_chars: int = Field(2_000_000, ge=1, description="longer inputs are rejected as too_large")
    fetch_timeout_s: float = Field(20.0, gt=0, description="timeout for http(s) sources")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("NEWSFACTS_CONFIG", "newsfacts.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))

    @property
    def articles_dir(self) -> Path:
        return self.seeds_dir / "articles"
