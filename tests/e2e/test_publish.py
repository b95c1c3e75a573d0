"""Publishing by pull request, end to end: branch, `policy diff`, merge at a pinned date, build, check the site."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gitrepo import GitRepo, mkdocs_build, policy_cli, policy_yaml

ATOM = "{http://www.w3.org/2005/Atom}"
POLICY = "content/privacy-policy.yaml"

# The edits legal makes on the branch: one sentence of the public text (clause 1.2) and
# one quiz question on another clause (training only).
PUBLIC_OLD = "we generally record outbound calls"
PUBLIC_NEW = "we record all outbound calls"
QUESTION_OLD = "A colleague wants to text a promotion"
QUESTION_NEW = "A colleague wants to send a promotional text message"


def versions_json(site: Path) -> list[dict]:
    return json.loads((site / "privacy-policy" / "versions.json").read_text(encoding="utf-8"))["versions"]


def feed_entries(site: Path) -> list[ET.Element]:
    root = ET.parse(site / "privacy-policy" / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def policy_text_of(page: Path) -> str:
    """The archived policy text of a version page: its article without the status banner and status line.

    Those two (and the site navigation) are meant to change when a later version
    supersedes this one; everything else must not.
    """
    html = page.read_text(encoding="utf-8")
    article = re.search(r'<article class="md-content__inner md-typeset">(.*?)</article>', html, re.S).group(1)
    article = article[article.index("<h1"):]  # the banner, if any, sits above the title
    article = re.sub(r'<p class="policy-meta">.*?</p>', "", article, count=1, flags=re.S)
    assert "Recording of calls" in article
    return article


def build(repo: GitRepo, site: Path, today: str) -> Path:
    # A fresh PDF cache each time: old PDFs must come out identical because they are
    # rebuilt from the same git blob, not because they were copied from a cache.
    shutil.rmtree(repo.path / ".cache", ignore_errors=True)
    result = mkdocs_build(repo.path, site, today=today)
    assert result.returncode == 0, result.stderr
    return site


def edit_on_branch(repo: GitRepo, date: str) -> None:
    repo.branch("clarify-recording")
    text = repo.read(POLICY)
    assert PUBLIC_OLD in text and QUESTION_OLD in text
    repo.write_policy(text.replace(PUBLIC_OLD, PUBLIC_NEW).replace(QUESTION_OLD, QUESTION_NEW))
    repo.commit("Say that all outbound calls are recorded", date)


def test_branch_diff_merge_build(tmp_path):
    repo = GitRepo.project(tmp_path / "proj")
    v1_commit = repo.commit("Publish the privacy policy", "2026-03-01T10:00:00+13:00")
    before = build(repo, tmp_path / "before", today="2026-03-05")
    v1_page_before = policy_text_of(before / "privacy-policy" / "v" / "1" / "index.html")
    v1_pdf_before = (before / "privacy-policy" / "v" / "1" / "privacy-policy-v1.pdf").read_bytes()
    assert len(feed_entries(before)) == 1

    edit_on_branch(repo, "2026-03-02T09:00:00+13:00")

    # -- legal's pull request: the redline, the training, what merging does
    text = policy_cli(repo.path, "diff", today="2026-03-05")
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert "On merge this becomes version 2 of the Privacy Policy, effective on the merge date" in out
    assert "Compared with version 1 (in force, effective 1 March 2026): 1 clause changed." in out
    assert "1.2 Recording of calls\n    Changed: the wording.\n" in out
    assert "Note that we [-generally-] record {+all+} outbound calls for operational and" in out
    redo = out.split("Training staff will have to redo:\n", 1)[1]
    redo_lines = [ln.strip() for ln in redo.splitlines() if ln.startswith("  - ")]
    # Every question on the changed clause, the edited question elsewhere, and the
    # checklist items that cover the changed clause or ask the edited question; nothing else.
    assert [ln.split(":")[0] for ln in redo_lines] == [
        "- Question recording-customer-asks",
        "- Question recording-coaching",
        "- Question purposes-text-message",
        "- Checklist item all-staff/call-recording",
        "- Checklist item all-staff/purposes",
        "- Checklist item outbound-calling/call-recording",
        "- Checklist item outbound-calling/text-messages",
        "- Checklist item outbound-calling/ack-recording",
    ]
    assert redo_lines[4].endswith("covers changed question")
    assert redo_lines[3].endswith("(clause 1.2 Recording of calls): covers changed clause")
    assert redo_lines[0].endswith("(clause 1.2 Recording of calls): clause text changed")
    assert redo_lines[2].endswith("(clause 1.3 How we use your information): question changed")
    assert QUESTION_NEW in redo_lines[2]

    md = policy_cli(repo.path, "diff", "--base", "main", "--format", "markdown", today="2026-03-05")
    assert md.returncode == 0, md.stderr
    assert "**On merge this becomes version 2 of the Privacy Policy, effective on the merge date" in md.stdout
    assert "### 1.2 Recording of calls" in md.stdout
    assert "Note that we <del>generally</del> record <ins>all</ins> outbound calls" in md.stdout
    assert "- Question `purposes-text-message`:" in md.stdout

    # -- merge: 08:30 on 10 March in Auckland is still 9 March in UTC
    repo.checkout("main")
    merge = repo.merge("clarify-recording", "2026-03-10T08:30:00+13:00")
    after = build(repo, tmp_path / "after", today="2026-03-12")

    v1, v2 = versions_json(after)
    assert (v2["version"], v2["status"], v2["effective_date"]) == (2, "in-force", "2026-03-10")
    assert v2["posted_at"] == "2026-03-10T08:30:00+13:00"
    assert v2["commit"] == merge
    assert (v1["version"], v1["status"], v1["superseded_on"], v1["commit"]) == (
        1, "superseded", "2026-03-10", v1_commit)

    # The old version's text and PDF are exactly as they were before the merge.
    v1_pdf_after = (after / "privacy-policy" / "v" / "1" / "privacy-policy-v1.pdf").read_bytes()
    assert v1_pdf_after == v1_pdf_before
    assert policy_text_of(after / "privacy-policy" / "v" / "1" / "index.html") == v1_page_before
    v1_html = (after / "privacy-policy" / "v" / "1" / "index.html").read_text(encoding="utf-8")
    assert "Version 1 was superseded on 10 March 2026" in v1_html

    # The new version is in force, and its changes page shows the redline.
    current = (after / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert PUBLIC_NEW in current and "10 March 2026" in current
    changes = (after / "privacy-policy" / "v" / "2" / "changes" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<del>.*generally.*</del>", changes)
    assert re.search(r"<ins>.*all.*</ins>", changes)

    # The feed has a new entry, newest first.
    entries = feed_entries(after)
    assert len(entries) == 2
    newest = entries[0]
    assert newest.find(f"{ATOM}link[@rel='alternate']").get("href").endswith("/privacy-policy/v/2/")
    assert newest.find(f"{ATOM}published").text == "2026-03-10T08:30:00+13:00"

    # Once merged, the working tree is the published text.
    again = policy_cli(repo.path, "diff", today="2026-03-12")
    assert (again.returncode, again.stdout) == (0, "No change to the public text.\n")


def test_notice_period_schedules_the_new_version(tmp_path):
    repo = GitRepo.project(tmp_path / "proj")
    config = repo.read("mkdocs.yml")
    assert "notice_days: 0" in config
    repo.write("mkdocs.yml", config.replace("notice_days: 0", "notice_days: 14"))
    repo.commit("Publish the privacy policy with a 14-day notice period", "2026-01-05T10:00:00+13:00")
    edit_on_branch(repo, "2026-03-02T09:00:00+13:00")

    diff = policy_cli(repo.path, "diff", today="2026-03-05")
    assert diff.returncode == 0, diff.stderr
    assert ("On merge this becomes version 2 of the Privacy Policy, effective on the merge date + 14 days"
            in diff.stdout)
    assert "Until then version 1 stays in force" in diff.stdout

    repo.checkout("main")
    repo.merge("clarify-recording", "2026-03-10T08:30:00+13:00")

    # Before the date: version 1 still in force, and the page announces version 2.
    early = build(repo, tmp_path / "early", today="2026-03-23")
    v1, v2 = versions_json(early)
    assert (v1["status"], v1["effective_date"]) == ("in-force", "2026-01-19")
    assert (v2["status"], v2["effective_date"]) == ("scheduled", "2026-03-24")
    page = (early / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert PUBLIC_OLD in page and PUBLIC_NEW not in page
    assert "takes effect on" in page and "24 March 2026" in page
    assert 'href="v/2/changes/"' in page
    pdf_early = (early / "privacy-policy" / "v" / "1" / "privacy-policy-v1.pdf").read_bytes()

    # On the date, a rebuild with no new commit switches over.
    late = build(repo, tmp_path / "late", today="2026-03-24")
    v1, v2 = versions_json(late)
    assert (v1["status"], v1["superseded_on"]) == ("superseded", "2026-03-24")
    assert v2["status"] == "in-force"
    page = (late / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert PUBLIC_NEW in page and PUBLIC_OLD not in page
    assert "takes effect on" not in page
    assert (late / "privacy-policy" / "v" / "1" / "privacy-policy-v1.pdf").read_bytes() == pdf_early


def test_diff_reports_bad_yaml_like_check_and_exits_1(tmp_path):
    repo = GitRepo.project(tmp_path / "proj")
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    text = repo.read(POLICY)
    repo.write_policy(text.replace("  - id: security\n", "  - id: Security\n", 1))
    diff = policy_cli(repo.path, "diff")
    check = policy_cli(repo.path, "check")
    assert diff.returncode == check.returncode == 1
    assert diff.stdout == ""
    assert diff.stderr == check.stderr
    assert re.match(r"content/privacy-policy\.yaml:\d+: invalid id 'Security'", diff.stderr)
    assert "Traceback" not in diff.stderr


def test_training_only_edit_is_no_public_change_but_lists_training(tmp_path):
    repo = GitRepo.project(tmp_path / "proj")
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    text = repo.read(POLICY)
    repo.write_policy(text.replace(QUESTION_OLD, QUESTION_NEW))
    diff = policy_cli(repo.path, "diff")
    assert diff.returncode == 0
    lines = diff.stdout.splitlines()
    assert "No change to the public text." in lines
    assert "On merge" not in diff.stdout
    assert any(ln.startswith("  - Question purposes-text-message:") and ln.endswith("question changed")
               for ln in lines)


def test_first_version_and_missing_base(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write("mkdocs.yml", "site_name: t\nplugins:\n  - policy\n")
    repo.write_policy(policy_yaml({"intro": "We keep your data safe."}))
    repo.commit("Start", "2026-03-01T10:00:00+13:00")
    repo.branch("first")
    repo.git("branch", "-D", "main")
    missing = policy_cli(repo.path, "diff")
    assert missing.returncode == 1
    assert "the publishing branch 'main' is not in this clone" in missing.stderr
    assert "fetch-depth: 0" in missing.stderr
    remote = policy_cli(repo.path, "diff", "--base", "origin/main")
    assert remote.returncode == 1
    assert remote.stderr.startswith("the branch 'origin/main' is not in this clone. "
                                    "Fetch it (`git fetch origin main`).")
    first = policy_cli(repo.path, "diff", "--base", "first")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "No change to the public text.\n"


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_diff_against_a_remote_tracking_branch(tmp_path, fmt):
    """In CI only origin/main exists: `--base origin/main` compares with it."""
    origin = GitRepo.project(tmp_path / "origin")
    origin.commit("Publish", "2026-03-01T10:00:00+13:00")
    clone = GitRepo(tmp_path / "clone", init=False)
    origin.git("clone", "-q", str(origin.path), str(clone.path))
    clone.git("checkout", "-q", "-b", "edit")
    clone.git("branch", "-D", "main")
    text = clone.read(POLICY)
    clone.write_policy(text.replace(PUBLIC_OLD, PUBLIC_NEW))
    result = policy_cli(clone.path, "diff", "--base", "origin/main", "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert "becomes version 2" in result.stdout
    marks = "<del>generally</del>" if fmt == "markdown" else "[-generally-]"
    assert marks in result.stdout


def test_the_markdown_redline_shows_html_like_text_as_text(tmp_path):
    """A clause title and a quiz prompt with "<b>", "<img …>", "&" and "*" read as written in the comment."""
    import markdown

    from seed import page_text

    repo = GitRepo.project(tmp_path / "proj")
    title = "Recording of <calls> & *more*"
    text = repo.read(POLICY).replace("title: Recording of calls", f"title: {title}", 1)
    repo.write_policy(text)
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    prompt = "Is <b>this</b> & <img src=x onerror=alert(1)> ok"
    repo.write_policy(text.replace(QUESTION_OLD, prompt).replace(PUBLIC_OLD, PUBLIC_NEW))
    result = policy_cli(repo.path, "diff", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    html = markdown.markdown(result.stdout)
    assert "<b>" not in html and "<img" not in html and "<em>" not in html and "<calls>" not in html
    shown = page_text(html)
    assert f"1.2 {title}" in shown
    assert f"Question purposes-text-message: “{prompt}" in shown
    assert f"(clause 1.2 {title}): clause text changed" in shown


def test_the_published_version_keeps_the_notice_period_it_was_posted_under(tmp_path):
    """A longer notice period merged after version 1 applies to the next version, not to version 1."""
    repo = GitRepo.project(tmp_path / "proj")
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    config = repo.read("mkdocs.yml")
    assert "notice_days: 0\n" in config
    repo.write("mkdocs.yml", config.replace("notice_days: 0\n", "notice_days: 30\n"))
    repo.commit("Thirty days' notice from now on", "2026-03-05T10:00:00+13:00")
    repo.write_policy(repo.read(POLICY).replace(PUBLIC_OLD, PUBLIC_NEW))
    result = policy_cli(repo.path, "diff", today="2026-03-10")
    assert result.returncode == 0, result.stderr
    assert "Compared with version 1 (in force, effective 1 March 2026): 1 clause changed." in result.stdout
    assert "effective on the merge date + 30 days" in result.stdout


GUIDANCE_OLD = "we record outbound calls, and what we may use information for."
GUIDANCE_NEW = "we record every call, and what we may use information for."


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_training_only_edit_shows_the_staff_only_redline(tmp_path, fmt):
    repo = GitRepo.project(tmp_path / "proj")
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    text = repo.read(POLICY)
    assert GUIDANCE_OLD in text
    repo.write_policy(text.replace(GUIDANCE_OLD, GUIDANCE_NEW))
    diff = policy_cli(repo.path, "diff", "--format", fmt)
    assert diff.returncode == 0, diff.stderr
    assert "No change to the public text." in diff.stdout
    assert "Staff-only text (training pages)" in diff.stdout
    assert "1 Personal Information, Guidance" in diff.stdout
    if fmt == "text":
        assert "we record [-outbound calls-] {+every call+}, and" in diff.stdout
    else:
        assert "we record <del>outbound calls</del> <ins>every call</ins>, and" in diff.stdout


def test_a_hostile_training_edit_is_refused_by_the_pull_request_check(tmp_path):
    repo = GitRepo.project(tmp_path / "proj")
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    text = repo.read(POLICY)
    repo.write_policy(text.replace(GUIDANCE_OLD, GUIDANCE_OLD + ' <img src="x" onerror="steal()">'))
    diff = policy_cli(repo.path, "diff", "--format", "markdown")
    assert diff.returncode == 1
    assert re.match(r"content/privacy-policy\.yaml:\d+: raw HTML <img> is not allowed", diff.stderr)
