"""The training checklist in real Chromium: keyboard, feedback, pass mark, progress, new versions."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.request
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.browser

NAME = "Aroha Ngata"


def tab_to(page, selector: str, limit: int = 800) -> None:
    """Press Tab until ``selector`` has the focus: proves it is reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def page_data(page) -> dict:
    return json.loads(page.locator("#training-data").text_content())


def wrong_choice(q) -> tuple[str, ...]:
    if q.type == "multiple":  # drop one right choice: a partly right answer is wrong
        return tuple(q.answer[:-1]) or (next(c.id for c in q.choices if c.id not in q.answer),)
    return (next(c.id for c in q.choices if c.id not in q.answer),)


def answer_with_keyboard(page, q, chosen) -> None:
    ids = [c.id for c in q.choices]
    if q.type == "multiple":
        for cid in ids:
            if cid in chosen:
                tab_to(page, f"#q-{q.id} input[value='{cid}']")
                page.keyboard.press("Space")
    else:
        tab_to(page, f"#q-{q.id} input[value='{ids[0]}']")
        k = ids.index(chosen[0])
        if k == 0:
            page.keyboard.press("Space")
        for _ in range(k):
            page.keyboard.press("ArrowDown")
    tab_to(page, f"#q-{q.id} [data-check]")
    page.keyboard.press("Enter")
    # Focus moves to the feedback, so the explanation is read next.
    assert page.evaluate("document.activeElement.id") == f"q-{q.id}-feedback"


def answer_with_mouse(page, q, chosen) -> None:
    for cid in chosen:
        page.check(f"#q-{q.id} input[value='{cid}']")
    page.click(f"#q-{q.id} [data-check]")


def do_everything(page, answer_key, wrong: set[str] = frozenset(), skip: set[str] = frozenset()) -> None:
    """Do every item of the open checklist with the mouse; questions in ``wrong`` answered wrongly."""
    data = page_data(page)
    for item in data["items"]:
        if item["id"] in skip:
            continue
        if item["kind"] == "quiz":
            for qid in item["questions"]:
                if page.locator(f"#q-{qid} [data-check]").is_disabled():
                    continue
                q = answer_key[qid]
                answer_with_mouse(page, q, wrong_choice(q) if qid in wrong else q.answer)
        elif not page.locator(f"[data-item='{item['id']}'] [data-confirm]").is_checked():
            page.check(f"[data-item='{item['id']}'] [data-confirm]")


def finish(page, name: str = NAME) -> str:
    page.fill("#training-name", name)
    page.click("#training-finish")
    return page.locator("#training-outcome").inner_text()


def expected_code(data: dict, name: str, score: int, completed_at: str) -> str:
    fields = [data["checklist"], data["policy"], str(data["version"]), data["effective_date"] or "",
              data["training_hash"], name, str(score), completed_at]
    h = hashlib.sha256("|".join(fields).encode()).hexdigest()[:16].upper()
    return "-".join(h[i:i + 4] for i in range(0, 16, 4))


def test_complete_all_staff_with_the_keyboard_only(page, base_url, answer_key):
    page.goto(f"{base_url}/one/training/all-staff/")
    data = page_data(page)
    assert page.inner_text("#training-progress-text") == "0 of 10 items done."
    assert page.get_by_text("JavaScript is off.").is_hidden()
    for item in data["items"]:
        if item["kind"] == "quiz":
            for qid in item["questions"]:
                answer_with_keyboard(page, answer_key[qid], answer_key[qid].answer)
                assert "Correct." in page.inner_text(f"#q-{qid}-feedback")
        else:
            tab_to(page, f"[data-item='{item['id']}'] [data-confirm]")
            page.keyboard.press("Space")
        status = page.locator(f"[data-item='{item['id']}'] [data-status]").inner_text()
        assert status == "✓ Done", (item["id"], status)
    assert page.inner_text("#training-progress-text") == "10 of 10 items done. Now finish below."
    tab_to(page, "#training-name")
    page.keyboard.type(NAME)
    tab_to(page, "#training-finish")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "training-outcome"
    record = page.locator("#training-certificate")
    text = record.inner_text()
    assert "Training completed" in text and NAME in text and "All staff" in text
    assert "Privacy Policy, version 1, effective 2 March 2026" in text
    assert "100% (pass mark 80%)" in text
    completed_at = record.locator("time").get_attribute("datetime")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", completed_at)
    assert expected_code(data, NAME, 100, completed_at) in text
    # The record prints on its own, and there is nothing left to finish.
    assert record.locator("[data-print]").is_visible()
    assert not page.locator("#training-finish").is_visible()


