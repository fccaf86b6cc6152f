from datetime import datetime, timezone

import polars as pl
from polars.testing import assert_frame_equal

from newsfacts.schema import ARTICLES
from newsfacts.sources.language import detect as detect_language
from newsfacts.transforms.articles import build_articles, split_new_articles
from newsfacts.transforms.ids import stable_id

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def _records(**cols):
    return pl.DataFrame(cols).lazy()


def test_article_id_depends_on_text_only():
    frame = build_articles(
        _records(doc_id=["a", "b"], text=["Same text.", "Same text."], title=["x", "y"]), run_id="r", ingested_at=NOW
    ).collect()
    assert frame.schema == ARTICLES
    assert frame["article_id"].to_list() == [stable_id("art_", "Same text.")] * 2


def test_published_at_parsing_and_language():
    frame = build_articles(
        _records(
            doc_id=["a", "b", "c"],
            text=["The army said on Monday that the town was taken.", "Le chat est sur le tapis.", "x"],
            published_at=["2022-11-17T10:00:00Z", "2022-11-17T12:00:00+02:00", "not a date"],
            language=[None, None, "EN"],
        ),
        run_id="r",
        ingested_at=NOW, detect=detect_language,
    ).collect()
    expected = pl.Series(
        "published_at",
        [datetime(2022, 11, 17, 10, tzinfo=timezone.utc), datetime(2022, 11, 17, 10, tzinfo=timezone.utc), None],
        dtype=pl.Datetime("us", "UTC"),
    )
    assert_frame_equal(frame.select("published_at"), expected.to_frame())
    assert frame["language"].to_list() == ["en", "fr", "en"]  # detected, detected, given


def test_given_language_wins_and_is_normalised():
    frame = build_articles(
        _records(
            doc_id=["a", "b", "c", "d"],
            text=["Le gouvernement a présenté mercredi un projet de loi sur les retraites."] * 3 + ["ok"],
            language=["en-GB", " DE ", "", None],
        ),
        run_id="r",
        ingested_at=NOW, detect=detect_language,
    ).collect()
    # the input's word wins over the text; a blank language is detected; two letters cannot be told: NULL
    assert frame["language"].to_list() == ["en", "de", "fr", None]


def test_unsure_detection_falls_back_to_english_function_words():
    from newsfacts.sources.language import detect

    texts = ["The GDP of NATO and the EU in 2024", "a 352 μm pixel pitch."]
    assert [detect(t) for t in texts] == [None, None]  # too short for a confident answer
    frame = build_articles(_records(doc_id=["a", "b"], text=texts), run_id="r", ingested_at=NOW).collect()
    assert frame["language"].to_list() == ["en", None]  # function words; nothing to go by


def test_split_new_articles_drops_known_and_repeats():
    frame = build_articles(_records(doc_id=["a", "b", "c"], text=["one", "two", "one"]), run_id="r", ingested_at=NOW).collect()
    known = pl.Series([stable_id("art_", "two")])
    fresh, duplicates = split_new_articles(frame, known)
    assert fresh["doc_id"].to_list() == ["a"]
    assert duplicates == 2


def test_the_language_detector_is_passed_in():
    texts = ["Der Hund schläft im Garten und die Katze auch.", "Short note."]
    asked: list[str] = []

    def detect(text):
        asked.append(text)
        return "de" if "Hund" in text else None

    frame = build_articles(_records(doc_id=["a", "b"], text=texts), run_id="r", ingested_at=NOW, detect=detect).collect()
    assert frame["language"].to_list() == ["de", None] and asked == texts
    # without one, only the English function-word rule decides (no model is loaded by the transform)
    plain = build_articles(_records(doc_id=["a", "b"], text=texts), run_id="r", ingested_at=NOW).collect()
    assert plain["language"].to_list() == [None, None]
