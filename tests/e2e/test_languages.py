"""Issue 14, item 1: each policy's pages carry its language; search covers versions in force only."""

from __future__ import annotations

import json
import re

import pytest

from gitrepo import GitRepo, mkdocs_build, policy_cli, policy_yaml
from pdftext import page_texts, reading_text

V1 = "2026-03-02T10:00:00+13:00"
V2 = "2026-06-01T10:00:00+12:00"


def maori(body: str) -> str:
    return policy_yaml({"kohikohi": {"title": "Ngā mōhiohio ka kohia", "body": body, "training": {
                            "guidance": "Kaua e kohia he mea kē atu.",
                            "questions": [{"id": "ingoa", "type": "true-false", "prompt": "Ka kohia tō ingoa.",
                                           "answer": True, "explanation": "Ka pērā te kaupapa here."}]}},
                        "whakapa": {"title": "Whakapā mai", "body": "Tuhia mai.", "contact": True}},
                       policy_id="kaupapa-here-tumataiti", title="Kaupapa Here Tūmataiti").replace(
        "language: en-NZ", "language: mi")


KAIMAHI = """\
id: kaimahi
title: Ngā kaimahi katoa
audience: Ngā kaimahi katoa o te rōpū.
description: Te kaupapa here tūmataiti me ōna tikanga mō tō mahi.
policy: kaupapa-here-tumataiti
pass_mark: 100
items:
  - id: kohikohi
    kind: quiz
    clauses: [kohikohi]
  - id: whakapa
    kind: read
    clauses: [whakapa]
"""
"""A checklist on the te reo Māori policy, written in te reo Māori."""

FRONT_DESK = """\
id: front-desk
title: Front desk
audience: Everyone at the front desk.
description: What we collect, in both languages.
policy: [privacy-policy, kaupapa-here-tumataiti]
pass_mark: 100
items:
  - id: kohikohi
    kind: quiz
    title: What we collect, in te reo
    clauses: [kaupapa-here-tumataiti#kohikohi]
"""
"""An English checklist that also trains on the te reo Māori policy."""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("languages")
    repo = GitRepo.project(tmp / "project")
    repo.write("content/kaupapa-here-tumataiti.yaml", maori("Ka kohia e mātou tō ingoa."))
    repo.write("checklists/kaimahi.yaml", KAIMAHI)
    repo.write("checklists/front-desk.yaml", FRONT_DESK)
    repo.commit("Publish the te reo Māori privacy policy", V1)
    repo.write("content/kaupapa-here-tumataiti.yaml", maori("Ka kohia e mātou tō ingoa me tō wāhitau."))
    repo.commit("Te reo: add the address", V2)
    out = tmp / "site"
    built = mkdocs_build(repo.path, out, today="2026-06-10")
    assert built.returncode == 0, built.stderr
    return out


def lang(path) -> str:
    m = re.search(r"<html lang=\"([^\"]*)\"", path.read_text(encoding="utf-8"))
    assert m, path
    return m.group(1)


@pytest.mark.parametrize("page", ["", "v/1/", "v/2/changes/", "versions/"])
def test_every_page_of_a_maori_policy_says_it_is_in_maori(site, page):
    assert lang(site / "kaupapa-here-tumataiti" / page / "index.html") == "mi"


@pytest.mark.parametrize("page", ["", "v/1/", "versions/"])
def test_english_pages_keep_their_own_language(site, page):
    assert lang(site / "privacy-policy" / page / "index.html") == "en-NZ"


def test_search_covers_the_versions_in_force_only(site):
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    places = {d["location"].split("#")[0] for d in docs}
    assert "kaupapa-here-tumataiti/" in places and "privacy-policy/" in places
    assert not [p for p in places if "/v/" in p or "/draft/" in p], sorted(places)
    words = " ".join(d["text"] for d in docs)
    assert "me tō wāhitau" in words


