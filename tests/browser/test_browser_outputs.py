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
