"""The records service against a site really built by `mkdocs build` from a git history: both sides agree."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import subprocess

import pytest

from generator.content.loader import load_policy
from generator.records.app import create_app
from generator.records.scoring import PublishedSite
from gitrepo import GitRepo, mkdocs_build
from records_fixtures import (TestClient, ADMIN_TOKEN, POLICY_BIN, ROOT, answers_key, change_security,  # noqa: F401
                              db_url, pg_server, submission)

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The real project (policy + checklists) with version 1 posted on 5 January 2026, built."""
    base = tmp_path_factory.mktemp("records-site")
    # The PDFs are tested elsewhere; the records service only reads the training contract.
    repo = GitRepo.project(base / "proj", pdf=False)
    repo.commit("Publish the privacy policy", "2026-01-05T10:00:00+13:00")
    site = base / "site-v1"
    result = mkdocs_build(repo.path, site, today="2026-01-10")
    assert result.returncode == 0, result.stderr
    return repo, site


@pytest.fixture
def site(project, tmp_path):
    """A private copy of the built site (tests rebuild it in place)."""
    copy = tmp_path / "site"
    shutil.copytree(project[1], copy)
    return copy


def test_real_checklists_are_scored_by_the_server(site, db_url, project):
    repo, _ = project
    key = answers_key(load_policy(repo.path / "content" / "privacy-policy.yaml"))
    published = PublishedSite(site).checklists()
    assert {c.id for c in published} == {"all-staff", "outbound-calling"}
    with TestClient(create_app(site, db_url, admin_token=ADMIN_TOKEN)) as c:
        for checklist in published:
            data = json.loads((site / "training" / checklist.id / "checklist.json").read_text())
            n = len(checklist.quiz_questions)
            for wrong in (0, 1, 2, 3):
                body = submission(data, key, email=f"w{wrong}@example.nz", wrong=wrong, score=100)
                r = c.post("/api/completions", json=body)
                assert r.status_code == 201, r.text
                expected = math.floor(100 * (n - wrong) / n)
                assert (r.json()["score"], r.json()["total"]) == (expected, n)
                assert r.json()["passed"] is (expected >= data["pass_mark"])
        rows = c.get("/api/completions", headers=ADMIN).json()["records"]
        assert len(rows) == 8


