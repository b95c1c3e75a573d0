"""Issue 14, item 4: a checklist may train on several policies, naming their clauses as ``policy#clause``."""

from __future__ import annotations

import json
import re

import pytest

from gitrepo import GitRepo, mkdocs_build, policy_cli, policy_yaml

V1 = "2026-03-02T10:00:00+13:00"
V2 = "2026-06-01T10:00:00+12:00"


def q(qid: str, prompt: str) -> dict:
    return {"id": qid, "type": "true-false", "prompt": prompt, "answer": True, "explanation": "It says so."}


def privacy(keep: str = "We keep records for seven years.") -> str:
    return policy_yaml({
        "collect": {"title": "What we collect", "body": "Your name.",
                    "training": {"questions": [q("collect-q", "We collect names.")]}},
        "keep": {"title": "How long we keep it", "body": keep,
                 "training": {"questions": [q("keep-q", "We keep records.")]}},
        "contact-us": {"title": "Contact us", "body": "Write to us.", "contact": True}})


def terms(conduct: str = "Be polite to our staff.") -> str:
    return policy_yaml({
        "definitions": {"title": "Definitions", "body": "'We' means Example Limited."},
        "conduct": {"title": "How to behave", "body": conduct,
                    "training": {"guidance": "Say so when a caller is rude.",
                                 "questions": [q("keep-q", "Callers must be polite.")]}},
        "contact-us": {"title": "Contact us", "body": "Write to us.", "contact": True}},
        policy_id="terms-of-use", title="Terms of Use")


CHECKLIST = """\
id: front-desk
title: Front desk
audience: Everyone who answers the phone.
description: What the privacy policy and the terms of use mean at the front desk.
policy: [privacy-policy, terms-of-use]
pass_mark: 100
items:
  - id: collecting
    kind: quiz
    clauses: [collect]
  - id: behaviour
    kind: quiz
    clauses: [terms-of-use#conduct]
  - id: definitions
    kind: read
    clauses: [terms-of-use#definitions, keep]
"""


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("across")
    repo = GitRepo.project(tmp / "project", content=False, checklists=False, pdf=False)
    repo.write("content/privacy-policy.yaml", privacy())
    repo.write("content/terms-of-use.yaml", terms())
    repo.write("checklists/front-desk.yaml", CHECKLIST)
    out = {"check": policy_cli(repo.path, "check")}
    repo.commit("Publish both policies and the front-desk checklist", V1)
    out["site1"] = tmp / "site1"
    built = mkdocs_build(repo.path, out["site1"], today="2026-03-10")
    assert built.returncode == 0, built.stderr
    repo.write("content/terms-of-use.yaml", terms("Be polite to our staff, and to each other."))
    out["diff"] = policy_cli(repo.path, "diff", "--base", "main", today="2026-05-30")
    repo.commit("Terms: conduct towards each other too", V2)
    out["site2"] = tmp / "site2"
    built = mkdocs_build(repo.path, out["site2"], today="2026-06-10")
    assert built.returncode == 0, built.stderr
    out["repo"] = repo
    return out


def contract(site):
    return json.loads((site / "training" / "front-desk" / "checklist.json").read_text(encoding="utf-8"))


def test_a_checklist_may_list_several_policies(story):
    assert story["check"].returncode == 0, story["check"].stderr + story["check"].stdout
    assert "front-desk.yaml: ok (Front desk, 3 items, 2 questions)" in story["check"].stdout


def test_its_page_is_headed_by_its_policies_and_links_each_clause_to_its_own_policy(story):
    page = (story["site1"] / "training" / "front-desk" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<h1[^>]*>Front desk: Privacy Policy and Terms of Use training", page)
    assert 'href="../../terms-of-use/#conduct"' in page and 'href="../../privacy-policy/#collect"' in page
    assert "2 How to behave" in page and "Say so when a caller is rude." in page
    # The completion record names every policy and version trained on.
    assert re.search(r"<dt>Policies</dt><dd>Privacy Policy, version 1, effective 2 March 2026; "
                     r"Terms of Use, version 1, effective 2 March 2026</dd>", page)
    # Two policies may use the same question id: each stays its own question.
    data = contract(story["site1"])
    assert {q["id"] for q in data["questions"]} == {"collect-q", "terms-of-use#keep-q"}
    assert data["versions"] == {"privacy-policy": 1, "terms-of-use": 1}


def test_a_change_to_one_policy_asks_again_only_for_its_items(story):
    diff = story["diff"].stdout
    assert "Checklist item front-desk/behaviour" in diff, diff
    assert "front-desk/collecting" not in diff and "front-desk/definitions" not in diff
    before, after = contract(story["site1"]), contract(story["site2"])
    assert after["versions"] == {"privacy-policy": 1, "terms-of-use": 2}
    changed = {k for k in after["clause_text_sha256"] if after["clause_text_sha256"][k]
               != before["clause_text_sha256"].get(k)}
    assert changed == {"terms-of-use#conduct"}


def test_a_page_trained_on_the_old_terms_cannot_be_recorded_as_the_new(story):
    """The terms changed only in wording (no training edit, the first policy unchanged): the page
    loaded before says which training it was, and the records service refuses it as out of date."""
    before, after = contract(story["site1"]), contract(story["site2"])
    assert before["version"] == after["version"] == 1
    assert before["training_hash"] != after["training_hash"]


def test_a_clause_of_a_policy_the_checklist_does_not_list_is_an_error_at_its_line(tmp_path):
    repo = GitRepo.project(tmp_path / "p", content=False, checklists=False, pdf=False)
    repo.write("content/privacy-policy.yaml", privacy())
    repo.write("content/terms-of-use.yaml", terms())
    repo.write("checklists/front-desk.yaml", CHECKLIST.replace("policy: [privacy-policy, terms-of-use]",
                                                              "policy: privacy-policy"))
    out = policy_cli(repo.path, "check")
    assert out.returncode == 1
    text = out.stdout + out.stderr
    line = int(re.search(r"checklists/front-desk.yaml:(\d+): .*terms-of-use", text).group(1))
    assert "terms-of-use#conduct" in CHECKLIST.splitlines()[line - 1]
