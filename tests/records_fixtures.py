"""Fixtures for the records tests: a published site built from the real policy, and real databases.

The site's ``training/<id>/checklist.json`` follows the published training contract
(answer_hash = sha256("{salt}:{question id}:{sorted chosen ids}")), computed here from the
real questions in content/privacy-policy.yaml.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import warnings

import pytest

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 fork for its TestClient; the locked httpx works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient  # noqa: F401  (re-exported for the tests)

from generator.content.loader import load_policy
from generator.model import Policy
from generator.records.scoring import answer_hash
from generator.site.complete import BUILD_COMPLETE, BUILD_COMPLETE_DATA

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content" / "privacy-policy.yaml"
POLICY_BIN = Path(sys.executable).parent / "policy"
ADMIN_TOKEN = "s3cret-admin-token-for-the-records-tests"

# Two checklists: all staff read and answer on collection, security and disclosure; the call
# centre only on collection and call recording (so a change to security does not touch it).
CHECKLISTS = {
    "all-staff": {
        "title": "All staff",
        "pass_mark": 80,
        "items": [
            {"id": "read-collection", "kind": "read", "clauses": ["collection", "call-recording"]},
            {"id": "quiz-collection", "kind": "quiz", "clauses": ["collection", "call-recording"]},
            {"id": "read-security", "kind": "read", "clauses": ["security", "disclosure"]},
            {"id": "quiz-security", "kind": "quiz", "clauses": ["security", "disclosure"]},
            {"id": "ack-confidential", "kind": "acknowledge", "clauses": ["security"],
             "statement": "I will only look up customer records when my work needs it."},
        ],
    },
    "call-centre": {
        "title": "Call centre",
        "pass_mark": 75,
        "items": [
            {"id": "quiz-calls", "kind": "quiz", "clauses": ["collection", "call-recording"]},
            {"id": "ack-recording", "kind": "acknowledge", "clauses": ["call-recording"],
             "statement": "I will tell customers that calls are recorded when they ask."},
        ],
    },
}


def clause_sha(policy: Policy, clause_id: str) -> str:
    clause = policy.clause(clause_id)
    assert clause is not None, clause_id
    text = json.dumps(clause.public(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_checklist(policy: Policy, checklist_id: str, version: int, effective: str | None) -> dict[str, Any]:
    """The ``checklist.json`` a build publishes for ``checklist_id`` of ``policy`` at ``version``."""
    spec = CHECKLISTS[checklist_id]
    by_clause: dict[str, list] = {}
    for clause, q in policy.training_questions():
        by_clause.setdefault(clause.id, []).append(q)
    items, questions, clauses = [], [], set()
    for raw in spec["items"]:
        item = {"id": raw["id"], "kind": raw["kind"], "clauses": list(raw["clauses"])}
        clauses.update(raw["clauses"])
        if raw["kind"] == "quiz":
            item["questions"] = []
            for cid in raw["clauses"]:
                for q in by_clause.get(cid, []):
                    item["questions"].append(q.id)
                    salt = hashlib.sha256(f"salt:{checklist_id}:{q.id}:{version}".encode()).hexdigest()[:16]
                    questions.append({
                        "id": q.id, "clause": cid, "type": q.type,
                        "choices": [c.id for c in q.choices], "salt": salt,
                        "answer_hash": answer_hash(salt, q.id, q.answer)})
        if raw["kind"] == "acknowledge":
            item["statement"] = raw["statement"]
        items.append(item)
    data = {
        "checklist": checklist_id, "title": spec["title"], "policy": policy.id, "version": version,
        "effective_date": effective, "pass_mark": spec["pass_mark"], "items": items,
        "questions": questions,
        "clause_text_sha256": {cid: clause_sha(policy, cid) for cid in sorted(clauses)},
    }
    data["training_hash"] = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return data


def answers_key(policy: Policy) -> dict[str, list[str]]:
    """The correct choice ids of every question of the policy, from the YAML."""
    return {q.id: list(q.answer) for _, q in policy.training_questions()}


def change_security(text: str) -> str:
    """The policy YAML ``text`` with a sentence added to the security clause's body."""
    changed, n = re.subn(r"(- id: security\n(?:.*\n)*?\s+body: [>|]-?\n)(\s+)",
                         r"\1\2Staff complete privacy training every year. ", text, count=1)
    assert n == 1, "could not find the security clause body to change"
    return changed


def policy_v2(tmp_path: Path) -> Policy:
    """The real policy with one sentence of the security clause changed (a second version)."""
    changed = change_security(CONTENT.read_text(encoding="utf-8"))
    path = tmp_path / "v2" / "privacy-policy.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(changed, encoding="utf-8")
    return load_policy(path)


