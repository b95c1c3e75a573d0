"""Issue 14, item 4: a completion of a checklist across policies records the version of each."""

from __future__ import annotations

import json
import sqlite3
import uuid

from generator.records.db import SCHEMA_VERSION, Records
from records_fixtures import db_url, pg_server, policy_v1, site_v1  # noqa: F401  (fixtures)


def attempt(versions: str, **over) -> dict:
    values = {"submission_id": uuid.uuid4().hex, "checklist": "front-desk", "policy": "privacy-policy", "version": 1,
              "versions": versions, "training_hash": "t", "name": "Aroha", "email": "aroha@example.org",
              "identity": "aroha@example.org", "identity_source": "typed", "score": 100, "correct": 1,
              "total": 1, "passed": True, "answers": {}, "acknowledged": [], "clause_hashes": {}}
    values.update(over)
    return values


def test_a_pass_after_another_policy_moved_on_is_a_new_record(db_url):  # noqa: F811
    """The first policy is still at version 1; the terms of use went to version 2 and staff redid their items."""
    store = Records(db_url)
    store.start()
    try:
        first = store.store(attempt("privacy-policy=1;terms-of-use=1"))
        same = store.store(attempt("privacy-policy=1;terms-of-use=1", name="Aroha again"))
        later = store.store(attempt("privacy-policy=1;terms-of-use=2"))
        assert first.created and not same.created and later.created
        rows = store.all("front-desk")
        assert [r["versions"] for r in rows] == ["privacy-policy=1;terms-of-use=1", "privacy-policy=1;terms-of-use=2"]
    finally:
        store.close()


def test_a_schema_2_database_gains_the_versions_column(tmp_path):
    path = tmp_path / "old.db"
    store = Records(f"sqlite:///{path}")
    store.start()
    store.store(attempt(""))
    store.close()
    with sqlite3.connect(path) as raw:
        raw.execute("DROP INDEX ux_completions_passed")
        raw.execute("ALTER TABLE completions DROP COLUMN versions")
        raw.execute("CREATE UNIQUE INDEX ux_completions_passed ON completions (identity, checklist, version) "
                    "WHERE passed IS 1")
        raw.execute("UPDATE records_schema SET version = 2")
    again = Records(f"sqlite:///{path}")
    assert again.start() == 2
    try:
        assert [r["versions"] for r in again.all()] == [""]
        assert again.store(attempt("privacy-policy=1;terms-of-use=2")).created
    finally:
        again.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT version FROM records_schema").fetchone()[0] == SCHEMA_VERSION == 3


def rebuilt(site, data: dict) -> dict:
    """Rewrite one checklist.json as a build across two policies would, then mark the build complete."""
    from generator.site.complete import BUILD_COMPLETE, BUILD_COMPLETE_DATA

    (site / "training" / data["checklist"] / "checklist.json").write_text(json.dumps(data, indent=1))
    (site / BUILD_COMPLETE).unlink(missing_ok=True)
    (site / BUILD_COMPLETE).write_bytes(BUILD_COMPLETE_DATA)
    return data


def test_the_service_keeps_the_versions_of_every_policy_trained_on(site_v1, policy_v1, tmp_path):  # noqa: F811
    from generator.records.app import create_app
    from records_fixtures import ADMIN_TOKEN, TestClient, answers_key, submission

    site, published = site_v1
    data = rebuilt(site, {**published["all-staff"], "versions": {"privacy-policy": 1, "terms-of-use": 1}})
    key = answers_key(policy_v1)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with TestClient(create_app(site, f"sqlite:///{tmp_path / 'r.db'}", admin_token=ADMIN_TOKEN)) as c:
        assert c.post("/api/completions", json=submission(data, key)).status_code == 201
        # The terms of use moved on (the first policy did not): the training changed, staff redo it.
        data = rebuilt(site, {**data, "versions": {"privacy-policy": 1, "terms-of-use": 2},
                              "training_hash": "f" * 64})
        again = c.post("/api/completions", json=submission(data, key))
        assert again.status_code == 201, again.text
        rows = c.get("/api/completions", headers=admin).json()["records"]
        csv_text = c.get("/api/completions.csv", headers=admin).text
    assert [r["versions"] for r in rows] == ["privacy-policy=1;terms-of-use=1", "privacy-policy=1;terms-of-use=2"]
    assert "privacy-policy=1;terms-of-use=2" in csv_text