def test_a_new_version_makes_old_pages_stale_and_the_report_names_changed_items(site, db_url, project, tmp_path):
    repo, _ = project
    key = answers_key(load_policy(repo.path / "content" / "privacy-policy.yaml"))
    v1 = json.loads((site / "training" / "all-staff" / "checklist.json").read_text())
    calls_v1 = json.loads((site / "training" / "outbound-calling" / "checklist.json").read_text())
    # A clone of the project history, so this test's second version does not leak into others.
    clone = GitRepo(tmp_path / "proj", init=False)
    clone.path.rmdir()
    GitRepo(tmp_path, init=False).git("clone", "-q", str(repo.path), str(clone.path))
    with TestClient(create_app(site, db_url, admin_token=ADMIN_TOKEN)) as c:
        assert c.post("/api/completions", json=submission(v1, key, name="Ana", email="ana@example.nz")).status_code == 201
        assert c.post("/api/completions", json=submission(calls_v1, key, name="Ana",
                                                          email="ana@example.nz")).status_code == 201

        policy_file = clone.path / "content" / "privacy-policy.yaml"
        policy_file.write_text(change_security(policy_file.read_text()))
        clone.commit("Security: yearly training", "2026-03-02T09:00:00+13:00")
        result = mkdocs_build(clone.path, site, today="2026-03-05")
        assert result.returncode == 0, result.stderr

        r = c.post("/api/completions", json=submission(v1, key, name="Bo", email="bo@example.nz"))
        assert r.status_code == 409 and "reload" in r.json()["message"]
        v2 = json.loads((site / "training" / "all-staff" / "checklist.json").read_text())
        assert v2["version"] == 2
        r = c.post("/api/completions", json=submission(v2, key, name="Bo", email="bo@example.nz"))
        assert r.status_code == 201 and r.json()["version"] == 2

    roster = tmp_path / "staff.csv"
    roster.write_text("email,name\nana@example.nz,Ana Tane\nbo@example.nz,Bo Ruru\ncy@example.nz,Cy Pou\n")
    out = subprocess.run([str(POLICY_BIN), "records", "report", "--site", str(site), "--db", db_url,
                          "--roster", str(roster), "--csv"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = {(r["checklist"], r["email"]): r for r in csv.DictReader(io.StringIO(out.stdout))}
    ana = rows[("all-staff", "ana@example.nz")]
    assert (ana["status"], ana["version_in_force"], ana["version_completed"]) == ("must-redo", "2", "1")
    # Only the security clause changed: its quiz and the acknowledgement that covers it.
    assert ana["items_to_redo"] == ("security (quiz: security); "
                                    "ack-need-to-know (acknowledge: security, disclosure)")
    calls = rows[("outbound-calling", "ana@example.nz")]
    assert calls["status"] == "must-redo" and calls["items_to_redo"].startswith("nz-calling (quiz: security)")
    assert rows[("all-staff", "bo@example.nz")]["status"] == "completed"
    assert rows[("all-staff", "cy@example.nz")]["status"] == "not-started"
    assert rows[("outbound-calling", "bo@example.nz")]["status"] == "not-started"


def test_a_rebuild_under_the_running_service_loses_no_submission(site, project, tmp_path):
    """The README's own flow: `mkdocs build` into site/ while `policy records serve` serves it."""
    import threading

    import httpx

    from records_fixtures import free_port, start_server, stop_server

    repo, _ = project
    key = answers_key(load_policy(repo.path / "content" / "privacy-policy.yaml"))
    v1 = json.loads((site / "training" / "all-staff" / "checklist.json").read_text())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(site, f"sqlite:///{tmp_path / 'r.db'}", port)
    answers: list[tuple[str, int]] = []
    done = threading.Event()

    def keep_asking() -> None:
        i = 0
        with httpx.Client(base_url=base, timeout=30) as client:
            while not done.is_set():
                i += 1
                r = client.post("/api/completions", json=submission(v1, key, name=f"P {i}",
                                                                     email=f"p{i}@example.nz"))
                answers.append(("submit", r.status_code))
                answers.append(("page", client.get("/training/all-staff/").status_code))
                answers.append(("pdf-less page", client.get("/privacy-policy/").status_code))
    asker = threading.Thread(target=keep_asking)
    try:
        asker.start()
        result = mkdocs_build(repo.path, site, today="2026-01-10")  # the same version, rebuilt
        assert result.returncode == 0, result.stderr
        done.set()
        asker.join(60)
    finally:
        done.set()
        stop_server(proc)
    submits = [s for kind, s in answers if kind == "submit"]
    # Was: 13 of 29 submissions "422 unknown checklist" during the rebuild, and pages 404.
    assert len(submits) >= 10 and set(submits) == {201}, answers
    assert {s for kind, s in answers if kind != "submit"} == {200}


def test_served_pages_carry_no_answer_keys_and_the_service_checks_each_answer(site, project, tmp_path):
    import re

    repo, _ = project
    key = answers_key(load_policy(repo.path / "content" / "privacy-policy.yaml"))
    on_disk = (site / "training" / "all-staff" / "index.html").read_text()
    contract = json.loads((site / "training" / "all-staff" / "checklist.json").read_text())
    first = contract["questions"][0]
    built_explanation = re.search(r'data-question="%s".*?<template data-explanation>(.*?)</template>' % first["id"],
                                  on_disk, re.S).group(1)
    # The static build keeps its hashed self-check: a static host has nothing else.
    assert '"answer_hash"' in on_disk and built_explanation
    with TestClient(create_app(site, f"sqlite:///{tmp_path / 'r.db'}", admin_token=ADMIN_TOKEN)) as c:
        page = c.get("/training/all-staff/").text
        served = c.get("/training/all-staff/checklist.json").json()
        # Was: every salt, answer hash and explanation in the page (answers recovered in 2 ms).
        for text in (page, json.dumps(served)):
            assert "answer_hash" not in text and '"salt"' not in text
        assert built_explanation not in page
        data = json.loads(re.search(r'id="training-data">(.*?)</script>', page, re.S).group(1))
        assert data["check"] == "server" and len(data["questions"]) == len(contract["questions"])

        def check(qid, chosen):
            return c.post("/api/check", json={"checklist": "all-staff", "version": contract["version"],
                                              "training_hash": contract["training_hash"],
                                              "question": qid, "answer": chosen})
        right = check(first["id"], key[first["id"]])
        assert right.status_code == 200 and right.json()["correct"] is True
        assert right.json()["explanation_html"] == built_explanation
        wrong = check(first["id"], [ch for ch in first["choices"] if ch not in key[first["id"]]][:1])
        assert wrong.status_code == 200 and wrong.json()["correct"] is False
        assert check("no-such-question", ["a"]).status_code == 400
        assert check(first["id"], ["no-such-choice"]).status_code == 400
        stale = c.post("/api/check", json={"checklist": "all-staff", "version": contract["version"],
                                           "training_hash": "0" * 64, "question": first["id"], "answer": ["a"]})
        assert stale.status_code == 409 and stale.json()["final"] is True

        body = submission(contract, key, quiz_checked="server")
        assert c.post("/api/completions", json=body).status_code == 201
        rows = c.get("/api/completions", headers=ADMIN).json()["records"]
        assert [r["quiz_checked"] for r in rows] == ["server"]
