"""What readers see of versions: real git histories built by a real `mkdocs build`."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from gitrepo import POLICY_FILE, GitRepo, mkdocs_build, policy_cli, policy_yaml
from seed import page_text
from policy_texts import OLD_SCHEMA_BLOB, TEXT_A, TEXT_B, TEXT_C

ATOM = "{http://www.w3.org/2005/Atom}"
SITE_URL = "https://www.leadmanagement.co.nz/policies/"

# Version 4 adds a clause, version 5 edits it, and a revert of version 5 makes version 6.
TEXT_D = {**TEXT_C, "retention": "We keep your information for seven years."}
TEXT_E = {**TEXT_C, "retention": "We keep your information for two years."}


def _html(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def _text(site: Path, path: str) -> str:
    return page_text(_html(site, path))


def _versions(site: Path) -> list[dict]:
    data = json.loads((site / "privacy-policy" / "versions.json").read_text(encoding="utf-8"))
    assert data["policy"] == "privacy-policy"
    return data["versions"]


def _build_ok(proj: Path, site: Path, today: str) -> None:
    result = mkdocs_build(proj, site, today=today)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> dict:
    """One policy's life: a merge, comment and training edits, a squash, a rebase, a revert."""
    tmp = tmp_path_factory.mktemp("story")
    repo = GitRepo.project(tmp / "proj", checklists=False)
    repo.write_policy(policy_yaml(TEXT_A))
    shas = {"v1": repo.commit("Publish the policy", "2026-03-01T10:00:00+13:00")}

    repo.branch("encrypt")
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Say we encrypt", "2026-03-02T09:00:00+13:00")
    repo.checkout("main")
    # 11:30 UTC on 5 March is 00:30 on 6 March in Auckland: the effective date is the 6th.
    shas["v2"] = repo.merge("encrypt", "2026-03-05T11:30:00+00:00")

    repo.write_policy(policy_yaml(TEXT_B, comment="Checked by legal."))
    shas["comment"] = repo.commit("Comment only", "2026-03-07T10:00:00+13:00")
    trained = {**TEXT_B, "security": {"body": TEXT_B["security"],
                                      "training": {"guidance": "Lock your screen."}}}
    repo.write_policy(policy_yaml(trained, comment="Checked by legal."))
    shas["training"] = repo.commit("Training only", "2026-03-08T10:00:00+13:00")

    repo.branch("any-time")
    repo.write_policy(policy_yaml({**TEXT_C, "security": trained["security"]}))
    repo.commit("Any time", "2026-03-08T11:00:00+13:00")
    repo.write_policy(policy_yaml({**TEXT_C, "security": trained["security"]}, comment="Checked."))
    repo.commit("Tidy", "2026-03-08T12:00:00+13:00")
    repo.checkout("main")
    shas["v3"] = repo.squash_merge("any-time", "2026-03-10T09:00:00+13:00",
                                   author_date="2026-03-08T11:00:00+13:00")

    repo.branch("retention")
    repo.write_policy(policy_yaml(TEXT_D))
    repo.commit("Retention", "2026-03-01T09:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_E))
    repo.commit("Shorter retention", "2026-03-02T09:00:00+13:00")
    repo.checkout("main")
    shas["v4"], shas["v5"] = repo.rebase_merge("retention", ["2026-03-12T10:00:00+13:00",
                                                             "2026-03-12T10:00:05+13:00"])
    shas["v6"] = repo.revert(shas["v5"], "2026-03-15T10:00:00+13:00")

    site = tmp / "site"
    _build_ok(repo.path, site, "2026-03-20")
    return {"repo": repo, "site": site, "shas": shas, "tmp": tmp}


def test_versions_json_numbers_dates_and_statuses(story):
    got = _versions(story["site"])
    shas = story["shas"]
    assert [(v["version"], v["status"], v["effective_date"], v["superseded_on"], v["commit"]) for v in got] == [
        (1, "superseded", "2026-03-01", "2026-03-06", shas["v1"]),
        (2, "superseded", "2026-03-06", "2026-03-10", shas["v2"]),
        (3, "superseded", "2026-03-10", "2026-03-12", shas["v3"]),
        (4, "superseded", "2026-03-12", "2026-03-12", shas["v4"]),
        (5, "superseded", "2026-03-12", "2026-03-15", shas["v5"]),
        (6, "in-force", "2026-03-15", None, shas["v6"]),
    ]
    assert [v["posted_at"] for v in got] == [
        "2026-03-01T10:00:00+13:00", "2026-03-06T00:30:00+13:00", "2026-03-10T09:00:00+13:00",
        "2026-03-12T10:00:00+13:00", "2026-03-12T10:00:05+13:00", "2026-03-15T10:00:00+13:00"]
    assert list(got[0]) == ["version", "status", "posted_at", "effective_date", "superseded_on", "commit",
                            "text_sha256", "url", "changes_url", "pdf", "pdf_sha256"]
    # The revert brings back version 4's words, as a new version with its own date.
    assert got[5]["text_sha256"] == got[3]["text_sha256"] != got[4]["text_sha256"]
    assert got[1]["url"] == SITE_URL + "privacy-policy/v/2/"
    assert got[1]["changes_url"] == SITE_URL + "privacy-policy/v/2/changes/"
    for v in got:
        page = story["site"] / v["url"][len(SITE_URL):] / "index.html"
        assert page.is_file()


def test_page_in_force_shows_version_date_and_links(story):
    text = _text(story["site"], "privacy-policy/index.html")
    html = _html(story["site"], "privacy-policy/index.html")
    assert "Version 6 In force Effective 15 March 2026" in text
    assert 'href="v/6/changes/"' in html and 'href="versions/"' in html
    assert "We keep your information for seven years." in text
    assert "takes effect" not in text and "Draft" not in text


def test_archived_pages_keep_their_own_text(story):
    site = story["site"]
    v1 = _text(site, "privacy-policy/v/1/index.html")
    assert "We keep your information safe." in v1 and "encrypted" not in v1
    assert "Version 1 Effective 1 March 2026 Superseded on 6 March 2026" in v1
    assert "Version 1 was superseded on 6 March 2026 and is kept for the record." in v1
    assert 'href="../../">Read the version in force (version 6)</a>' in _html(site, "privacy-policy/v/1/index.html")
    v5 = _text(site, "privacy-policy/v/5/index.html")
    assert "We keep your information for two years." in v5 and "seven years" not in v5
    v3 = _text(site, "privacy-policy/v/3/index.html")
    assert "at any time." in v3 and "Retention" not in v3
    # Training never reaches a public page.
    assert "Lock your screen" not in v3


def test_changes_pages_mark_insertions_and_deletions(story):
    site = story["site"]
    first = _text(site, "privacy-policy/v/1/changes/index.html")
    assert "This is the first version" in first
    v2 = _html(site, "privacy-policy/v/2/changes/index.html")
    ins = re.findall(r"<ins[^>]*>(.*?)</ins>", v2, re.S)
    assert any("encrypted" in page_text(x) for x in ins), ins
    assert "<del" not in v2.split("policy-changes__key")[1].split("</p>", 1)[1]
    v5 = _html(site, "privacy-policy/v/5/changes/index.html")
    assert any("two" in page_text(x) for x in re.findall(r"<ins[^>]*>(.*?)</ins>", v5, re.S))
    assert any("seven" in page_text(x) for x in re.findall(r"<del[^>]*>(.*?)</del>", v5, re.S))
    v4 = _text(site, "privacy-policy/v/4/changes/index.html")
    assert "Retention" in v4 and "added" in v4.lower()
    # The squash (version 3) and the revert (version 6) are redlined against the version before.
    v3 = _html(site, "privacy-policy/v/3/changes/index.html")
    assert any("any time" in page_text(x) for x in re.findall(r"<ins[^>]*>(.*?)</ins>", v3, re.S))
    v6 = _html(site, "privacy-policy/v/6/changes/index.html")
    assert any("seven" in page_text(x) for x in re.findall(r"<ins[^>]*>(.*?)</ins>", v6, re.S))
    assert any("two" in page_text(x) for x in re.findall(r"<del[^>]*>(.*?)</del>", v6, re.S))
    assert "compared with version 5" in page_text(v6)


def test_versions_page_lists_every_version(story):
    text = _text(story["site"], "privacy-policy/versions/index.html")
    pdf = r"PDF \(\d+ KB\)"  # every version's PDF is linked from its row
    assert re.search(rf"Version 6 {pdf} In force 15 March 2026 15 March 2026, 10:00 NZDT", text)
    assert re.search(rf"Version 2 {pdf} Superseded on 10 March 2026 6 March 2026 6 March 2026, 00:30 NZDT "
                     r"1 clause changed: 2 Security", text)
    assert re.search(rf"Version 1 {pdf} Superseded on 6 March 2026 1 March 2026", text)
    assert text.index("Version 6") < text.index("Version 1 PDF")


def test_feed_is_atom_newest_first(story):
    root = ET.parse(story["site"] / "privacy-policy" / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{tag}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text.split(":")[0] for e in entries] == [
        f"Privacy Policy, version {n}" for n in range(6, 0, -1)]
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 6
    assert root.find(f"{ATOM}updated").text == "2026-03-15T10:00:00+13:00"
    assert entries[0].find(f"{ATOM}link[@rel='alternate']").get("href") == SITE_URL + "privacy-policy/v/6/"


def test_two_builds_of_one_commit_are_identical_and_dated_by_the_commit(story):
    site2 = story["tmp"] / "site2"
    _build_ok(story["repo"].path, site2, "2026-03-20")
    first = {p.relative_to(story["site"]): p.read_bytes() for p in story["site"].rglob("*") if p.is_file()}
    second = {p.relative_to(site2): p.read_bytes() for p in site2.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    # The sitemap is stamped with the HEAD commit's (UTC) day, not the real build day.
    assert "<lastmod>2026-03-14</lastmod>" in (site2 / "sitemap.xml").read_text()


def test_cli_lists_the_same_versions(story):
    result = policy_cli(story["repo"].path, "versions", today="2026-03-20")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Privacy Policy (content/privacy-policy.yaml), as of 2026-03-20"
    assert re.match(r"\s+6\s+in-force\s+2026-03-15\s+2026-03-15T10:00:00\+13:00\s+" + story["shas"]["v6"][:12], lines[2])
    assert re.match(r"\s+1\s+superseded 2026-03-06\s+2026-03-01\s", lines[-1])
    as_json = json.loads(policy_cli(story["repo"].path, "versions", "--json", today="2026-03-20").stdout)
    # The CLI renders no PDFs, so its pdf fields stay empty; the rest is the same data.
    strip = lambda rows: [{k: v for k, v in r.items() if not k.startswith("pdf")} for r in rows]
    assert strip(as_json["privacy-policy"]) == strip(_versions(story["site"]))
    assert {r["pdf"] for r in as_json["privacy-policy"]} == {None}


def test_cli_dates_each_version_by_the_notice_period_it_was_posted_under(tmp_path):
    """``policy versions`` reads mkdocs.yml's history as the build does, so both give one date."""
    repo = GitRepo.project(tmp_path / "proj", checklists=False)
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    cfg = repo.path / "mkdocs.yml"
    cfg.write_text(cfg.read_text().replace("notice_days: 0", "notice_days: 14"))
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt, with 14 days' notice", "2026-03-05T10:00:00+13:00")
    result = policy_cli(repo.path, "versions", "--json", today="2026-04-01")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["privacy-policy"]
    assert [(r["version"], r["effective_date"], r["superseded_on"]) for r in rows] == [
        (1, "2026-03-01", "2026-03-19"), (2, "2026-03-19", None)]


def test_cli_reads_plugins_given_as_a_mapping(tmp_path):
    """MkDocs also takes ``plugins:`` as a mapping; the CLI must read the same options from it."""
    repo = GitRepo.project(tmp_path / "proj", checklists=False)
    cfg = repo.path / "mkdocs.yml"
    text = cfg.read_text()
    assert "  - search\n  - policy:\n" in text
    cfg.write_text(text.replace("  - search\n  - policy:\n", "  search: {}\n  policy:\n")
                   .replace("notice_days: 0", "notice_days: 14"))
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    result = policy_cli(repo.path, "versions", "--json", today="2026-04-01")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["privacy-policy"][0]["effective_date"] == "2026-03-15"


@pytest.mark.parametrize("value,message", [
    ("-3", "notice_days must be 0 or more"),
    ("soon", "notice_days a whole number"),
])
def test_a_bad_notice_period_is_one_line_not_a_backdated_version(tmp_path, value, message):
    """A negative notice period would date a version before it was posted (backdating)."""
    repo = GitRepo.project(tmp_path / "proj", checklists=False)
    cfg = repo.path / "mkdocs.yml"
    cfg.write_text(cfg.read_text().replace("notice_days: 0", f"notice_days: {value}"))
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    result = policy_cli(repo.path, "versions", today="2026-04-01")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and message in result.stderr
    assert result.stdout == ""
    if value == "-3":
        site = tmp_path / "site"
        built = mkdocs_build(repo.path, site, today="2026-04-01")
        assert built.returncode == 1 and "Traceback" not in built.stderr
        assert "'notice_days': must be 0 or more" in built.stderr
        assert not site.exists()


def _two_versions(tmp_path: Path, notice_days: int = 0) -> GitRepo:
    repo = GitRepo.project(tmp_path / "proj", checklists=False)
    if notice_days:
        cfg = repo.path / "mkdocs.yml"
        cfg.write_text(cfg.read_text().replace("notice_days: 0", f"notice_days: {notice_days}"))
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt", "2026-03-05T10:00:00+13:00")
    return repo


def test_scheduled_version_switches_over_on_its_date_without_a_commit(tmp_path):
    repo = _two_versions(tmp_path, notice_days=14)
    before, after = tmp_path / "before", tmp_path / "after"
    _build_ok(repo.path, before, "2026-03-18")
    assert [(v["version"], v["status"], v["effective_date"], v["superseded_on"]) for v in _versions(before)] == [
        (1, "in-force", "2026-03-15", None), (2, "scheduled", "2026-03-19", None)]
    text = _text(before, "privacy-policy/index.html")
    assert "Version 1 In force Effective 15 March 2026" in text
    assert "A new version (version 2) takes effect on 19 March 2026. See what changes" in text
    assert 'href="v/2/changes/">See what changes</a>' in _html(before, "privacy-policy/index.html")
    assert "encrypted" not in text
    v2 = _text(before, "privacy-policy/v/2/index.html")
    assert "Version 2 Scheduled Takes effect on 19 March 2026" in v2
    assert "Version 2 takes effect on 19 March 2026. Until then version 1 is in force." in v2
    # The policy centre says so too (issue 14, item 7).
    home = _text(before, "index.html")
    assert "Version 1, in force since 15 March 2026." in home
    assert "Version 2 takes effect on 19 March 2026: what changes." in home
    assert 'href="privacy-policy/v/2/changes/">what changes</a>' in _html(before, "index.html")

    _build_ok(repo.path, after, "2026-03-19")
    assert [(v["version"], v["status"], v["superseded_on"]) for v in _versions(after)] == [
        (1, "superseded", "2026-03-19"), (2, "in-force", None)]
    text = _text(after, "privacy-policy/index.html")
    assert "Version 2 In force Effective 19 March 2026" in text and "encrypted" in text
    assert "takes effect on" not in text


def test_uncommitted_edit_builds_a_draft_marked_everywhere(tmp_path):
    repo = _two_versions(tmp_path)
    repo.write_policy(policy_yaml(TEXT_C))
    site = tmp_path / "site"
    _build_ok(repo.path, site, "2026-03-20")
    assert [v["version"] for v in _versions(site)] == [1, 2]
    assert not (site / "privacy-policy" / "v" / "3").exists()
    draft = _text(site, "privacy-policy/draft/index.html")
    assert draft.count("Draft — not yet published") >= 2  # banner and header
    assert "at any time." in draft
    changes = _html(site, "privacy-policy/draft/changes/index.html")
    assert "Draft — not yet published" in page_text(changes)
    assert any("any time" in page_text(x) for x in re.findall(r"<ins[^>]*>(.*?)</ins>", changes, re.S))
    current = _text(site, "privacy-policy/index.html")
    assert "Version 2 In force" in current and "at any time" not in current
    assert "Draft — not yet published: this build contains an unpublished draft." in current
    versions_page = _text(site, "privacy-policy/versions/index.html")
    assert "Draft — not yet published: this build contains a draft that is not listed below." in versions_page
    assert "Version 3" not in versions_page
    feed = (site / "privacy-policy" / "feed.xml").read_text()
    assert feed.count("<entry>") == 2 and "any time" not in feed


def test_shallow_clone_fails_cleanly_with_the_fix(tmp_path):
    repo = _two_versions(tmp_path)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)
    site = tmp_path / "site"
    result = mkdocs_build(clone, site, today="2026-03-20")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "shallow" in result.stderr and "fetch-depth: 0" in result.stderr
    assert not site.exists()
    cli = policy_cli(clone, "versions")
    assert cli.returncode == 1 and "fetch-depth: 0" in cli.stderr and "Traceback" not in cli.stderr


def test_version_in_an_older_schema_still_renders(tmp_path):
    repo = GitRepo.project(tmp_path / "proj", checklists=False)
    repo.write_policy(OLD_SCHEMA_BLOB)
    repo.commit("Publish (old schema)", "2025-06-01T10:00:00+12:00")
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Current schema", "2026-03-01T10:00:00+13:00")
    site = tmp_path / "site"
    _build_ok(repo.path, site, "2026-03-20")
    assert [(v["version"], v["status"], v["effective_date"]) for v in _versions(site)] == [
        (1, "superseded", "2025-06-01"), (2, "in-force", "2026-03-01")]
    old = _text(site, "privacy-policy/v/1/index.html")
    assert "We collect your name and email." in old and "We keep your information safe." in old
    assert "You may ask for a copy" not in old and "reviewed_by" not in old and "Legal team" not in old
    changes = _html(site, "privacy-policy/v/2/changes/index.html")
    assert "Access" in page_text(changes) and "added" in page_text(changes).lower()


def test_new_policy_on_a_branch_is_only_a_draft(tmp_path):
    repo = GitRepo.project(tmp_path / "proj", checklists=False)
    (repo.path / POLICY_FILE).unlink()
    repo.commit("Start", "2026-03-01T10:00:00+13:00")
    repo.branch("new-policy")
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Add the privacy policy", "2026-03-02T10:00:00+13:00")
    site = tmp_path / "site"
    _build_ok(repo.path, site, "2026-03-05")
    assert _versions(site) == []
    assert (site / "privacy-policy" / "feed.xml").read_text().count("<entry>") == 0
    current = _text(site, "privacy-policy/index.html")
    assert "Draft — not yet published. This policy has no published version yet" in current
    assert "We collect your name and email." in current
    assert "No version has been published yet." in _text(site, "privacy-policy/versions/index.html")
    assert "first version" in _text(site, "privacy-policy/draft/changes/index.html")


def test_each_version_shows_the_time_zone_it_was_posted_under(tmp_path):
    repo = GitRepo.project(tmp_path / "proj", content=False, checklists=False, pdf=False)
    no_pdf = repo.read("mkdocs.yml")
    assert no_pdf.count("timezone: Pacific/Auckland") == 1
    repo.write("mkdocs.yml", no_pdf.replace("timezone: Pacific/Auckland", "timezone: UTC"))
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Publish, dated in UTC", "2026-03-10T08:30:00+13:00")
    repo.write("mkdocs.yml", no_pdf)
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt, dated in Auckland", "2026-03-20T08:30:00+13:00")
    site = tmp_path / "site"
    _build_ok(repo.path, site, "2026-04-01")
    text = _text(site, "privacy-policy/versions/index.html")
    assert "9 March 2026, 19:30 UTC" in text
    assert "20 March 2026, 08:30 NZDT" in text
    assert [v["effective_date"] for v in _versions(site)] == ["2026-03-09", "2026-03-20"]
