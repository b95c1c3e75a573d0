"""The GitHub workflows: actionlint-clean, pinned, least privilege, and their shell steps work on a real repo."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gitrepo import GitRepo

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
LINT = ROOT / "tests" / "actionlint" / "lint.cjs"
WASM = ROOT / "tests" / "actionlint" / "node_modules" / "@tktco" / "node-actionlint" / "main.wasm"
CHECK = WORKFLOWS / "check.yml"
PUBLISH = WORKFLOWS / "publish.yml"

USES = re.compile(r"^(\s*(?:-\s+)?uses:\s*)([\w.-]+/[\w./-]+)@(\S+)(\s*#\s*(v\d+)(?:\.\d+)*)?\s*$", re.M)


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    if not WASM.is_file() or shutil.which("node") is None:
        pytest.fail("actionlint is not installed: run `make test` (it runs `npm ci` in tests/actionlint)")
    return subprocess.run(["node", str(LINT), *map(str, files)], capture_output=True, text=True, timeout=120)


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def step_id(job: dict, step: str) -> dict:
    (found,) = [s for s in steps(job) if s.get("id") == step]
    return found


def step_named(job: dict, words: str) -> dict:
    found = [s for s in steps(job) if words.lower() in s.get("name", "").lower()]
    assert len(found) == 1, f"expected one step named like {words!r}"
    return found[0]


# ------------------------------------------------------------------ actionlint


def test_workflows_pass_actionlint():
    result = actionlint(CHECK, PUBLISH)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 file(s), 0 problem(s)" in result.stdout


def test_action_inputs_are_valid_for_the_pinned_versions(tmp_path):
    """actionlint knows actions' inputs by tag, not by SHA: lint a copy that uses the tag in each pin's comment."""
    for wf in (CHECK, PUBLISH):
        text = wf.read_text(encoding="utf-8")
        tagged, n = USES.subn(lambda m: f"{m.group(1)}{m.group(2)}@{m.group(5)}", text)
        assert n >= 2
        copy = tmp_path / wf.name
        copy.write_text(tagged, encoding="utf-8")
        result = actionlint(copy)
        assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The linter really runs: a misspelt context property and input are reported with their lines."""
    text = CHECK.read_text(encoding="utf-8")
    broken = text.replace("github.base_ref", "github.base_reff", 1)
    broken = USES.sub(lambda m: f"{m.group(1)}{m.group(2)}@{m.group(5)}", broken)
    broken = broken.replace("fetch-depth: 0", "fetch-dept: 0", 1)
    copy = tmp_path / "check.yml"
    copy.write_text(broken, encoding="utf-8")
    result = actionlint(copy)
    assert result.returncode == 1
    lines = broken.splitlines()
    reported = {int(m.group(1)): m.group(2) for m in re.finditer(r"check\.yml:(\d+):\d+: (.*)", result.stdout)}
    assert any("base_reff" in lines[n - 1] and "base_reff" in msg for n, msg in reported.items()), result.stdout
    assert any("fetch-dept" in lines[n - 1] and "fetch-dept" in msg for n, msg in reported.items()), result.stdout


# ------------------------------------------------------------------ what the workflows promise


def test_every_action_is_pinned_by_full_sha_with_its_version_and_documented():
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    seen = set()
    for wf in (CHECK, PUBLISH):
        text = wf.read_text(encoding="utf-8")
        uses_lines = [ln for ln in text.splitlines() if re.match(r"\s*(-\s+)?uses:", ln)]
        matches = list(USES.finditer(text))
        assert len(matches) == len(uses_lines)
        for m in matches:
            action, ref, comment = m.group(2), m.group(3), m.group(4)
            assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{wf.name}: {action}@{ref} is not pinned by full SHA"
            assert comment, f"{wf.name}: {action}@{ref} has no '# vX.Y.Z' comment"
            seen.add((action, ref))
    for action, ref in seen:
        assert f"{action}@{ref}" in contributing or (action in contributing and ref in contributing), \
            f"{action}@{ref} is not listed in CONTRIBUTING.md"


