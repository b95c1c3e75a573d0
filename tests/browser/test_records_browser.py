"""A real training page in Chromium, served by `policy records serve`: submit on passing, survive an outage."""

from __future__ import annotations

import httpx
import pytest

import chromium
from generator.content.loader import load_policy
from gitrepo import GitRepo, mkdocs_build
from records_fixtures import ADMIN_TOKEN, answers_key, free_port, start_server, stop_server

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("records-browser")
    repo = GitRepo.project(base / "proj", pdf=False)
    repo.commit("Publish the privacy policy", "2026-01-05T10:00:00+13:00")
    site = base / "site"
    result = mkdocs_build(repo.path, site, today="2026-01-10")
    assert result.returncode == 0, result.stderr
    return site, answers_key(load_policy(repo.path / "content" / "privacy-policy.yaml"))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = chromium.launch(p)
        yield b
        b.close()


def no_axe_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def work_through(page, key: dict[str, list[str]]) -> None:
    """Answer every question right and tick every read and acknowledge item, as a person would."""
    for fs in page.locator("fieldset[data-question]").all():
        qid = fs.get_attribute("data-question")
        for choice in key[qid]:
            fs.locator(f"label[for='q-{qid}--{choice}']").click()
        fs.locator("[data-check]").click()
        fs.locator(".training-verdict").wait_for()
    for box in page.locator("input[data-confirm]").all():
        box.check()


