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

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# Article fields a CSV/Parquet column can fill (`columns` setting; defaults in `newsfacts.sources.tables`).
COLUMN_FIELDS = ("text", "title", "url", "published_at", "source", "language", "id")


def bundled_seeds() -> Path:
    """The `seeds/` folder shipped with the package (the checkout's folder in an editable install)."""
    return Path(str(resources.files("newsfacts.seeds")))


def is_url(value: str) -> bool:
    """True for `scheme://...` (s3://, gs://, file://, ...): an object-store warehouse, not a folder."""
    scheme, sep, _ = value.partition("://")
    return bool(sep) and len(scheme) > 1 and scheme.replace("+", "").replace("-", "").isalnum()


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
    # fetching
    fetch_user_agent: str | None = Field(
        None,
        description="User-Agent of every request, also the name robots.txt rules are matched against "
        "(default: newsfacts/<version>; set it to name a contact, e.g. 'newsfacts/0.1 (+mailto:data@example.org)')",
    )
    fetch_rate_per_host: float = Field(1.0, gt=0, description="requests per second to one host (host:port)")
    fetch_concurrency_per_host: int = Field(2, ge=1, description="requests in flight to one host at once")
    fetch_max_redirects: int = Field(5, ge=0, description="redirects followed per request")
    fetch_workers: int = Field(8, ge=1, description="page-fetch tasks of a feed or sitemap running at once")
    feed_full_text_min_chars: int = Field(
        600, ge=1, description="a feed entry whose content holds this many characters is the article (no page fetch)"
    )
    sitemap_max_depth: int = Field(3, ge=0, description="levels of sitemap indexes followed below the first one")
    sitemap_max_urls: int = Field(50_000, ge=1, description="page URLs read from one sitemap SOURCE")
    # warehouse
    compact_auto: bool = Field(True, description="compact a table's small Parquet parts after a publish when due")
    compact_max_small_parts: int = Field(
        20, ge=1, description="a publish compacts a table once more small parts than this could be merged"
    )
    compact_small_mb: float = Field(64.0, gt=0, description="Parquet parts under this size (MB) are merged")
    # remote storage (docs/warehouse.md "Remote storage")
    warehouse_url: str | None = Field(
        None,
        description="an object-store URL (s3://bucket/prefix, gs://, az://, file://...) runs publish to instead of "
        "a local folder; credentials come from the environment (AWS_ACCESS_KEY_ID, ...), never from the URL. "
        "A warehouse_dir given as a URL lands here",
    )
    warehouse_credentials_block: str | None = Field(
        None,
        description="name of a Prefect Secret block holding the object store's credentials as a JSON object "
        '(e.g. {"aws_access_key_id": "...", "aws_secret_access_key": "..."}); default: from the environment',
    )
    remote_mirror_dir: Path | None = Field(
        None, description="where the local mirrors of remote warehouses live (default: <cache_dir>/remote)"
    )
    # streaming (docs/architecture.md "Streaming")
    stream_chunk_articles: int = Field(
        5_000, ge=1, description="records read, deduplicated, extracted, validated and staged together: what a run holds in memory"
    )
    publish_duckdb_memory_mb: int = Field(
        256, ge=16, description="memory DuckDB may use while it builds the warehouse file (it spills to disk beyond it)"
    )
    # input formats
    columns: dict[str, str] = Field(
        default_factory=dict,
        description='CSV/Parquet column per article field, e.g. {"text": "story"} (env NEWSFACTS_COLUMNS as JSON); '
        "fields not named use the defaults (text/body/content, title, url, published_at/date/published, source, "
        "language/lang, id)",
    )

    @model_validator(mode="before")
    @classmethod
    def _warehouse_url_from_dir(cls, data: object) -> object:
        """`warehouse_dir` given as a URL (`--warehouse s3://...`, NEWSFACTS_WAREHOUSE_DIR, a flow parameter)
        is the remote warehouse: moved to `warehouse_url` instead of being mangled into a path."""
        if isinstance(data, dict):
            given = data.get("warehouse_dir")
            if isinstance(given, str) and is_url(given):
                data = {**data, "warehouse_url": given}
                data.pop("warehouse_dir")
        return data

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(COLUMN_FIELDS))
        if unknown:
            raise ValueError(f"unknown article field(s) {unknown}: choose from {', '.join(COLUMN_FIELDS)}")
        return value

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
    def remote_mirror_path(self) -> Path:
        """The local mirror of `warehouse_url` a run publishes into before pushing (under the cache folder,
        one per URL)."""
        import hashlib

        if not self.warehouse_url:
            raise ValueError("no warehouse_url is set")
        digest = hashlib.sha1(self.warehouse_url.rstrip("/").encode("utf-8")).hexdigest()[:16]
        base = self.resolve(self.remote_mirror_dir) if self.remote_mirror_dir else self.cache_path / "remote"
        return base / digest

    @property
    def cache_path(self) -> Path:
        return self.resolve(self.cache_dir)

    @property
    def seeds_path(self) -> Path:
        return self.resolve(self.seeds_dir)

    @property
    def articles_dir(self) -> Path:
        return self.seeds_path / "articles"