def test_check_runs_on_pull_requests_with_full_history_tests_build_and_redline():
    wf = load(CHECK)
    assert "pull_request" in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    job = wf["jobs"]["check"]
    checkout = next(s for s in steps(job) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = "\n".join(s.get("run", "") for s in steps(job))
    assert "make test" in runs
    assert ".venv/bin/policy check" in runs
    assert "make build" in runs
    redline = step_id(job, "redline")
    assert "policy diff --base" in redline["run"] and "--format markdown" in redline["run"]
    assert '>> "$GITHUB_STEP_SUMMARY"' in redline["run"]
    uploads = [s for s in steps(job) if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert {u["with"]["path"] for u in uploads} == {"site/", "policy-diff.md"}
    comment = wf["jobs"]["comment"]
    assert comment["permissions"] == {"pull-requests": "write"}
    assert "gh pr comment" in step_named(comment, "post")["run"]


def test_publish_deploys_on_merge_daily_and_by_hand_without_races():
    wf = load(PUBLISH)
    assert wf["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in wf["on"]
    (cron,) = [c["cron"] for c in wf["on"]["schedule"]]
    minute, hour, *rest = cron.split()
    assert rest == ["*", "*", "*"], "runs every day"
    # Just after midnight in Pacific/Auckland both in NZST (UTC+12) and NZDT (UTC+13).
    assert hour == "12" and 0 <= int(minute) < 60
    assert wf["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert wf["permissions"] == {"contents": "read"}
    ledger, build, deploy = wf["jobs"]["ledger"], wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert "permissions" not in build
    # Only the ledger job may write, and what it runs is `policy publish --push`, before the build.
    assert ledger["permissions"] == {"contents": "write"}
    assert build["needs"] == "ledger"
    assert [s["run"] for s in steps(ledger) if "policy publish" in s.get("run", "")] == [
        ".venv/bin/policy publish --push"]
    ledger_checkout = next(s for s in steps(ledger) if s.get("uses", "").startswith("actions/checkout@"))
    assert ledger_checkout["with"]["fetch-depth"] == 0
    checkout = next(s for s in steps(build) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert any(s.get("uses", "").startswith("actions/upload-pages-artifact@") for s in steps(build))
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in steps(deploy)] == ["actions/deploy-pages"]


# ------------------------------------------------------------------ the redline step, run for real


def run_step(script: str, cwd: Path, tmp_path: Path, base_ref: str = "main") -> tuple[int, str, str]:
    """Run a workflow step's shell script as the runner would (bash -e), with its env and files."""
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("")
    output.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"BASE_REF": base_ref, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
                "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "NO_MKDOCS_2_WARNING": "1"})
    env.pop("POLICY_TODAY", None)
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    return proc.returncode, summary.read_text(), output.read_text()


@pytest.fixture
def pr_clone(tmp_path):
    """A published repository and a clone of it, as actions/checkout leaves a pull request."""
    origin = GitRepo.project(tmp_path / "origin")
    origin.commit("Publish the policy", "2026-03-01T10:00:00+13:00")
    clone = tmp_path / "pr"
    subprocess.run(["git", "clone", "-q", str(origin.path), str(clone)], check=True, capture_output=True,
                   env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    (clone / ".venv").symlink_to(ROOT / ".venv")  # the step calls .venv/bin/policy, as after `make venv`
    return GitRepo(clone, init=False)


def test_redline_step_writes_the_summary_and_the_comment_file(pr_clone, tmp_path):
    text = pr_clone.read("content/privacy-policy.yaml")
    pr_clone.write_policy(text.replace("Privacy Act 2000", "Privacy Act 2020", 1))
    script = step_id(load(CHECK)["jobs"]["check"], "redline")["run"]
    status, summary, output = run_step(script, pr_clone.path, tmp_path)
    assert status == 0
    assert "written=true" in output
    comment = (pr_clone.path / "policy-diff.md").read_text()
    assert summary == comment
    assert "On merge this becomes version 2 of the Privacy Policy, effective on the merge date" in comment
    assert "Privacy Act <del>2000</del> <ins>2020</ins>" in comment


def test_redline_step_reports_bad_yaml_in_the_summary_and_fails(pr_clone, tmp_path):
    text = pr_clone.read("content/privacy-policy.yaml")
    pr_clone.write_policy(text.replace("title: Privacy Policy", "title: [Privacy Policy", 1))
    script = step_id(load(CHECK)["jobs"]["check"], "redline")["run"]
    status, summary, output = run_step(script, pr_clone.path, tmp_path)
    assert status == 1
    assert "written=true" in output  # the comment still goes up, with the error
    assert "The policy files have errors" in summary
    assert re.search(r"content/privacy-policy\.yaml:\d+: YAML syntax error", summary), summary
    assert "Traceback" not in summary


# ------------------------------------------------------------------ the comment step, run for real

FAKE_GH = """#!/bin/bash
# gh as the comment step uses it: list the comments (through the real jq), edit one, or post one.
echo "$*" >> "$GH_LOG"
if [ "$1 $2" = "api --paginate" ]; then
  jq -r "$5" "$GH_COMMENTS"
fi
"""


@pytest.mark.parametrize("comments, expected", [
    # Someone else's comment starting with the marker comes first; the workflow's own is updated.
    ([{"id": 11, "user": {"login": "mallory"}, "body": "<!-- policy-diff -->\\nlooks official"},
      {"id": 22, "user": {"login": "github-actions[bot]"}, "body": "<!-- policy-diff -->\\nold redline"}],
     "api --method PATCH repos/org/policies/issues/comments/22 -F body=@body.md"),
    # Only someone else's: the workflow posts its own.
    ([{"id": 11, "user": {"login": "mallory"}, "body": "<!-- policy-diff -->\\nlooks official"}],
     "pr comment 7 --repo org/policies --body-file body.md"),
])
def test_comment_step_updates_only_its_own_comment(tmp_path, comments, expected):
    import json

    if shutil.which("jq") is None:
        pytest.fail("jq is not installed: run `make test` (it installs APT_PACKAGES)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH, encoding="utf-8")
    (bin_dir / "gh").chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    (work / "policy-diff.md").write_text("## Privacy Policy\n\nA redline.\n", encoding="utf-8")
    (tmp_path / "comments.json").write_text(json.dumps(comments), encoding="utf-8")
    step = step_named(load(CHECK)["jobs"]["comment"], "post")
    env = {**os.environ, **step["env"]}
    env.update({"PATH": f"{bin_dir}:{os.environ['PATH']}", "GH_LOG": str(tmp_path / "gh.log"),
                "GH_COMMENTS": str(tmp_path / "comments.json"), "GH_TOKEN": "x", "PR": "7",
                "REPO": "org/policies", "RUN_URL": "https://github.example/run/1"})
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=work, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "gh.log").read_text(encoding="utf-8").splitlines()
    assert calls[1:] == [expected]
    assert (work / "body.md").read_text(encoding="utf-8").startswith("<!-- policy-diff -->\n## Privacy Policy")
