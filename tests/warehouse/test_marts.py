"""The mart views (warehouse/sql/marts/) on a warehouse built by a real run over the bundled articles plus one
dated wire article whose event has no date of its own (the published_at fallback): grain, deaths counted once
per event, dates filled wherever the article has one, and the original marts' columns kept."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, timezone
from pathlib import Path

import duckdb
import pytest

# Published 23:30 on 2 May in UTC-5, i.e. 3 May in UTC: the fallback day is the UTC day.
DATED_ARTICLE = {
    "id": "marts-test-1",
    "source": "marts-test",
    "title": "Gunmen attack market in Maiduguri",
    "published_at": "2024-05-02T23:30:00-05:00",
    "text": (
        "MAIDUGURI — Gunmen attacked a crowded market in Maiduguri, in Nigeria's Borno state, killing at least "
        "14 people and wounding 30 others, police said.\n\nResidents said the attackers arrived on motorcycles "
        "and set fire to stalls before fleeing into the bush."
    ),
}
FALLBACK_DAY = date(2024, 5, 3)

# Every mart and the columns that make its grain (no two rows share them; NULL counts as a value).
GRAIN = {
    "mart_events": ("event_id",),
    "mart_event_map": ("event_id",),
    "mart_country_daily": ("country_code", "event_date", "acled_event_type", "date_source"),
    "mart_events_daily": ("event_date", "date_source", "country_code", "admin1_code", "event_type"),
    "mart_figures_daily": ("figure_date", "date_source", "category", "unit"),
    "mart_figure_totals": ("category", "unit"),
    "mart_places": ("place_key",),
    "mart_latest_articles": ("article_id",),
    "mart_dq_runs": ("run_id",),
    "mart_rejects_by_reason": ("reason",),
}

# The columns the first three marts had (and BI dashboards may use), in their order.
ORIGINAL_COLUMNS = {
    "mart_country_daily": ["country_code", "event_date", "acled_event_type", "events", "fatalities", "articles"],
    "mart_event_map": [
        "event_id", "event_type", "acled_event_type", "acled_sub_event_type", "event_date", "fatalities",
        "actor_text", "recipient_text", "place_name", "country_code", "latitude", "longitude", "title", "url",
        "published_at", "article_id",
    ],
    "mart_figure_totals": ["category", "unit", "figures", "linked_to_events", "min_value", "max_value", "articles"],
}


@pytest.fixture(scope="module")
def db(prefect_harness, tmp_path_factory, project_root: Path) -> Path:
    from newsfacts.flows.pipeline import newsfacts_run

    inputs = tmp_path_factory.mktemp("marts-in")
    (inputs / "dated.jsonl").write_text(json.dumps(DATED_ARTICLE) + "\n", encoding="utf-8")
    folder = tmp_path_factory.mktemp("marts") / "wh"
    summary = newsfacts_run(
        sources=[str(project_root / "seeds" / "articles"), str(inputs / "dated.jsonl")], warehouse_dir=str(folder)
    )
    assert summary.status == "completed", summary
    return folder / "newsfacts.duckdb"


@pytest.fixture
def con(db: Path):
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def _rows(con, sql: str, params=()) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def _columns(con, view: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [view]
    ).fetchall()]


def _utc_day(ts) -> date | None:
    return None if ts is None else ts.astimezone(timezone.utc).date()


def _events_with_dates(con) -> list[dict]:
    """Non-negated events, one per same-event group (its first mention), with the date the marts should give
    them, computed here in Python."""
    events = _rows(con, """
        SELECT e.event_id, e.article_id, e.event_date AS own_date, e.fatalities, e.country_code, e.event_type,
               e.acled_event_type, a.published_at
        FROM events e LEFT JOIN articles a USING (article_id)
        WHERE NOT coalesce(e.negated, false) AND coalesce(e.same_event_id, e.event_id) = e.event_id
    """)
    for e in events:
        e["day"] = e["own_date"] or _utc_day(e["published_at"])
        e["source"] = "event" if e["own_date"] else "published_at" if e["published_at"] else None
    return events


def test_same_event_mentions_are_one_event(con):
    [(mentions, events, grouped)] = con.execute("""
        SELECT (SELECT sum(mentions) FROM mart_events),
               (SELECT count(*) FROM events WHERE NOT coalesce(negated, false)),
               (SELECT count(*) FROM mart_events WHERE mentions > 1)
    """).fetchall()
    assert mentions == events and grouped > 0  # every mention counted in exactly one event; the sample has merges


def test_every_mart_exists_and_reads(con):
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert set(GRAIN) <= views
    for view in GRAIN:
        assert con.execute(f"SELECT count(*) FROM {view}").fetchone()[0] > 0, view


@pytest.mark.parametrize("view", sorted(GRAIN))
def test_grain_has_no_duplicate_keys(con, view: str):
    keys = ", ".join(GRAIN[view])
    duplicates = con.execute(
        f"SELECT {keys}, count(*) AS n FROM {view} GROUP BY {keys} HAVING count(*) > 1 LIMIT 5"
    ).fetchall()
    assert duplicates == [], (view, duplicates)


@pytest.mark.parametrize("view", sorted(ORIGINAL_COLUMNS))
def test_original_marts_keep_their_columns(con, view: str):
    assert _columns(con, view)[: len(ORIGINAL_COLUMNS[view])] == ORIGINAL_COLUMNS[view]


def test_deaths_per_day_equal_the_sum_over_distinct_events(con):
    events = _events_with_dates(con)
    expected_deaths: dict = defaultdict(int)
    expected_events: Counter = Counter()
    for e in events:
        expected_deaths[e["day"]] += e["fatalities"] or 0
        expected_events[e["day"]] += 1
    daily = {r["event_date"]: r for r in _rows(con, """
        SELECT event_date, sum(fatalities) AS deaths, sum(events) AS events FROM mart_events_daily GROUP BY 1
    """)}
    assert {d: r["deaths"] for d, r in daily.items()} == dict(expected_deaths)
    assert {d: r["events"] for d, r in daily.items()} == dict(expected_events)
    # and nothing fans out: every event once, its deaths once
    [(events_total, deaths_total)] = con.execute("SELECT sum(events), sum(fatalities) FROM mart_events_daily").fetchall()
    assert events_total == len(events)
    assert deaths_total == sum(e["fatalities"] or 0 for e in events) > 0


def test_country_daily_matches_the_events(con):
    expected: dict = defaultdict(lambda: [0, 0])
    for e in _events_with_dates(con):
        if e["country_code"]:
            key = (e["country_code"], e["day"], e["acled_event_type"], e["source"])
            expected[key][0] += 1
            expected[key][1] += e["fatalities"] or 0
    actual = {
        (r["country_code"], r["event_date"], r["acled_event_type"], r["date_source"]): [r["events"], r["fatalities"]]
        for r in _rows(con, "SELECT * FROM mart_country_daily")
    }
    assert actual == dict(expected)


def test_dates_are_filled_wherever_the_article_has_one(con):
    events = _rows(con, "SELECT event_id, event_date, date_source, published_at FROM mart_events")
    by_id = {e["event_id"]: e for e in _events_with_dates(con)}
    assert len(events) == len(by_id)
    for e in events:
        own = by_id[e["event_id"]]
        assert e["date_source"] == own["source"], e
        assert e["event_date"] == own["day"], e
        if e["published_at"] is not None:
            assert e["event_date"] is not None and e["date_source"] in ("event", "published_at"), e
    # undated rows of the country mart come only from articles without a publication date
    undated_with_article_date = con.execute("""
        SELECT count(*) FROM mart_events
        WHERE country_code IS NOT NULL AND event_date IS NULL AND published_at IS NOT NULL
    """).fetchone()[0]
    assert undated_with_article_date == 0
    assert con.execute("SELECT count(*) FROM mart_country_daily WHERE event_date IS NULL AND date_source IS NOT NULL").fetchone()[0] == 0


def test_published_at_fallback_uses_the_utc_day_in_any_session_time_zone(db: Path):
    connection = duckdb.connect(str(db), read_only=True)
    try:
        connection.execute("SET TimeZone = 'America/Los_Angeles'")
        rows = connection.execute("""
            SELECT DISTINCT e.event_date, e.date_source, e.admin1_name
            FROM mart_events e JOIN articles a USING (article_id) WHERE a.doc_id = ?
        """, [DATED_ARTICLE["id"]]).fetchall()
        fatalities = connection.execute("""
            SELECT sum(fatalities) FROM mart_events_daily WHERE event_date = ? AND date_source = 'published_at'
        """, [FALLBACK_DAY]).fetchone()[0]
    finally:
        connection.close()
    assert rows == [(FALLBACK_DAY, "published_at", "Borno")]
    assert fatalities == 14


def test_event_map_has_one_point_per_located_event(con):
    located = con.execute("""
        SELECT count(*) FROM events WHERE latitude IS NOT NULL AND longitude IS NOT NULL AND NOT coalesce(negated, false)
            AND coalesce(same_event_id, event_id) = event_id
    """).fetchone()[0]
    points = _rows(con, "SELECT * FROM mart_event_map")
    assert len(points) == located > 0
    assert all(-90 <= p["latitude"] <= 90 and -180 <= p["longitude"] <= 180 for p in points)
    assert {p["date_source"] for p in points} <= {"event", "published_at", None}
    assert any(p["admin1_name"] for p in points)


def test_figures_daily_counts_every_figure_once(con):
    expected = {
        (r["category"], r["unit"]): (r["n"], r["total"])
        for r in _rows(con, "SELECT category, unit, count(*) AS n, sum(value) AS total FROM figures GROUP BY ALL")
    }
    actual = {
        (r["category"], r["unit"]): (r["n"], r["total"])
        for r in _rows(con, "SELECT category, unit, sum(figures) AS n, sum(value_sum) AS total FROM mart_figures_daily GROUP BY ALL")
    }
    assert actual.keys() == expected.keys()
    for key, (n, total) in expected.items():
        assert actual[key][0] == n, key
        assert actual[key][1] == pytest.approx(total), key
    kill = _rows(con, "SELECT figure_date, date_source FROM mart_figures_daily WHERE category = 'KILL' AND figure_date = ?", [FALLBACK_DAY])
    assert kill == [{"figure_date": FALLBACK_DAY, "date_source": "published_at"}]


def test_places_are_ranked_by_mentions(con):
    places = _rows(con, "SELECT * FROM mart_places ORDER BY mention_rank")
    assert [p["mention_rank"] for p in places] == list(range(1, len(places) + 1))
    mentions = [p["mentions"] for p in places]
    assert mentions == sorted(mentions, reverse=True)
    assert sum(mentions) == con.execute("SELECT count(*) FROM locations WHERE place_name IS NOT NULL").fetchone()[0]
    assert sum(p["events"] for p in places) == con.execute(
        "SELECT count(*) FROM events WHERE location_id IS NOT NULL AND NOT coalesce(negated, false)"
        " AND coalesce(same_event_id, event_id) = event_id"
    ).fetchone()[0]
    names = {p["place_name"] for p in places[:20]}
    assert "Ukraine" in names


def test_latest_articles_carry_their_fact_counts(con):
    rows = {r["article_id"]: r for r in _rows(con, "SELECT * FROM mart_latest_articles")}
    assert sorted(r["recency_rank"] for r in rows.values()) == list(range(1, len(rows) + 1))
    assert len(rows) == con.execute("SELECT count(*) FROM articles").fetchone()[0]
    for table, column in (("locations", "locations"), ("figures", "figures"), ("events", "events")):
        counts = dict(con.execute(f"SELECT article_id, count(*) FROM {table} GROUP BY 1").fetchall())
        assert {a: r[column] for a, r in rows.items()} == {a: counts.get(a, 0) for a in rows}, table


def test_dq_history_has_one_row_per_run_with_its_expectations(con):
    [run] = _rows(con, "SELECT * FROM mart_dq_runs")
    expectations = con.execute("SELECT count(*), count(*) FILTER (WHERE success) FROM dq_results").fetchone()
    assert run["status"] == "completed" and run["dq_outcome"] == "passed"
    assert (run["expectations"], run["expectations_passed"]) == expectations
    assert run["expectations"] > 0 and run["expectations_failed"] == 0 and run["failed_expectations"] is None
    assert run["recency_rank"] == 1


def test_rejects_by_reason_add_up(con):
    by_reason = dict(con.execute("SELECT reason, rejects FROM mart_rejects_by_reason").fetchall())
    assert by_reason == dict(con.execute("SELECT reason, count(*) FROM rejects GROUP BY 1").fetchall())
    assert by_reason  # the bundled photo-only wire item
