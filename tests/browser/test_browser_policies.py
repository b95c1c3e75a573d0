"""Issue 14 in Chromium: a site of several policies (a table redline, languages, translations)."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from gitrepo import GitRepo, mkdocs_build, policy_cli, policy_yaml

pytestmark = pytest.mark.browser

V1 = "2026-03-02T10:00:00+13:00"
V2 = "2026-06-01T10:00:00+12:00"
TABLE = ("We keep records for these periods:\n\n| Record | Kept for |\n| --- | --- |\n"
         "| Invoices | 7 years |\n| Call recordings | 12 months |\n| CVs | 1 year |")


def retention(table: str) -> str:
    return policy_yaml({"periods": {"title": "How long we keep records", "body": table},
                        "contact": {"title": "Contact us", "body": "Write to us.", "contact": True}},
                       policy_id="retention", title="Records Retention")


MAORI = policy_yaml({"periods": {"title": "Te roa e puritia ai ngā mōhiohio", "body": "Ka puritia mō te whitu tau.",
                                 "training": {"questions": [{
                                     "id": "pupuri", "type": "true-false", "prompt": "Ka puritia mō te whitu tau.",
                                     "answer": True, "explanation": "Ka pērā te kaupapa here."}]}},
                     "contact": {"title": "Whakapā mai", "body": "Tuhia mai ki a mātou.", "contact": True}},
                    policy_id="retention-mi", title="Te Kaupapa Pupuri Mōhiohio",
                    extra_top="translation_of: retention").replace("language: en-NZ", "language: mi")


TERMS = policy_yaml({"conduct": {"title": "How to behave", "body": "Be polite to our staff.",
                                 "training": {"guidance": "Say so when a caller is rude.", "questions": [
                                     {"id": "recording-coaching", "type": "true-false",
                                      "prompt": "Callers must be polite to our staff.", "answer": True,
                                      "explanation": "The terms say so."}]}},
                     "contact": {"title": "Contact us", "body": "Write to us.", "contact": True}},
                    policy_id="terms-of-use", title="Terms of Use")
FRONT_DESK = """\
id: front-desk
title: Front desk
audience: Everyone who answers the phone.
description: The privacy policy and the terms of use at the front desk.
policy: [privacy-policy, terms-of-use]
pass_mark: 100
items:
  - id: recording
    kind: read
    clauses: [call-recording]
  - id: behaviour
    kind: quiz
    clauses: [terms-of-use#conduct]
"""

KAIMAHI = """\
id: kaimahi
title: Ngā kaimahi katoa
audience: Ngā kaimahi katoa o te rōpū.
description: Te kaupapa here tūmataiti me ōna tikanga mō tō mahi.
policy: retention-mi
pass_mark: 100
items:
  - id: pupuri
    kind: quiz
    clauses: [periods]
  - id: whakapa
    kind: read
    clauses: [contact]
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("policies")
    repo = GitRepo.project(tmp / "project", pdf=False)
    repo.write("content/retention.yaml", retention(TABLE))
    repo.write("content/retention-mi.yaml", MAORI)
    repo.write("content/terms-of-use.yaml", TERMS)
    repo.write("checklists/front-desk.yaml", FRONT_DESK)
    repo.write("checklists/kaimahi.yaml", KAIMAHI)
    marked = policy_cli(repo.path, "translations", "mark")
    assert marked.returncode == 0, marked.stderr
    repo.commit("Publish the retention schedule, in English and te reo Māori", V1)
    edited = TABLE.replace("| Call recordings | 12 months |\n", "").replace(
        "| CVs | 1 year |", "| CVs | 6 months |\n| Web logs | 90 days |")
    repo.write("content/retention.yaml", retention(edited))
    repo.commit("Retention: drop call recordings, add web logs, keep CVs for less", V2)
    built = mkdocs_build(repo.path, tmp / "site", today="2026-06-10")
    assert built.returncode == 0, built.stderr
    return tmp / "site"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(served):
    handler = functools.partial(_Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_table_rows_are_redlined_as_rows(page, base_url):
    page.goto(f"{base_url}/retention/v/2/changes/")
    rows = page.eval_on_selector_all(".policy-redline table tbody tr", """trs => trs.map(tr =>
        [...tr.cells].map(td => {
            const mark = td.querySelector('ins, del');
            const seen = td.cloneNode(true);
            seen.querySelectorAll('.policy-sr').forEach(e => e.remove());
            return {text: seen.textContent.trim(), mark: mark ? mark.tagName.toLowerCase() : '',
                    line: mark ? getComputedStyle(mark).textDecorationLine : ''};
        }))""")
    assert all(len(r) == 2 for r in rows), rows
    by_record = {r[0]["text"]: r for r in rows}
    gone = by_record["Call recordings"]
    assert all(c["mark"] == "del" and "line-through" in c["line"] for c in gone), gone
    web = by_record["Web logs"]
    assert all(c["mark"] == "ins" and "underline" in c["line"] for c in web), web
    cvs = by_record["CVs"]
    assert cvs[0]["mark"] == "" and cvs[1]["mark"] in ("ins", "del"), cvs
    assert by_record["Invoices"] == [{"text": "Invoices", "mark": "", "line": ""},
                                     {"text": "7 years", "mark": "", "line": ""}]


def test_table_redline_is_axe_clean(page, base_url):
    from test_browser_axe import check

    page.goto(f"{base_url}/retention/v/2/changes/")
    check(page)


def test_a_maori_page_says_so_and_its_stale_clause_leads_to_the_english_in_force(page, base_url):
    from test_browser_axe import check

    page.goto(f"{base_url}/retention-mi/")
    assert page.evaluate("document.documentElement.lang") == "mi"
    notice = page.locator("#periods ~ .policy-notice--stale").first
    assert notice.is_visible() and notice.get_attribute("role") == "note"
    assert page.locator(".policy-notice--stale").count() == 1  # the contact clause did not change
    check(page)
    notice.get_by_role("link").click()
    page.wait_for_url(f"{base_url}/retention/#periods")
    assert page.evaluate("document.documentElement.lang") == "en-NZ"
    assert page.get_by_role("link", name="Te Kaupapa Pupuri Mōhiohio (Māori)").is_visible()


def test_a_checklist_across_two_policies_is_done_in_the_browser(page, base_url):
    """A question of the second policy shares an id with one of the first: each works on its own."""
    from test_browser_axe import check

    page.goto(f"{base_url}/training/front-desk/")
    assert page.locator("h1").inner_text().startswith("Front desk: Privacy Policy and Terms of Use training")
    page.check("#q-terms-of-use_recording-coaching input[value='true']")
    page.click("#q-terms-of-use_recording-coaching [data-check]")
    assert "Correct" in page.locator("#q-terms-of-use_recording-coaching [data-feedback]").inner_text()
    page.check("[data-item='recording'] [data-confirm]")
    page.fill("#training-name", "Aroha Test")
    page.click("#training-finish")
    assert "passed" in page.locator("#training-outcome").inner_text().lower()
    assert page.locator("a[href='../../terms-of-use/#conduct']").count() >= 1
    check(page)


def test_a_maori_checklist_speaks_te_reo_in_the_browser(page, base_url):
    """Everything the script says, from progress to the completion record, is in the checklist's language."""
    from test_browser_axe import check

    page.goto(f"{base_url}/training/kaimahi/")
    assert page.evaluate("document.documentElement.lang") == "mi"
    assert page.inner_text("#training-progress-text") == "0 o ngā tūemi e 2 kua oti."
    page.click("#q-pupuri [data-check]")
    assert page.inner_text("#q-pupuri [data-feedback]") == "Kōwhiria he whakautu i te tuatahi."
    page.click("#training-finish")
    assert page.inner_text("#training-outcome").startswith("Kāore anō kia oti. Mahia ēnei tūemi i te tuatahi:")
    page.check("#q-pupuri input[value='true']")
    page.click("#q-pupuri [data-check]")
    assert page.inner_text("#q-pupuri .training-verdict") == "✓ Tika."
    page.check("[data-item='whakapa'] [data-confirm]")
    assert page.inner_text("[data-item='whakapa'] [data-status]") == "✓ Kua oti"
    assert page.inner_text("#training-progress-text") == "2 o ngā tūemi e 2 kua oti. Ināianei, whakaotia i raro."
    page.click("#training-finish")
    assert page.inner_text("#training-outcome") == "Tēnā, patohia tō ingoa katoa mō tō tuhinga whakaoti."
    page.fill("#training-name", "Aroha Test")
    page.click("#training-finish")
    record = page.inner_text("#training-certificate")
    assert "Kua oti te whakangungu" in record and "Waehere whakaoti" in record
    assert "Training" not in record and "Passed" not in record
    # The time it was completed, written out in te reo Māori even where the browser has no Māori
    # dates of its own (Chromium names the month in English): the month comes from the page.
    when = page.locator("#training-certificate time")
    local = datetime.fromisoformat(when.get_attribute("datetime").replace("Z", "+00:00")).astimezone(
        ZoneInfo("Pacific/Auckland"))
    month = format_date(local, "MMMM", locale="mi")
    assert when.inner_text().startswith(f"{local.day} {month} {local.year}, {local:%H:%M} "), month
    check(page)


def test_the_records_service_is_answered_in_te_reo_too(served, browser, tmp_path):
    """Served by ``policy records serve``: the email it asks for and what it says of the record."""
    from records_fixtures import free_port, start_server, stop_server

    port = free_port()
    server = start_server(served, f"sqlite:///{tmp_path / 'records.db'}", port)
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"http://127.0.0.1:{port}/training/kaimahi/")
        page.locator("#training-email").wait_for()
        assert page.inner_text("label[for='training-email']") == "Tō īmēra mahi, mō tō tuhinga whakaoti"
        page.check("#q-pupuri input[value='true']")
        page.click("#q-pupuri [data-check]")
        page.check("[data-item='whakapa'] [data-confirm]")
        page.fill("#training-name", "Aroha Test")
        page.click("#training-finish")
        assert page.inner_text("#training-outcome") == "Tēnā, patohia tō īmēra mahi mō tō tuhinga whakaoti."
        page.fill("#training-email", "aroha@example.nz")
        page.click("#training-finish")
        record = page.locator("#training-record")
        record.filter(has_text="Kua tuhia.").wait_for(timeout=20_000)
        assert record.inner_text().startswith("Kua tuhia. Ko te tautuhi o tō tuhinga whakaoti ko ")
        assert "Tautuhi tuhinga" in page.inner_text("#training-certificate")
    finally:
        context.close()
        stop_server(server)


def search(page, query: str) -> list[str]:
    """Material's search box, as a reader types into it: the places of the results, best first."""
    page.fill(".md-search__input", "")
    page.type(".md-search__input", query)
    page.locator(".md-search-result__meta", has_text=re.compile(r"matching|No matching")).wait_for()
    page.wait_for_timeout(300)  # the results of the last keystroke
    return [a.split("/", 3)[3] for a in page.eval_on_selector_all(
        ".md-search-result__item > a", "els => els.map(e => e.href)")]


def test_a_phrase_copied_from_a_te_reo_page_finds_it(page, base_url):
    """English rules dropped "a" (an English stop word, a Māori particle) and kept "mātou." with its
    full stop, so the phrase found nothing; English searches work as before."""
    page.goto(f"{base_url}/retention-mi/")
    assert "retention-mi/#contact" in search(page, '"tuhia mai ki a mātou"')
    assert "retention-mi/#contact" in search(page, "whakapā")
    assert "retention/" in search(page, "records")


def test_each_search_result_is_marked_in_its_pages_language(page, base_url):
    """Material lists results in its header, in the site's language: a te reo result says it is te reo."""
    from test_browser_axe import check

    page.goto(f"{base_url}/retention-mi/")
    search(page, "whakapā")
    maori = page.locator(".md-search-result__item", has=page.locator("a[href$='/retention-mi/']"))
    maori.and_(page.locator("[lang='mi']")).wait_for()
    search(page, "records")
    english = page.locator(".md-search-result__item", has=page.locator("a[href$='/retention/']"))
    english.and_(page.locator("[lang='en']")).wait_for()
    check(page)


def test_the_te_reo_pages_are_valid_html(served):
    """The Nu Html Checker on the te reo training page, the training index and a te reo policy page."""
    import json
    import shutil
    import subprocess

    from test_html_valid import VNU, _known

    pages = [served / "training" / "kaimahi" / "index.html", served / "training" / "index.html",
             served / "retention-mi" / "index.html", served / "training" / "front-desk" / "index.html"]
    proc = subprocess.run([shutil.which("java"), "-jar", str(VNU), "--format", "json", *map(str, pages)],
                          capture_output=True, text=True, timeout=300)
    errors = [m for m in json.loads(proc.stderr)["messages"] if m.get("type") == "error" and not _known(m)]
    assert errors == [], errors
