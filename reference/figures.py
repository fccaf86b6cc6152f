"""Figure lexicons: the reviewed CSVs under `seeds/lexicons/figure_*.csv`.

`load_figure_lexicon` returns one long frame that `transforms.figures` reads:

| column   | meaning                                                              |
|----------|----------------------------------------------------------------------|
| kind     | `unit` (a unit or currency next to a number), `object` (a counted    |
|          | noun's category), `context` (a sentence word that sets the category) |
|          | or `thing` (an inanimate counted noun: "homes", "flights")           |
|          | or `currency` (an ambiguous currency word resolved by a country cue) |
| term     | the surface text (`$`, `per cent`, `cruise missiles`, `killed`)      |
| unit     | normalised unit for `unit` rows (`USD`, `percent`, `km`), else NULL  |
| category | figure category (`MONEY`, `KILL`, ...)                               |
| position | `prefix` / `suffix` for units (where the term stands), else NULL     |
| case     | `cs` case-sensitive or `ci` case-insensitive match                   |
| cue      | `currency` rows: a word naming the country ("Philippines") that      |
|          | makes `term` ("pesos") mean `unit` ("PHP") in that article           |
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

from newsfacts.schema import conform

LEXICON_SCHEMA = pl.Schema(
    {
        "kind": pl.String,
        "term": pl.String,
        "unit": pl.String,
        "category": pl.String,
        "position": pl.String,
        "case": pl.String,
        "cue": pl.String,
    }
)

_FILES = {
    "unit": "figure_units.csv",
    "object": "figure_objects.csv",
    "context": "figure_context.csv",
    "thing": "figure_things.csv",
    "currency": "figure_currency_cues.csv",
}


def _read(path: Path) -> pl.DataFrame:
    # every column as text: "$" or "C" must never be read as something else
    return pl.read_csv(path, infer_schema=False, encoding="utf8")


def _part(kind: str, path: Path, term: str, **fixed: str) -> pl.LazyFrame:
    """One CSV as lexicon rows: its `term` column renamed, `fixed` values filled in, absent columns NULL."""
    frame = _read(path).rename({term: "term"}).with_columns(
        kind=pl.lit(kind), **{name: pl.lit(value) for name, value in fixed.items()}
    )
    return conform(frame, LEXICON_SCHEMA)


def load_figure_lexicon(seeds_dir: Path) -> pl.DataFrame:
    """Read `seeds_dir/lexicons/figure_{units,objects,context,things,currency_cues}.csv` into one frame
    (LEXICON_SCHEMA)."""
    base = Path(seeds_dir) / "lexicons"
    parts = [
        _part("unit", base / _FILES["unit"], "surface"),
        _part("object", base / _FILES["object"], "word", case="ci"),
        _part("context", base / _FILES["context"], "term", case="ci"),
        _part("thing", base / _FILES["thing"], "word", category="COUNT", case="ci"),
        _part("currency", base / _FILES["currency"], "surface", category="MONEY", case="ci"),
    ]
    return pl.concat(parts).with_columns(pl.col("category").str.to_uppercase()).collect()

