"""`newsfacts run --warehouse s3://...` and `newsfacts sync` end to end: the CLI in-process under the Prefect
test harness, against moto's S3 server started on 127.0.0.1; compared with the same runs into a local folder."""
from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import obstore
import pytest
from newsfacts.warehouse.commits import Manifest
from newsfacts.warehouse.remote import RemoteStore
from typer.testing import CliRunner

from newsfacts.cli import app
from tests.warehouse.s3server import SECRET_KEY, S3Server, s3_server

TABLES = {
    "articles": "article_id",
    "locations": "location_id",
    "figures": "figure_id",
    "events": "event_id",
    "rejects": "reject_id",
}
EXTRA = "Floods in Lagos\nFloods killed at least 12 people in Lagos, Nigeria, on Monday, officials said.\n"


def _ids(folder: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(folder / "newsfacts.duckdb"), read_only=True)
    try:
        out = {t: [r[0] for r in con.execute(f"SELECT {k} FROM {t} ORDER BY 1").fetchall()] for t, k in TABLES.items()}
        out["runs"] = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
        return out
    finally:
        con.close()


def _invoke(args: list[str]):
    return CliRunner().invoke(app, args)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with s3_server() as server, pytest.MonkeyPatch.context() as patch:
        for key, value in server.env().items():
            patch.setenv(key, value)
        patch.setenv("NEWSFACTS_REMOTE_MIRROR_DIR", str(tmp_path_factory.mktemp("mirrors")))
        yield server


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, project_root: Path) -> tuple[Path, Path]:
    """The bundled articles in two halves: two runs with different inputs."""
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    articles = sorted((project_root / "seeds" / "articles").iterdir())
    for n, path in enumerate(articles):
        (first if n % 2 else second).joinpath(path.name).symlink_to(path)
    return first, second


@pytest.fixture(scope="module")
def two_runs(prefect_harness, env: S3Server, inputs, tmp_path_factory):
    """Two runs into s3://bucket/shared, the same two into a local folder, then `newsfacts sync --to DIR`."""
    url = f"s3://{env.new_bucket()}/shared"
    local = tmp_path_factory.mktemp("local")
    outputs = []
    for source in inputs:
        for target in (url, str(local)):
            result = _invoke(["run", str(source), "--warehouse", target])
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
    copy = tmp_path_factory.mktemp("copy")
    synced = _invoke(["sync", "--warehouse", url, "--to", str(copy)])
    assert synced.exit_code == 0, synced.output
    outputs.append(synced.output)
    return url, local, copy, outputs


def test_two_remote_runs_sync_into_the_warehouse_two_local_runs_make(two_runs):
    url, local, copy, outputs = two_runs
    remote, control = _ids(copy), _ids(local)
    assert remote == control
    assert remote["runs"] == ["completed", "completed"]
    assert len(remote["articles"]) >= 31 and len(remote["events"]) > 31
    assert f"pushed to {url}" in outputs[0]
    assert "2 new commits" in outputs[-1] and "DuckDB file rebuilt" in outputs[-1]
    con = duckdb.connect(str(copy / "newsfacts.duckdb"), read_only=True)
    try:  # marts and the parquet views over the copy's own files
        assert con.execute("SELECT count(*) FROM parquet_articles").fetchone()[0] == len(remote["articles"])
        assert con.execute("SELECT count(*) FROM mart_events").fetchone()[0] > 0
    finally:
        con.close()


def test_a_second_sync_downloads_nothing(two_runs):
    url, _, copy, _ = two_runs
    before = {p: p.stat().st_mtime_ns for p in copy.rglob("*") if p.is_file()}
    again = _invoke(["sync", "--warehouse", url, "--to", str(copy)])
    assert again.exit_code == 0, again.output
    assert "0 new commits, 0 parts downloaded (0.0 MB); DuckDB file up to date" in again.output
    assert {p: p.stat().st_mtime_ns for p in copy.rglob("*") if p.is_file()} == before


def test_the_secret_is_in_no_output_log_or_file(two_runs, env: S3Server, caplog, tmp_path: Path):
    url, _, copy, outputs = two_runs
    caplog.set_level(logging.INFO)
    extra = tmp_path / "extra.txt"
    extra.write_text(EXTRA, encoding="utf-8")
    result = _invoke(["run", str(extra), "--warehouse", url])
    assert result.exit_code == 0, result.output
    for text in (*outputs, result.output, caplog.text):
        assert SECRET_KEY not in text
    store = RemoteStore.open(url)
    mirror = Path(result.output.split("this machine's mirror: ")[1].split(")")[0].replace("\n", ""))
    files = [p for folder in (copy, mirror) for p in folder.rglob("*") if p.is_file()]
    assert len(files) > 20 and any(p.name == "newsfacts.duckdb" for p in files)
    for path in files:
        assert SECRET_KEY.encode() not in path.read_bytes(), path
    for meta in obstore.list(store.store).collect():
        assert SECRET_KEY.encode() not in store.read(meta["path"]), meta["path"]


