"""Fixtures of the feed and sitemap tests: the news site on 127.0.0.1 and quick fetch settings."""
from __future__ import annotations

import pytest

from tests.feedsite import news_site


@pytest.fixture
def fast_fetching(monkeypatch):
    """1 s timeouts and no pacing to speak of, for tests that read feeds and sitemaps outside the flow."""
    monkeypatch.setenv("NEWSFACTS_FETCH_TIMEOUT_S", "1")
    monkeypatch.setenv("NEWSFACTS_FETCH_RATE_PER_HOST", "500")


@pytest.fixture
def site():
    """`tests.feedsite.NewsSite` serving until the test ends."""
    with news_site() as s:
        yield s
