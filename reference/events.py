"""Loaders for the event lexicons under `seeds/lexicons/`.

* `event_triggers.csv`: one row per trigger lemma -> PLOVER event_type/mode and the
  ACLED event/sub-event type when the trigger is in ACLED's scope. `pos` says how
  the lemma is inflected (`verb`: attack/attacks/attacked/attacking, multi-word verbs
  inflect their first word; `noun`: + plural; `phrase`: as written); `forms` adds
  `|`-separated surface forms (irregular verbs, synonyms). Rows whose `trigger_class`
  is `block` are stop phrases ("in order to", "press conference"): they win the
  longest match and produce no event.
* `event_context_rules.csv`: sentence-context refinements (weapon words,
  targets, protest intervention, ...) applied to triggers of the listed classes;
  a rule does not apply in a sentence holding one of its `unless` words.
* `actors.csv`: generic actor nouns and named armed groups with an actor type.

`load_event_lexicon` returns both trigger and context rows in one frame with a
`kind` column (`trigger` / `context`), each row's surface forms in `forms` (a list).
"""
from __future__ import annotations

import re
from pathlib import Path

import polars as pl

LEXICON_DIR = "lexicons"
TRIGGERS_CSV = "event_triggers.csv"
CONTEXT_CSV = "event_context_rules.csv"
ACTORS_CSV = "actors.csv"

LEXICON_SCHEMA = pl.Schema(
    {
        "kind": pl.String,
        "lemma": pl.String,
        "forms": pl.List(pl.String),
        "trigger_class": pl.String,
        "event_type": pl.String,
        "event_mode": pl.String,
        "acled_event_type": pl.String,
        "acled_sub_event_type": pl.String,
        "weight": pl.Float64,
        "applies_to": pl.List(pl.String),
        "scope": pl.String,
        "priority": pl.Int32,
        "unless": pl.List(pl.String),
    }
)

_VOWELS = set("aeiou")


def _third_person(w: str) -> str:
    if re.search(r"(s|x|z|ch|sh)$", w):
        return w + "es"
    if re.search(r"[^aeiou]y$", w):
        return w[:-1] + "ies"
    return w + "s"


def _past(w: str) -> str:
    if w.endswith("e"):
        return w + "d"
    if re.search(r"[^aeiou]y$", w):
        return w[:-1] + "ied"
    if _doubles(w):
        return w + w[-1] + "ed"
    return w + "ed"


def _gerund(w: str) -> str:
    if w.endswith("ie"):
        return w[:-2] + "ying"
    if w.endswith("e") and not w.endswith("ee"):
        return w[:-1] + "ing"
    if _doubles(w):
        return w + w[-1] + "ing"
    return w + "ing"


def _doubles(w: str) -> bool:
    """Short consonant-vowel-consonant verbs double the final consonant (ban -> banned)."""
    return (
        len(w) <= 4
        and len(w) >= 3
        and w[-1] not in _VOWELS | {"w", "x", "y"}
        and w[-2] in _VOWELS
        and w[-3] not in _VOWELS
    )


def inflect(lemma: str, pos: str) -> list[str]:
    """Surface forms of a lemma: verbs (first word inflected) and nouns (plural)."""
    lemma = lemma.strip()
    head, _, rest = lemma.partition(" ")
    tail = (" " + rest) if rest else ""
    if pos == "verb":
        forms = [head, _third_person(head), _past(head), _gerund(head)]
    elif pos == "noun":
        if rest:  # multi-word noun: pluralise the last word
            words = lemma.split(" ")
            return [lemma, " ".join(words[:-1] + [_third_person(words[-1])])]
        forms = [head, _third_person(head)]
    else:
        return [lemma]
    return [f + tail for f in forms]


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split("|") if v.strip()]


def load_event_lexicon(seeds_dir: Path) -> pl.DataFrame:
    """Trigger and context rows of the event lexicon (see module docstring)."""
    folder = Path(seeds_dir) / LEXICON_DIR
    triggers = pl.read_csv(folder / TRIGGERS_CSV, infer_schema=False)
    rows: list[dict] = []
    for r in triggers.iter_rows(named=True):
        forms = inflect(r["lemma"], r["pos"] or "phrase") + _split(r["forms"])
        rows.append(
            {
                "kind": "trigger",
                "lemma": r["lemma"],
                "forms": list(dict.fromkeys(forms)),
                "trigger_class": r["trigger_class"],
                "event_type": r["event_type"] or None,
                "event_mode": r["event_mode"] or None,
                "acled_event_type": r["acled_event_type"] or None,
                "acled_sub_event_type": r["acled_sub_event_type"] or None,
                "weight": float(r["weight"] or 0.5),
                "applies_to": None,
                "scope": None,
                "priority": None,
                "unless": None,
            }
        )
    context = pl.read_csv(folder / CONTEXT_CSV, infer_schema=False)
    for r in context.iter_rows(named=True):
        rows.append(
            {
                "kind": "context",
                "lemma": r["note"],
                "forms": _split(r["context"]),
                "trigger_class": None,
                "event_type": r["event_type"] or None,
                "event_mode": r["event_mode"] or None,
                "acled_event_type": r["acled_event_type"] or None,
                "acled_sub_event_type": r["acled_sub_event_type"] or None,
                "weight": None,
                "applies_to": _split(r["applies_to"]),
                "scope": r["scope"] or "sentence",
                "priority": int(r["priority"] or 0),
                "unless": _split(r.get("unless")),
            }
        )
    return pl.DataFrame(rows, schema=LEXICON_SCHEMA)


MISSION_AREAS_CSV = "mission_areas.csv"
MISSION_AREAS = pl.Schema({
    "pattern": pl.String, "place_name": pl.String, "feature_type": pl.String, "country_code": pl.String,
    "latitude": pl.Float64, "longitude": pl.Float64,
})


def load_mission_areas(seeds_dir: Path) -> pl.DataFrame:
    """Missions with a fixed area of operation (`seeds/lexicons/mission_areas.csv`): a pattern naming the
    mission and the place an event it reports is placed at when its article names no place."""
    return pl.read_csv(Path(seeds_dir) / LEXICON_DIR / MISSION_AREAS_CSV, schema=MISSION_AREAS, comment_prefix="#")


def load_actor_dictionary(seeds_dir: Path) -> pl.DataFrame:
    """Actor patterns: `pattern` (surface text, matched case-sensitively when it has
    capitals, else case-insensitively) and `actor_type`."""
    return pl.read_csv(
        Path(seeds_dir) / LEXICON_DIR / ACTORS_CSV,
        schema={"pattern": pl.String, "actor_type": pl.String},
    )
