"""Sign-in with a real OpenID Connect provider (oidc-provider from the npm registry), in Chromium."""

from __future__ import annotations

import os
import subprocess
import time

import httpx
import pytest

from records_fixtures import ADMIN_TOKEN, ROOT, free_port, start_server, stop_server
from test_records_browser import browser, built, work_through  # noqa: F401  (shared fixtures)

pytestmark = pytest.mark.browser

PROVIDER = ROOT / "tests" / "oidc"
SECRET = "records-tests-client-secret-0123456789"


def records_rows(base: str) -> list[dict]:
    return httpx.get(f"{base}/api/completions", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["records"]


@pytest.fixture
def signin(built, tmp_path):
    """A provider on one loopback port and the records service on another, wired together."""
    site, key = built
    idp_port, port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "provider.log", "wb")
    idp = subprocess.Popen(["node", "provider.mjs"], cwd=PROVIDER, stdout=subprocess.PIPE, stderr=log,
                           env=dict(os.environ, OIDC_PORT=str(idp_port), OIDC_CLIENT_ID="policy-records",
                                    OIDC_CLIENT_SECRET=SECRET, OIDC_REDIRECT_URI=f"{base}/api/callback"))
    assert idp.stdout.readline().strip() == b"ready", (tmp_path / "provider.log").read_text()
    servers = []

    def start(*extra: str):
        proc = start_server(site, f"sqlite:///{tmp_path / 'r.db'}", port, "--oidc-issuer",
                            f"http://127.0.0.1:{idp_port}", "--oidc-client-id", "policy-records", *extra,
                            env={"POLICY_RECORDS_OIDC_CLIENT_SECRET": SECRET})
        servers.append(proc)
        return proc
    try:
        yield base, key, start
    finally:
        for proc in servers:
            stop_server(proc)
        idp.terminate()
        idp.wait(10)
        idp.stdout.close()
        log.close()


def sign_in(page, email: str) -> None:
    page.click("#training-signin a")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    page.click("button[type=submit]:has-text('Continue')")


def test_staff_sign_in_and_the_record_names_the_signed_in_person(signin, browser):
    base, key, start = signin
    start()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base}/training/outbound-calling/")
        page.locator("#training-signin", has_text="Sign in").wait_for()
        assert page.locator("#training-email").count() == 0
        sign_in(page, "ana.tane@corp.example")
        page.wait_for_url(f"{base}/training/outbound-calling/")
        page.locator("#training-signin", has_text="Signed in as ana.tane@corp.example").wait_for()
        cookie = next(c for c in context.cookies() if c["name"] == "policy_records_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        work_through(page, key)
        page.fill("#training-name", "Ana Tane")
        page.click("#training-finish")
        page.locator("#training-record", has_text="Recorded.").wait_for(timeout=15_000)
        rows = records_rows(base)
        assert [(r["email"], r["identity_source"], r["quiz_checked"]) for r in rows] == [
            ("ana.tane@corp.example", "oidc", "server")]
        # Without the session cookie, nobody can record for Ana: not a typed email, not a header.
        r = httpx.post(f"{base}/api/completions", headers={"X-Forwarded-Email": "ana.tane@corp.example"},
                       json={"checklist": "outbound-calling", "version": 1, "training_hash": "x", "name": "Eve",
                             "email": "ana.tane@corp.example", "answers": {}, "acknowledged": []})
        assert r.status_code == 401 and r.json()["login"] == "api/login" and "final" not in r.json()
    finally:
        context.close()


def test_a_failed_sign_in_records_nothing_and_can_be_tried_again(signin, browser):
    base, key, start = signin
    start()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base}/training/outbound-calling/")
        page.click("#training-signin a")
        page.click("text=[ Cancel ]")
        page.locator("h1", has_text="Sign-in failed").wait_for()
        assert "aborted" in page.inner_text("main")
        assert not any(c["name"] == "policy_records_session" and "person" in c["value"] for c in context.cookies())
        page.click("text=Back to the training")
        page.wait_for_url(f"{base}/training/outbound-calling/")
        page.locator("#training-signin", has_text="Sign in with your company account").wait_for()
        # An account whose email the provider has not verified cannot name anyone.
        sign_in(page, "unverified-bo@corp.example")
        page.locator("h1", has_text="Sign-in failed").wait_for()
        assert "verified email" in page.inner_text("main")
        assert records_rows(base) == []
    finally:
        context.close()


def test_an_expired_sign_in_keeps_the_completion_until_signed_in_again(signin, browser):
    base, key, start = signin
    start("--session-lifetime", "3")
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base}/training/outbound-calling/")
        sign_in(page, "cy@corp.example")
        page.locator("#training-signin", has_text="Signed in as cy@corp.example").wait_for()
        work_through(page, key)
        page.fill("#training-name", "Cy Pou")
        time.sleep(3.5)
        page.click("#training-finish")
        record = page.locator("#training-record")
        record.filter(has_text="your sign-in has expired").wait_for(timeout=10_000)
        assert len(page.evaluate("JSON.parse(localStorage.getItem('policy-records:pending'))")) == 1
        assert records_rows(base) == []
        record.locator("a", has_text="Sign in").click()
        # The provider still knows Cy: straight back, and the kept completion is sent.
        consent = page.locator("button[type=submit]:has-text('Continue')")
        page.wait_for_load_state()
        if consent.count():
            consent.click()
        page.wait_for_url(f"{base}/training/outbound-calling/")
        page.locator("#training-record", has_text="Recorded.").wait_for(timeout=15_000)
        assert [(r["email"], r["identity_source"]) for r in records_rows(base)] == [("cy@corp.example", "oidc")]
    finally:
        context.close()