def test_wrong_answer_shows_its_explanation_and_does_not_count(page, base_url, answer_key):
    page.goto(f"{base_url}/one/training/all-staff/")
    q = answer_key["access-phone-copy"]
    answer_with_mouse(page, q, wrong_choice(q))
    feedback = page.locator(f"#q-{q.id}-feedback")
    assert feedback.inner_text().startswith("✗ Not correct.")
    assert "Requests to inspect, update or correct information are made in writing" in feedback.inner_text()
    assert page.locator(f"#q-{q.id}").evaluate("e => e.classList.contains('is-wrong')")
    # Answered once: the choice cannot be changed to the right one afterwards.
    assert all(page.locator(f"#q-{q.id} input").evaluate_all("l => l.map(i => i.disabled)"))
    assert page.locator(f"#q-{q.id} [data-check]").is_disabled()
    do_everything(page, answer_key)
    outcome = finish(page)
    assert "94% (pass mark 80%)" in outcome  # 16 of 17: the wrong answer scores nothing


def test_earlier_feedback_is_not_rewritten_so_screen_readers_do_not_repeat_it(page, base_url, answer_key):
    """Each feedback is a live region: only the one just checked may change."""
    page.goto(f"{base_url}/one/training/all-staff/")
    first, second = answer_key["access-phone-copy"], answer_key["complaints-acknowledge"]
    answer_with_mouse(page, first, first.answer)
    page.evaluate("""() => {
        window.feedbackChanges = {};
        document.querySelectorAll("[data-feedback]").forEach(fb => new MutationObserver(records => {
            window.feedbackChanges[fb.id] = (window.feedbackChanges[fb.id] || 0) + records.length;
        }).observe(fb, {childList: true, subtree: true, characterData: true}));
    }""")
    answer_with_mouse(page, second, wrong_choice(second))
    page.check("[data-item='ack-need-to-know'] [data-confirm]")
    page.click(f"#q-{first.id} [data-check]", force=True)  # disabled: nothing happens
    changed = page.evaluate("window.feedbackChanges")
    assert list(changed) == [f"q-{second.id}-feedback"], changed
    assert page.locator(f"#q-{first.id}-feedback").inner_text().startswith("✓ Correct.")
    assert page.locator(f"#q-{second.id}-feedback").inner_text().startswith("✗ Not correct.")


def test_pass_mark_is_enforced_and_a_retry_is_allowed(page, base_url, answer_key):
    page.goto(f"{base_url}/one/training/all-staff/")
    data = page_data(page)
    wrong = [q["id"] for q in data["questions"][:4]]
    do_everything(page, answer_key, wrong=set(wrong))
    outcome = finish(page)
    assert outcome.startswith("Not passed. Your score is 76%; the pass mark is 80%.")  # 13 of 17
    assert page.locator("#training-certificate").count() == 0
    revisit = page.locator("#training-outcome li a").evaluate_all("l => l.map(a => a.getAttribute('href'))")
    assert revisit == [f"#q-{qid}" for qid in wrong]
    assert page.evaluate("document.activeElement.id") == "training-outcome"

    page.click("[data-retry]")
    # Only the wrong answers are cleared; focus goes to the first of them.
    assert page.evaluate("document.activeElement.name") == f"q-{wrong[0]}"
    for qid in data["questions"]:
        answered = page.locator(f"#q-{qid['id']} [data-check]").is_disabled()
        assert answered == (qid["id"] not in wrong), qid["id"]
    assert "items done" in page.inner_text("#training-progress-text")
    # 14 of 17 right is 82%: at or above the pass mark passes.
    answer_with_mouse(page, answer_key[wrong[0]], answer_key[wrong[0]].answer)
    for qid in wrong[1:]:
        answer_with_mouse(page, answer_key[qid], wrong_choice(answer_key[qid]))
    outcome = finish(page)
    assert "Training completed" in outcome and "82% (pass mark 80%)" in outcome


