"""The changes page in Chromium: insertions and deletions are told apart without colour, and by screen readers."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

CHANGES = "/two/privacy-policy/v/2/changes/"
ADDED = "We keep call recordings for twelve months."


def _marks(page):
    """Computed style and text of every <ins>/<del> in the redline blocks."""
    return page.eval_on_selector_all(".policy-redline ins, .policy-redline del", """els => els.map(e => {
        const s = getComputedStyle(e);
        return {tag: e.tagName.toLowerCase(), line: s.textDecorationLine, text: e.textContent};
    })""")


def test_marks_are_underlined_and_struck_through_not_only_coloured(page, base_url):
    page.goto(base_url + CHANGES)
    marks = _marks(page)
    inserted = [m for m in marks if m["tag"] == "ins"]
    assert inserted, "the redline has no insertion"
    assert all("underline" in m["line"] for m in inserted)
    assert all("line-through" in m["line"] for m in marks if m["tag"] == "del")
    assert any(ADDED in m["text"] for m in inserted)


def test_screen_readers_hear_inserted_and_deleted(page, base_url):
    page.goto(base_url + CHANGES)
    snapshot = page.locator(".policy-redline--body").first.aria_snapshot()
    # Chromium exposes <ins> as an "insertion" whose name carries the hidden label.
    assert re.search(r'insertion: "\[inserted: ' + re.escape(ADDED) + r'\s*\]"', snapshot), snapshot
    label = page.locator(".policy-redline ins .policy-sr").first
    box = label.bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1  # hidden from sight only


def test_forced_colours_keep_the_marks(browser, base_url):
    """Windows high-contrast mode drops background colours; the underline must remain."""
    context = browser.new_context(forced_colors="active")
    try:
        pg = context.new_page()
        pg.goto(base_url + CHANGES)
        marks = _marks(pg)
        assert marks and all("underline" in m["line"] for m in marks if m["tag"] == "ins")
    finally:
        context.close()
