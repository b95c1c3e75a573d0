"""The publication ledger, as the publish workflow runs it: `policy publish --push` after each
push to main, then the build. Real repositories, a bare origin, clones that push, pinned dates.

Each test is a scenario of issue 12; its assertions are what a reader of the site and an
auditor see: URLs still served, numbers and dates unchanged, PDFs byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from gitrepo import GitRepo, _base_env, mkdocs_build, policy_cli
from hostile import policy_text

MAIN = "content/privacy-policy.yaml"
OTHER = "content/terms.yaml"
SENTENCE = "Note that we generally record outbound calls for operational and"


def reword(repo: GitRepo) -> None:
    """Edit the privacy policy's public text (one clause: "generally" goes)."""
    repo.write_policy(repo.read(MAIN).replace(SENTENCE, SENTENCE.replace("generally ", "")))


def merge_to_main(repo: GitRepo, message: str, date: str) -> None:
    """Commit on main and push it to origin, as merging a pull request does."""
    repo.commit(message, date)
    repo.git("push", "-q", "origin", "main")


def publish(repo: GitRepo, now: str, *extra: str) -> subprocess.CompletedProcess:
    result = _cli(repo, now, "publish", "--push", *extra)
    assert result.returncode == 0, result.stderr
    return result


def _cli(repo: GitRepo, now: str, *args: str) -> subprocess.CompletedProcess:
    return policy_cli(repo.path, *args, now=now)


def _env() -> dict[str, str]:
    return _base_env()


def ledger_lines(repo: GitRepo, ref: str = "policy-ledger") -> list[dict]:
    raw = repo.git("show", f"{ref}:ledger.jsonl")
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


