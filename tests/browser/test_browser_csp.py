"""The Content-Security-Policy in Chromium: every page runs with it and nothing it needs is
blocked; a script that reached a page's content anyway would not run; the training page asks
for the records service under the site's own path, never at the domain root."""

from __future__ import annotations

import functools
import shutil
import http.server
import threading

import pytest

from conftest import _Quiet

WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""

PAGES = ["", "privacy-policy/", "privacy-policy/versions/", "privacy-policy/v/1/",
         "privacy-policy/v/2/changes/", "training/", "training/all-staff/", "404.html"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_runs_under_its_policy_with_nothing_blocked(page, base_url, path):
    page.add_init_script(WATCH)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{base_url}/three/{path}")
    page.wait_for_load_state("networkidle")
    policy = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    assert policy and "default-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert page.evaluate("window.__violations") == []
    assert not [m for m in console if "Content Security Policy" in m]
    # The theme's inline script ran: its hash is in the policy.
    assert page.evaluate("typeof __md_scope !== 'undefined'")


def test_a_script_that_reached_the_content_does_not_run(page, base_url, sites):
    """As if the sanitiser had let something through: the page's own hashes do not cover it."""
    original = (sites / "three" / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    marker = '<article class="md-content__inner md-typeset">'
    assert marker in original
    injected = original.replace(marker, marker + '<script>window.__pwned = "inline"</script>'
                                '<img src="x" onerror="window.__pwned = \'handler\'">', 1)
    target = sites / "three" / "privacy-policy" / "injected" / "index.html"
    target.parent.mkdir(exist_ok=True)
    target.write_text(injected.replace('href="../', 'href="../../'), encoding="utf-8")
    try:
        page.add_init_script(WATCH)
        page.goto(f"{base_url}/three/privacy-policy/injected/")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None
        blocked = " ".join(page.evaluate("window.__violations"))
        assert "script-src-elem" in blocked and "script-src-attr" in blocked
    finally:  # the built site is shared: leave it as it was built
        shutil.rmtree(target.parent)


@pytest.fixture
def under_a_path(sites):
    """The site under /policies/, on a host whose root /api/ answers as a records service would."""
    asked: list[str] = []

    class Host(_Quiet):
        def do_GET(self):
            if self.path.startswith("/api/"):
                asked.append(self.path)
                body = b'{"records": true, "identity": "typed"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if self.path.startswith("/policies/"):
                self.path = "/three/" + self.path[len("/policies/"):]
            asked.append(self.path)
            super().do_GET()

        def do_POST(self):
            asked.append("POST " + self.path)
            self.send_response(404)
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Host, directory=str(sites)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()
    server.server_close()


def test_the_training_page_asks_for_records_under_the_site_path(browser, under_a_path):
    base, asked = under_a_path
    context = browser.new_context()
    pg = context.new_page()
    pg.goto(f"{base}/policies/training/all-staff/")
    pg.wait_for_load_state("networkidle")
    pg.wait_for_timeout(300)
    context.close()
    assert "/three/api/health" in asked  # the site's own file: no records service here
    assert not [p for p in asked if p.startswith(("/api/", "POST"))]