def test_a_url_with_credentials_is_refused_before_anything_runs(prefect_harness, env: S3Server, inputs):
    bucket = env.new_bucket()
    result = _invoke(["run", str(inputs[0]), "--warehouse", f"s3://AKIAX:{SECRET_KEY}@{bucket}/wh"])
    assert result.exit_code == 2
    assert SECRET_KEY not in result.output and "refusing warehouse URL s3://***@" in result.output
    synced = _invoke(["sync", "--warehouse", f"s3://{bucket}/wh?token={SECRET_KEY}", "--to", "unused"])
    assert synced.exit_code == 2 and SECRET_KEY not in synced.output
    assert obstore.list(RemoteStore.open(f"s3://{bucket}").store).collect() == []


def test_a_run_whose_push_died_is_pushed_by_the_next_run_once(prefect_harness, env: S3Server, inputs, tmp_path, monkeypatch):
    url = f"s3://{env.new_bucket()}/crash"
    extra = tmp_path / "extra.txt"
    extra.write_text(EXTRA, encoding="utf-8")
    assert _invoke(["run", str(inputs[0]), "--warehouse", url]).exit_code == 0
    monkeypatch.setenv("NEWSFACTS_FAULT_AT", "remote:before_manifest")  # committed in the mirror, parts uploaded
    monkeypatch.setenv("NEWSFACTS_FAULT_MODE", "raise")
    died = _invoke(["run", str(extra), "--warehouse", url])
    assert died.exit_code == 3 and "not pushed yet" in died.output, died.output
    monkeypatch.delenv("NEWSFACTS_FAULT_AT")
    store = RemoteStore.open(url)
    assert len([m for m in obstore.list(store.store, prefix="_commits/").collect()]) == 1

    again = _invoke(["run", str(extra), "--warehouse", url])  # pushes the waiting commit, then adds nothing new
    assert again.exit_code == 0, again.output
    keys = sorted(m["path"] for m in obstore.list(store.store, prefix="_commits/").collect())
    manifests = [Manifest.from_json(store.read(k), Path(k)) for k in keys]
    assert [m.seq for m in manifests] == [1, 2, 3]
    assert len({m.run_id for m in manifests}) == 3  # each run once
    assert "articles" not in {p.table for p in manifests[2].parts}  # the re-run found its article published
    copy = tmp_path / "copy"
    assert _invoke(["sync", "--warehouse", url, "--to", str(copy)]).exit_code == 0
    ids = _ids(copy)
    assert len(ids["articles"]) == 15 + 1 and ids["runs"] == ["completed"] * 3


def test_credentials_from_a_prefect_secret_block(prefect_harness, inputs, tmp_path: Path, monkeypatch):
    """A store that checks signatures (moto with IAM auth): the environment's keys are refused, the keys in
    the Secret block named by the setting work, for `run` and `sync`; the block's secret shows nowhere."""
    from prefect.blocks.system import Secret

    with s3_server(authenticated=True) as server:
        keys = server.iam_credentials()
        Secret(value=keys).save("newsfacts-test-s3", overwrite=True)
        for key, value in server.env().items():  # wrong keys in the environment
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("NEWSFACTS_REMOTE_MIRROR_DIR", str(tmp_path / "mirrors"))
        url = "s3://secured/wh"
        refused = _invoke(["run", str(inputs[0]), "--warehouse", url])
        assert refused.exit_code == 3 and "403" in refused.output, refused.output

        monkeypatch.setenv("NEWSFACTS_WAREHOUSE_CREDENTIALS_BLOCK", "newsfacts-test-s3")
        ran = _invoke(["run", str(inputs[0]), "--warehouse", url])
        assert ran.exit_code == 0, ran.output
        copy = tmp_path / "copy"
        synced = _invoke(["sync", "--warehouse", url, "--to", str(copy)])
        assert synced.exit_code == 0, synced.output
        assert "1 new commits" in synced.output and len(_ids(copy)["articles"]) == 15
        secret = keys["aws_secret_access_key"]
        assert secret not in refused.output + ran.output + synced.output
        for path in [p for p in tmp_path.rglob("*") if p.is_file()]:
            assert secret.encode() not in path.read_bytes(), path
