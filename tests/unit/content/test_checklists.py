"""Checklists: the real ones load, and every kind of bad checklist is a path:line error from
`policy check` and from the build, with no traceback and no output."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitrepo import POLICY_FILE, GitRepo, copy_project, mkdocs_build, policy_cli

GOOD = """\
id: {id}
title: Example checklist
audience: Testers.
description: What an example covers.
policy: privacy-policy
pass_mark: 80
items:
  - id: recording
    kind: quiz
    clauses: [call-recording]
  - id: ack
    kind: acknowledge
    clauses: [security]
    statement: I will keep information safe.
"""


def line_of(text: str, needle: str) -> int:
    """The line where ``needle`` (which may span lines, and must be unique) starts."""
    assert text.count(needle) == 1, needle
    return text[:text.index(needle)].count("\n") + 1


def test_the_real_checklists_pass_policy_check(project_root: Path):
    result = policy_cli(project_root, "check")
    assert result.returncode == 0, result.stderr
    assert "checklists/all-staff.yaml: ok (All staff, 10 items, 17 questions)" in result.stdout
    assert "checklists/outbound-calling.yaml: ok (Outbound calling team, 10 items, 10 questions)" in result.stdout


def test_the_checklist_schema_file_is_current(project_root: Path):
    result = policy_cli(project_root, "schema", "--checklist")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (project_root / "checklists" / "checklist.schema.json").read_text(encoding="utf-8")


CASES = {
    "unknown clause": (
        GOOD.replace("clauses: [call-recording]", "clauses: [call-recordings]"),
        "clauses: [call-recordings]",
        "unknown clause 'call-recordings' in item 'recording' (did you mean 'call-recording'?)"),
    "duplicate item id": (
        GOOD.replace("  - id: ack\n", "  - id: recording\n"),
        "  - id: recording\n    kind: acknowledge",
        "duplicate item id 'recording' (first used on line 8)"),
    "pass mark above 100": (
        GOOD.replace("pass_mark: 80", "pass_mark: 101"), "pass_mark: 101",
        "pass_mark 101 is out of range: give a percentage from 0 to 100"),
    "pass mark below 0": (
        GOOD.replace("pass_mark: 80", "pass_mark: -1"), "pass_mark: -1",
        "pass_mark -1 is out of range: give a percentage from 0 to 100"),
    "pass mark not a number": (
        GOOD.replace("pass_mark: 80", "pass_mark: eighty"), "pass_mark: eighty",
        "'pass_mark' must be a whole number, not text"),
    "unknown policy": (
        GOOD.replace("policy: privacy-policy", "policy: privacy-polcy"), "policy: privacy-polcy",
        "unknown policy 'privacy-polcy' (did you mean 'privacy-policy'?)"),
    "unknown kind": (
        GOOD.replace("kind: quiz", "kind: test"), "kind: test",
        "'kind' must be 'read', 'quiz' or 'acknowledge', not 'test'"),
    "misspelt key": (
        GOOD.replace("statement:", "statment:"), "statment:",
        "unknown key 'statment' (did you mean 'statement'?)"),
    "acknowledge without statement": (
        GOOD.replace("    statement: I will keep information safe.\n", ""), "  - id: ack",
        "acknowledge item 'ack' needs a 'statement'"),
    "question of another clause": (
        GOOD.replace("clauses: [call-recording]", "clauses: [call-recording]\n    questions: [access-phone-copy]"),
        "questions: [access-phone-copy]",
        "question 'access-phone-copy' belongs to clause 'access', which item 'recording' does not list"),
    "unknown question": (
        GOOD.replace("clauses: [call-recording]", "clauses: [call-recording]\n    questions: [recording-nope]"),
        "questions: [recording-nope]", "unknown question 'recording-nope' in item 'recording'"),
    "quiz on a clause without questions": (
        GOOD.replace("clauses: [call-recording]", "clauses: [personal-information]"),
        "  - id: recording", "quiz item 'recording' has no questions"),
    "statement on a quiz item": (
        GOOD.replace("clauses: [call-recording]", "clauses: [call-recording]\n    statement: Hello."),
        "statement: Hello.", "'statement' is only for acknowledge items, and 'recording' is a quiz item"),
    "malformed clause reference": (
        GOOD.replace("clauses: [call-recording]", "clauses: [Call-Recording]"), "clauses: [Call-Recording]",
        "invalid clause or question 'Call-Recording': write its id ('data-access'), or "
        "'policy-id#id' for a policy the checklist lists after the first"),
    "a policy listed twice": (
        GOOD.replace("policy: privacy-policy", "policy: [privacy-policy, privacy-policy]"),
        "policy: [privacy-policy, privacy-policy]", "policy 'privacy-policy' is listed twice"),
    "a clause of a policy not listed": (
        GOOD.replace("clauses: [security]", "clauses: [terms#security]"), "clauses: [terms#security]",
        "'terms#security' names policy 'terms', which this checklist does not train on"),
    "YAML syntax": (
        GOOD.replace("  - id: ack", "\t- id: ack"), "\t- id: ack",
        "tab character used for indentation: YAML indents with spaces only"),
}


@pytest.mark.parametrize("text,needle,message", CASES.values(), ids=CASES.keys())
def test_policy_check_reports_a_bad_checklist_at_its_line(tmp_path, text, needle, message):
    project = copy_project(tmp_path / "p")
    (project / "checklists" / "bad.yaml").write_text(text.format(id="bad"), encoding="utf-8")
    result = policy_cli(project, "check")
    assert result.returncode == 1
    line = line_of(text.format(id="bad"), needle)
    assert f"checklists/bad.yaml:{line}: {message}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_checklist_ids_across_files(tmp_path):
    project = copy_project(tmp_path / "p")
    (project / "checklists" / "zz-copy.yaml").write_text(GOOD.format(id="all-staff"), encoding="utf-8")
    result = policy_cli(project, "check")
    assert result.returncode == 1
    assert ("checklists/zz-copy.yaml:1: duplicate checklist id 'all-staff' "
            "(also in checklists/all-staff.yaml)") in result.stderr


def test_an_answer_that_is_not_among_the_choices(tmp_path):
    project = copy_project(tmp_path / "p")
    policy = project / POLICY_FILE
    text = policy.read_text(encoding="utf-8").replace("answer: explain-writing", "answer: explain-in-writing")
    policy.write_text(text, encoding="utf-8")
    result = policy_cli(project, "check")
    assert result.returncode == 1
    line = line_of(text, "answer: explain-in-writing")
    assert (f"content/privacy-policy.yaml:{line}: answer 'explain-in-writing' of question "
            "'access-phone-copy' is not among its choices") in result.stderr, result.stderr


def test_the_build_fails_on_a_bad_checklist_with_the_same_message(tmp_path):
    repo = GitRepo.project(tmp_path / "p")
    text, needle, message = CASES["unknown clause"]
    repo.write("checklists/bad.yaml", text.format(id="bad"))
    repo.commit("Add a checklist", "2026-03-02T10:00:00+13:00")
    site = tmp_path / "site"
    result = mkdocs_build(repo.path, site, today="2026-03-10")
    assert result.returncode != 0
    line = line_of(text, needle)
    assert f"checklists/bad.yaml:{line}: {message}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (site / "index.html").exists() and not (site / "training").exists()
