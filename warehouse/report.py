"""`newsfacts report`: one self-contained HTML page that shows a warehouse at a glance.

Events over time by type, a world map of event locations sized by deaths, the most mentioned places,
casualty and displacement figures over time, rejected inputs and the data quality of recent runs, drawn as
inline SVG by the small functions below (no scripts, no fonts, no external reference: it opens offline).

    queries (the DuckDB file opened read-only; the mart_* views)  ->  records (plain dicts)
        ->  SVG / HTML fragments  ->  one page  ->  DIR/reports/report.html (written atomically)

Country outlines come from the GeoJSON shipped in the `countryinfo` package (johan/world.geo.json,
Natural Earth derived), coarsened to whole pixels; nothing is downloaded.
"""
from __future__ import annotations

import math
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from newsfacts.schema import PLOVER_TYPES
from newsfacts.warehouse import report_template as tpl
from newsfacts.warehouse.publish import DB_NAME
from newsfacts.warehouse.report_template import esc

REPORT_NAME = "report.html"

# The views the report reads (warehouse/sql/marts/); a DuckDB file built before they existed lacks them.
REQUIRED_VIEWS = (
    "mart_events", "mart_events_daily", "mart_event_map", "mart_places", "mart_figures_daily",
    "mart_rejects_by_reason", "mart_dq_runs", "mart_latest_articles",
)
CASUALTY_CATEGORIES = {"KILL": "killed", "WOUND": "wounded", "DISPLACE": "displaced", "AFFECT": "affected"}
CATEGORY_COLOURS = {"KILL": "#c0392b", "WOUND": "#e67e22", "DISPLACE": "#2874a6", "AFFECT": "#7d3c98"}

# One colour per PLOVER type: cooperative types cool, conflictual ones warm.
TYPE_COLOURS = dict(zip(PLOVER_TYPES, (
    "#2e7d32", "#1f77b4", "#66bb6a", "#9ccc65", "#26a69a", "#17becf", "#aec7e8", "#7986cb",
    "#bcbd22", "#c49c94", "#e377c2", "#ff7f0e", "#8c564b", "#9467bd", "#f2b134", "#d62728",
)))
OTHER_COLOUR = "#9aa5b1"


# --- opening the warehouse ------------------------------------------------------------------------------

class ReportError(RuntimeError):
    """The warehouse cannot be read as asked; `exit_code` is what the CLI exits with."""

    exit_code = 1


class WarehouseMissing(ReportError):
    exit_code = 2


class WarehouseLocked(ReportError):
    """Another process holds the DuckDB file open for writing (DuckDB then refuses every other open)."""


class MartsMissing(ReportError):
    pass


_LOCK = re.compile(r"Conflicting lock is held in (?P<holder>.+?) \(PID (?P<pid>\d+)\)")


