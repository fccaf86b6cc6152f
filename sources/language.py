"""The language of an article text that does not say, with py3langid (an offline naive Bayes model over byte
n-grams, 4.5 MB, loaded once per process) restricted to the languages that have an ISO 639-1 code.

Only a confident answer counts: the model's normalised probability must reach `MIN_CONFIDENCE`, else the
caller's fallback decides (`transforms.articles.guess_language`). The first `DETECT_CHARS` characters are
enough to tell a language and keep the cost per article flat. Why py3langid, and how it was measured against
langid, langdetect and lingua: docs/inputs.md "Language".
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache

DETECT_CHARS = 600
MIN_CONFIDENCE = 0.8


@cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted({code for code in identifier.nb_classes if len(code) == 2}))
    return identifier


def detect(text: str | None) -> str | None:
    """The ISO 639-1 code of `text`'s language when the model is confident, else None."""
    if not text or not text.strip():
        return None
    code, confidence = _identifier().classify(text[:DETECT_CHARS])
    return code if confidence >= MIN_CONFIDENCE else None


def detect_all(texts: Iterable[str | None]) -> list[str | None]:
    return [detect(text) for text in texts]
