"""generator.history against real git repositories with pinned dates."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from generator.history import git as history
from generator.errors import HistoryError
from gitrepo import POLICY_FILE, GitRepo, policy_yaml


def _repo(tmp_path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.write_policy(policy_yaml({"intro": "First text."}))
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    return repo


def test_first_parent_commits_with_committer_time_and_blobs(tmp_path):
    repo = _repo(tmp_path)
    first = repo.head()
    repo.write("README.md", "not a policy\n")
    repo.commit("Readme", "2026-03-02T10:00:00+13:00")
    repo.branch("edit")
    repo.write_policy(policy_yaml({"intro": "Second text."}))
    side = repo.commit("Edit", "2026-03-03T10:00:00+13:00")
    repo.checkout("main")
    merge = repo.merge("edit", "2026-03-04T08:15:00+13:00")

    h = history.read_history([repo.path / POLICY_FILE], "main")
    revs = h.revisions[POLICY_FILE]
    # The side-branch commit is not first-parent: the merge carries the change.
    assert [r.commit.sha for r in revs] == [first, merge]
    assert side not in {r.commit.sha for r in revs}
    assert revs[1].commit.committed_at == datetime(2026, 3, 4, 8, 15, tzinfo=timezone(timedelta(hours=13)))
    assert h.blobs[revs[0].blob].decode().endswith("body: First text.\n")
    assert b"Second text." in h.blobs[revs[1].blob]
    assert h.ref == "refs/heads/main"


def test_renames_are_followed(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write_policy(policy_yaml({"intro": "Kept through a move."}), "policies/privacy.yaml")
    first = repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    (repo.path / "content").mkdir()
    repo.git("mv", "policies/privacy.yaml", POLICY_FILE)
    moved = repo.commit("Move to content/", "2026-03-05T10:00:00+13:00")
    h = history.read_history([repo.path / POLICY_FILE])
    revs = h.revisions[POLICY_FILE]
    assert [(r.commit.sha, r.path) for r in revs] == [(first, "policies/privacy.yaml"), (moved, POLICY_FILE)]
    assert revs[0].blob == revs[1].blob


def test_many_blobs_are_read_without_deadlock(tmp_path):
    # More than a pipe buffer (64 KiB) of requests and answers in flight at once.
    repo = _repo(tmp_path)
    files = [str(repo.write(f"b/{i}.txt", f"{i}\n" + "x" * 4000)) for i in range(300)]
    proc = subprocess.run(["git", "hash-object", "-w", "--stdin-paths"], cwd=repo.path, text=True,
                          input="\n".join(files), capture_output=True, check=True)
    shas = proc.stdout.split()
    store = history.Blobs(repo.path)
    try:
        store.prefetch(shas)  # one `git cat-file --batch` for all of them, as a build reads them
        data = {sha: store[sha] for sha in shas}
    finally:
        store.close()
    assert len(data) == 300
    assert data[shas[299]].startswith(b"299\n") and len(data[shas[299]]) == 4004


def test_shallow_clone_is_refused_with_the_fix(tmp_path):
    repo = _repo(tmp_path)
    repo.write_policy(policy_yaml({"intro": "Second text."}))
    repo.commit("Edit", "2026-03-04T10:00:00+13:00")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)
    with pytest.raises(HistoryError) as e:
        history.read_history([clone / POLICY_FILE])
    assert "shallow" in str(e.value)
    assert "fetch-depth: 0" in str(e.value)


def test_missing_branch_names_it_and_the_fix(tmp_path):
    repo = _repo(tmp_path)
    with pytest.raises(HistoryError) as e:
        history.read_history([repo.path / POLICY_FILE], "release")
    assert "'release'" in str(e.value) and "fetch-depth: 0" in str(e.value)


def test_remote_tracking_branch_is_used_when_only_it_exists(tmp_path):
    repo = _repo(tmp_path)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", f"file://{repo.path}", str(clone)], check=True)
    c = GitRepo(clone, init=False)
    c.branch("pr-7")
    c.git("branch", "-D", "main")
    h = history.read_history([clone / POLICY_FILE], "main")
    assert h.ref == "refs/remotes/origin/main"
    assert len(h.revisions[POLICY_FILE]) == 1


def test_outside_a_repository(tmp_path):
    (tmp_path / "content").mkdir()
    f = tmp_path / "content" / "p.yaml"
    f.write_text(policy_yaml({"intro": "x"}))
    with pytest.raises(HistoryError) as e:
        history.read_history([f])
    assert "not inside a git repository" in str(e.value)


def test_source_date_epoch_is_head_commit_time_unless_set(tmp_path, monkeypatch):
    repo = _repo(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    expected = int(datetime(2026, 3, 1, 10, tzinfo=timezone(timedelta(hours=13))).timestamp())
    assert history.set_source_date_epoch(repo.path) == str(expected)
    assert os.environ["SOURCE_DATE_EPOCH"] == str(expected)
    # A later commit (as under `mkdocs serve`) moves the value this process set…
    repo.write("README.md", "x\n")
    repo.commit("Later", "2026-03-02T10:00:00+13:00")
    assert history.set_source_date_epoch(repo.path) == str(expected + 86400)
    # …but a value the user set is kept.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "12345")
    assert history.set_source_date_epoch(repo.path) == "12345"


def test_repository_without_commits(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    f = repo.write_policy(policy_yaml({"intro": "x"}))
    with pytest.raises(HistoryError, match="no commit yet"):
        history.read_history([f])