def publish(site: Path, policy: Policy, version: int, versions: list[dict[str, Any]]) -> dict[str, dict]:
    """Write (or rewrite, as a rebuild does) the training contract files of ``site``."""
    effective = next(v["effective_date"] for v in versions if v["version"] == version)
    (site / policy.id).mkdir(parents=True, exist_ok=True)
    (site / "index.html").write_text("<!doctype html><title>Policies</title><h1>Policies</h1>\n")
    (site / policy.id / "versions.json").write_text(json.dumps(versions, indent=1))
    out = {}
    for cid in CHECKLISTS:
        data = build_checklist(policy, cid, version, effective)
        folder = site / "training" / cid
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "checklist.json.tmp"
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, folder / "checklist.json")
        (folder / "index.html").write_text(f"<!doctype html><title>{data['title']}</title>"
                                           f"<h1>{data['title']}</h1>\n")
        out[cid] = data
    # Last, as a build does: the service takes the site as it is now.
    (site / BUILD_COMPLETE).unlink(missing_ok=True)
    (site / BUILD_COMPLETE).write_bytes(BUILD_COMPLETE_DATA)
    return out


V1_ONLY = [{"version": 1, "status": "in-force", "effective_date": "2026-01-05"}]
V1_V2 = [{"version": 1, "status": "superseded", "effective_date": "2026-01-05", "superseded_on": "2026-03-02"},
         {"version": 2, "status": "in-force", "effective_date": "2026-03-02"}]


def submission(checklist: dict[str, Any], key: dict[str, list[str]], /, *, name: str = "Ana Tane",
               email: str = "ana@example.nz", wrong: int = 0, acknowledge: bool = True, **extra) -> dict:
    """A completion as the training page sends it; ``wrong`` answers are deliberately wrong."""
    answers = {}
    quiz = [q for item in checklist["items"] if item["kind"] == "quiz" for q in item["questions"]]
    by_id = {q["id"]: q for q in checklist["questions"]}
    for i, qid in enumerate(quiz):
        right = key[qid]
        if i < wrong:
            other = [c for c in by_id[qid]["choices"] if c not in right]
            answers[qid] = other[:1]
        else:
            answers[qid] = list(right)
    body = {
        "checklist": checklist["checklist"], "version": checklist["version"],
        "training_hash": checklist["training_hash"], "name": name, "email": email,
        "answers": answers,
        "acknowledged": [i["id"] for i in checklist["items"] if i["kind"] == "acknowledge"] if acknowledge else [],
    }
    body.update(extra)
    return body


# -- databases --------------------------------------------------------------------------------

_pg: dict[str, Any] = {"server": None, "users": 0}


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server (Debian's package) for the whole session, removed afterwards.

    Every test module imports this fixture, and pytest keeps a session fixture per module
    that defines it: the count makes them all share one server.
    """
    from generator.records.pgtemp import TempPostgres

    if _pg["server"] is None:
        _pg["server"] = TempPostgres().start()
    _pg["users"] += 1
    try:
        yield _pg["server"]
    finally:
        _pg["users"] -= 1
        if _pg["users"] == 0:
            _pg["server"].stop()
            _pg["server"] = None


_db_counter = iter(range(1, 10_000))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database: a SQLite file in tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.db'}"
    server = request.getfixturevalue("pg_server")
    return server.create_database(f"records_{os.getpid()}_{next(_db_counter)}")


@pytest.fixture
def policy_v1() -> Policy:
    return load_policy(CONTENT)


@pytest.fixture
def site_v1(tmp_path, policy_v1) -> tuple[Path, dict[str, dict]]:
    site = tmp_path / "site"
    return site, publish(site, policy_v1, 1, V1_ONLY)


# -- a real server process ----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(site: Path, db: str, port: int, *extra: str, env: dict | None = None,
                 log: Path | None = None, preexec_fn=None) -> subprocess.Popen:
    """Run ``policy records serve`` and wait until it answers.

    Its output goes to ``log`` when given (a flood of log lines must not fill a pipe and
    stall the server), else to pipes read on failure.
    """
    import httpx

    full_env = dict(os.environ, POLICY_RECORDS_ADMIN_TOKEN=ADMIN_TOKEN, **(env or {}))
    out = open(log, "wb") if log is not None else subprocess.PIPE
    try:
        proc = subprocess.Popen([str(POLICY_BIN), "records", "serve", "--site", str(site), "--db", db,
                                 "--port", str(port), *extra], stdout=out, stderr=out, env=full_env,
                                cwd=site.parent, preexec_fn=preexec_fn)
    finally:
        if log is not None:
            out.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = log.read_text() if log is not None else proc.stderr.read().decode()
            raise AssertionError(f"server exited: {said}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start in 30 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()
