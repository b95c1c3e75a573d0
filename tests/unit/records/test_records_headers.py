"""The records service sends each page's own Content-Security-Policy as a header, with what only
a header can say (frame-ancestors), and nosniff on everything."""

from __future__ import annotations

import pytest

from generator.site import csp
from records_fixtures import TestClient

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A page</title>
<script>var theme = 1;</script></head>
<body><article>{content}</article></body></html>
"""


@pytest.fixture
def client(tmp_path):
    from generator.records.app import create_app

    site = tmp_path / "site"
    (site / "policy").mkdir(parents=True)
    content = "<p>Words.</p><script>window.pwned = 1</script>"
    html = PAGE.format(content=content)
    (site / "policy" / "index.html").write_text(csp.with_policy(html, content), encoding="utf-8")
    (site / "style.css").write_text("p { color: black }", encoding="utf-8")
    with TestClient(create_app(site, f"sqlite:///{tmp_path / 'records.db'}")) as c:
        yield c


def test_a_page_gets_its_own_policy_as_a_header_with_frame_ancestors(client):
    r = client.get("/policy/")
    assert r.status_code == 200
    header = r.headers["content-security-policy"]
    meta = csp.page_policy(r.text)
    assert header == f"{meta}; frame-ancestors 'none'"
    assert csp.script_hash("var theme = 1;") in header          # the theme's inline script
    assert csp.script_hash("window.pwned = 1") not in header     # never the content's
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/style.css", "/api/health", "/nothing-here"])
def test_everything_else_cannot_be_framed_or_sniffed(client, path):
    r = client.get(path)
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
