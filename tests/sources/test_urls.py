"""Canonical URLs: examples and properties (hypothesis)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from newsfacts.sources.urls import canonical_url, is_http_url, url_key

hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){1,2}", fullmatch=True)
segments = st.lists(st.from_regex(r"[A-Za-z0-9._~-]{1,8}", fullmatch=True), min_size=0, max_size=4)
params = st.lists(
    st.tuples(st.from_regex(r"[a-z]{1,6}", fullmatch=True).filter(lambda k: not k.startswith("utm")),
              st.from_regex(r"[A-Za-z0-9]{0,6}", fullmatch=True)),
    max_size=3,
)


@st.composite
def urls(draw):
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(hosts)
    path = "/" + "/".join(draw(segments))
    query = "&".join(f"{k}={v}" for k, v in draw(params))
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://Example.COM:443/News/Story/?utm_source=rss&id=7#comments", "https://example.com/News/Story?id=7"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/a/", "http://example.com:8080/a"),
        ("https://example.com./a?fbclid=x&gclid=y", "https://example.com/a"),
        ("https://example.com/a%2fb?q=%3a", "https://example.com/a%2Fb?q=%3A"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("ftp://Example.com/a/", "ftp://Example.com/a/"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("https://example.com:99999/a", "https://example.com:99999/a"),  # a bad port is left as written
    ],
)
def test_examples(raw, canonical):
    assert canonical_url(raw) == canonical


def test_url_key_ignores_front_pages_and_other_schemes():
    assert url_key("https://example.com/") is None
    assert url_key("https://example.com/?utm_medium=x") is None
    assert url_key("https://example.com/?page=2") == "https://example.com/?page=2"
    assert url_key("mailto:a@b.c") is None
    assert url_key(None) is None and url_key("") is None
    assert url_key("https://Example.com/a/") == "https://example.com/a"


def test_is_http_url():
    assert is_http_url("https://a.b/c") and is_http_url("HTTP://a.b")
    assert not is_http_url("javascript:alert(1)") and not is_http_url("/relative") and not is_http_url("http://")


@given(urls())
def test_idempotent(url):
    once = canonical_url(url)
    assert canonical_url(once) == once


@given(urls(), st.from_regex(r"[A-Za-z0-9]{0,8}", fullmatch=True))
def test_fragment_does_not_count(url, fragment):
    assert canonical_url(f"{url}#{fragment}") == canonical_url(url)


@given(urls(), st.sampled_from(["utm_source", "utm_medium", "UTM_Campaign", "fbclid", "gclid"]), st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True))
def test_tracking_parameters_do_not_count(url, name, value):
    glue = "&" if "?" in url else "?"
    assert canonical_url(f"{url}{glue}{name}={value}") == canonical_url(url)


@given(urls())
def test_host_case_and_default_port_do_not_count(url):
    scheme, rest = url.split("://", 1)
    host, _, tail = rest.partition("/")
    port = 80 if scheme == "http" else 443
    assert canonical_url(f"{scheme.upper()}://{host.upper()}:{port}/{tail}") == canonical_url(url)


@given(urls())
def test_trailing_slash_does_not_count(url):
    base, _, query = url.partition("?")
    slashed = base.rstrip("/") + "/" + (f"?{query}" if query else "")
    assert canonical_url(slashed) == canonical_url(url)


@given(urls())
def test_other_query_parameters_are_kept(url):
    glue = "&" if "?" in url else "?"
    assert canonical_url(f"{url}{glue}page=2") != canonical_url(url)
    assert "page=2" in canonical_url(f"{url}{glue}page=2")


@given(st.one_of(urls(), st.text(max_size=40), st.builds(lambda u, f: f"{u}#{f}", urls(), st.text(max_size=5))))
def test_the_fast_path_agrees_with_the_full_normalisation(url):
    from newsfacts.sources.urls import _canonical

    assert canonical_url(url) == _canonical(url.strip())