def visible(path) -> str:
    html = path.read_text(encoding="utf-8")
    main = re.sub(r"<script\b.*?</script>", " ", html[html.index('<article'):html.index('</article>')], flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_a_maori_page_has_maori_labels_and_dates(site):
    text = visible(site / "kaupapa-here-tumataiti" / "index.html")
    for label in ("Putanga 2", "E mana ana", "Whai mana mai i te 1 Hune 2026", "Ngā ihirangi",
                  "Ngā putanga katoa", "Ngā panonitanga i te putanga 2"):
        assert label in text, label
    for english in ("In force", "Effective", "Contents", "All versions", "June"):
        assert english not in text, english


def test_a_maori_redline_and_versions_list_are_in_maori(site):
    changes = visible(site / "kaupapa-here-tumataiti" / "v" / "2" / "changes" / "index.html")
    assert "Ngā panonitanga i te putanga 2 o Kaupapa Here Tūmataiti" in changes
    assert "[kua tāpirihia: me tō wāhitau ]" in changes and "Kua panonitia: te kupu." in changes
    listed = visible(site / "kaupapa-here-tumataiti" / "versions" / "index.html")
    assert "Kaupapa Here Tūmataiti: ngā putanga katoa" in listed and "I whakakapia i te 1 Hune 2026" in listed


def test_english_pages_keep_english_labels(site):
    text = visible(site / "privacy-policy" / "index.html")
    assert "In force" in text and "Contents" in text and "All versions" in text


def test_a_maori_pdf_has_maori_labels_page_numbers_and_dates(site, tmp_path):
    data = (site / "kaupapa-here-tumataiti" / "v" / "2" / "kaupapa-here-tumataiti-v2.pdf").read_bytes()
    pages = page_texts(data, tmp_path)
    whole = reading_text(pages)
    assert "Whārangi 1 o 1" in pages[0] and "Whai mana 1 Hune 2026" in pages[0]
    assert "Kaupapa Here Tūmataiti · Putanga 2" in pages[0]
    for label in ("Putanga", "I whakaputaina", "Wāhitau tūturu",
                  "Te mutunga o Kaupapa Here Tūmataiti, putanga 2."):
        assert label in whole, label
    assert "Page 1" not in whole and "Effective" not in whole and "Version" not in whole


def test_on_a_maori_page_the_sites_own_english_words_say_they_are_english(site):
    """WCAG 3.1.2: Material's header, navigation and footer stay in the site's language."""
    html = (site / "kaupapa-here-tumataiti" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<header lang="en" class="md-header', html)
    assert re.search(r'<div lang="en" class="md-sidebar md-sidebar--primary"', html)
    assert re.search(r'<footer class="md-footer" lang="en">', html)
    assert re.search(r'class="md-skip" lang="en">', html)
    # The page's own contents sidebar is in the page's language.
    assert '<nav class="md-nav md-nav--secondary" aria-label="Rārangi ihirangi">' in html
    assert "Table of contents" not in html
    english = (site / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert 'lang="en"' not in english and "Table of contents" in english


def test_a_maori_page_names_its_feed_in_maori(site):
    html = (site / "kaupapa-here-tumataiti" / "index.html").read_text(encoding="utf-8")
    assert 'title="Kaupapa Here Tūmataiti: ngā putanga hou (whāngai Atom)"' in html


def test_the_home_page_marks_each_policy_in_its_own_language(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<h2 [^>]*lang="mi"[^>]*>\s*<a href="kaupapa-here-tumataiti/">', html)
    assert "Version 2, in force since 1 June 2026." in visible(site / "index.html")


def test_a_site_in_te_reo_has_a_home_page_in_te_reo(tmp_path):
    repo = GitRepo.project(tmp_path / "p", content=False, checklists=False, pdf=False)
    config = repo.read("mkdocs.yml")
    assert "  language: en\n" in config
    repo.write("mkdocs.yml", config.replace("  language: en\n", "  language: mi\n", 1))
    repo.write("content/kaupapa-here-tumataiti.yaml", maori("Ka kohia e mātou tō ingoa."))
    repo.commit("Publish the te reo Māori privacy policy", V1)
    built = mkdocs_build(repo.path, tmp_path / "site", today="2026-03-10")
    assert built.returncode == 0, built.stderr
    text = visible(tmp_path / "site" / "index.html")
    assert "Putanga 1, e mana ana mai i te 2 Māehe 2026." in text and "Ngā putanga katoa" in text
    assert "All versions" not in text and "in force since" not in text


def training_data(path) -> dict:
    html = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="training-data">(.*?)</script>', html, re.S)[1])


def test_a_checklist_on_a_maori_policy_is_a_maori_training_page(site):
    page = site / "training" / "kaimahi" / "index.html"
    assert lang(page) == "mi"
    text = visible(page)
    for label in ("Ngā kaimahi katoa: whakangungu mō Kaupapa Here Tūmataiti", "Ko wai:",
                  "te putanga 2, e mana ana mai i te 1 Hune 2026", "Pātai 1 o 1.", "E ai ki te kaupapa here:",
                  "Te tikanga mōu", "Takina te whakautu", "Kua pānuitia e au tēnei", "Tō hua",
                  "Kua oti te whakangungu", "Waehere whakaoti", "Tāngia tēnei tuhinga", "Pānui", "Pātaitai",
                  "Pono", "Teka"):
        assert label in text, label
    for english in ("Who:", "Trains on", "To pass", "Question 1", "The policy says", "means for you",
                    "Check answer", "I have read", "Your result", "Completion code", "Print", "version", "June",
                    "True", "False"):
        assert english not in text, english
    # What the script says (progress, verdicts, the records service's answers) is in te reo too.
    said = training_data(page)["page"]["text"]
    assert said["progress"] == "{n} o ngā tūemi e {total} kua oti."
    assert said["recorded_html"].startswith("<p><strong>Kua tuhia.</strong>")
    english = [k for k, v in said.items() if re.search(r"\b(the|your|Not|Please|Recorded|Signed)\b", v)]
    assert english == []
    # The same texts in English on an English checklist.
    assert training_data(site / "training" / "all-staff" / "index.html")["page"]["text"]["progress"] == \
        "{n} of {total} items done."


def test_the_training_index_is_in_the_sites_language_and_each_card_in_its_own(site):
    index = site / "training" / "index.html"
    assert lang(index) == "en"
    html = index.read_text(encoding="utf-8")
    card = re.search(r'<div class="training-card" data-checklist="kaimahi" lang="mi">(.*?)</div>', html, re.S)
    assert card and "Ko wai:" in card[1] and "te putanga 2, e mana ana mai i te 1 Hune 2026" in card[1]
    assert re.search(r'<h2 [^>]*lang="mi"[^>]*><a href="kaimahi/">Ngā kaimahi katoa</a>', html)
    english = re.search(r'<div class="training-card" data-checklist="all-staff">(.*?)</div>', html, re.S)
    assert english and "Who:" in english[1] and "Staff training" in visible(index)


def test_search_reads_each_language_by_its_own_rules(tmp_path):
    """Material's search applies the stop words and stemming of each language it lists: a site with
    a German policy lists German too; te reo Māori, which lunr has no rules for, is read by none."""
    repo = GitRepo.project(tmp_path / "p", content=False, checklists=False, pdf=False)
    repo.write("content/privacy-policy.yaml", policy_yaml({"collect": "We collect your name."}))
    repo.write("content/datenschutz.yaml", policy_yaml(
        {"daten": "Wir erheben Ihren Namen."}, policy_id="datenschutz", title="Datenschutzerklärung").replace(
        "language: en-NZ", "language: de-DE"))
    repo.commit("Publish in English and German", V1)
    built = mkdocs_build(repo.path, tmp_path / "site", today="2026-03-10")
    assert built.returncode == 0, built.stderr
    config = json.loads((tmp_path / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))["config"]
    assert config["lang"] == ["en", "de"] and config["pipeline"] == ["stopWordFilter"]


def test_search_on_a_site_in_te_reo_drops_no_maori_word(site):
    config = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["config"]
    assert config["lang"] == ["en"] and config["pipeline"] == []


def test_an_english_checklist_marks_the_te_reo_text_it_trains_on(site):
    page = site / "training" / "front-desk" / "index.html"
    assert lang(page) == "en-NZ"
    html = page.read_text(encoding="utf-8")
    assert re.search(r'<a href="../../kaupapa-here-tumataiti/" lang="mi">Kaupapa Here Tūmataiti</a>', html)
    assert re.search(r'<div lang="mi">\s*<p>Ka kohia e mātou tō ingoa me tō wāhitau.</p>', html)
    assert re.search(r'<div lang="mi">\s*<p>Kaua e kohia he mea kē atu.</p>', html)  # its guidance
    assert '<span lang="mi">Ka kohia tō ingoa.</span>' in html  # the question
    assert "Question 1 of 1." in visible(page) and "True" in visible(page)
    assert "To pass: do all 1 item and answer at least 100% of the 1 question correctly." in visible(page)
    index = (site / "training" / "index.html").read_text(encoding="utf-8")
    card = re.search(r'<div class="training-card" data-checklist="front-desk">(.*?)</div>', index, re.S)[1]
    assert '<a href="../kaupapa-here-tumataiti/" lang="mi">Kaupapa Here Tūmataiti</a>' in card


def test_a_language_with_no_catalogue_is_said_to_show_english_labels(tmp_path):
    """A French policy builds, but its labels ("Version", "In force") are English: the owner is told."""
    repo = GitRepo.project(tmp_path / "p", content=False, checklists=False, pdf=False)
    repo.write("content/politique.yaml", policy_yaml(
        {"donnees": "Nous collectons votre nom."}, policy_id="politique",
        title="Politique de confidentialité").replace("language: en-NZ", "language: fr"))
    checked = policy_cli(repo.path, "check")
    assert checked.returncode == 0, checked.stderr
    said = "politique.yaml:1: language 'fr' has no catalogue of labels"
    assert said in checked.stderr
    repo.commit("Publish in French", V1)
    built = mkdocs_build(repo.path, tmp_path / "site", today="2026-03-10", quiet=False)
    assert built.returncode == 0, built.stderr
    assert said in built.stderr
