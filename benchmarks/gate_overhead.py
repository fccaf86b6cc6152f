"""Time the data-quality gate on synthetic valid tables (N rows per table).

    uv run python benchmarks/gate_overhead.py --rows 1000 --runs 3 [--fresh]

Prints the GX import time (paid once per process) and, per run, the total and
per-table seconds of `run_gate`. The data are valid, so the run must pass.
"""
from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timezone

import polars as pl

from newsfacts.schema import ARTICLES, EVENTS, FIGURES, LOCATIONS, conform

TEMPLATE = "Report {i}: Russian missiles struck Kyiv on Thursday, killing at least seven people in Zürich."


def synthetic_tables(n: int) -> dict[str, pl.DataFrame]:
    now = datetime(2024, 5, 2, 12, tzinfo=timezone.utc)
    ids = [f"art_{i:06d}" for i in range(n)]
    texts = [TEMPLATE.format(i=i) for i in range(n)]
    articles = pl.DataFrame(
        {"article_id": ids, "doc_id": ids, "source": ["bench"] * n, "text": texts,
         "language": ["en"] * n, "published_at": [now] * n, "ingested_at": [now] * n,
         "run_id": ["run"] * n}
    )

    def span(text: str, phrase: str) -> tuple[int, int]:
        s = text.index(phrase)
        return s, s + len(phrase)

    loc_rows, fig_rows, evt_rows = [], [], []
    for i, (aid, text) in enumerate(zip(ids, texts)):
        s, e = span(text, "Kyiv")
        loc_rows.append({"location_id": f"loc_{i}", "article_id": aid, "start_char": s, "end_char": e,
                         "mention_text": "Kyiv", "mention_kind": "toponym", "place_id": "703448",
                         "place_name": "Kyiv", "feature_type": "city", "country_code": "UA",
                         "latitude": 50.45, "longitude": 30.52, "confidence": 0.9})
        s, e = span(text, "at least seven people")
        fig_rows.append({"figure_id": f"fig_{i}", "article_id": aid, "start_char": s, "end_char": e,
                         "mention_text": "at least seven people", "value": 7.0, "value_low": 7.0,
                         "value_high": None, "qualifier": "at_least", "object": "people",
                         "category": "KILL", "event_id": f"evt_{i}"})
        s, e = span(text, "struck")
        evt_rows.append({"event_id": f"evt_{i}", "article_id": aid, "trigger_text": "struck",
                         "trigger_start": s, "trigger_end": e, "sentence_start": 0,
                         "sentence_end": len(text), "event_type": "ASSAULT",
                         "acled_event_type": "Explosions/Remote violence",
                         "acled_sub_event_type": "Shelling/artillery/missile attack",
                         "actor_country": "RU", "location_id": f"loc_{i}", "latitude": 50.45,
                         "longitude": 30.52, "country_code": "UA", "event_date": date(2024, 5, 2),
                         "date_precision": "day", "fatalities": 7, "negated": False,
                         "confidence": 0.8})
    frames = {
        "articles": (articles, ARTICLES),
        "locations": (pl.DataFrame(loc_rows), LOCATIONS),
        "figures": (pl.DataFrame(fig_rows), FIGURES),
        "events": (pl.DataFrame(evt_rows), EVENTS),
    }
    return {t: conform(f, s).collect() for t, (f, s) in frames.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="new ephemeral GX context per run")
    args = parser.parse_args()
    tables = synthetic_tables(args.rows)
    t0 = time.perf_counter()
    import great_expectations  # noqa: F401  (the one-off import cost)

    from newsfacts.expectations.gate import run_gate

    print(f"import great_expectations: {time.perf_counter() - t0:.2f}s")
    for run in range(args.runs):
        result = run_gate(tables, fresh_context=args.fresh)
        per_table = ", ".join(f"{k}={v:.2f}" for k, v in result.timings.items())
        print(f"run {run + 1}: {result.seconds:.2f}s success={result.success} ({per_table})")
        if not result.success:
            print(result.summary())


if __name__ == "__main__":
    main()
