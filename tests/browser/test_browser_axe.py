"""axe-core (bundled by axe-playwright-python) finds no violation on any page type of the site."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PAGES = {
    "home": "",
    "policy in force": "privacy-policy/",
    "archived version": "privacy-policy/v/1/",
    "changes": "privacy-policy/v/2/changes/",
    "first version's changes": "privacy-policy/v/1/changes/",
    "versions list": "privacy-policy/versions/",
    "training index": "training/",
    "checklist": "training/all-staff/",
    "second checklist": "training/outbound-calling/",
}


def check(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_no_violations(page, base_url, path):
    response = page.goto(f"{base_url}/two/{path}")
    assert response is not None and response.status == 200
    check(page)


def test_no_violations_in_every_state_of_a_checklist(page, base_url, answer_key):
    """Feedback, the "changed" notice, a failed result and the completion record, too."""
    from test_browser_training import answer_with_mouse, do_everything, finish, wrong_choice

    page.goto(f"{base_url}/one/training/all-staff/")
    do_everything(page, answer_key)
    finish(page)
    page.goto(f"{base_url}/two/training/all-staff/")
    assert page.locator("[data-item='call-recording'] [data-changed]").is_visible()
    right, wrong = answer_key["recording-customer-asks"], answer_key["recording-coaching"]
    answer_with_mouse(page, right, right.answer)
    answer_with_mouse(page, wrong, wrong_choice(wrong))
    check(page)  # a right answer, a wrong one, and the notice of what changed
    page.fill("#training-name", "")
    page.click("#training-finish")
    assert page.locator("#training-name").get_attribute("aria-invalid") == "true"
    check(page)  # the missing-name message

    page.goto(f"{base_url}/one/training/outbound-calling/")
    data_questions = page.locator("[data-question]").evaluate_all("l => l.map(f => f.dataset.question)")
    do_everything(page, answer_key, wrong=set(data_questions[:3]))
    assert "Not passed" in finish(page)
    check(page)  # the failed result and what to revisit
    page.click("[data-retry]")
    do_everything(page, answer_key)
    assert "Training completed" in finish(page)
    check(page)  # the completion record
