"""The ingest form's pre-filled values (`flows.deployments.ingest_defaults`)."""
from __future__ import annotations

from pathlib import Path

from newsfacts.flows.deployments import ingest_defaults

from newsfacts.settings import Settings


def test_the_form_names_the_configured_remote_warehouse(tmp_path: Path):
    local = ingest_defaults(Settings(base_dir=tmp_path, warehouse_dir=Path("wh")))
    assert local["warehouse_dir"] == str(tmp_path / "wh")
    remote = ingest_defaults(Settings(base_dir=tmp_path, warehouse_url="s3://news/warehouse"))
    assert remote["warehouse_dir"] == "s3://news/warehouse"
    # a URL given as the warehouse folder setting is the remote warehouse too, never a mangled path
    assert ingest_defaults(Settings(base_dir=tmp_path, warehouse_dir="s3://news/wh"))["warehouse_dir"] == "s3://news/wh"