def connect_read_only(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse's DuckDB file, or a `ReportError` that says what is wrong."""
    if not db_path.is_file():
        raise WarehouseMissing(f"no warehouse at {db_path}; run `newsfacts run` first")
    try:
        return duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        text = str(exc)
        if "lock" not in text.lower():
            raise ReportError(f"cannot open {db_path}: {text}") from exc
        found = _LOCK.search(text)
        holder = f"{found['holder']} (PID {found['pid']})" if found else "another process"
        raise WarehouseLocked(
            f"{db_path} is locked: {holder} holds the DuckDB file's write lock, and DuckDB lets nobody else "
            "open a file while a process has it open for writing. Close that connection (or let the program "
            "finish) and try again. newsfacts runs never hold this lock: they build a new file and rename it "
            "into place."
        ) from exc


def records(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def check_marts(con: duckdb.DuckDBPyConnection) -> None:
    present = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    missing = [v for v in REQUIRED_VIEWS if v not in present]
    if missing:
        raise MartsMissing(
            f"the warehouse lacks {', '.join(missing)}: its DuckDB file was built by an older newsfacts; "
            "`newsfacts rebuild --warehouse DIR` recreates the marts from the Parquet parts"
        )


# --- queries -> records ---------------------------------------------------------------------------------

def overview(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    [row] = records(con, """
        SELECT
            (SELECT count(*) FROM articles)                              AS articles,
            (SELECT count(*) FROM mart_events)                           AS events,
            (SELECT count(event_date) FROM mart_events)                  AS dated_events,
            (SELECT coalesce(sum(fatalities), 0) FROM mart_events)       AS deaths,
            (SELECT count(*) FROM mart_places)                           AS places,
            (SELECT count(*) FROM figures)                               AS figures,
            (SELECT count(*) FROM rejects)                               AS rejects,
            (SELECT count(*) FROM quarantine)                            AS quarantined,
            (SELECT count(*) FROM runs)                                  AS runs
    """)
    return row


def events_per_day(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return records(con, """
        SELECT event_date, event_type, sum(events) AS events, sum(fatalities) AS deaths
        FROM mart_events_daily GROUP BY ALL ORDER BY event_date NULLS LAST, event_type
    """)


def map_points(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Located events grouped by place (same coordinates): how many, how many deaths, which types."""
    return records(con, """
        SELECT
            round(latitude, 3) AS lat, round(longitude, 3) AS lon,
            min(place_name) AS place, min(country_code) AS country_code,
            count(*) AS events, coalesce(sum(fatalities), 0) AS deaths,
            string_agg(DISTINCT event_type, ', ' ORDER BY event_type) AS types
        FROM mart_event_map
        GROUP BY 1, 2
        ORDER BY deaths DESC, events DESC, place
    """)


def top_places(con: duckdb.DuckDBPyConnection, limit: int = 15) -> list[dict[str, Any]]:
    return records(con, """
        SELECT place_name, feature_type, country_code, mentions, articles, events, fatalities
        FROM mart_places WHERE mention_rank <= ? ORDER BY mention_rank
    """, [limit])


def casualty_figures(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Plain counts (no unit) of the casualty and displacement categories per day."""
    categories = list(CASUALTY_CATEGORIES)
    return records(con, f"""
        SELECT figure_date, category, sum(value_sum) AS value, sum(figures) AS figures, sum(articles) AS articles
        FROM mart_figures_daily
        WHERE unit IS NULL AND category IN ({', '.join('?' for _ in categories)})
        GROUP BY ALL ORDER BY figure_date NULLS LAST, category
    """, categories)


def rejects_by_reason(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return records(con, """
        SELECT reason, rejects, runs, example_source, example_detail
        FROM mart_rejects_by_reason ORDER BY rejects DESC, reason
    """)


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[dict[str, Any]]:
    return records(con, """
        SELECT run_id, started_at, status, dq_outcome, reason, seconds, articles_new, rejects, quarantined_rows,
               expectations, expectations_passed, expectations_failed, failed_expectations
        FROM mart_dq_runs WHERE recency_rank <= ? ORDER BY recency_rank
    """, [limit])


def latest_articles(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[dict[str, Any]]:
    return records(con, """
        SELECT title, source, published_at, ingested_at, locations, figures, events, fatalities
        FROM mart_latest_articles WHERE recency_rank <= ? ORDER BY recency_rank
    """, [limit])


def event_countries(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT DISTINCT country_code FROM mart_events WHERE country_code IS NOT NULL").fetchall()}


@dataclass
class ReportData:
    db_path: Path
    generated_at: datetime
    overview: dict[str, Any]
    events: list[dict[str, Any]]
    points: list[dict[str, Any]]
    places: list[dict[str, Any]]
    figures: list[dict[str, Any]]
    rejects: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    countries: set[str] = field(default_factory=set)


def load(db_path: Path) -> ReportData:
    con = connect_read_only(db_path)
    try:
        check_marts(con)
        return ReportData(
            db_path=db_path,
            generated_at=datetime.now(timezone.utc),
            overview=overview(con),
            events=events_per_day(con),
            points=map_points(con),
            places=top_places(con),
            figures=casualty_figures(con),
            rejects=rejects_by_reason(con),
            runs=recent_runs(con),
            articles=latest_articles(con),
            countries=event_countries(con),
        )
    finally:
        con.close()


# --- numbers and time buckets ---------------------------------------------------------------------------

def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def fmt_num(value: float | int | None) -> str:
    """12, 1,234, 12.3k, 4.5M: short enough for an axis or a bar label."""
    if value is None:
        return "–"
    v = float(value)
    for limit, divisor, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(v) >= limit:
            return f"{v / divisor:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"


def nice_ticks(maximum: float, count: int = 4) -> list[float]:
    """0 and evenly spaced round ticks (1, 2, 2.5 or 5 x 10^k) up to at least `maximum`."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [i * step for i in range(int(math.ceil(maximum / step - 1e-9)) + 1)]


def time_unit(first: date, last: date) -> str:
    """The bar width that keeps a chart readable: days up to three months, then weeks, months, years."""
    span = (last - first).days
    return "day" if span <= 92 else "week" if span <= 730 else "month" if span <= 3660 else "year"


def bucket(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return date(day.year, 1, 1)
    return day


def next_bucket(start: date, unit: str) -> date:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    if unit == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def bucket_label(start: date, unit: str) -> str:
    if unit == "year":
        return str(start.year)
    if unit == "month":
        return start.strftime("%b %Y")
    return start.strftime("%d %b %Y").lstrip("0")


UNITS = ("day", "week", "month", "year")


def time_axis(days: Iterable[date], max_buckets: int = 120) -> tuple[str, list[date]]:
    """(unit, every bucket from the first to the last day, gaps included): the finest unit the span calls
    for, coarser while there would be more than `max_buckets` bars."""
    days = sorted(set(days))
    unit = time_unit(days[0], days[-1])
    while True:
        current, last, buckets = bucket(days[0], unit), bucket(days[-1], unit), []
        while current <= last:
            buckets.append(current)
            current = next_bucket(current, unit)
        if len(buckets) <= max_buckets or unit == UNITS[-1]:
            return unit, buckets
        unit = UNITS[UNITS.index(unit) + 1]


def max_bars(width: int, min_band: float = 7.0) -> int:
    """How many bars a chart `width` pixels wide shows without them shrinking to slivers."""
    return max(1, int((width - 58) / min_band))


# --- SVG ------------------------------------------------------------------------------------------------

def svg(width: int, height: int, body: Iterable[str], label: str) -> str:
    return (
        f"<svg viewBox='0 0 {width} {height}' width='{width}' height='{height}' role='img' "
        f"aria-label='{esc(label)}'>" + "".join(body) + "</svg>"
    )


def stacked_bars_svg(
    unit: str,
    buckets: Sequence[date],
    series: dict[str, dict[date, float]],
    colours: dict[str, str],
    *,
    width: int = 1120,
    height: int = 260,
    what: str = "events",
) -> str:
    """Bars per time bucket, one stacked segment per series (first series at the bottom)."""
    left, right, top, bottom = 48, 10, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values.get(b, 0) for values in series.values()) for b in buckets]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_h / ticks[-1]
    band = plot_w / max(len(buckets), 1)
    bar = max(1.0, min(band * 0.78, 60.0))
    out = []
    for tick in ticks:  # grid and y labels
        y = top + plot_h - tick * scale
        out.append(f"<line x1='{left}' x2='{width - right}' y1='{y:.1f}' y2='{y:.1f}' stroke='#e6e9ee'/>")
        out.append(f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end' font-size='11' fill='#5c6b7a'>"
                   f"{fmt_num(tick)}</text>")
    for i, start in enumerate(buckets):
        x = left + i * band + (band - bar) / 2
        y = top + plot_h
        for name, values in series.items():
            value = values.get(start, 0)
            if not value:
                continue
            h = value * scale
            y -= h
            out.append(
                f"<rect x='{x:.1f}' y='{y:.1f}' width='{bar:.1f}' height='{h:.1f}' fill='{colours.get(name, OTHER_COLOUR)}'>"
                f"<title>{esc(bucket_label(start, unit))} · {esc(name)}: {fmt_num(value)} {esc(what)}</title></rect>"
            )
    label_w = 7.0 * max((len(bucket_label(b, unit)) for b in buckets), default=4) + 10
    step = max(1, math.ceil(label_w / band))  # labels never overlap
    for i in range(0, len(buckets), step):
        text = bucket_label(buckets[i], unit)
        x = left + i * band + band / 2
        half = 3.5 * len(text)
        if x + half > width - 2:  # the last label stays inside the chart
            if x - half < (left + (i - step) * band + band / 2) + half + 6:
                continue
            x = width - 2 - half
        out.append(f"<text x='{x:.1f}' y='{height - 9}' text-anchor='middle' font-size='11' fill='#5c6b7a'>"
                   f"{esc(text)}</text>")
    out.append(f"<line x1='{left}' x2='{width - right}' y1='{top + plot_h}' y2='{top + plot_h}' stroke='#9aa5b1'/>")
    return svg(width, height, out, f"{what} per {unit}")


def hbars_svg(items: Sequence[tuple[str, float, str]], colour: str, *, width: int = 1120, label_w: int = 300) -> str:
    """Horizontal bars: (label, value, text shown after the bar), largest first."""
    row, top = 24, 4
    height = top * 2 + row * len(items)
    room = width - label_w - 250  # the text after the longest bar fits
    peak = max((v for _, v, _ in items), default=0) or 1
    out = []
    for i, (label, value, text) in enumerate(items):
        y = top + i * row
        w = max(2.0, room * value / peak)
        out.append(f"<text x='{label_w - 8}' y='{y + 16}' text-anchor='end' font-size='12.5' fill='#1d2733'>"
                   f"{esc(label)}</text>")
        out.append(f"<rect x='{label_w}' y='{y + 4}' width='{w:.1f}' height='{row - 8}' rx='2' fill='{colour}'>"
                   f"<title>{esc(label)}: {esc(text)}</title></rect>")
        out.append(f"<text x='{label_w + w + 6:.1f}' y='{y + 16}' font-size='12' fill='#5c6b7a'>{esc(text)}</text>")
    return svg(width, height, out, "bar chart")


# The map: equirectangular, cropped to latitudes 84 N .. 58 S (no Antarctica).
MAP_NORTH, MAP_SOUTH = 84.0, -58.0


def projection(width: int) -> tuple[int, Any]:
    """(height, lon/lat -> x/y) of an equirectangular map `width` pixels wide."""
    per_degree = width / 360.0
    height = round((MAP_NORTH - MAP_SOUTH) * per_degree)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon + 180.0) * per_degree, (MAP_NORTH - lat) * per_degree

    return height, project


@lru_cache(maxsize=1)
def country_shapes() -> tuple[tuple[str, str, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    """(ISO alpha-2, name, rings of (lon, lat)) for every country outline countryinfo ships."""
    try:
        from countryinfo import CountryInfo
    except ImportError:  # pragma: no cover - a declared dependency; the map then shows no basemap
        return ()
    shapes = []
    for data in CountryInfo.all().values():
        features = (data.get("geoJSON") or {}).get("features") or []
        code = (data.get("ISO") or {}).get("alpha2") or ""
        rings = []
        for feature in features:
            geometry = feature.get("geometry") or {}
            polygons = geometry.get("coordinates") or []
            if geometry.get("type") == "Polygon":
                polygons = [polygons]
            for polygon in polygons:
                if polygon:
                    rings.append(tuple((float(p[0]), float(p[1])) for p in polygon[0]))  # outer ring only
        if rings:
            shapes.append((code, str(data.get("name") or code), tuple(rings)))
    return tuple(sorted(shapes))


def ring_path(ring: Sequence[tuple[float, float]], project) -> str:
    """An SVG path of one ring in whole pixels, repeated pixels dropped; '' when it shrinks to a dot."""
    points: list[tuple[int, int]] = []
    for lon, lat in ring:
        x, y = project(lon, max(MAP_SOUTH - 2, lat))
        p = (round(x), round(y))
        if not points or p != points[-1]:
            points.append(p)
    if len(points) < 4:
        return ""
    parts = [f"M{points[0][0]} {points[0][1]}"]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        parts.append(f"l{x1 - x0} {y1 - y0}")
    return "".join(parts) + "z"


@lru_cache(maxsize=4)
def basemap(width: int) -> tuple[tuple[str, str, str], ...]:
    """(alpha-2, name, path) per country at this map width."""
    _, project = projection(width)
    out = []
    for code, name, rings in country_shapes():
        path = "".join(ring_path(r, project) for r in rings)
        if path:
            out.append((code, name, path))
    return tuple(out)


def radius(deaths: float, peak: float, r_max: float = 26.0, r_min: float = 3.5) -> float:
    """Circle area proportional to deaths; events without deaths are small dots."""
    if deaths <= 0 or peak <= 0:
        return r_min
    return max(r_min + 1.0, r_max * math.sqrt(deaths / peak))


def world_map_svg(points: Sequence[dict[str, Any]], highlight: set[str], *, width: int = 1120) -> str:
    """Equirectangular world: light graticule, coarse country outlines (event countries tinted), one circle
    per place sized by deaths (area), labels on the deadliest places."""
    height, project = projection(width)
    out = [f"<rect width='{width}' height='{height}' fill='#eef4f8'/>"]
    for lon in range(-180, 181, 30):
        x, _ = project(lon, 0)
        out.append(f"<line x1='{x:.1f}' x2='{x:.1f}' y1='0' y2='{height}' stroke='#d5e1ea' stroke-width='0.7'/>")
    for lat in range(-30, 90, 30):
        _, y = project(0, lat)
        colour = "#c3d3df" if lat == 0 else "#d5e1ea"
        out.append(f"<line x1='0' x2='{width}' y1='{y:.1f}' y2='{y:.1f}' stroke='{colour}' stroke-width='0.7'/>")
        out.append(f"<text x='4' y='{y - 3:.1f}' font-size='9.5' fill='#8da2b3'>{abs(lat)}°{'N' if lat > 0 else 'S' if lat < 0 else ''}</text>")
    for code, name, path in basemap(width):
        fill = "#d3dae6" if code in highlight else "#e9ebe6"
        out.append(f"<path d='{path}' fill='{fill}' stroke='#fff' stroke-width='0.6'><title>{esc(name)}</title></path>")
    peak = max((float(p["deaths"] or 0) for p in points), default=0.0)
    drawn = sorted(points, key=lambda p: -float(p["deaths"] or 0))
    for p in drawn:
        x, y = project(float(p["lon"]), float(p["lat"]))
        deaths = float(p["deaths"] or 0)
        r = radius(deaths, peak)
        fill, stroke = ("#d62728", "#8e1b1b") if deaths > 0 else ("#2f6fa3", "#1d4a6e")
        tip = (f"{p['place'] or '?'} ({p['country_code'] or '?'}): {p['events']} event(s), "
               f"{fmt_num(deaths)} deaths; {p['types'] or ''}")
        out.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{r:.1f}' fill='{fill}' fill-opacity='{0.45 if deaths else 0.75}' "
                   f"stroke='{stroke}' stroke-width='0.8'><title>{esc(tip)}</title></circle>")
    out.extend(map_labels(drawn, peak, project, width))
    out.extend(size_legend(peak, width, height))
    return svg(width, height, out, "map of event locations sized by deaths")


def map_labels(points: Sequence[dict[str, Any]], peak: float, project, width: int, limit: int = 8) -> list[str]:
    """Name and deaths beside the deadliest places, right of the circle or else left, skipping any label
    that would overlap one already placed."""
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for p in [p for p in points if float(p["deaths"] or 0) > 0]:
        if len(out) == limit:
            break
        x, y = project(float(p["lon"]), float(p["lat"]))
        r = radius(float(p["deaths"]), peak)
        text = f"{p['place'] or '?'} {fmt_num(p['deaths'])}"
        w = 7.2 * len(text)
        for anchor, x0 in (("start", x + r + 4), ("end", x - r - 4)):
            box = (x0 if anchor == "start" else x0 - w, y - 10, w, 14)
            inside = 0 <= box[0] and box[0] + w <= width
            clear = all(box[0] + box[2] < b[0] or b[0] + b[2] < box[0] or box[1] + box[3] < b[1] or b[1] + b[3] < box[1]
                        for b in placed)
            if inside and clear:
                placed.append(box)
                out.append(f"<text x='{x0:.1f}' y='{y + 4:.1f}' text-anchor='{anchor}' font-size='12' font-weight='600' "
                           f"fill='#1d2733' stroke='#fff' stroke-width='3' paint-order='stroke'>{esc(text)}</text>")
                break
    return out


def size_legend(peak: float, width: int, height: int) -> list[str]:
    """Circles for round death counts below the peak, bottom left over the ocean."""
    values = [v for v in (1, 10, 100, 1_000, 10_000, 100_000) if v <= peak][-3:]
    if not values:
        return []
    box_w = 44 + 46 * len(values)
    x0, y0 = 12, height - 70
    out = [f"<rect x='{x0}' y='{y0}' width='{box_w}' height='60' rx='6' fill='#fff' fill-opacity='0.85' stroke='#d5e1ea'/>",
           f"<text x='{x0 + 8}' y='{y0 + 14}' font-size='10.5' fill='#5c6b7a'>deaths</text>"]
    for i, v in enumerate(values):
        r = radius(v, peak)
        cx, cy = x0 + 34 + 46 * i, y0 + 36
        out.append(f"<circle cx='{cx}' cy='{cy}' r='{min(r, 17):.1f}' fill='#d62728' fill-opacity='0.45' stroke='#8e1b1b' stroke-width='0.8'/>")
        out.append(f"<text x='{cx}' y='{y0 + 56}' text-anchor='middle' font-size='10' fill='#1d2733'>{fmt_num(v)}</text>")
    return out


# --- sections -------------------------------------------------------------------------------------------

def _by_bucket(rows: Iterable[dict[str, Any]], day_key: str, name_key: str, value_key: str, unit: str) -> dict[str, dict[date, float]]:
    series: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        series[r[name_key]][bucket(r[day_key], unit)] += float(r[value_key] or 0)
    return series


def events_section(data: ReportData) -> str:
    dated = [r for r in data.events if r["event_date"] is not None]
    undated = [r for r in data.events if r["event_date"] is None]
    totals: dict[str, float] = defaultdict(float)
    for r in data.events:
        totals[r["event_type"] or "unknown"] += float(r["events"])
    undated_n = sum(int(r["events"]) for r in undated)
    undated_by_type: dict[str, int] = defaultdict(int)
    for r in undated:
        undated_by_type[r["event_type"] or "unknown"] += int(r["events"])
    note = ""
    if undated_n:
        parts = ", ".join(f"{t} {n}" for t, n in sorted(undated_by_type.items(), key=lambda kv: (-kv[1], kv[0])))
        note = (f"{undated_n} of {undated_n + sum(int(r['events']) for r in dated)} events have no date (neither "
                f"the text nor the article's publication date gives one) and are not drawn: {parts}.")
    heading = "Events per day by type"
    if not dated:
        return tpl.section("events", heading, "", tpl.empty("No dated events yet."), note)
    unit, buckets = time_axis((r["event_date"] for r in dated), max_bars(1120))
    order = sorted({r["event_type"] or "unknown" for r in dated}, key=lambda t: (-totals[t], t))
    series = _by_bucket(({**r, "event_type": r["event_type"] or "unknown"} for r in dated), "event_date", "event_type", "events", unit)
    series = {t: series[t] for t in order}
    chart = stacked_bars_svg(unit, buckets, series, TYPE_COLOURS, what="events")
    dated_n = sum(int(r["events"]) for r in dated)
    lead = (f"{dated_n} dated events by PLOVER type, one bar per {unit}"
            + ("" if unit == "day" else f" (the dates span {buckets[0].year}–{buckets[-1].year})")
            + ". An event without a date of its own is placed on its article's publication day.")
    legend = tpl.legend((f"{t} ({int(sum(series[t].values()))})", TYPE_COLOURS.get(t, OTHER_COLOUR)) for t in order)
    return tpl.section("events", heading, lead, chart + legend, note)


def map_section(data: ReportData) -> str:
    heading = "Where events happened"
    if not data.points:
        return tpl.section("map", heading, "", tpl.empty("No located events yet."))
    located = sum(int(p["events"]) for p in data.points)
    deadly = sum(1 for p in data.points if float(p["deaths"] or 0) > 0)
    lead = (f"{located} located events at {len(data.points)} places; circle area is proportional to reported "
            f"deaths (red: {deadly} places with deaths, blue dots: none reported). Countries with events are shaded.")
    legend = tpl.legend((("deaths reported", "#d62728"), ("no deaths reported", "#2f6fa3"), ("country with events", "#d3dae6")))
    note = "Hover a circle for the place, its events and deaths. Country outlines: countryinfo (Natural Earth derived), coarsened."
    return tpl.section("map", heading, lead, world_map_svg(data.points, data.countries) + legend, note)


def places_section(data: ReportData) -> str:
    heading = "Most mentioned places"
    if not data.places:
        return tpl.section("places", heading, "", tpl.empty("No resolved places yet."))
    items = [
        (f"{p['place_name']} · {p['feature_type'] or '?'}{' · ' + p['country_code'] if p['country_code'] else ''}",
         float(p["mentions"]),
         f"{p['mentions']} mentions in {p['articles']} articles"
         + (f", {p['events']} events" if p["events"] else "") + (f", {fmt_num(p['fatalities'])} deaths" if p["fatalities"] else ""))
        for p in data.places
    ]
    lead = f"The {len(items)} places mentioned most often across all articles (resolved to GeoNames places)."
    return tpl.section("places", heading, lead, hbars_svg(items, "#2f6fa3"))


def figures_section(data: ReportData) -> str:
    heading = "Casualty and displacement figures over time"
    dated = [r for r in data.figures if r["figure_date"] is not None]
    undated: dict[str, float] = defaultdict(float)
    for r in data.figures:
        if r["figure_date"] is None:
            undated[r["category"]] += float(r["value"] or 0)
    lead = ("Reported numbers of people killed, wounded, displaced and affected, summed per period (each report "
            "counts: the same toll in two articles is added twice), dated by their event, else by their "
            "article's publication day.")
    if not data.figures:
        return tpl.section("figures", heading, lead, tpl.empty("No casualty or displacement figures yet."))
    unit, buckets = time_axis((r["figure_date"] for r in dated), max_bars(550)) if dated else ("day", [])
    panels = []
    for category, word in CASUALTY_CATEGORIES.items():
        rows = [r for r in dated if r["category"] == category]
        total = sum(float(r["value"] or 0) for r in data.figures if r["category"] == category)
        if rows:
            series = _by_bucket(rows, "figure_date", "category", "value", unit)
            body = stacked_bars_svg(unit, buckets, {category: series[category]}, CATEGORY_COLOURS,
                                    width=550, height=170, what=word)
        else:
            body = tpl.empty(f"No dated figures of people {word}.")
        note = f"{fmt_num(total)} {word} reported in all"
        if undated.get(category):
            note += f"; {fmt_num(undated[category])} of them in reports without a date (not drawn)"
        panels.append(tpl.panel(f"People {word} ({category}), per {unit}", body, note + "."))
    return tpl.section("figures", heading, lead, f"<div class='grid2'>{''.join(panels)}</div>")


def rejects_section(data: ReportData) -> str:
    heading = "Rejected inputs by reason"
    if not data.rejects:
        return tpl.section("rejects", heading, "", tpl.empty("No input was rejected."))
    items = [(r["reason"] or "?", float(r["rejects"]), f"{r['rejects']} in {r['runs']} run(s)") for r in data.rejects]
    rows = [
        [f"<code>{esc(r['reason'])}</code>", esc(r["rejects"]), esc(short_source(r["example_source"])), esc(r["example_detail"])]
        for r in data.rejects
    ]
    lead = "Inputs that could not become articles (table `rejects`), with the latest example of each reason."
    body = hbars_svg(items, "#a15c00", label_w=200) + tpl.table(["reason", "rejects", "example", "detail"], rows, "kn")
    return tpl.section("rejects", heading, lead, body)


def _outcome_badge(value: str | None) -> str:
    kind = {"passed": "ok", "completed": "ok", "failed": "bad", "stopped": "bad", "crashed": "bad"}.get(value or "", "warn")
    return tpl.badge(value or "none", kind if value else "none")


def runs_section(data: ReportData) -> str:
    heading = "Data quality of recent runs"
    if not data.runs:
        return tpl.section("quality", heading, "", tpl.empty("No runs recorded yet."))
    rows = []
    for r in data.runs:
        started = r["started_at"].astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if r["started_at"] else ""
        failed = r["failed_expectations"] or ""
        if r["reason"]:
            failed = f"{failed}{'; ' if failed else ''}{r['reason']}"
        rows.append([
            f"<code>{esc(str(r['run_id'])[:8])}</code>", esc(started), _outcome_badge(r["status"]), _outcome_badge(r["dq_outcome"]),
            f"{r['expectations_passed']}/{r['expectations']}", esc(r["articles_new"]), esc(r["rejects"]),
            esc(r["quarantined_rows"]), esc(f"{r['seconds']:.1f}" if r["seconds"] is not None else ""), esc(failed or "–"),
        ])
    lead = (f"The last {plural(len(rows), 'run')} of {data.overview['runs']}: status, the data-quality gate's outcome, "
            "expectations met, and rows held back in quarantine.")
    headers = ["run", "started", "status", "data quality", "expectations met", "new articles", "rejects",
               "quarantined", "seconds", "failed expectations / reason"]
    return tpl.section("quality", heading, lead, tpl.table(headers, rows, "kkkknnnnnt"))


def short_source(source: str | None) -> str:
    """A file's name or a URL's host: enough to recognise the input, never a link."""
    if not source:
        return ""
    if "://" in source:
        return source.split("://", 1)[1].split("/", 1)[0]
    return re.split(r"[\\/]", source.rstrip("/\\"))[-1]


def articles_section(data: ReportData) -> str:
    heading = "Latest articles"
    if not data.articles:
        return tpl.section("articles", heading, "", tpl.empty("No articles yet."))
    rows = [
        [esc(a["title"] or "(untitled)"), esc(short_source(a["source"])),
         esc(a["published_at"].astimezone(timezone.utc).strftime("%Y-%m-%d") if a["published_at"] else "–"),
         esc(a["locations"]), esc(a["figures"]), esc(a["events"]), esc(fmt_num(a["fatalities"]) if a["fatalities"] else "")]
        for a in data.articles
    ]
    lead = f"The {len(rows)} articles that landed last, with the facts extracted from each."
    return tpl.section("articles", heading, lead, tpl.table(
        ["title", "source", "published", "places", "figures", "events", "deaths"], rows, "ttknnnn"))


def kpis(data: ReportData) -> list[str]:
    o = data.overview
    last = data.runs[0] if data.runs else None
    dated_share = f"{o['dated_events']} dated" if o["events"] else ""
    return [
        tpl.kpi("articles", fmt_num(o["articles"])),
        tpl.kpi("events", fmt_num(o["events"]), dated_share),
        tpl.kpi("deaths reported", fmt_num(o["deaths"]), "summed over events"),
        tpl.kpi("places", fmt_num(o["places"])),
        tpl.kpi("figures", fmt_num(o["figures"])),
        tpl.kpi("rejects", fmt_num(o["rejects"]), f"{o['quarantined']} rows quarantined"),
        tpl.kpi("last run", (last["status"] or "?") if last else "none",
                f"data quality {last['dq_outcome']}" if last else ""),
    ]


def render(data: ReportData) -> str:
    subtitle = (f"{data.db_path} · generated {data.generated_at.strftime('%Y-%m-%d %H:%M UTC')} · "
                + plural(data.overview["runs"], "run"))
    sections = [events_section(data), map_section(data), places_section(data), figures_section(data),
                rejects_section(data), runs_section(data), articles_section(data)]
    footer = ("Generated by <code>newsfacts report</code> from the warehouse's <code>mart_*</code> views "
              "(opened read-only; see docs/marts.md). Self-contained: no scripts, no external resources.")
    return tpl.page("newsfacts report", subtitle, kpis(data), sections, footer)


# --- the file -------------------------------------------------------------------------------------------

def write_report(warehouse_dir: Path, out: Path | None = None) -> Path:
    """Render the report of the warehouse in `warehouse_dir` to `out` (default DIR/reports/report.html),
    atomically (a reader never sees half a file); returns the path written."""
    warehouse_dir = Path(warehouse_dir)
    target = Path(out) if out else warehouse_dir / "reports" / REPORT_NAME
    page = render(load(warehouse_dir / DB_NAME))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
