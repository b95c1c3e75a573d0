"""Issue 13: a record names the right person, says how it knows, and tells nobody else's record."""

from __future__ import annotations

import csv
import io
import json

import pytest

from generator.errors import PolicyError
from generator.records.app import create_app
from records_fixtures import (TestClient, ADMIN_TOKEN, answers_key, db_url, pg_server, policy_v1,  # noqa: F401
                              site_v1, submission)

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PROXY = ("127.0.0.1", 40000)
STRANGER = ("203.0.113.9", 40000)


@pytest.fixture
def staff(site_v1, policy_v1):
    return site_v1[1]["all-staff"], answers_key(policy_v1)


@pytest.fixture
def typed(site_v1, tmp_path):
    with TestClient(create_app(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}", admin_token=ADMIN_TOKEN)) as c:
        yield c


def proxied(site, db, client=PROXY, **kwargs):
    app = create_app(site, db, identity_header="X-Forwarded-Email", admin_token=ADMIN_TOKEN, **kwargs)
    return TestClient(app, client=client)


def rows(client) -> list[dict]:
    r = client.get("/api/completions", headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()["records"]


@pytest.mark.parametrize("char", ["\u200b", "\u200f", "\u061c", "\ufeff", "\u2028", "\u009b", "\t"])
@pytest.mark.parametrize("field", ["name", "email"])
def test_invisible_and_bidi_characters_are_refused_naming_the_field(typed, staff, field, char):
    checklist, key = staff
    value = {"name": f"Ana{char} Tane", "email": f"ana{char}@example.nz"}[field]
    r = typed.post("/api/completions", json=submission(checklist, key, **{field: value}))
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field and f"U+{ord(char):04X}" in r.json()["message"]
    assert rows(typed) == []


def test_a_second_submission_for_a_passed_email_learns_only_the_date(typed, staff):
    checklist, key = staff
    forged = typed.post("/api/completions", json=submission(checklist, key, name="Eve Forger",
                                                            email="ana@example.nz"))
    assert forged.status_code == 201
    real = typed.post("/api/completions", json=submission(checklist, key, name="Ana Tane",
                                                          email="ana@example.nz", submission_id="real-1"))
    assert real.status_code == 200
    body = real.json()
    day = forged.json()["created_at"][:10]
    assert body["message"] == f"Already recorded on {day}."
    text = json.dumps(body)
    for secret in (forged.json()["id"], "Eve Forger", '"score"', '"name"'):
        assert secret not in text, secret
    # The browser that made a record, retrying with its own submission id, gets it back whole.
    again = typed.post("/api/completions", json=submission(checklist, key, name="Eve Forger",
                                                           email="ana@example.nz",
                                                           submission_id=forged.json().get("submission_id")))
    assert again.status_code == 200


def test_a_retry_with_its_own_submission_id_gets_its_record(typed, staff):
    checklist, key = staff
    first = typed.post("/api/completions", json=submission(checklist, key, submission_id="s-1"))
    again = typed.post("/api/completions", json=submission(checklist, key, submission_id="s-1"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["score"] == 100


def test_every_record_says_how_its_identity_was_established(site_v1, tmp_path, staff):
    checklist, key = staff
    db = f"sqlite:///{tmp_path / 'both.db'}"
    with TestClient(create_app(site_v1[0], db, admin_token=ADMIN_TOKEN)) as c:
        assert c.post("/api/completions", json=submission(checklist, key, email="ana@example.nz")).status_code == 201
    with proxied(site_v1[0], db) as c:
        r = c.post("/api/completions", json=submission(checklist, key),
                   headers={"X-Forwarded-Email": "bo@corp.example"})
        assert r.status_code == 201
        assert sorted((x["email"], x["identity_source"]) for x in rows(c)) == [
            ("ana@example.nz", "typed"), ("bo@corp.example", "proxy")]
        listing = list(csv.DictReader(io.StringIO(c.get("/api/completions.csv", headers=ADMIN).text)))
        assert sorted(x["identity_source"] for x in listing) == ["proxy", "typed"]


def test_proxy_header_is_refused_from_anywhere_but_the_proxy(site_v1, tmp_path, staff):
    checklist, key = staff
    with proxied(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}", client=STRANGER) as c:
        r = c.post("/api/completions", json=submission(checklist, key),
                   headers={"X-Forwarded-Email": "ceo@example.com"})
        assert r.status_code == 403 and r.headers["content-type"] == "application/json"
        assert "trusted proxy" in r.json()["message"]
    # A proxy on another address is trusted when named.
    with proxied(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}", client=STRANGER,
                 trusted_proxies=["203.0.113.0/24"]) as c:
        r = c.post("/api/completions", json=submission(checklist, key),
                   headers={"X-Forwarded-Email": "ceo@example.com", "X-Forwarded-For": "198.51.100.7"})
        assert r.status_code == 201
        assert rows(c)[0]["address"] == "198.51.100.7"


@pytest.mark.parametrize("value,says", [
    ("not-an-email", "not an email address"), ("ana\t@corp.example", "U+0009"),
    ("ana\u009b@corp.example", "U+009B"), ("ana\u200b@corp.example", "U+200B"),
])
def test_proxy_header_that_is_not_an_email_is_refused(site_v1, tmp_path, staff, value, says):
    checklist, key = staff
    with proxied(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}") as c:
        r = c.post("/api/completions", json=submission(checklist, key),
                   headers={"X-Forwarded-Email": value.encode("utf-8")})
        assert r.status_code == 400 and says in r.json()["message"], r.text
        assert rows(c) == []


def test_a_repeated_proxy_header_is_refused(site_v1, tmp_path, staff):
    checklist, key = staff
    with proxied(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}") as c:
        r = c.post("/api/completions", content=json.dumps(submission(checklist, key)).encode(),
                   headers=[("Content-Type", "application/json"), ("X-Forwarded-Email", "ceo@example.com"),
                            ("X-Forwarded-Email", "ana@corp.example")])
        assert r.status_code == 400 and "more than once" in r.json()["message"]
        assert rows(c) == []


def test_deeply_nested_json_is_400_not_500(typed, staff):
    checklist, key = staff
    body = submission(checklist, key)
    raw = json.dumps(body)[:-1] + ', "extra": ' + "[" * 1000 + "]" * 1000 + "}"
    r = typed.post("/api/completions", content=raw.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "nested" in r.json()["message"]
    # Brackets inside strings are text, not nesting.
    r = typed.post("/api/completions", json=submission(checklist, key, name="[[[[[[[[[[[[[[[[[[[[[[[["))
    assert r.status_code == 201


def test_submissions_are_rate_limited_per_person_and_per_address(site_v1, tmp_path, staff):
    checklist, key = staff
    app = create_app(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}", admin_token=ADMIN_TOKEN)
    with TestClient(app) as c:
        codes = [c.post("/api/completions", json=submission(checklist, key, wrong=9, email="victim@example.nz",
                                                           name=f"Try {i}")).status_code for i in range(40)]
        assert codes[0] == 201 and codes[-1] == 429
        assert codes.count(201) == 20
        r = c.post("/api/completions", json=submission(checklist, key, email="victim@example.nz"))
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "too many" in r.json()["message"]
        # Someone else from the same office address is not held up by it.
        assert c.post("/api/completions", json=submission(checklist, key, email="bo@example.nz")).status_code == 201
        assert len(rows(c)) == 21


def test_address_limit(site_v1, tmp_path, staff):
    from generator.records.limits import Rate

    checklist, key = staff
    app = create_app(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}", admin_token=ADMIN_TOKEN,
                     address_rate=Rate(5, 60))
    with TestClient(app) as c:
        codes = [c.post("/api/completions", json=submission(checklist, key, email=f"p{i}@example.nz")).status_code
                 for i in range(7)]
        assert codes == [201] * 5 + [429] * 2


def test_admin_token_guesses_are_throttled(typed):
    codes = [typed.get("/api/completions", headers={"Authorization": f"Bearer guess-{i}"}).status_code
             for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    # Even the right token waits: the guesser cannot tell a hit from the throttle.
    assert typed.get("/api/completions", headers=ADMIN).status_code == 429


def test_a_short_admin_token_is_refused_at_start(site_v1, tmp_path):
    with pytest.raises(PolicyError, match="at least 32 characters"):
        create_app(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}", admin_token="x")


def test_the_report_says_which_records_are_self_declared(site_v1, tmp_path, staff):
    import sqlite3
    import subprocess

    from records_fixtures import POLICY_BIN

    checklist, key = staff
    db = tmp_path / "r.db"
    with TestClient(create_app(site_v1[0], f"sqlite:///{db}", admin_token=ADMIN_TOKEN)) as c:
        assert c.post("/api/completions", json=submission(checklist, key, name="Ana Tane",
                                                          email="ana@example.nz")).status_code == 201
    with proxied(site_v1[0], f"sqlite:///{db}") as c:
        assert c.post("/api/completions", json=submission(checklist, key, name="Bo Ruru"),
                      headers={"X-Forwarded-Email": "bo@corp.example"}).status_code == 201
    # A record kept before names were checked, with a C1 control in it (an older release).
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE completions SET name = 'Bo \u009b31m Ruru' WHERE email = 'bo@corp.example'")

    def report(*extra):
        r = subprocess.run([str(POLICY_BIN), "records", "report", "--site", str(site_v1[0]),
                            "--db", f"sqlite:///{db}", *extra], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    text = report()
    assert "typed records are self-declared" in text
    ana = next(line for line in text.splitlines() if "ana@example.nz" in line)
    bo = next(line for line in text.splitlines() if "bo@corp.example" in line)
    assert "identity typed (self-declared)" in ana and "identity from the sign-in proxy" in bo
    assert "\u009b" not in text and "Bo \\x9b31m Ruru" in bo
    rows = list(csv.DictReader(io.StringIO(report("--csv"))))
    assert {r["email"]: r["identity_source"] for r in rows if r["email"]} == {
        "ana@example.nz": "typed", "bo@corp.example": "proxy"}


def test_with_sign_in_nothing_but_the_session_names_the_person(site_v1, tmp_path, staff):
    from generator.records.oidc import OidcSettings

    checklist, key = staff
    settings = OidcSettings("http://127.0.0.1:9", "policy-records", "secret")
    app = create_app(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}", admin_token=ADMIN_TOKEN, oidc=settings)
    with TestClient(app, client=PROXY) as c:
        health = c.get("/api/health").json()
        assert (health["identity"], health["signed_in"], health["login"]) == ("oidc", False, "api/login")
        for headers in ({}, {"X-Forwarded-Email": "ceo@example.com"},
                        {"Cookie": "policy_records_session=eyJwZXJzb24iOiB7ImVtYWlsIjogImNlb0BleGFtcGxlLmNvbSJ9fQ=="}):
            r = c.post("/api/completions", json=submission(checklist, key, email="ceo@example.com"), headers=headers)
            assert r.status_code == 401 and "sign in" in r.json()["message"], r.text
        # A sign-in may only send the person back to this site.
        r = c.get("/api/login?next=//evil.example/", follow_redirects=False)
        assert r.status_code in (302, 503)
        assert rows(c) == []
    with pytest.raises(PolicyError, match="not both"):
        create_app(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}", oidc=settings, identity_header="X-Email")


def test_next_after_sign_in_stays_on_this_site():
    from generator.records.oidc import _safe_next

    assert _safe_next("/training/all-staff/") == "/training/all-staff/"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", "", None, "javascript:alert(1)"):
        assert _safe_next(bad) == "/"


def test_a_roster_email_with_an_invisible_character_is_refused_at_its_line(site_v1, tmp_path):
    import subprocess

    from records_fixtures import POLICY_BIN

    roster = tmp_path / "staff.csv"
    roster.write_text("email,name\nana@example.nz,Ana\nbo\u200b@example.nz,Bo\n", encoding="utf-8")
    with TestClient(create_app(site_v1[0], f"sqlite:///{tmp_path / 'r.db'}", admin_token=ADMIN_TOKEN)):
        pass
    r = subprocess.run([str(POLICY_BIN), "records", "report", "--site", str(site_v1[0]), "--db",
                        f"sqlite:///{tmp_path / 'r.db'}", "--roster", str(roster)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and r.stderr.startswith(f"{roster}:3: the email contains the character U+200B")
    assert "Traceback" not in r.stderr