@pytest.fixture
def project(tmp_path) -> GitRepo:
    """Two policies on main, pushed to a bare origin and published once (2 March)."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True, env=_env())
    repo = GitRepo.project(tmp_path / "work", checklists=False, pdf=False)
    repo.write(OTHER, policy_text("terms"))
    repo.commit("Publish the policies", "2026-03-02T10:00:00+13:00")
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "-q", "origin", "main")
    publish(repo, "2026-03-02T10:03:00+13:00")
    return repo


def build(repo: GitRepo, tmp: Path, today: str) -> tuple[Path, subprocess.CompletedProcess]:
    site = tmp / f"site-{today}"
    result = mkdocs_build(repo.path, site, today=today, quiet=False)
    return site, result


def versions(site: Path, pid: str) -> list[dict]:
    return json.loads((site / pid / "versions.json").read_text())["versions"]


def test_the_first_run_seeds_the_ledger_from_history_once(project):
    entries = ledger_lines(project)
    assert [(e["policy"], e["version"], e["derived"]) for e in entries] == [
        ("privacy-policy", 1, True), ("terms", 1, True)]
    assert entries[0]["prev"] == "" and entries[1]["prev"] == hashlib.sha256(
        project.git("show", "policy-ledger:ledger.jsonl").splitlines()[0].encode()).hexdigest()
    # Pushed to origin, so every clone has it.
    assert project.git("rev-parse", "origin/policy-ledger") == project.git("rev-parse", "policy-ledger")
    again = publish(project, "2026-03-02T11:00:00+13:00")
    assert "Nothing to post" in again.stdout and len(ledger_lines(project)) == 2


def test_only_the_tip_of_a_rebase_merge_is_posted(project, tmp_path):
    text = project.read(MAIN)
    project.write_policy(text.replace(SENTENCE, "We may sell your personal information to anyone. " + SENTENCE))
    project.commit("WIP: try something", "2026-03-05T09:00:00+13:00")
    project.write_policy(text.replace(SENTENCE, SENTENCE.replace("generally ", "")))
    merge_to_main(project, "Better wording", "2026-03-05T09:30:00+13:00")
    out = publish(project, "2026-03-05T09:31:00+13:00")
    assert "privacy-policy version 2: posted 2026-03-05T09:30:00+13:00" in out.stdout
    site, result = build(project, tmp_path, "2026-03-06")
    assert result.returncode == 0, result.stderr
    assert [v["version"] for v in versions(site, "privacy-policy")] == [1, 2]
    for page in site.rglob("*.html"):
        assert "sell your personal information" not in page.read_text()
    # Anyone keeping versions.json or the feed keeps the ledger's head with it.
    last = project.git("show", "policy-ledger:ledger.jsonl").splitlines()[-1]
    head = hashlib.sha256(last.encode()).hexdigest()
    for pid in ("privacy-policy", "terms"):
        assert json.loads((site / pid / "versions.json").read_text())["ledger_head"] == head
        assert f'<ledger:ledger head="{head}" />' in (site / pid / "feed.xml").read_text()


@pytest.mark.parametrize("committed, posted, note", [
    ("2001-01-01T10:00:00+13:00", "2026-03-05T10:00:00+13:00", "before the previous posting"),
    ("2099-01-01T10:00:00+13:00", "2026-03-05T10:00:00+13:00", "in the future"),
    ("2026-03-04T10:00:00+13:00", "2026-03-04T10:00:00+13:00", None),
])
def test_an_implausible_commit_date_is_not_an_effective_date(project, committed, posted, note):
    reword(project)
    merge_to_main(project, "Edit", committed)
    out = publish(project, "2026-03-05T10:00:00+13:00")
    entry = ledger_lines(project)[-1]
    assert entry["posted_at"] == posted
    if note:
        assert note in entry["note"] and note in out.stdout
    else:
        assert entry["note"] == ""


def test_deleting_a_policy_withdraws_it_and_keeps_every_page(project, tmp_path):
    before, result = build(project, tmp_path, "2026-03-03")
    assert result.returncode == 0, result.stderr
    pdf = before / "privacy-policy" / "v" / "1" / "index.html"
    project.git("rm", "-q", MAIN)
    merge_to_main(project, "Remove the privacy policy", "2026-03-10T10:00:00+13:00")
    out = publish(project, "2026-03-10T10:01:00+13:00")
    assert "privacy-policy withdrawn: posted 2026-03-10T10:00:00+13:00" in out.stdout
    after, result = build(project, tmp_path, "2026-03-12")
    assert result.returncode == 0, result.stderr
    assert (after / "privacy-policy" / "v" / "1" / "index.html").read_text().count(SENTENCE) == \
        pdf.read_text().count(SENTENCE) == 1
    assert versions(after, "privacy-policy") == [
        {**v, "status": "superseded", "superseded_on": "2026-03-10"} for v in versions(before, "privacy-policy")]
    page = (after / "privacy-policy" / "index.html").read_text()
    assert "This policy was withdrawn: it no longer applies from 10 March 2026." in page
    assert (after / "privacy-policy" / "feed.xml").is_file()


def test_a_rewritten_history_fails_the_build_and_the_verify(project, tmp_path):
    reword(project)
    merge_to_main(project, "Edit", "2026-03-05T10:00:00+13:00")
    publish(project, "2026-03-05T10:01:00+13:00")
    posted = project.head()
    # Someone amends the published commit and force-pushes it.
    project.write_policy(project.read(MAIN).replace("We record all", "We never record"))
    project.git("commit", "-q", "--amend", "-am", "Quietly different", date="2026-03-05T10:00:00+13:00")
    project.git("push", "-q", "--force", "origin", "main")
    site, result = build(project, tmp_path, "2026-03-06")
    assert result.returncode == 1
    assert f"privacy-policy version 2 (posted 2026-03-05T10:00:00+13:00) came from commit {posted[:12]}" \
        in result.stderr
    assert "Traceback" not in result.stderr
    verify = _cli(project, "2026-03-06T10:00:00+13:00", "ledger", "verify")
    assert verify.returncode == 1 and posted[:12] in verify.stderr


def test_an_edited_chain_is_detected(project, tmp_path):
    """Someone "fixes" the first posting date on the ledger branch, as a careless edit would."""
    raw = project.git("show", "policy-ledger:ledger.jsonl") + "\n"
    forged = raw.replace("2026-03-02T10:00:00+13:00", "2026-02-01T10:00:00+13:00", 1)
    assert forged != raw
    project.git("checkout", "-q", "policy-ledger")
    (project.path / "ledger.jsonl").write_text(forged)
    project.git("commit", "-qam", "Fix a date", date="2026-03-03T10:00:00+13:00")
    project.git("checkout", "-q", "main")
    verify = _cli(project, "2026-03-06T10:00:00+13:00", "ledger", "verify")
    assert verify.returncode == 1
    assert "ledger.jsonl:2: the chain is broken" in verify.stderr
    site, result = build(project, tmp_path, "2026-03-06")
    assert result.returncode == 1 and "has been tampered with" in result.stderr


def test_two_publishers_racing_both_land_without_force(project, tmp_path):
    other = GitRepo(tmp_path / "other", init=False)
    subprocess.run(["git", "clone", "-q", project.git("remote", "get-url", "origin"), str(other.path)],
                   check=True, env=_env())
    other.git("fetch", "-q", "origin", "policy-ledger:policy-ledger")
    # main moves twice; each checkout publishes its own tip, the slower one second.
    reword(project)
    merge_to_main(project, "Edit", "2026-03-05T10:00:00+13:00")
    other.git("pull", "-q", "origin", "main")
    other.write(OTHER, policy_text("terms", body="We keep your information very safe."))
    merge_to_main(other, "Edit the terms", "2026-03-05T10:10:00+13:00")
    project.git("pull", "-q", "origin", "main")
    publish(other, "2026-03-05T10:11:00+13:00")
    out = publish(project, "2026-03-05T10:12:00+13:00")
    assert "Nothing to post" in out.stdout  # the other run already posted the same tip
    entries = ledger_lines(project, "origin/policy-ledger")
    assert [(e["policy"], e["version"]) for e in entries] == [
        ("privacy-policy", 1), ("terms", 1), ("privacy-policy", 2), ("terms", 2)]


def test_a_clone_without_the_ledger_still_builds_and_says_so(tmp_path):
    repo = GitRepo.project(tmp_path / "work", checklists=False, pdf=False)
    repo.commit("Publish", "2026-03-02T10:00:00+13:00")
    site, result = build(repo, tmp_path, "2026-03-03")
    assert result.returncode == 0, result.stderr
    assert "No publication ledger ('policy-ledger') in this clone" in result.stderr
    assert [v["version"] for v in versions(site, "privacy-policy")] == [1]


def test_a_push_rejected_by_a_faster_publisher_is_fetched_rechecked_and_appended(project, tmp_path):
    """The other run pushes its entry between this run's fetch and its push (a pre-push hook makes
    that happen at exactly that moment); this run is rejected, fetches, re-checks, and appends."""
    other = GitRepo(tmp_path / "other", init=False)
    subprocess.run(["git", "clone", "-q", project.git("remote", "get-url", "origin"), str(other.path)],
                   check=True, env=_env())
    other.write(OTHER, policy_text("terms", body="We keep your information very safe."))
    merge_to_main(other, "Edit the terms", "2026-03-05T10:00:00+13:00")
    project.git("pull", "-q", "origin", "main")
    reword(project)
    merge_to_main(project, "Edit the privacy policy", "2026-03-05T10:10:00+13:00")
    other.git("fetch", "-q", "origin", "policy-ledger")
    policy = Path(__file__).resolve().parents[2] / ".venv/bin/policy"
    hook = project.path / ".git" / "hooks" / "pre-push"
    hook.write_text(f"""#!/bin/sh
