"""Issue 13: nothing acknowledged is lost, and nothing is acknowledged that was not kept.

Each accident is run against the real service process and a real SQLite file, counting the
acknowledged records before and after.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx

from records_fixtures import (ADMIN_TOKEN, POLICY_BIN, answers_key, free_port, policy_v1, site_v1,  # noqa: F401
                              start_server, stop_server, submission)

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def post_many(base: str, checklist: dict, key: dict, tag: str, n: int) -> list[tuple[int, dict]]:
    out = []
    for i in range(n):
        r = httpx.post(f"{base}/api/completions", timeout=30,
                       json=submission(checklist, key, name=f"{tag} {i}", email=f"{tag}{i}@example.nz"))
        out.append((r.status_code, r.json()))
    return out


def acknowledged(results) -> set[str]:
    return {body["id"] for status, body in results if status == 201}


def ids_in(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM completions")}


def test_database_removed_while_running_is_503_and_kept_records_are_rescued(site_v1, policy_v1, tmp_path):
    site, published = site_v1
    checklist, key = published["all-staff"], answers_key(policy_v1)
    db = tmp_path / "records.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(site, f"sqlite:///{db}", port)
    try:
        before = post_many(base, checklist, key, "before", 20)
        assert [s for s, _ in before] == [201] * 20
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        after = post_many(base, checklist, key, "after", 5)
        # Was: 201 for each, into the deleted file. Now nothing more is acknowledged.
        assert [s for s, _ in after] == [503] * 5
        assert "was removed" in after[0][1]["message"] and "sent again" in after[0][1]["message"]
        health = httpx.get(f"{base}/api/health")
        assert health.status_code == 503 and health.json()["ok"] is False
    finally:
        stop_server(proc)
    rescued = list(tmp_path.glob("records.db.rescued-*"))
    assert len(rescued) == 1 and ids_in(rescued[0]) >= acknowledged(before)

    # A restart would silently begin an empty database; the marker stops it.
    r = subprocess.run([str(POLICY_BIN), "records", "serve", "--site", str(site), "--db", f"sqlite:///{db}",
                        "--port", str(free_port())], capture_output=True, text=True, timeout=60,
                       env={"POLICY_RECORDS_ADMIN_TOKEN": ADMIN_TOKEN, "PATH": "/usr/bin:/bin"})
    assert r.returncode == 1, r.stderr
    assert "is not the database this service last recorded into" in r.stderr and "--new-database" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    # Restored from the rescue copy, it starts and has everything that was acknowledged.
    rescued[0].rename(db)
    proc = start_server(site, f"sqlite:///{db}", port)
    try:
        rows = httpx.get(f"{base}/api/completions", headers=ADMIN).json()["records"]
        assert {x["id"] for x in rows} >= acknowledged(before)
    finally:
        stop_server(proc)


def test_an_empty_database_is_used_only_when_asked(site_v1, tmp_path, policy_v1):
    site, published = site_v1
    db = tmp_path / "records.db"
    port = free_port()
    proc = start_server(site, f"sqlite:///{db}", port)
    try:
        assert post_many(f"http://127.0.0.1:{port}", published["all-staff"], answers_key(policy_v1),
                         "p", 1)[0][0] == 201
    finally:
        stop_server(proc)
    db.unlink()
    Path(f"{db}-wal").unlink(missing_ok=True)
    proc = start_server(site, f"sqlite:///{db}", port, "--new-database")
    stop_server(proc)


def test_a_new_service_on_a_fresh_database_needs_no_flag(site_v1, tmp_path):
    port = free_port()
    proc = start_server(site_v1[0], f"sqlite:///{tmp_path / 'fresh.db'}", port)
    stop_server(proc)
    # Stopped before any record was kept: a fresh database again is not a loss.
    (tmp_path / "fresh.db").unlink()
    proc = start_server(site_v1[0], f"sqlite:///{tmp_path / 'fresh.db'}", port)
    stop_server(proc)


def test_log_removed_before_a_crash_loses_nothing_acknowledged(site_v1, policy_v1, tmp_path):
    site, published = site_v1
    checklist, key = published["all-staff"], answers_key(policy_v1)
    db = tmp_path / "records.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(site, f"sqlite:///{db}", port)
    try:
        before = post_many(base, checklist, key, "before", 40)
        assert [s for s, _ in before] == [201] * 40
        Path(f"{db}-wal").unlink()
        # The service notices within a second even with no submission, and saves the log's
        # records into the database file; a health probe sees it at once.
        deadline = time.monotonic() + 10
        while httpx.get(f"{base}/api/health").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert httpx.get(f"{base}/api/health").status_code == 503
        after = post_many(base, checklist, key, "after", 3)
        assert [s for s, _ in after] == [503] * 3 and "write-ahead log" in after[0][1]["message"]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        stop_server(proc)
    # Was: 40 of 40 lost.
    assert ids_in(db) >= acknowledged(before)
