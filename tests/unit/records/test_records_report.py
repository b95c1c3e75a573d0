"""`policy records report` across two policy versions, with a roster, on real databases."""

from __future__ import annotations

import csv
import io
import subprocess

import pytest

from generator.records.app import create_app
from records_fixtures import (TestClient, ADMIN_TOKEN, POLICY_BIN, ROOT, V1_V2, answers_key, db_url,  # noqa: F401
                              pg_server, policy_v1, policy_v2, publish, site_v1, submission)

ROSTER = """name,email,checklists
Ana Tane,ana@example.nz,
Bob Ruru,BOB@example.nz,
Cara Ngata,cara@example.nz,call-centre
Dan Hohaia,dan@example.nz,all-staff
Eve Kora,eve@example.nz,all-staff; call-centre
Finn Pou,finn@example.nz,call-centre
"""


def report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(POLICY_BIN), "records", "report", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


@pytest.fixture
def two_versions(site_v1, db_url, policy_v1, tmp_path):
    """Completions made on version 1, then version 2 published (security clause changed) and more made."""
    site, v1 = site_v1
    key = answers_key(policy_v1)
    app = create_app(site, db_url, admin_token=ADMIN_TOKEN)
    with TestClient(app) as c:
        def post(checklist, **kw):
            r = c.post("/api/completions", json=submission(checklist, key, **kw))
            assert r.status_code == 201, r.text
            return r.json()
        post(v1["all-staff"], name="Ana T", email="ana@example.nz")
        bob = post(v1["all-staff"], name="Bob", email="bob@example.nz")
        post(v1["call-centre"], name="Bob", email="bob@example.nz")
        v2 = publish(site, policy_v2(tmp_path), 2, V1_V2)
        post(v2["all-staff"], name="Ana T", email="ana@example.nz")
        post(v2["call-centre"], name="Cara", email="cara@example.nz")
        assert post(v2["all-staff"], name="Dan", email="dan@example.nz", wrong=3)["passed"] is False
        post(v2["all-staff"], name="Zed Outsider", email="zed@example.nz")
    roster = tmp_path / "staff.csv"
    roster.write_text(ROSTER)
    return site, db_url, roster, bob["id"]


def section(text: str, checklist: str) -> str:
    start = text.rindex("\n", 0, text.index(f"[{checklist}]")) + 1 if "\n" in text[:text.index(
        f"[{checklist}]")] else 0
    end = text.find("\n\n", start)
    return text[start:end]


def test_report_sorts_staff_for_the_version_in_force(two_versions):
    site, db, roster, bob_id = two_versions
    r = report("--site", str(site), "--db", db, "--roster", str(roster))
    assert r.returncode == 0, r.stderr
    staff = section(r.stdout, "all-staff")
    assert staff.startswith("All staff [all-staff] - privacy-policy version 2 in force, effective 2026-03-02")
    lines = staff.splitlines()
    # Ana is up to date; Bob must redo, Dan has not passed, Eve has not started (Zed is not on it).
    assert lines[1] == "  Up to date: 1 of the 4 people on the roster who must complete it"

    def people_under(heading: str) -> list[str]:
        i = next(n for n, ln in enumerate(lines) if ln.strip().startswith(heading))
        out = []
        for ln in lines[i + 1:]:
            if not ln.startswith("    "):
                break
            if not ln.startswith("      "):
                out.append(ln.split("<")[1].split(">")[0])
        return out
    assert people_under("Completed (2)") == ["ana@example.nz", "zed@example.nz"]
    assert people_under("Completed an earlier version; must redo the changed items (1)") == ["bob@example.nz"]
    # Only the items on the changed security clause, not the unchanged collection ones.
    assert "redo: read-security (read: security, disclosure); quiz-security (quiz: security, disclosure); " \
           "ack-confidential (acknowledge: security)" in staff
    assert "quiz-collection" not in staff
    assert f"record {bob_id}" in staff and "Bob Ruru <bob@example.nz>  version 1" in staff
    assert people_under("Attempted, not passed yet (1)") == ["dan@example.nz"]
    assert "best score 66% on version 2" in staff
    assert people_under("Not started (1)") == ["eve@example.nz"]

    calls = section(r.stdout, "call-centre")
    lines = calls.splitlines()
    assert lines[1] == "  Up to date: 2 of the 5 people on the roster who must complete it"
    assert people_under("Completed (1)") == ["cara@example.nz"]
    # The call-centre checklist's clauses did not change in version 2: Bob's version 1 still holds.
    assert people_under("Completed an earlier version; nothing in this checklist changed since (1)") == [
        "bob@example.nz"]
    # Ana's roster row names no checklist, so she must do them all; Dan only has all-staff.
    assert people_under("Not started (3)") == ["ana@example.nz", "eve@example.nz", "finn@example.nz"]
    assert "dan@example.nz" not in calls
    assert "Ana T <" not in r.stdout  # the roster's spelling of names wins over the typed one


def test_report_csv_for_an_auditor(two_versions):
    site, db, roster, bob_id = two_versions
    r = report("--site", str(site), "--db", db, "--roster", str(roster), "--csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    got = {(x["checklist"], x["email"]): x for x in rows}
    assert len(rows) == 10
    bob = got[("all-staff", "bob@example.nz")]
    assert (bob["status"], bob["version_in_force"], bob["version_completed"], bob["record_id"]) == (
        "must-redo", "2", "1", bob_id)
    assert bob["items_to_redo"].startswith("read-security")
    assert got[("call-centre", "bob@example.nz")]["status"] == "carried-over"
    assert got[("all-staff", "dan@example.nz")]["status"] == "not-passed"
    assert got[("all-staff", "dan@example.nz")]["record_id"] == ""
    assert got[("all-staff", "eve@example.nz")]["status"] == "not-started"
    assert got[("call-centre", "finn@example.nz")]["status"] == "not-started"
    assert ("all-staff", "finn@example.nz") not in got


def test_report_without_roster_says_how_to_list_who_has_not_started(two_versions):
    site, db, _, _ = two_versions
    r = report("--site", str(site), "--db", db)
    assert r.returncode == 0, r.stderr
    assert "Not started: give --roster staff.csv to list who has not started" in r.stdout
    assert "eve@example.nz" not in r.stdout


@pytest.mark.parametrize("text,line,says", [
    ("name,mail\nAna,ana@example.nz\n", 1, "no 'email' column"),
    ("name,email\nAna,ana@example.nz\nBob,bob-at-example\n", 3, "'bob-at-example' is not an email address"),
    ("name,email\nAna,ana@example.nz\nAna,ANA@example.nz\n", 3, "listed twice"),
    ("", 1, "the roster is empty"),
])
def test_bad_roster_is_a_located_error(site_v1, tmp_path, text, line, says):
    db = tmp_path / "r.db"
    create_app(site_v1[0], f"sqlite:///{db}").state.records.start()
    roster = tmp_path / "staff.csv"
    roster.write_text(text)
    r = report("--site", str(site_v1[0]), "--db", f"sqlite:///{db}", "--roster", str(roster))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith(f"{roster}:{line}: ") and says in r.stderr
    assert "Traceback" not in r.stderr


def test_report_errors_are_one_line(tmp_path, site_v1):
    r = report("--site", str(tmp_path / "nowhere"), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert r.returncode == 1 and "no such folder" in r.stderr and "Traceback" not in r.stderr
    r = report("--site", str(site_v1[0]), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert r.returncode == 1 and "no such database" in r.stderr
    empty = tmp_path / "empty-site"
    empty.mkdir()
    r = report("--site", str(empty), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert r.returncode == 1 and "no training checklists published" in r.stderr