def test_titles_with_markup_characters_show_as_typed_in_the_outcome(page, base_url, answer_key):
    """An item title with & and < reads the same in the not-finished and the failed lists."""
    url = f"{base_url}/one/training/all-staff/"
    title = "What we collect & <keep>"

    def retitle(route):
        resp = route.fetch()
        body, found = re.subn(r'("item_titles":\{[^}]*"collection":)"[^"]*"',
                              lambda m: m.group(1) + json.dumps(title).replace("&", "\\u0026")
                              .replace("<", "\\u003c").replace(">", "\\u003e"), resp.text())
        assert found == 1
        route.fulfill(response=resp, body=body)

    page.route(url, retitle)
    page.goto(url)
    assert page_data(page)["page"]["item_titles"]["collection"] == title
    outcome = finish(page)
    assert page.locator("#training-outcome li a[href='#item-collection']").inner_text() == title, outcome
    data = page_data(page)
    first = next(i for i in data["items"] if i["id"] == "collection")["questions"][0]
    wrong = {q["id"] for q in data["questions"][:4]}  # 13 of 17 is under the pass mark
    assert first in wrong
    do_everything(page, answer_key, wrong=wrong)
    assert finish(page).startswith("Not passed.")
    assert page.locator(f"#training-outcome li a[href='#q-{first}']").inner_text() == f"{title}: question 1"


def test_a_reload_keeps_progress(page, base_url, answer_key):
    page.goto(f"{base_url}/one/training/all-staff/")
    first, second = answer_key["collection-client-customer"], answer_key["collection-channels"]
    answer_with_mouse(page, first, first.answer)
    answer_with_mouse(page, second, wrong_choice(second))
    page.check("[data-item='ack-need-to-know'] [data-confirm]")
    assert page.inner_text("#training-progress-text") == "2 of 10 items done."
    page.reload()
    assert page.inner_text("#training-progress-text") == "2 of 10 items done."
    assert page.is_checked(f"#q-{first.id} input[value='{first.answer[0]}']")
    assert "✓ Correct." in page.inner_text(f"#q-{first.id}-feedback")
    assert "✗ Not correct." in page.inner_text(f"#q-{second.id}-feedback")
    assert page.is_checked("[data-item='ack-need-to-know'] [data-confirm]")
    assert page.locator("[data-item='collection'] [data-status]").inner_text() == "✓ Done"
    assert page.locator("[data-item='call-recording'] [data-status]").inner_text() == "Not done yet"


def test_a_new_version_resets_only_the_changed_items(page, base_url, answer_key):
    page.goto(f"{base_url}/one/training/all-staff/")
    do_everything(page, answer_key)
    assert "Training completed" in finish(page)

    page.goto(f"{base_url}/two/training/all-staff/")
    data = page_data(page)
    assert data["version"] == 2 and data["effective_date"] == "2026-06-01"
    assert "Privacy Policy, version 2, in force from 1 June 2026" in page.inner_text(".training-intro")
    assert page.inner_text("#training-progress-text") == "9 of 10 items done."
    assert page.locator("#training-certificate").count() == 0
    for item in data["items"]:
        box = page.locator(f"[data-item='{item['id']}']")
        changed = box.locator("[data-changed]")
        if item["id"] == "call-recording":
            assert box.locator("[data-status]").inner_text() == "Not done yet"
            assert "Changed since you last completed" in changed.inner_text()
            assert "1.2 Recording of calls" in changed.inner_text()
            link = changed.locator("a")
            assert link.inner_text() == "what changed in version 2"
            assert link.get_attribute("href") == "../../privacy-policy/v/2/changes/#change-call-recording"
            for qid in item["questions"]:
                assert page.locator(f"#q-{qid} [data-check]").is_enabled()
                assert page.locator(f"#q-{qid} input:checked").count() == 0
        else:
            assert box.locator("[data-status]").inner_text() == "✓ Done", item["id"]
            assert changed.is_hidden(), item["id"]
    page.locator("[data-item='call-recording'] [data-changed] a").click()
    assert page.url.endswith("/two/privacy-policy/v/2/changes/#change-call-recording")
    assert page.locator("#change-call-recording").count() == 1

    page.goto(f"{base_url}/two/training/all-staff/")
    do_everything(page, answer_key)
    outcome = finish(page)
    assert "Training completed" in outcome
    assert "Privacy Policy, version 2, effective 1 June 2026" in outcome

    # A training-only edit makes no new version, but the reworded item is done again.
    page.goto(f"{base_url}/three/training/all-staff/")
    data = page_data(page)
    assert data["version"] == 2
    assert page.inner_text("#training-progress-text") == "9 of 10 items done."
    note = page.locator("[data-item='complaints'] [data-changed]")
    assert "the training for this item was updated" in note.inner_text()
    assert page.locator("[data-item='call-recording'] [data-status]").inner_text() == "✓ Done"
    assert page.locator("[data-item='call-recording'] [data-changed]").is_hidden()


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url) as r:  # noqa: S310 - our own local server
        return r.read().decode("utf-8")


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()


