from newsfacts.sources.html import parse_html


def test_html_body_text():
    page = b"<html><head><title>Head line</title><script>var x=1;</script></head><body><nav>Home About Us Contact</nav><p>Floods hit the city on Monday, officials said.</p><p>Short.</p></body></html>"
    [rec] = parse_html(page, "p.html", max_chars=10_000, url="https://example.org/p")
    assert rec.title == "Head line"
    assert rec.text == "Floods hit the city on Monday, officials said.\n\nShort."
