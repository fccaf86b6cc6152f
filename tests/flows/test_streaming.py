"""Streaming runs: a corpus spanning several chunks (`stream_chunk_articles`) publishes exactly what one chunk
publishes, with duplicates across chunks, quarantine summed over the run and one commit (or none)."""
from __future__ import annotations

import json
import random
from pathlib import Path

import duckdb
import polars as pl
import pytest
from newsfacts.flows import pipeline
from newsfacts.flows.streaming import ArticleDedupe, QuarantineTotals, repeated_keys
from newsfacts.transforms.articles import split_new_articles
from newsfacts.transforms.facts import ExtractedBatch
from newsfacts.warehouse.publish import LocalWarehouse
from polars.testing import assert_frame_equal

FACTS = ("articles", "locations", "figures", "events")
CHUNK = 7


def _bodies(project_root: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((project_root / "seeds" / "articles").glob("*.txt"))]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, project_root: Path) -> Path:
    """40 records (6 chunks of 7): 34 stories, a text repeated two chunks later, a URL repeated three chunks
    later with another text, the case where only one pass's order decides (a text duplicate whose URL a
    later record shares), and one article (n30, chunk 5) with a language the gate refuses."""
    bodies = _bodies(project_root)
    records = [
        {"id": f"n{i}", "text": bodies[i % len(bodies)] + f"\nUpdate {i}: {i % 9 + 2} people were hurt.",
         "url": f"https://news.example.org/story/{i}"}
        for i in range(34)
    ]
    records.append({**records[3], "id": "dup-text"})  # chunk 5: the text of n3 (chunk 1), another id
    records.append({**records[5], "id": "dup-url", "text": records[5]["text"] + "\nCorrected."})  # same URL as n5
    records.append({**records[1], "id": "dup-text-new-url", "url": "https://news.example.org/story/late"})
    records.append({"id": "late", "text": bodies[0] + "\nA late story.", "url": "https://news.example.org/story/late"})
    records.append({**records[8], "id": "dup-both"})
    records.append({"id": "n-last", "text": bodies[2] + "\nThe last story.", "url": None})
    records[30]["language"] = "x"  # not a two-letter code: the article and its facts are quarantined
    path = tmp_path_factory.mktemp("stream") / "news.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _table(wh_dir: Path, sql: str) -> pl.DataFrame:
    con = duckdb.connect(str(wh_dir / "newsfacts.duckdb"), read_only=True)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def _ids(wh_dir: Path) -> dict[str, set[str]]:
    keys = {"articles": "article_id", "locations": "location_id", "figures": "figure_id", "events": "event_id"}
    out = {t: set(_table(wh_dir, f"select {k} from {t}")[k].to_list()) for t, k in keys.items()}
    out["quarantine"] = set(_table(wh_dir, "select table_name || ':' || row_key || ':' || reason as q from quarantine")["q"])
    return out


def _leftovers(wh_dir: Path) -> list[str]:
    return [str(p.relative_to(wh_dir)) for folder in ("_spool", "_staging") for p in (wh_dir / folder).rglob("*")
            if p.is_file()]


@pytest.fixture(scope="module")
def one_chunk(prefect_harness, corpus: Path, tmp_path_factory) -> tuple[pipeline.RunSummary, Path]:
    wh_dir = tmp_path_factory.mktemp("one") / "wh"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEWSFACTS_MAX_QUARANTINE_SHARE", "0.5")
        mp.setenv("NEWSFACTS_STREAM_CHUNK_ARTICLES", "1000")
        return pipeline.newsfacts_run(sources=[str(corpus)], warehouse_dir=str(wh_dir)), wh_dir


