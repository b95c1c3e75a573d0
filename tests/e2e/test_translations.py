"""Issue 14, item 2: a translation knows which source text each clause translates, and says when it is stale."""

from __future__ import annotations

import re

import pytest
import yaml

from gitrepo import GitRepo, mkdocs_build, policy_cli, policy_yaml

V1 = "2026-03-02T10:00:00+13:00"
V2 = "2026-06-01T10:00:00+12:00"
V3 = "2026-07-01T10:00:00+12:00"
EN = "content/privacy-policy.yaml"
MI = "content/kaupapa-here-tumataiti.yaml"


def english(collect: str) -> str:
    return policy_yaml({"collect": {"title": "What we collect", "body": collect},
                        "contact-us": {"title": "Contact us", "body": "Write to us.", "contact": True}})


def maori(collect: str) -> str:
    return policy_yaml({"collect": {"title": "Ngā mōhiohio ka kohia", "body": collect},
                        "contact-us": {"title": "Whakapā mai", "body": "Tuhia mai.", "contact": True}},
                       policy_id="kaupapa-here-tumataiti", title="Kaupapa Here Tūmataiti",
                       extra_top="translation_of: privacy-policy").replace("language: en-NZ", "language: mi")


def marks(text: str) -> dict[str, str]:
    return {c["id"]: c.get("translates") for c in yaml.safe_load(text)["clauses"]}


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """v1 of both; the English text changes (the translation goes stale); then the translation catches up."""
    tmp = tmp_path_factory.mktemp("translations")
    repo = GitRepo.project(tmp / "project", content=False, checklists=False, pdf=False)
    repo.write(EN, english("We collect your name."))
    repo.write(MI, maori("Ka kohia e mātou tō ingoa."))
    out = {"unmarked": policy_cli(repo.path, "check")}
    out["mark"] = policy_cli(repo.path, "translations", "mark")
    out["marked"] = repo.read(MI)
    out["check1"] = policy_cli(repo.path, "check")
    repo.commit("Publish the privacy policy in English and te reo Māori", V1)
    repo.write(EN, english("We collect your name and your address."))
    out["check2"] = policy_cli(repo.path, "check")
    out["diff2"] = policy_cli(repo.path, "diff", "--base", "main", today="2026-05-30")
    out["diff2md"] = policy_cli(repo.path, "diff", "--base", "main", "--format", "markdown", today="2026-05-30")
    repo.commit("Privacy: we collect addresses too", V2)
    out["site2"] = tmp / "site2"
    built = mkdocs_build(repo.path, out["site2"], today="2026-06-10")
    assert built.returncode == 0, built.stderr
    repo.write(MI, repo.read(MI).replace("Ka kohia e mātou tō ingoa.", "Ka kohia e mātou tō ingoa me tō wāhitau."))
    out["mark3"] = policy_cli(repo.path, "translations", "mark", "kaupapa-here-tumataiti")
    out["check3"] = policy_cli(repo.path, "check")
    repo.commit("Te reo: catch up with the English", V3)
    out["site3"] = tmp / "site3"
    built = mkdocs_build(repo.path, out["site3"], today="2026-07-10")
    assert built.returncode == 0, built.stderr
    out["repo"] = repo
    return out


def test_an_unmarked_translation_is_reported_and_mark_records_each_source_clause(story):
    assert story["unmarked"].returncode == 0
    assert re.search(rf"warning: {MI}:\d+: .*not marked", story["unmarked"].stderr), story["unmarked"].stderr
    assert story["mark"].returncode == 0, story["mark"].stderr
    assert "2 clauses" in story["mark"].stdout
    found = marks(story["marked"])
    assert set(found) == {"collect", "contact-us"} and all(re.fullmatch(r"[0-9a-f]{16}", v) for v in found.values())
    assert "warning" not in story["check1"].stderr, story["check1"].stderr


def test_check_warns_at_the_line_of_each_stale_clause(story):
    check = story["check2"]
    assert check.returncode == 0, check.stderr
    lines = [ln for ln in check.stderr.splitlines() if "stale" in ln]
    assert len(lines) == 1, check.stderr
    line_no = int(re.match(rf"warning: {re.escape(MI)}:(\d+):", lines[0]).group(1))
    assert story["marked"].splitlines()[line_no - 1].strip() == "- id: collect"
    assert "privacy-policy#collect" in lines[0] and "policy translations mark" in lines[0]


def test_diff_lists_the_translations_a_change_makes_stale(story):
    text = story["diff2"].stdout
    assert story["diff2"].returncode == 0, story["diff2"].stderr
    assert "Translations this change makes stale:" in text
    assert "Kaupapa Here Tūmataiti (content/kaupapa-here-tumataiti.yaml): clause 1 Ngā mōhiohio ka kohia" in text
    md = story["diff2md"].stdout
    assert "Translations this change makes stale" in md and "Ngā mōhiohio ka kohia" in md


def test_the_stale_clause_of_the_translation_in_force_says_so_and_links_the_source(story):
    page = (story["site2"] / "kaupapa-here-tumataiti" / "index.html").read_text(encoding="utf-8")
    notices = re.findall(r'<div class="policy-notice policy-notice--stale"[^>]*>(.*?)</div>', page, re.S)
    assert len(notices) == 1, notices
    assert 'href="../privacy-policy/#collect"' in notices[0]
    # It sits in the clause it is about, before the next clause's heading.
    collect = page.index('id="collect"')
    assert collect < page.index("policy-notice--stale") < page.index('id="contact-us"')


def test_a_policy_and_its_translation_link_each_other(story):
    site = story["site2"]
    english_page = (site / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    maori_page = (site / "kaupapa-here-tumataiti" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<a href="../kaupapa-here-tumataiti/" hreflang="mi" lang="mi">[^<]*Māori', english_page)
    assert re.search(r'<a href="../privacy-policy/" hreflang="en-NZ" lang="en-NZ">[^<]*English', maori_page)


def test_once_brought_up_to_date_the_notice_goes_and_the_translation_has_its_own_version(story):
    assert story["mark3"].returncode == 0, story["mark3"].stderr
    assert "stale" not in story["check3"].stderr
    page = (story["site3"] / "kaupapa-here-tumataiti" / "index.html").read_text(encoding="utf-8")
    assert "policy-notice--stale" not in page
    assert "Putanga 2" in page and "1 Hūrae 2026" in page  # its own version, in its own language
    english_page = (story["site3"] / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert "Version 2" in english_page and "1 June 2026" in english_page


def test_a_translation_of_a_policy_that_does_not_exist_is_an_error(tmp_path):
    repo = GitRepo.project(tmp_path / "p", content=False, checklists=False, pdf=False)
    repo.write(MI, maori("Ka kohia."))
    result = policy_cli(repo.path, "check")
    assert result.returncode == 1
    assert re.search(rf"{MI}:\d+: .*translation_of.*privacy-policy", result.stderr + result.stdout)


def test_a_hand_edited_fingerprint_is_an_error_that_says_what_to_run(tmp_path):
    repo = GitRepo.project(tmp_path / "p", content=False, checklists=False, pdf=False)
    repo.write(EN, english("We collect your name."))
    text = maori("Ka kohia.").replace("- id: collect\n", "- id: collect\n  translates: not-a-fingerprint\n")
    repo.write(MI, text)
    result = policy_cli(repo.path, "check")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = text.splitlines().index("  translates: not-a-fingerprint") + 1
    assert f"{MI}:{line}: 'translates' is written by `policy translations mark`" in result.stderr, result.stderr
