"""The completions API against real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading

import pytest

from generator.errors import PolicyError
from generator.records.app import create_app
from generator.records.db import SCHEMA_VERSION, Records
from records_fixtures import (TestClient, ADMIN_TOKEN, V1_V2, answers_key, db_url, pg_server, policy_v1,  # noqa: F401
                              policy_v2, publish, site_v1, submission)

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def client(site_v1, db_url):
    site, _ = site_v1
    with TestClient(create_app(site, db_url, admin_token=ADMIN_TOKEN)) as c:
        yield c


@pytest.fixture
def staff(site_v1, policy_v1):
    """The published all-staff checklist and the right answers."""
    return site_v1[1]["all-staff"], answers_key(policy_v1)


def listing(client) -> list[dict]:
    r = client.get("/api/completions", headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()["records"]


def test_passing_completion_is_stored_and_resubmission_returns_it(client, staff):
    checklist, key = staff
    r = client.post("/api/completions", json=submission(checklist, key),
                    headers={"User-Agent": "TrainingBrowser/1.0"})
    assert r.status_code == 201, r.text
    first = r.json()
    assert len(first["id"]) == 32 and first["passed"] is True and first["score"] == 100
    assert first["message"].startswith("Recorded")

    # Same person (email in another case), checklist and version: the kept record, not a new one.
    again = submission(checklist, key, email="ANA@Example.NZ", wrong=5)
    r = client.post("/api/completions", json=again)
    assert r.status_code == 200, r.text
    assert r.json()["message"] == f"Already recorded on {first['created_at'][:10]}."

    rows = listing(client)
    assert len(rows) == 1
    row = rows[0]
    assert row["user_agent"] == "TrainingBrowser/1.0" and row["address"] == "testclient"
    assert row["version"] == 1 and row["training_hash"] == checklist["training_hash"]
    assert row["clause_hashes"] == checklist["clause_text_sha256"]
    assert row["created_at"].endswith("+00:00")


def test_server_scores_and_ignores_a_forged_score(client, staff):
    checklist, key = staff
    n = sum(len(i["questions"]) for i in checklist["items"] if i["kind"] == "quiz")
    assert n == 9  # the real questions on collection, call recording, security and disclosure
    forged = submission(checklist, key, wrong=2, score=100, passed=True, correct=n)
    r = client.post("/api/completions", json=forged)
    assert r.status_code == 201
    body = r.json()
    # 7 of 9 right: floor(700 / 9) = 77, under the pass mark of 80.
    assert (body["score"], body["passed"], body["correct"], body["total"]) == (77, False, 7, 9)
    assert len(body["wrong"]) == 2 and "below the pass mark" in body["message"]

    # One wrong is 88%: a pass. Failing first does not block passing later.
    r = client.post("/api/completions", json=submission(checklist, key, wrong=1))
    assert r.status_code == 201 and r.json()["score"] == 88 and r.json()["passed"] is True
    assert [(x["score"], x["passed"]) for x in listing(client)] == [(77, False), (88, True)]


def test_every_acknowledgement_is_needed_to_pass(client, staff):
    checklist, key = staff
    r = client.post("/api/completions", json=submission(checklist, key, acknowledge=False))
    assert r.status_code == 201
    assert r.json()["score"] == 100 and r.json()["passed"] is False
    assert r.json()["missing_acknowledgements"] == ["ack-confidential"]


def test_answers_naming_unknown_questions_or_choices_are_refused(client, staff):
    checklist, key = staff
    body = submission(checklist, key)
    body["answers"]["made-up-question"] = ["a"]
    r = client.post("/api/completions", json=body)
    assert r.status_code == 400 and r.json()["field"] == "answers.made-up-question"
    body = submission(checklist, key)
    body["answers"]["security-nz-calls"] = ["not-a-choice"]
    r = client.post("/api/completions", json=body)
    assert r.status_code == 400 and "not a choice" in r.json()["message"]
    body = submission(checklist, key, acknowledged=["ack-invented"])
    r = client.post("/api/completions", json=body)
    assert r.status_code == 400 and r.json()["field"] == "acknowledged"
    assert listing(client) == []


def test_unknown_checklist_or_version_is_422(client, staff):
    checklist, key = staff
    r = client.post("/api/completions", json=submission(checklist, key, checklist="no-such-checklist"))
    assert r.status_code == 422
    assert r.json() == {"message": "unknown checklist 'no-such-checklist'", "field": "checklist", "final": True}
    for bad in ("../../etc", "All-Staff", "all-staff/", ".."):
        r = client.post("/api/completions", json=submission(checklist, key, checklist=bad))
        assert r.status_code == 422, bad
    r = client.post("/api/completions", json=submission(checklist, key, checklist="a\x00b"))
    assert r.status_code == 400 and r.json()["field"] == "checklist"
    r = client.post("/api/completions", json=submission(checklist, key, version=7))
    assert r.status_code == 422 and r.json()["field"] == "version"
    assert "unknown version 7" in r.json()["message"]


def test_stale_training_is_409_after_a_rebuild(client, staff, site_v1, tmp_path):
    checklist, key = staff
    r = client.post("/api/completions", json=submission(checklist, key, training_hash="0" * 64))
    assert r.status_code == 409 and "reload" in r.json()["message"]

    # A new version is merged and the site rebuilt while the service runs: a page loaded
    # before the rebuild carries version 1 and its hash, which are no longer current.
    site, _ = site_v1
    new = publish(site, policy_v2(tmp_path), 2, V1_V2)["all-staff"]
    r = client.post("/api/completions", json=submission(checklist, key))
    assert r.status_code == 409
    assert "reload the page" in r.json()["message"] and r.json()["current_version"] == 2
    r = client.post("/api/completions", json=submission(new, key))
    assert r.status_code == 201 and r.json()["version"] == 2


@pytest.mark.parametrize("field", ["checklist", "version", "training_hash", "name", "email",
                                   "answers", "acknowledged"])
def test_missing_field_is_400_naming_it(client, staff, field):
    checklist, key = staff
    body = submission(checklist, key)
    del body[field]
    r = client.post("/api/completions", json=body)
    assert r.status_code == 400
    assert r.json() == {"message": f"missing field '{field}'", "field": field, "final": True}


@pytest.mark.parametrize("field,value,says", [
    ("version", "1", "must be a whole number"), ("version", True, "must be a whole number"),
    ("name", "   ", "is empty"), ("email", "not-an-email", "is not an email address"),
    ("answers", ["x"], "must be an object"), ("acknowledged", "ack-confidential", "must be a list"),
    ("name", "x" * 201, "longer than 200"),
    # PostgreSQL refuses NUL (the database error was a 503, so the page resent it forever);
    # a line break would forge a line of the text report.
    ("name", "Ana\x00", "U+0000"), ("name", "Ana\n    Eve <eve@example.nz>  version 1", "U+000A"),
    ("name", "Ana \u202eenaT", "U+202E"), ("email", "ana\x00@example.nz", "U+0000"),
])
def test_wrong_field_is_400_naming_it(client, staff, field, value, says):
    checklist, key = staff
    r = client.post("/api/completions", json=submission(checklist, key, **{field: value}))
    assert r.status_code == 400 and r.json()["field"] == field and says in r.json()["message"]


def test_lone_surrogates_are_400_not_a_server_error(client, staff):
    """UTF-8 cannot store an unpaired surrogate: it was a 500, which the page retries forever."""
    checklist, key = staff
    qid = next(iter(submission(checklist, key)["answers"]))
    for path, value, field in ((("name",), "Ana \ud800", "name"),
                               (("answers", qid), ["\udfff"], f"answers.{qid}"),
                               (("acknowledged",), ["\ud800"], "acknowledged")):
        body = submission(checklist, key)
        target = body
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        r = client.post("/api/completions", content=json.dumps(body).encode("ascii"),
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (field, r.text)
        assert r.json()["field"] == field and "not allowed" in r.json()["message"]
    assert listing(client) == []


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_json_is_400(client, raw):
    r = client.post("/api/completions", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    assert "JSON" in r.json()["message"]


def test_only_json_is_accepted_so_other_sites_cannot_post_forms(client, staff):
    checklist, key = staff
    raw = json.dumps(submission(checklist, key))
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
        headers = {"Content-Type": kind} if kind else {}
        r = client.post("/api/completions", content=raw, headers=headers)
        assert r.status_code == 415 and "application/json" in r.json()["message"], kind
    r = client.post("/api/completions", content=raw, headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201
    assert len(listing(client)) == 1


def test_body_over_64_kb_is_413(client, staff):
    checklist, key = staff
    body = submission(checklist, key, name="x" * 70_000)
    r = client.post("/api/completions", json=body)
    assert r.status_code == 413 and "64 KB" in r.json()["message"]

    def chunks():  # no Content-Length: the limit must hold while reading
        for _ in range(20):
            yield b" " * 4096
    r = client.post("/api/completions", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "64 KB" in r.json()["message"]
    # Just under the limit is read (and then judged on its content).
    padded = json.dumps(submission(checklist, key)).encode()
    padded += b" " * (64 * 1024 - len(padded))
    r = client.post("/api/completions", content=padded, headers={"Content-Type": "application/json"})
    assert r.status_code == 201
    assert len(listing(client)) == 1


def test_admin_listing_needs_the_token(client, staff):
    checklist, key = staff
    client.post("/api/completions", json=submission(checklist, key, name="=HYPERLINK(\"http://x\")"))
    for i, headers in enumerate(({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN},
                                 {"Authorization": f"Basic {ADMIN_TOKEN}"},
                                 {"Authorization": f"Bearer {ADMIN_TOKEN}x"})):
        for path in ("/api/completions", "/api/completions.csv")[i % 2:][:1]:
            r = client.get(path, headers=headers)
            assert r.status_code == 401, (path, headers)
            assert "token" in r.json()["message"] and r.headers["www-authenticate"].startswith("Bearer")
    r = client.get("/api/completions", headers=ADMIN)
    assert r.json()["count"] == 1
    r = client.get("/api/completions.csv", headers=ADMIN)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1 and rows[0]["email"] == "ana@example.nz" and rows[0]["passed"] == "yes"
    # A typed name must never run as a formula in the auditor's spreadsheet.
    assert rows[0]["name"].startswith("'=HYPERLINK")
    r = client.get("/api/completions?checklist=call-centre", headers=ADMIN)
    assert r.json()["count"] == 0
    # Not whole numbers, or past the database's integer: 400, where these were 500s.
    for bad in ("\u00b2", "1.5", "-1", "9" * 12):
        r = client.get("/api/completions", params={"version": bad}, headers=ADMIN)
        assert r.status_code == 400 and r.json()["field"] == "version", bad
    assert client.get("/api/completions?version=1", headers=ADMIN).json()["count"] == 1


def test_admin_listing_is_off_without_a_configured_token(site_v1, tmp_path, monkeypatch):
    monkeypatch.delenv("POLICY_RECORDS_ADMIN_TOKEN", raising=False)
    with TestClient(create_app(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}")) as c:
        r = c.get("/api/completions", headers={"Authorization": "Bearer "})
        assert r.status_code == 401 and "POLICY_RECORDS_ADMIN_TOKEN" in r.json()["message"]
    monkeypatch.setenv("POLICY_RECORDS_ADMIN_TOKEN", "from-the-environment-at-least-32-chars")
    with TestClient(create_app(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}")) as c:
        assert c.get("/api/completions", headers={"Authorization": "Bearer from-the-environment-at-least-32-chars"}).status_code == 200


def test_identity_header_replaces_the_typed_email(site_v1, db_url, staff):
    checklist, key = staff
    app = create_app(site_v1[0], db_url, identity_header="X-Forwarded-Email", admin_token=ADMIN_TOKEN)
    with TestClient(app, client=("127.0.0.1", 40000)) as c:
        sso = {"X-Forwarded-Email": "Ana.Tane@corp.example"}
        r = c.post("/api/completions", json=submission(checklist, key, email="someone-else@x.nz"), headers=sso)
        assert r.status_code == 201 and r.json()["email"] == "Ana.Tane@corp.example"
        # Whatever is typed, the proxy's identity decides who this is.
        r2 = c.post("/api/completions", json=submission(checklist, key, email="third@x.nz"), headers=sso)
        assert r2.status_code == 200 and r2.json()["recorded_on"] == r.json()["created_at"][:10]
        # The typed email is not even needed behind the proxy.
        body = submission(checklist, key)
        del body["email"]
        r3 = c.post("/api/completions", json=body, headers={"X-Forwarded-Email": "bo@corp.example"})
        assert r3.status_code == 201
        r4 = c.post("/api/completions", json=submission(checklist, key))
        assert r4.status_code == 401 and "X-Forwarded-Email" in r4.json()["message"]
        rows = c.get("/api/completions", headers=ADMIN).json()["records"]
        assert sorted((x["email"], x["identity_source"]) for x in rows) == [
            ("Ana.Tane@corp.example", "proxy"), ("bo@corp.example", "proxy")]
        # A proxy's UTF-8 identity is not refused: its bytes 0x80-0x9f are not control characters.
        r5 = c.post("/api/completions", json=submission(checklist, key),
                    headers={"X-Forwarded-Email": "łucja@corp.example".encode()})
        assert r5.status_code == 201, r5.text


def test_no_cross_origin_access_unless_configured(site_v1, tmp_path):
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    with TestClient(create_app(site_v1[0], f"sqlite:///{tmp_path / 'a.db'}")) as c:
        r = c.options("/api/completions", headers=preflight)
        assert "access-control-allow-origin" not in r.headers
        r = c.get("/api/health", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in r.headers
    app = create_app(site_v1[0], f"sqlite:///{tmp_path / 'b.db'}", cors_origins=["https://intranet.example"])
    with TestClient(app) as c:
        r = c.options("/api/completions", headers={**preflight, "Origin": "https://intranet.example"})
        assert r.headers["access-control-allow-origin"] == "https://intranet.example"
        r = c.options("/api/completions", headers=preflight)
        assert r.headers.get("access-control-allow-origin") != "https://elsewhere.example"


def test_site_is_served_at_the_root_and_api_errors_are_json(client):
    r = client.get("/")
    assert r.status_code == 200 and "<h1>Policies</h1>" in r.text
    r = client.get("/training/all-staff/")
    assert r.status_code == 200 and "All staff" in r.text
    r = client.get("/training/all-staff/checklist.json")
    assert r.json()["checklist"] == "all-staff"
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json()["message"].startswith("no such API endpoint")
    r = client.put("/api/completions", json={})
    assert r.status_code == 405 and "not allowed" in r.json()["message"]
    assert client.get("/no-such-page/").status_code == 404


def test_concurrent_submissions_keep_one_passed_record(site_v1, db_url, staff):
    """Twenty simultaneous passes by one person give one record, and every caller gets its id."""
    checklist, key = staff
    store = Records(db_url)
    store.start()
    app = create_app(site_v1[0], store, admin_token=ADMIN_TOKEN)
    results: list[tuple[int, str]] = []
    with TestClient(app) as c:
        barrier = threading.Barrier(20)

        def go(i: int) -> None:
            barrier.wait()
            r = c.post("/api/completions", json=submission(checklist, key, name=f"Ana {i}"))
            results.append((r.status_code, r.json().get("id") or r.json()["recorded_on"]))
        threads = [threading.Thread(target=go, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(s for s, _ in results) == [200] * 19 + [201]
        # The one record made; the others are told only the day it was made on.
        made = next(rid for s, rid in results if s == 201)
        assert len(made) == 32
        assert {rid for s, rid in results if s == 200} == {listing(c)[0]["created_at"][:10]}
        assert len(listing(c)) == 1


def test_a_retried_submission_id_is_stored_once(client, staff):
    checklist, key = staff
    body = submission(checklist, key, wrong=3, submission_id="c0ffee00-0000-4000-8000-000000000001")
    first = client.post("/api/completions", json=body)
    again = client.post("/api/completions", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["passed"] is False
    assert len(listing(client)) == 1
    # Someone else's submission with the same id is theirs, not a way to read Ana's record.
    other = client.post("/api/completions", json={**body, "email": "bo@example.nz"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert other.json()["email"] == "bo@example.nz"


def test_sqlite_is_wal_with_full_sync(tmp_path):
    path = tmp_path / "records.db"
    store = Records(f"sqlite:///{path}")
    store.start()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.close()
    # WAL mode is a property of the file: a plain sqlite3 connection sees it too.
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("SELECT version FROM records_schema").fetchone()[0] == SCHEMA_VERSION


def test_schema_is_created_once_and_a_newer_schema_is_refused(db_url):
    store = Records(db_url)
    assert store.start() == 0
    store.close()
    again = Records(db_url)
    assert again.start() == SCHEMA_VERSION
    with again.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE records_schema SET version = 99")
    again.close()
    with pytest.raises(PolicyError, match="schema is version 99, newer than this program"):
        Records(db_url).start()


def test_an_older_schema_is_upgraded_on_start_and_keeps_its_records(site_v1, db_url, staff):
    checklist, key = staff
    with TestClient(create_app(site_v1[0], db_url, admin_token=ADMIN_TOKEN)) as c:
        kept = c.post("/api/completions", json=submission(checklist, key)).json()["id"]
    old = Records(db_url)
    with old.engine.begin() as conn:  # as a database left by an earlier release would say
        conn.exec_driver_sql("UPDATE records_schema SET version = 0")
    old.close()
    with TestClient(create_app(site_v1[0], db_url, admin_token=ADMIN_TOKEN)) as c:
        assert [r["id"] for r in listing(c)] == [kept]
    again = Records(db_url)
    assert again.start() == SCHEMA_VERSION  # upgraded by the server above, found current now
    again.close()


def test_a_schema_1_database_is_upgraded_and_its_proxy_records_say_so(site_v1, tmp_path, staff):
    """Release 1 wrote identity_source "header" and had no instance id or quiz_checked column."""
    checklist, key = staff
    path = tmp_path / "old.db"
    with TestClient(create_app(site_v1[0], f"sqlite:///{path}", admin_token=ADMIN_TOKEN)) as c:
        kept = c.post("/api/completions", json=submission(checklist, key)).json()["id"]
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE completions SET identity_source = 'header'")
        raw.execute("ALTER TABLE completions DROP COLUMN quiz_checked")
        raw.execute("ALTER TABLE records_schema DROP COLUMN instance")
        raw.execute("UPDATE records_schema SET version = 1")
    with TestClient(create_app(site_v1[0], f"sqlite:///{path}", admin_token=ADMIN_TOKEN)) as c:
        rows = listing(c)
    assert [(r["id"], r["identity_source"], r["quiz_checked"]) for r in rows] == [(kept, "proxy", "page")]
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT version, length(instance) FROM records_schema").fetchone() == (SCHEMA_VERSION, 32)


def test_unreachable_database_is_one_clear_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot open the records database"):
        Records(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}").start()
    with pytest.raises(PolicyError, match="not a database URL"):
        Records("records.db")


@pytest.mark.postgres
def test_database_gone_is_503_so_the_page_sends_again(site_v1, pg_server, staff):
    checklist, key = staff
    url = pg_server.create_database("records_goes_away")
    with TestClient(create_app(site_v1[0], url, admin_token=ADMIN_TOKEN)) as c:
        assert c.post("/api/completions", json=submission(checklist, key)).status_code == 201
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=pg_server.port, user="postgres", dbname="postgres",
                             autocommit=True) as admin:
            admin.execute('DROP DATABASE "records_goes_away" WITH (FORCE)')
        r = c.post("/api/completions", json=submission(checklist, key, email="bo@example.nz"))
        assert r.status_code == 503 and "sent again" in r.json()["message"]
