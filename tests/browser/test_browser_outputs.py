"""What readers get besides the text: the feed they can discover and trust, and tables that fit a phone."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

import pytest

pytestmark = pytest.mark.browser

ATOM = "{http://www.w3.org/2005/Atom}"
POLICY_PAGES = ["privacy-policy/index.html", "privacy-policy/versions/index.html",
                "privacy-policy/v/1/index.html", "privacy-policy/v/2/changes/index.html"]


@pytest.mark.parametrize("page_file", POLICY_PAGES)
def test_every_policy_page_names_its_feed(sites, page_file):
    html = (sites / "three" / page_file).read_text(encoding="utf-8")
    links = re.findall(r'<link rel="alternate" type="application/atom\+xml" title="([^"]+)" href="([^"]+)">', html)
    assert len(links) == 1
    title, href = links[0]
    assert title == "Privacy Policy: new versions (Atom feed)"
    target = (sites / "three" / page_file).parent / href
    assert target.resolve() == (sites / "three" / "privacy-policy" / "feed.xml").resolve()


def test_the_feed_says_the_same_times_as_versions_json_and_how_big_each_pdf_is(sites):
    root = sites / "three" / "privacy-policy"
    feed = ET.parse(root / "feed.xml").getroot()
    records = {r["version"]: r for r in json.loads((root / "versions.json").read_text())["versions"]}
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(records) == 2
    for entry in entries:
        number = int(re.search(r"version (\d+)", entry.findtext(f"{ATOM}title")).group(1))
        assert entry.findtext(f"{ATOM}published") == records[number]["posted_at"]
        enclosure = next(e for e in entry.findall(f"{ATOM}link") if e.get("rel") == "enclosure")
        pdf = root / "v" / str(number) / f"privacy-policy-v{number}.pdf"
        assert int(enclosure.get("length")) == pdf.stat().st_size


def test_a_commit_made_in_utc_is_still_dated_in_the_policys_zone_in_the_feed(tmp_path):
    from gitrepo import GitRepo, mkdocs_build

    repo = GitRepo.project(tmp_path / "work", checklists=False, pdf=False)
    repo.commit("Publish from a machine on UTC", "2026-12-01T01:08:00+00:00")
    site = tmp_path / "site"
    result = mkdocs_build(repo.path, site, today="2026-12-02")
    assert result.returncode == 0, result.stderr
    feed = ET.parse(site / "privacy-policy" / "feed.xml").getroot()
    posted = json.loads((site / "privacy-policy" / "versions.json").read_text())["versions"][0]["posted_at"]
    assert posted == "2026-12-01T14:08:00+13:00"
    assert feed.find(f"{ATOM}entry").findtext(f"{ATOM}published") == posted
    assert feed.findtext(f"{ATOM}updated") == posted


@pytest.mark.parametrize("width", [390, 1280])
def test_the_versions_table_fits_the_screen_and_links_every_pdf(browser, base_url, sites, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    try:
        pg.goto(f"{base_url}/three/privacy-policy/versions/")
        pg.wait_for_load_state("networkidle")
        assert pg.evaluate("document.scrollingElement.scrollWidth") <= width
        # No cell runs past the screen or is cut off inside a scroll box.
        cells = pg.evaluate("""[...document.querySelectorAll('.policy-versions th, .policy-versions td')]
            .map(e => ({right: e.getBoundingClientRect().right, clipped: e.scrollWidth > e.clientWidth + 1,
                        text: e.innerText}))""")
        assert cells and all(c["right"] <= width and not c["clipped"] for c in cells), cells
        # A date is never broken over lines.
        heights = pg.evaluate("""[...document.querySelectorAll('.policy-versions .policy-date')]
            .map(e => e.getClientRects().length)""")
        assert heights and set(heights) == {1}
        rows = pg.locator(".policy-versions tbody tr")
        assert rows.count() == 2
        for i in range(2):
            pdf = rows.nth(i).locator("a.policy-versions__pdf").get_attribute("href")
            number = 2 - i
            target = (sites / "three" / "privacy-policy" / "versions" / pdf).resolve()
            assert target == (sites / "three" / "privacy-policy" / "v" / str(number)
                              / f"privacy-policy-v{number}.pdf").resolve()
            assert target.is_file()
        # On a phone each field says what it is, the column headings being out of sight.
        labels = pg.evaluate("""[...document.querySelectorAll('.policy-versions tbody tr:first-child td')]
            .map(e => getComputedStyle(e, '::before').content)""")
        if width == 390:
            assert labels == ['attr(data-label) ": "'] * 4 or all(": " in x for x in labels), labels
            assert rows.nth(0).locator("td").nth(1).get_attribute("data-label") == "Effective date"
        else:
            assert set(labels) == {"none"}
    finally:
        context.close()


def test_the_pdf_template_is_not_published_with_the_site(sites):
    """theme/pdf/ makes the PDFs; it is not a page or an asset of the site."""
    assert not (sites / "three" / "pdf").exists()
    assert (sites / "three" / "assets" / "stylesheets" / "policy.css").is_file()


def test_web_addresses_in_the_text_are_links_on_the_page_and_in_the_pdf(sites):
    import pikepdf

    html = (sites / "three" / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert '<a href="https://www.privacy.org.nz">www.privacy.org.nz</a>' in html
    pdf = pikepdf.open(sites / "three" / "privacy-policy" / "v" / "2" / "privacy-policy-v2.pdf")
    uris = {str(a.A.URI) for p in pdf.pages for a in p.get("/Annots", []) if "/A" in a and "/URI" in a.A}
    assert "https://www.privacy.org.nz" in uris


@pytest.mark.parametrize("width, in_page", [(1280, False), (390, True)])
def test_the_contents_are_on_screen_once(browser, base_url, width, in_page):
    """The theme's table of contents shows beside the text on a wide screen; the in-page list
    only where it does not (a phone), and in print."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    try:
        pg.goto(f"{base_url}/three/privacy-policy/")
        pg.wait_for_load_state("networkidle")
        assert pg.locator("nav.policy-toc").is_visible() is in_page
        sidebar = pg.locator(".md-sidebar--secondary .md-nav--secondary")
        assert sidebar.is_visible() is (not in_page)
        pg.emulate_media(media="print")
        assert pg.locator("nav.policy-toc").is_visible()
    finally:
        context.close()


def test_question_boxes_never_cut_through_the_question_on_a_phone(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    pg = context.new_page()
    try:
        pg.goto(f"{base_url}/three/training/all-staff/")
        pg.wait_for_load_state("networkidle")
        boxes = pg.evaluate("""[...document.querySelectorAll('fieldset.training-question')].map(f => {
            const l = f.querySelector('legend').getBoundingClientRect(), b = f.getBoundingClientRect();
            return {legend_top: l.top, box_top: b.top + parseFloat(getComputedStyle(f).borderTopWidth),
                    legend_bottom: l.bottom, box_bottom: b.bottom, lines: Math.round(l.height / 20)};
        })""")
        assert boxes and any(b["lines"] > 1 for b in boxes)  # some questions do wrap at 390 px
        for b in boxes:
            assert b["box_top"] <= b["legend_top"] and b["legend_bottom"] <= b["box_bottom"], b
    finally:
        context.close()
