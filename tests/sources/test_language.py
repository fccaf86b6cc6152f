"""Language detection for texts that do not say, and extraction only where its lexicons apply."""
from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest
from newsfacts.sources.language import DETECT_CHARS, detect, detect_all
from newsfacts.transforms.articles import build_articles
from newsfacts.transforms.facts import ReferenceData, extract_facts, extractable

NEWS = {
    "en": "Heavy rain flooded the river valley on Tuesday and officials said that 12 people were evacuated.",
    "es": "Al menos doce personas murieron tras el derrumbe de un edificio en el centro de Lima, según los bomberos.",
    "fr": "Au moins huit personnes ont été tuées dans une attaque contre un village du nord du Burkina Faso.",
    "de": "Bei einem schweren Verkehrsunfall auf der Autobahn sind zwei Menschen ums Leben gekommen.",
    "ru": "По меньшей мере семь человек погибли в результате взрыва на шахте в Кузбассе.",
    "ar": "قتل ما لا يقل عن عشرة أشخاص في انفجار سيارة مفخخة في بغداد.",
    "zh": "四川发生6.1级地震，至少造成十人死亡。",
}


@pytest.mark.parametrize("code", sorted(NEWS))
def test_news_sentences_are_detected(code):
    assert detect(NEWS[code]) == code


def test_blank_and_unsure_texts_are_none():
    assert detect_all([None, "", "   ", "12 C", "ok"]) == [None] * 5


def test_only_the_first_characters_are_read():
    french = " ".join([NEWS["fr"]] * (DETECT_CHARS // len(NEWS["fr"]) + 1))
    german = " ".join([NEWS["de"]] * 20)
    assert len(french) > DETECT_CHARS
    assert detect(french + " " + german) == "fr"
    assert detect(german + " " + french) == "de"


def _articles(texts: dict[str, str], language: list[str | None] | None = None) -> pl.DataFrame:
    records = pl.DataFrame({"doc_id": list(texts), "text": list(texts.values()), "language": language or [None] * len(texts)})
    return build_articles(records.lazy(), run_id="r", ingested_at=datetime(2026, 11, 30, tzinfo=timezone.utc), detect=detect).collect()


def test_non_english_articles_are_kept_with_their_language_and_not_extracted():
    articles = _articles({"en": NEWS["en"], "es": NEWS["es"], "given-de": "Ein Text.", "unknown": "x"},
                         language=[None, None, "de", None])
    assert articles["language"].to_list() == ["en", "es", "de", None]
    assert extractable(articles.lazy()).collect()["doc_id"].to_list() == ["en", "unknown"]


def test_extract_facts_skips_articles_in_other_languages():
    spanish = "El ejército dijo que 12 personas murieron en Lima, Perú, después de un ataque el lunes."
    english = "The army said 12 people were killed in Lima, Peru, after an attack on Monday."
    articles = _articles({"es": spanish, "en": english})
    assert articles["language"].to_list() == ["es", "en"]
    only_english = extract_facts(articles.filter(pl.col("language") == "en").lazy(), _reference())
    both = extract_facts(articles.lazy(), _reference())
    for name, frame in both.items():
        assert set(frame["article_id"].to_list()) <= set(articles.filter(pl.col("language") == "en")["article_id"]), name
        assert frame.height == only_english[name].height, name
    assert both["figures"].height > 0  # the English article's "12 people" is extracted


def _reference() -> ReferenceData:  # the bundled lexicons and gazetteer
    from newsfacts.reference.loader import load_reference

    from newsfacts.settings import Settings

    return load_reference(Settings())
