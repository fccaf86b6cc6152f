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


def load_figure_lexicon(seeds_dir: Path) -> pl.DataFrame:
    """Read `seeds_dir/lexicons/figure_{units,objects,context,things,currency_cues}.csv` into one frame
    (LEXICON_SCHEMA)."""
    base = Path(seeds_dir) / "lexicons"
    units = _read(base / _FILES["unit"]).select(
        pl.lit("unit").alias("kind"),
        pl.col("surface").alias("term"),
        "unit",
        "category",
        "position",
        "case",
    )
    objects = _read(base / _FILES["object"]).select(
        pl.lit("object").alias("kind"),
        pl.col("word").alias("term"),
        pl.lit(None, pl.String).alias("unit"),
        "category",
        pl.lit(None, pl.String).alias("position"),
        pl.lit("ci").alias("case"),
    )
    context = _read(base / _FILES["context"]).select(
        pl.lit("context").alias("kind"),
        "term",
        pl.lit(None, pl.String).alias("unit"),
        "category",
        pl.lit(None, pl.String).alias("position"),
        pl.lit("ci").alias("case"),
    )
    things = _read(base / _FILES["thing"]).select(
        pl.lit("thing").alias("kind"),
        pl.col("word").alias("term"),
        pl.lit(None, pl.String).alias("unit"),
        pl.lit("COUNT").alias("category"),
        pl.lit(None, pl.String).alias("position"),
        pl.lit("ci").alias("case"),
    )
    currency = _read(base / _FILES["currency"]).select(
        pl.lit("currency").alias("kind"),
        pl.col("surface").alias("term"),
        "unit",
        pl.lit("MONEY").alias("category"),
        pl.lit(None, pl.String).alias("position"),
        pl.lit("ci").alias("case"),
        "cue",
    )
    frames = [units, objects, context, things]
    out = pl.concat([f.with_columns(pl.lit(None, pl.String).alias("cue")) for f in frames] + [currency], how="vertical")
    out = out.with_columns(pl.col("category").str.to_uppercase())
    return out.select([pl.col(c).cast(t) for c, t in LEXICON_SCHEMA.items()])