[ -e "{tmp_path}/raced" ] && exit 0
touch "{tmp_path}/raced"
cd "{other.path}" && POLICY_NOW=2026-03-05T10:05:00+13:00 "{policy}" publish --push >/dev/null 2>&1
exit 0
""")
    hook.chmod(0o755)
    out = publish(project, "2026-03-05T10:11:00+13:00")
    assert (tmp_path / "raced").exists()
    assert "privacy-policy version 2" in out.stdout
    entries = ledger_lines(project, "origin/policy-ledger")
    assert [(e["policy"], e["version"]) for e in entries] == [
        ("privacy-policy", 1), ("terms", 1), ("terms", 2), ("privacy-policy", 2)]
    assert "(attempt 2)" in out.stdout


def test_an_older_tip_never_undoes_a_later_posting(project, tmp_path):
    stale = GitRepo(tmp_path / "stale", init=False)
    subprocess.run(["git", "clone", "-q", project.git("remote", "get-url", "origin"), str(stale.path)],
                   check=True, env=_env())
    project.write(OTHER, policy_text("terms", body="We keep your information very safe."))
    merge_to_main(project, "Edit the terms", "2026-03-05T10:00:00+13:00")
    publish(project, "2026-03-05T10:01:00+13:00")
    out = publish(stale, "2026-03-05T10:02:00+13:00")  # its main is the older tip
    assert "Nothing to post" in out.stdout
    assert [(e["policy"], e["version"]) for e in ledger_lines(project, "origin/policy-ledger")] == [
        ("privacy-policy", 1), ("terms", 1), ("terms", 2)]


def test_a_withdrawn_policys_pdf_is_still_genuine_from_the_ledger(tmp_path):
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True, env=_env())
    repo = GitRepo.project(tmp_path / "work", checklists=False)
    repo.write(OTHER, policy_text("terms"))
    repo.commit("Publish the policies", "2026-03-02T10:00:00+13:00")
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "-q", "origin", "main")
    publish(repo, "2026-03-02T10:03:00+13:00")
    posted = {e["policy"]: e["pdf_sha256"] for e in ledger_lines(repo)}
    before, result = build(repo, tmp_path, "2026-03-03")
    assert result.returncode == 0, result.stderr
    pdf = before / "terms" / "v" / "1" / "terms-v1.pdf"
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == posted["terms"]
    repo.git("rm", "-q", OTHER)
    merge_to_main(repo, "Withdraw the terms", "2026-03-10T10:00:00+13:00")
    publish(repo, "2026-03-10T10:01:00+13:00")
    after, result = build(repo, tmp_path, "2026-03-12")
    assert result.returncode == 0, result.stderr
    assert (after / "terms" / "v" / "1" / "terms-v1.pdf").read_bytes() == pdf.read_bytes()
    verdict = _cli(repo, "2026-03-12T10:00:00+13:00", "verify", str(pdf))
    assert verdict.returncode == 0, verdict.stderr
    assert "genuine" in verdict.stdout and "withdrawn on 10 March 2026" in verdict.stdout
    assert "the publication ledger recorded" in verdict.stdout


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_check_and_diff_say_a_deleted_policy_will_be_withdrawn(project, fmt):
    project.branch("remove")
    project.git("rm", "-q", OTHER)
    reword(project)
    check = _cli(project, "2026-03-05T10:00:00+13:00", "check")
    assert check.returncode == 0
    assert "warning: terms (Hostile policy) will be withdrawn when this is merged" in check.stderr
    diff = _cli(project, "2026-03-05T10:00:00+13:00", "diff", "--format", fmt)
    assert diff.returncode == 0, diff.stderr
    assert "will be withdrawn: its file is gone" in diff.stdout
    assert "Only the merged result is posted, whatever the merge method" in diff.stdout
    assert "Compared with version 1" in diff.stdout


def test_ledger_verify_rebuilds_every_pdf_with_its_recorded_hash(tmp_path):
    repo = GitRepo.project(tmp_path / "work", checklists=False)
    repo.commit("Publish", "2026-03-02T10:00:00+13:00")
    out = _cli(repo, "2026-03-02T10:03:00+13:00", "publish")
    assert out.returncode == 0, out.stderr
    verify = _cli(repo, "2026-03-03T10:00:00+13:00", "ledger", "verify")
    assert verify.returncode == 0, verify.stderr
    assert "1 entries chained, 1 versions of 1 policies, 1 texts and 1 PDFs match their SHA-256" in verify.stdout


def _rename(repo: GitRepo, declare: bool) -> None:
    text = repo.read(MAIN).replace("id: privacy-policy\n", "id: privacy-statement\n"
                                   + ("previous_ids: [privacy-policy]\n" if declare else ""), 1)
    assert "privacy-statement" in text
    repo.write_policy(text)


def test_a_declared_id_change_continues_the_history_and_old_addresses_lead_on(tmp_path):
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True, env=_env())
    repo = GitRepo.project(tmp_path / "work", checklists=False)
    repo.commit("Publish", "2026-03-02T10:00:00+13:00")
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "-q", "origin", "main")
    publish(repo, "2026-03-02T10:03:00+13:00")
    before, result = build(repo, tmp_path, "2026-03-03")
    assert result.returncode == 0, result.stderr
    old_pdf = (before / "privacy-policy" / "v" / "1" / "privacy-policy-v1.pdf").read_bytes()
    _rename(repo, declare=True)
    check = _cli(repo, "2026-03-05T10:00:00+13:00", "check")
    assert check.returncode == 0 and "withdrawn" not in check.stderr
    diff = _cli(repo, "2026-03-05T10:00:00+13:00", "diff")
    assert "On merge this becomes version 2" in diff.stdout
    assert "The id changes from privacy-policy to privacy-statement (declared in previous_ids)" in diff.stdout
    merge_to_main(repo, "The privacy policy is now the privacy statement", "2026-03-05T10:00:00+13:00")
    out = publish(repo, "2026-03-05T10:01:00+13:00")
    assert "privacy-statement version 2" in out.stdout
    after, result = build(repo, tmp_path, "2026-03-06")
    assert result.returncode == 0, result.stderr
    listed = versions(after, "privacy-statement")
    assert [(v["version"], v["status"]) for v in listed] == [(1, "superseded"), (2, "in-force")]
    assert listed[0]["url"].endswith("/privacy-policy/v/1/") and listed[0]["posted_at"] == "2026-03-02T10:00:00+13:00"
    # Version 1 keeps its address, its page and its PDF's bytes; the old policy page leads on.
    assert (after / "privacy-policy" / "v" / "1" / "privacy-policy-v1.pdf").read_bytes() == old_pdf
    assert SENTENCE in (after / "privacy-policy" / "v" / "1" / "index.html").read_text()
    moved = (after / "privacy-policy" / "index.html").read_text()
    assert 'http-equiv="refresh" content="0; url=../privacy-statement/"' in moved
    assert 'url=../../privacy-statement/versions/' in (after / "privacy-policy" / "versions" / "index.html").read_text()
    assert "withdrawn" not in (after / "privacy-statement" / "index.html").read_text()
    verdict = _cli(repo, "2026-03-06T10:00:00+13:00", "verify",
                   str(after / "privacy-policy" / "v" / "1" / "privacy-policy-v1.pdf"))
    assert verdict.returncode == 0 and "genuine" in verdict.stdout


def test_an_undeclared_id_change_withdraws_the_old_policy_and_is_said_before_merge(project, tmp_path):
    project.branch("rename")
    _rename(project, declare=False)
    check = _cli(project, "2026-03-05T10:00:00+13:00", "check")
    assert "warning: privacy-policy (Privacy Policy) will be withdrawn when this is merged" in check.stderr
    project.commit("Change the id", "2026-03-05T10:00:00+13:00")
    project.git("checkout", "-q", "main")
    project.merge("rename", "2026-03-05T11:00:00+13:00")
    project.git("push", "-q", "origin", "main")
    out = publish(project, "2026-03-05T11:01:00+13:00")
    assert "privacy-statement version 1" in out.stdout and "privacy-policy withdrawn" in out.stdout
    site, result = build(project, tmp_path, "2026-03-06")
    assert result.returncode == 0, result.stderr
    assert "This policy was withdrawn" in (site / "privacy-policy" / "index.html").read_text()
    assert [v["version"] for v in versions(site, "privacy-statement")] == [1]


def test_an_id_change_without_a_ledger_builds_each_id_as_its_own_policy(tmp_path):
    repo = GitRepo.project(tmp_path / "work", checklists=False)
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    _rename(repo, declare=False)
    repo.commit("Change the id", "2026-03-05T10:00:00+13:00")
    site, result = build(repo, tmp_path, "2026-03-10")
    assert result.returncode == 0, result.stderr  # was KeyError: ('privacy-statement', 1)
    assert json.loads((site / "privacy-policy" / "versions.json").read_text())["withdrawn_on"] == "2026-03-05"
    assert [v["version"] for v in versions(site, "privacy-statement")] == [1]


def test_a_saved_versions_json_verifies_a_pdf_and_names_the_ledger_head(tmp_path):
    repo = GitRepo.project(tmp_path / "work", checklists=False)
    repo.commit("Publish", "2026-03-02T10:00:00+13:00")
    assert _cli(repo, "2026-03-02T10:03:00+13:00", "publish").returncode == 0
    site, result = build(repo, tmp_path, "2026-03-03")
    assert result.returncode == 0, result.stderr
    saved = tmp_path / "kept-versions.json"
    saved.write_bytes((site / "privacy-policy" / "versions.json").read_bytes())
    head = json.loads(saved.read_text())["ledger_head"]
    pdf = site / "privacy-policy" / "v" / "1" / "privacy-policy-v1.pdf"
    verdict = _cli(repo, "2026-03-03T10:00:00+13:00", "verify", str(pdf), "--versions", str(saved))
    assert verdict.returncode == 0, verdict.stderr
    assert f"listed in kept-versions.json, as saved (ledger head {head[:16]})" in verdict.stdout
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(pdf.read_bytes() + b"\n%")
    assert _cli(repo, "2026-03-03T10:00:00+13:00", "verify", str(forged), "--versions", str(saved)).returncode == 1


def test_renaming_the_file_and_rewriting_it_continues_the_history(project, tmp_path):
    text = project.read(MAIN)
    project.git("mv", MAIN, "content/privacy.yaml")
    project.write("content/privacy.yaml", text.replace(SENTENCE, SENTENCE.replace("generally ", "")))
    merge_to_main(project, "Rename and reword", "2026-03-05T10:00:00+13:00")
    out = publish(project, "2026-03-05T10:01:00+13:00")
    assert "privacy-policy version 2" in out.stdout and "withdrawn" not in out.stdout
    site, result = build(project, tmp_path, "2026-03-06")
    assert result.returncode == 0, result.stderr
    assert [(v["version"], v["posted_at"]) for v in versions(site, "privacy-policy")] == [
        (1, "2026-03-02T10:00:00+13:00"), (2, "2026-03-05T10:00:00+13:00")]


def test_deleting_and_re_adding_keeps_version_1_and_its_date(project, tmp_path):
    text = project.read(MAIN)
    project.git("rm", "-q", MAIN)
    merge_to_main(project, "Remove", "2026-03-05T10:00:00+13:00")
    publish(project, "2026-03-05T10:01:00+13:00")
    project.write_policy(text)
    merge_to_main(project, "Put it back", "2026-03-06T10:00:00+13:00")
    publish(project, "2026-03-06T10:01:00+13:00")
    site, result = build(project, tmp_path, "2026-03-07")
    assert result.returncode == 0, result.stderr
    assert [(v["version"], v["effective_date"], v["status"]) for v in versions(site, "privacy-policy")] == [
        (1, "2026-03-02", "superseded"), (2, "2026-03-06", "in-force")]
    assert "withdrawn" not in (site / "privacy-policy" / "index.html").read_text()
