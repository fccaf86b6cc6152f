"""10,000 articles of which 5% are faulty (their `language` is not a language code) and 1% are not articles:
the good 95% publish, the faulty ones are quarantined with their facts, and every input is accounted for."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.flows.servers import BIN

N = 10_000
FAULTY = range(0, N, 20)  # 500 articles, 5%
NOT_ARTICLES = 100


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, project_root: Path) -> Path:
    bodies = [p.read_text(encoding="utf-8") for p in sorted((project_root / "seeds" / "articles").glob("*.txt"))]
    path = tmp_path_factory.mktemp("corpus") / "news.jsonl"
    faulty = set(FAULTY)
    with path.open("w", encoding="utf-8") as out:
        for i in range(N):
            record = {"id": f"n{i}", "text": bodies[i % len(bodies)] + f"\nUpdate {i}: {i % 90 + 2} people were hurt."}
            if i in faulty:
                record["language"] = "x"  # breaks articles.language (a two-letter code)
            out.write(json.dumps(record) + "\n")
        for i in range(NOT_ARTICLES):
            out.write(json.dumps({"id": f"empty{i}", "text": "   "}) + "\n")  # rejects: blank text
    return path


def test_faulty_articles_are_quarantined_and_the_rest_publishes(prefect_server, corpus: Path, tmp_path: Path):
    warehouse = tmp_path / "wh"
    done = subprocess.run(
        [str(BIN / "newsfacts"), "run", str(corpus), "--warehouse", str(warehouse)],
        env={**prefect_server.env, "PREFECT_API_URL": prefect_server.api, "NEWSFACTS_MAX_QUARANTINE_SHARE": "0.1"},
        capture_output=True, text=True, timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    extracted = {
        table: int(n) for n, table in re.findall(r"(\d+) (locations|figures|events)", done.stdout.split("extract: done")[1].splitlines()[0])
    }
    con = duckdb.connect(str(warehouse / "newsfacts.duckdb"), read_only=True)
    try:
        def one(sql: str):
            return con.execute(sql).fetchone()[0]

        published = {t: one(f"select count(*) from {t}") for t in ("articles", "locations", "figures", "events")}
        quarantined = dict(con.execute("select table_name, count(*) from quarantine group by 1").fetchall())
        rejects = one("select count(*) from rejects")
        reasons = dict(
            con.execute(
                "select table_name, any_value(reason) from quarantine where reason <> 'depends_on_quarantined' group by 1"
            ).fetchall()
        )
        [(status, inputs, quarantined_rows)] = con.execute("select status, inputs_seen, quarantined_rows from runs").fetchall()
    finally:
        con.close()

    assert published["articles"] == N - len(FAULTY)  # 95% publish
    assert quarantined["articles"] == len(FAULTY)
    assert reasons == {"articles": "articles.expect_column_values_to_match_regex(language)"}
    assert rejects == NOT_ARTICLES
    assert published["articles"] + rejects + quarantined["articles"] == inputs == N + NOT_ARTICLES
    for table, n in extracted.items():  # every extracted fact either published or quarantined
        assert published[table] + quarantined.get(table, 0) == n, table
    assert status == "completed" and quarantined_rows == sum(quarantined.values())