def test_chunks_publish_the_rows_and_ids_of_one_chunk(prefect_harness, one_chunk, corpus: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NEWSFACTS_MAX_QUARANTINE_SHARE", "0.5")
    monkeypatch.setenv("NEWSFACTS_STREAM_CHUNK_ARTICLES", str(CHUNK))
    whole, whole_dir = one_chunk
    wh_dir = tmp_path / "wh"
    chunked = pipeline.newsfacts_run(sources=[str(corpus)], warehouse_dir=str(wh_dir))

    assert chunked.status == whole.status == "completed"
    assert chunked.dq_outcome == whole.dq_outcome == "quarantined"
    for name in ("inputs_seen", "articles_new", "duplicates_skipped", "rejects", "quarantined", "new_rows", "total_rows"):
        assert getattr(chunked, name) == getattr(whole, name), name
    # 40 records: n3's text again, n5's URL again, n1's text (under a URL `late` then also uses), n8 again
    assert whole.articles_new == 35 and whole.duplicates_skipped == 5
    assert _ids(wh_dir) == _ids(whole_dir)
    articles = "select * exclude (ingested_at, run_id) from articles order by article_id"
    assert_frame_equal(_table(wh_dir, articles), _table(whole_dir, articles))
    figures = "select * from figures order by figure_id"
    assert_frame_equal(_table(wh_dir, figures), _table(whole_dir, figures))
    # the faulty article (chunk 5) and its facts were held back, counted once
    quarantined = _table(wh_dir, "select table_name, count(*) as n from quarantine group by 1 order by 1")
    assert quarantined.filter(pl.col("table_name") == "articles")["n"].to_list() == [1]
    assert quarantined["n"].sum() == chunked.quarantined
    # dq_results: the chunks' counts add up to what one pass over the run counted
    results = "select table_name, expectation_type, column_name, description, success, element_count, unexpected_count " \
              "from dq_results order by all"
    assert_frame_equal(_table(wh_dir, results), _table(whole_dir, results))
    # one commit, one part per table, nothing left in the spool or staging
    [commit] = LocalWarehouse(wh_dir).commits()
    assert commit.run_id == chunked.run_id and len({p.table for p in commit.parts}) == len(commit.parts)
    assert _leftovers(wh_dir) == []
    assert sorted(chunked.stage_seconds) == ["articles", "extract", "load", "publish", "validate"]


def test_chunked_reruns_add_what_is_new_and_then_nothing(prefect_harness, one_chunk, corpus: Path, monkeypatch):
    monkeypatch.setenv("NEWSFACTS_MAX_QUARANTINE_SHARE", "1")  # the quarantined article is new again, and held again
    monkeypatch.setenv("NEWSFACTS_STREAM_CHUNK_ARTICLES", str(CHUNK))
    _, wh_dir = one_chunk
    before = LocalWarehouse(wh_dir).row_counts()
    # `late` lost its URL to a record dropped for its text; now that text is published, that record never
    # claims the URL, and `late` is a story of its own (as it would be in one pass)
    again = pipeline.newsfacts_run(sources=[str(corpus)], warehouse_dir=str(wh_dir))
    assert again.status == "completed" and again.articles_new == 2 and again.new_rows["articles"] == 1
    assert _table(wh_dir, "select doc_id from articles where run_id = '%s'" % again.run_id)["doc_id"].to_list() == ["late"]
    middle = LocalWarehouse(wh_dir).row_counts()
    assert middle["articles"] == before["articles"] + 1
    third = pipeline.newsfacts_run(sources=[str(corpus)], warehouse_dir=str(wh_dir))
    assert third.articles_new == 1 and sum(third.new_rows[t] for t in FACTS) == 0
    after = LocalWarehouse(wh_dir).row_counts()
    assert {t: after[t] for t in FACTS} == {t: middle[t] for t in FACTS}


def _corrupt_batches_with(monkeypatch, marker: str, corrupt) -> None:
    """Facts of the batches holding an article whose text contains `marker` go through `corrupt`."""
    real = pipeline.extract_facts_isolated

    def extract(articles, reference):
        batch = real(articles, reference)
        if articles["text"].str.contains(marker, literal=True).any():
            return ExtractedBatch({**batch.facts, "figures": corrupt(batch.facts["figures"])}, batch.failures)
        return batch

    monkeypatch.setattr(pipeline, "extract_facts_isolated", extract)


def test_a_gate_failure_in_the_last_chunk_publishes_nothing(prefect_harness, corpus: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NEWSFACTS_MAX_QUARANTINE_SHARE", "0.5")
    monkeypatch.setenv("NEWSFACTS_STREAM_CHUNK_ARTICLES", str(CHUNK))
    # the last chunk's figures lose a column: a failure of the table as a whole, which no row can carry
    _corrupt_batches_with(monkeypatch, "The last story.", lambda f: f.drop("qualifier"))
    wh_dir = tmp_path / "wh"
    with pytest.raises(pipeline.DataQualityError) as failure:
        pipeline.newsfacts_run(sources=[str(corpus)], warehouse_dir=str(wh_dir))
    summary = failure.value.summary
    assert summary.status == "stopped" and summary.dq_outcome == "failed"
    assert "chunk 6/6" in summary.reason and "figures.expect_table_columns_to_match_set" in summary.reason
    assert summary.articles_new == 35  # every chunk was read and validated before the stop
    counts = LocalWarehouse(wh_dir).row_counts()
    assert {t: counts[t] for t in (*FACTS, "quarantine", "rejects")} == dict.fromkeys((*FACTS, "quarantine", "rejects"), 0)
    assert counts["runs"] == 1 and counts["dq_results"] > 0
    assert _leftovers(wh_dir) == []
    [(status,)] = _table(wh_dir, f"select status from runs where run_id = '{summary.run_id}'").rows()
    assert status == "stopped"
    failed = _table(wh_dir, "select table_name, expectation_type from dq_results where not success").rows()
    assert ("figures", "expect_table_columns_to_match_set") in failed
    assert Path(summary.dq_report).is_file()


def test_the_quarantine_share_is_the_runs_not_a_chunks(prefect_harness, corpus: Path, tmp_path: Path, monkeypatch):
    """Every figure of one chunk broken: most of that chunk's figures, a small share of the run's."""
    monkeypatch.setenv("NEWSFACTS_STREAM_CHUNK_ARTICLES", str(CHUNK))
    _corrupt_batches_with(monkeypatch, "Update 16:", lambda f: f.with_columns(value_low=pl.col("value") + 1))
    monkeypatch.setenv("NEWSFACTS_MAX_QUARANTINE_SHARE", "0.5")
    done = pipeline.newsfacts_run(sources=[str(corpus)], warehouse_dir=str(tmp_path / "wh"))
    broken = _table(tmp_path / "wh", "select count(*) as n from quarantine where table_name = 'figures' "
                                     "and reason like 'figures.%'")["n"].item()
    total = done.new_rows["figures"] + _table(tmp_path / "wh", "select count(*) as n from quarantine "
                                                               "where table_name = 'figures'")["n"].item()
    assert done.status == "completed" and 0 < broken / total < 0.5

    share = broken / total
    monkeypatch.setenv("NEWSFACTS_MAX_QUARANTINE_SHARE", str(round(share / 2, 4)))
    with pytest.raises(pipeline.DataQualityError) as failure:
        pipeline.newsfacts_run(sources=[str(corpus)], warehouse_dir=str(tmp_path / "wh2"))
    assert f"of {total} figures rows quarantined" in failure.value.summary.reason
    assert _leftovers(tmp_path / "wh2") == []


# --- the pure pieces -------------------------------------------------------------------------------


def test_article_dedupe_over_chunks_equals_one_split():
    rng = random.Random(7)
    for trial in range(200):
        n = rng.randint(1, 30)
        frame = pl.DataFrame(
            {
                "article_id": [f"art_{rng.randint(0, 8)}" for _ in range(n)],
                "url": [rng.choice([None, "https://a.example/1", "https://a.example/2?utm_source=x",
                                    "https://a.example/2", "https://b.example/3#top", "https://b.example/3"])
                        for _ in range(n)],
                "row": list(range(n)),
            }
        )
        known_ids = pl.Series("article_id", [f"art_{i}" for i in range(rng.randint(0, 2))], dtype=pl.String)
        known_urls = pl.Series("url", ["https://b.example/3"] if trial % 3 == 0 else [], dtype=pl.String)
        whole, duplicates = split_new_articles(frame, known_ids, known_urls)
        size = rng.randint(1, 6)
        dedupe = ArticleDedupe(known_ids, known_urls)
        parts = [dedupe.split(frame.slice(offset, size)) for offset in range(0, n, size)]
        assert_frame_equal(pl.concat([p for p, _ in parts]), whole)
        assert sum(d for _, d in parts) == duplicates


def test_repeated_keys_counts_ids_an_earlier_chunk_had(tmp_path: Path):
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    pl.DataFrame({"figure_id": ["f1", "f2"]}).write_parquet(first)
    pl.DataFrame({"figure_id": ["f3"]}).write_parquet(second)
    assert repeated_keys([first, second], "figure_id") == 0
    pl.DataFrame({"figure_id": ["f3", "f2", "f2"]}).write_parquet(second)
    assert repeated_keys([first, second], "figure_id") == 2
    assert repeated_keys([], "figure_id") == 0


def test_quarantine_totals_apply_the_share_to_the_run():
    from newsfacts.expectations.quarantine import Quarantined

    totals = QuarantineTotals()
    empty = pl.DataFrame()
    totals.add(Quarantined({}, empty, counts={"figures": 6}, totals={"figures": 10}, reasons={"figures": {"a": 6}}))
    totals.add(Quarantined({}, empty, counts={}, totals={"figures": 90}, reasons={}))
    totals.add(Quarantined({}, empty, counts={"figures": 1}, totals={"figures": 20}, reasons={"figures": {"b": 1}}))
    assert totals.rows == 7 and totals.totals == {"figures": 120}
    assert totals.stops(0.1) == []
    [stop] = totals.stops(0.05)
    assert stop.startswith("7 of 120 figures rows quarantined (6%)") and stop.endswith("a, b")