@pytest.mark.parametrize("checklist", ["all-staff", "outbound-calling"])
def test_the_page_source_holds_no_plaintext_answer(base_url, answer_key, checklist):
    html = _fetch(f"{base_url}/two/training/{checklist}/")
    published = json.loads(_fetch(f"{base_url}/two/training/{checklist}/checklist.json"))
    script = _fetch(f"{base_url}/two/assets/javascripts/training.js")
    embedded = json.loads(re.search(r'<script type="application/json" id="training-data">(.*?)</script>',
                                    html, re.S).group(1))
    for data in (embedded, published):
        assert not {"answer", "answers", "correct", "explanation"} & _keys(data)
    article = html[html.index("<article"):html.index("</article>")]
    # No input comes ticked and no element marks the right choice (words such as "Not checked:" in
    # what the script says are not markup).
    assert not re.search(r"<[^>]*\b(checked|data-correct|data-answer)\b[^>]*>", article)
    assert "answer:" not in html and '"answer"' not in html and '"answer"' not in script
    assert embedded["questions"] == published["questions"]
    for q in published["questions"]:
        truth = answer_key[q["id"]]
        # Only the salted hash of the right set is published, and only it matches.
        def digest(ids):
            return hashlib.sha256(f"{q['salt']}:{q['id']}:{','.join(sorted(ids))}".encode()).hexdigest()
        assert digest(truth.answer) == q["answer_hash"]
        for c in truth.choices:
            if (c.id,) != tuple(truth.answer):
                assert digest([c.id]) != q["answer_hash"]
        assert q["salt"] not in script


def test_the_checklist_reads_without_javascript(browser, base_url, answer_key):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/one/training/all-staff/")
        assert page.get_by_text("JavaScript is off.").is_visible()
        assert page.get_by_text("Note that we generally record outbound calls").is_visible()
        assert page.get_by_text("What this means for you").first.is_visible()
        q = answer_key["access-phone-copy"]
        assert page.locator(f"#q-{q.id} legend").is_visible()
        for c in q.choices:
            assert page.get_by_label(c.text).is_visible()
        # Controls that need the script stay out of the way.
        assert page.locator("[data-check]").first.is_hidden()
        assert page.locator("#training-progress").is_hidden()
        assert page.locator("#training-finish").is_hidden()
        assert page.get_by_text("Your result appears here when you have done every item").is_visible()
    finally:
        context.close()


def test_the_completion_time_is_written_out_with_its_zone_whatever_the_browser_locale(browser, base_url,
                                                                                      answer_key):
    """A New Zealand reader of a US-locale browser read "12/2/2026" as 12 February."""
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    pg = context.new_page()
    try:
        pg.goto(f"{base_url}/one/training/all-staff/")
        do_everything(pg, answer_key)
        finish(pg)
        when = pg.locator("#training-certificate time")
        iso = when.get_attribute("datetime")
        shown = when.inner_text()
        local = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo("Pacific/Auckland"))
        assert shown == f"{local.day} {local:%B %Y}, {local:%H:%M} {local.tzname()}"
        assert local.tzname() in ("NZDT", "NZST")
    finally:
        context.close()