def test_completion_is_submitted_and_retried_after_the_server_was_down(built, browser, tmp_path):
    site, key = built
    db = f"sqlite:///{tmp_path / 'records.db'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(site, db, port)
    context = browser.new_context()
    page = context.new_page()
    foreign: list[str] = []
    page.on("request", lambda req: foreign.append(req.url) if not req.url.startswith(base) else None)
    try:
        page.goto(f"{base}/training/all-staff/")
        page.locator("#training-email").wait_for()
        work_through(page, key)
        page.fill("#training-name", "Ana Tane")
        page.click("#training-finish")
        assert "Please type your work email" in page.inner_text("#training-outcome")
        assert page.get_attribute("#training-email", "aria-invalid") == "true"
        no_axe_violations(page)  # the added email field and its error
        # An address the service would refuse is caught here, while it can still be corrected
        # (a refused submission is final: the page would keep a certificate with no record).
        page.fill("#training-email", "<ana.tane@example.nz>")
        page.click("#training-finish")
        assert "Please type your work email" in page.inner_text("#training-outcome")
        assert page.locator("#training-certificate").count() == 0
        # Pasted with invisible bidi isolates, which the service refuses: the page drops them.
        page.fill("#training-email", "\u2066ana.tane@example.nz\u2069")

        # The service goes down before the person finishes.
        stop_server(server)
        page.click("#training-finish")
        page.locator("#training-certificate").wait_for()
        record = page.locator("#training-record")
        record.filter(has_text="Not recorded yet").wait_for(timeout=10_000)
        assert record.get_attribute("role") == "status"
        no_axe_violations(page)

        # It comes back on the same address: the page sends the kept submission by itself.
        server = start_server(site, db, port)
        record.filter(has_text="Recorded.").wait_for(timeout=45_000)
        shown = page.inner_text("#training-record code")
        # The printable certificate carries the record id as well.
        assert page.inner_text("#training-certificate [data-record-id]") == shown
        no_axe_violations(page)

        rows = httpx.get(f"{base}/api/completions",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["records"]
        assert [r["id"] for r in rows] == [shown]
        row = rows[0]
        assert (row["name"], row["email"], row["score"], row["passed"]) == ("Ana Tane", "ana.tane@example.nz", 100, True)
        assert row["acknowledged"] == ["ack-need-to-know", "ack-pass-on"]
        assert "Chrome" in row["user_agent"] and row["address"] == "127.0.0.1"

        # A reload shows the same record and sends nothing new.
        page.reload()
        page.locator("#training-record", has_text=shown).wait_for()
        assert page.inner_text("#training-certificate [data-record-id]") == shown
        page.wait_for_timeout(500)
        assert len(httpx.get(f"{base}/api/completions",
                             headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["records"]) == 1
        assert page.evaluate("localStorage.getItem('policy-records:pending')") == "[]"
        assert foreign == []
    finally:
        context.close()
        stop_server(server)


def test_behind_a_sign_in_proxy_the_page_asks_no_email(built, browser, tmp_path):
    site, key = built
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(site, f"sqlite:///{tmp_path / 'r.db'}", port, "--identity-header", "X-Forwarded-Email")
    context = browser.new_context(extra_http_headers={"X-Forwarded-Email": "bo@corp.example"})
    page = context.new_page()
    try:
        with page.expect_response("**/api/health"):
            page.goto(f"{base}/training/outbound-calling/")
        work_through(page, key)
        # Pasted with bidi isolates around the family name: invisible, and refused by the service.
        page.fill("#training-name", "Bo \u2067Ruru\u2069")
        page.click("#training-finish")
        page.locator("#training-record", has_text="Recorded.").wait_for(timeout=15_000)
        assert page.inner_text("#training-certificate [data-f='name']") == "Bo Ruru"
        # The service said who is signed in: the page never asked for an email.
        assert page.locator("#training-email").count() == 0
        rows = httpx.get(f"{base}/api/completions",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["records"]
        assert [(r["email"], r["identity_source"], r["checklist"], r["name"]) for r in rows] == [
            ("bo@corp.example", "proxy", "outbound-calling", "Bo Ruru")]
        assert rows[0]["quiz_checked"] == "server"
    finally:
        context.close()
        stop_server(server)


def test_served_by_the_service_the_page_has_no_key_and_asks_for_each_verdict(built, browser, tmp_path):
    site, key = built
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(site, f"sqlite:///{tmp_path / 'r.db'}", port)
    context = browser.new_context()
    page = context.new_page()
    checks: list[int] = []
    page.on("response", lambda r: checks.append(r.status) if r.url.endswith("/api/check") else None)
    try:
        page.goto(f"{base}/training/outbound-calling/")
        page.locator("html.training-js").wait_for()
        data = page.evaluate("JSON.parse(document.getElementById('training-data').textContent)")
        assert data["check"] == "server"
        assert all("answer_hash" not in q and "salt" not in q for q in data["questions"])
        assert page.locator("template[data-explanation]").evaluate_all(
            "ts => ts.map(t => t.innerHTML).join('')") == ""
        # One wrong answer first: the service says so and explains.
        first = page.locator("fieldset[data-question]").first
        qid = first.get_attribute("data-question")
        wrong = next(c for c in first.locator("input").evaluate_all("xs => xs.map(x => x.value)")
                     if c not in key[qid])
        first.locator(f"label[for='q-{qid}--{wrong}']").click()
        first.locator("[data-check]").click()
        first.locator(".training-verdict").wait_for()
        assert "is-wrong" in first.get_attribute("class") and len(first.locator("[data-feedback]").inner_text()) > 40
        page.evaluate("localStorage.clear()")
        page.reload()
        page.locator("html.training-js").wait_for()
        work_through(page, key)
        page.fill("#training-name", "Ana Tane")
        page.fill("#training-email", "ana@example.nz")
        page.click("#training-finish")
        page.locator("#training-record", has_text="Recorded.").wait_for(timeout=15_000)
        assert checks and set(checks) == {200}
        rows = httpx.get(f"{base}/api/completions",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["records"]
        assert [(r["score"], r["quiz_checked"]) for r in rows] == [(100, "server")]
        no_axe_violations(page)
    finally:
        context.close()
        stop_server(server)


def test_a_submission_asked_to_wait_stays_queued_and_a_refused_one_is_dropped(built, browser, tmp_path):
    """Only a success or an answer marked final ends a submission; the page says which."""
    site, key = built
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Two submissions from one address in 4 seconds: the test spends them before the page.
    server = start_server(site, f"sqlite:///{tmp_path / 'r.db'}", port, "--address-rate", "2/4")
    context = browser.new_context()
    page = context.new_page()
    try:
        with page.expect_response("**/api/health"):
            page.goto(f"{base}/training/outbound-calling/")
        for _ in range(2):
            httpx.post(f"{base}/api/completions", json={})
        work_through(page, key)
        page.fill("#training-name", "Ana Tane")
        page.fill("#training-email", "ana\u200b@example.nz")  # a pasted zero-width space, dropped
        with page.expect_response("**/api/completions") as answer:
            page.click("#training-finish")
        assert answer.value.status == 429
        record = page.locator("#training-record")
        record.filter(has_text="asked to wait").wait_for(timeout=5_000)
        assert len(page.evaluate("JSON.parse(localStorage.getItem('policy-records:pending'))")) == 1
        record.filter(has_text="Recorded.").wait_for(timeout=20_000)
        assert page.evaluate("localStorage.getItem('policy-records:pending')") == "[]"
        rows = httpx.get(f"{base}/api/completions",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["records"]
        assert [(r["email"], r["identity_source"]) for r in rows] == [("ana@example.nz", "typed")]
    finally:
        context.close()
        stop_server(server)

    server = start_server(site, f"sqlite:///{tmp_path / 'p.db'}", port, "--identity-header", "X-Forwarded-Email")
    context = browser.new_context(extra_http_headers={"X-Forwarded-Email": "not-an-email"})
    page = context.new_page()
    try:
        with page.expect_response("**/api/health"):
            page.goto(f"{base}/training/outbound-calling/")
        work_through(page, key)
        page.fill("#training-name", "Bo Ruru")
        page.click("#training-finish")
        page.locator("#training-record", has_text="no longer being sent").wait_for(timeout=10_000)
        assert "is not an email address" in page.inner_text("#training-record")
        assert page.evaluate("localStorage.getItem('policy-records:pending')") == "[]"
    finally:
        context.close()
        stop_server(server)
