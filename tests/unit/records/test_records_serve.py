"""`policy records serve` as a real process: one origin for site and API, clean start-up errors, durability."""

from __future__ import annotations

import signal
import subprocess

import httpx

from records_fixtures import (ADMIN_TOKEN, POLICY_BIN, answers_key, db_url, free_port, pg_server,  # noqa: F401
                              policy_v1, site_v1, start_server, stop_server, submission)


def test_serves_site_and_api_on_one_origin_and_keeps_records_through_sigkill(site_v1, db_url, policy_v1):
    site, published = site_v1
    key = answers_key(policy_v1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(site, db_url, port)
    try:
        page = httpx.get(f"{base}/training/all-staff/")
        assert page.status_code == 200 and "All staff" in page.text
        acknowledged = []
        for i in range(15):
            body = submission(published["all-staff"], key, name=f"P {i}", email=f"p{i}@example.nz",
                              wrong=i % 4)
            r = httpx.post(f"{base}/api/completions", json=body,
                           headers={"User-Agent": "pytest-real-client"})
            assert r.status_code == 201, r.text
            acknowledged.append(r.json()["id"])
        # kill -9: no shutdown handler runs; what was acknowledged must already be on disk.
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        stop_server(proc)
    proc = start_server(site, db_url, port)
    try:
        r = httpx.get(f"{base}/api/completions", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        rows = r.json()["records"]
        assert sorted(x["id"] for x in rows) == sorted(acknowledged)
        assert {x["address"] for x in rows} == {"127.0.0.1"}
        assert {x["user_agent"] for x in rows} == {"pytest-real-client"}
        # 0, 1, 2 or 3 wrong of 9 give 100, 88, 77, 66: two of every four pass.
        assert sorted({(x["score"], x["passed"]) for x in rows}) == [
            (66, False), (77, False), (88, True), (100, True)]
    finally:
        stop_server(proc)


def run_serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(POLICY_BIN), "records", "serve", "--port", str(free_port()), *args],
                          capture_output=True, text=True, timeout=60)


def test_start_up_errors_are_one_line(site_v1, tmp_path):
    site = str(site_v1[0])
    results = []
    r = run_serve("--site", site, "--db", "records.db")
    results.append(r)
    assert r.returncode == 1 and r.stderr.startswith("--db: not a database URL: 'records.db'")
    r = run_serve("--site", site, "--db", f"sqlite:///{tmp_path / 'no-dir' / 'r.db'}")
    results.append(r)
    assert r.returncode == 1 and "cannot open the records database" in r.stderr
    r = run_serve("--site", site, "--db", f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x")
    results.append(r)
    assert r.returncode == 1 and "cannot open the records database" in r.stderr
    assert "Connection refused" in r.stderr or "connection failed" in r.stderr
    r = run_serve("--site", str(tmp_path / "no-site"), "--db", f"sqlite:///{tmp_path / 'r.db'}")
    results.append(r)
    assert r.returncode == 1 and "no such folder" in r.stderr
    for result in results:
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unsafe_start_up_settings_are_refused(site_v1, tmp_path):
    site, db = str(site_v1[0]), f"sqlite:///{tmp_path / 'r.db'}"
    # Header mode where other machines can connect, with no proxy named: anyone could claim anyone.
    r = run_serve("--site", site, "--db", db, "--identity-header", "X-Forwarded-Email", "--host", "0.0.0.0")
    assert r.returncode == 1 and "--trusted-proxy" in r.stderr and "Traceback" not in r.stderr
    r = run_serve("--site", site, "--db", db, "--trusted-proxy", "not-an-address")
    assert r.returncode == 1 and "'not-an-address' is not an IP address" in r.stderr
    r = subprocess.run([str(POLICY_BIN), "records", "serve", "--site", site, "--db", db, "--port",
                        str(free_port())], capture_output=True, text=True, timeout=60,
                       env={**__import__("os").environ, "POLICY_RECORDS_ADMIN_TOKEN": "short"})
    assert r.returncode == 1 and "at least 32 characters" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
