"""Load and crash test of `policy records serve`: throughput, latency, and no acknowledged record lost.

For SQLite and PostgreSQL in turn: measure the raw durable-commit rate of the database (single
rows straight through the driver), start the service on a loopback port, let 50 concurrent
clients submit 40 completions each, and print throughput against that rate and p50/p99
latency. Then start a second load, SIGKILL the server mid-way, restart it on the same database
and count the records that were acknowledged (201) but are missing afterwards: that must be 0.

    .venv/bin/python benchmarks/records_load.py [--clients 50] [--each 40] [--backend sqlite]

Traffic goes to 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.records.pgtemp import TempPostgres  # noqa: E402
from generator.records.scoring import answer_hash  # noqa: E402

TOKEN = "benchmark-admin-token-of-thirty-two-chars"
QUESTIONS = 10
REQUEST_TIMEOUT = 15.0
RETRIES = 2
PHASE_TIMEOUT = 180.0


def write_site(root: Path) -> dict:
    """A published site with one checklist of ten questions, as the build's contract lays it out."""
    questions, right = [], {}
    for i in range(QUESTIONS):
        qid, salt = f"q{i}", f"{i:04x}beef"
        right[qid] = ["b"]
        questions.append({"id": qid, "clause": f"clause-{i % 3}", "type": "single",
                          "choices": ["a", "b", "c", "d"], "salt": salt,
                          "answer_hash": answer_hash(salt, qid, ["b"])})
    checklist = {
        "checklist": "bench", "title": "Benchmark", "policy": "privacy-policy", "version": 1,
        "effective_date": "2026-01-05", "training_hash": "ab" * 32, "pass_mark": 80,
        "items": [{"id": "quiz", "kind": "quiz", "clauses": ["clause-0", "clause-1", "clause-2"],
                   "questions": [q["id"] for q in questions]},
                  {"id": "ack", "kind": "acknowledge", "clauses": ["clause-0"], "statement": "I will."}],
        "questions": questions,
        "clause_text_sha256": {f"clause-{i}": f"{i:064x}" for i in range(3)},
    }
    (root / "training" / "bench").mkdir(parents=True)
    (root / "training" / "bench" / "checklist.json").write_text(json.dumps(checklist))
    (root / "privacy-policy").mkdir()
    (root / "privacy-policy" / "versions.json").write_text(json.dumps(
        [{"version": 1, "status": "in-force", "effective_date": "2026-01-05"}]))
    (root / "index.html").write_text("<!doctype html><title>bench</title>")
    return {"checklist": "bench", "version": 1, "training_hash": checklist["training_hash"],
            "answers": right, "acknowledged": ["ack"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, site: Path, db: str, log: Path) -> None:
        self.site, self.db, self.log = site, db, log
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(os.environ, POLICY_RECORDS_ADMIN_TOKEN=TOKEN)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "generator.frontends.cli", "records", "serve", "--site", str(self.site),
                 "--db", self.db, "--host", "127.0.0.1", "--port", str(self.port),
                 # Every client here is 127.0.0.1: the per-address limit would measure itself.
                 "--address-rate", "1000000/60"],
                stdout=log, stderr=log, env=env, cwd=Path(__file__).resolve().parent.parent)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited at start; see {self.log}:\n{self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.kill()
        raise SystemExit("server did not answer within 30 s")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Connection:
    """One keep-alive HTTP/1.1 connection, as one browser tab has.

    A few lines of asyncio instead of an HTTP client library: at 50 concurrent requests on
    two cores, httpx's own pool costs more CPU than the service under test and would be
    what this measured.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, payload: dict) -> tuple[int, dict]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = json.dumps(payload).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status = int((await self.reader.readuntil(b"\r\n")).split()[1])
        length, close = 0, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        data = json.loads(await self.reader.readexactly(length)) if length else {}
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run_load(base: str, template: dict, clients: int, each: int, tag: str,
                   stop_after: int | None = None, on_stop=None) -> Load:
    """``clients`` concurrent clients, each posting ``each`` completions one after another.

    With ``stop_after``, ``on_stop`` is called (to kill the server) once that many were
    acknowledged; clients then stop at their first failed request.
    """
    load = Load()
    fired = asyncio.Event()
    host, port = base.removeprefix("http://").split(":")

    async def client(c: int) -> None:
        conn = Connection(host, int(port))
        try:
            for i in range(each):
                # A client that sees no answer sends the same submission again, as the training
                # page does: the submission id makes the retry safe.
                body = dict(template, name=f"Person {c}-{i}", email=f"{tag}-{c}-{i}@example.test",
                            submission_id=f"{tag}-{c}-{i}")
                for attempt in range(RETRIES + 1):
                    t0 = time.perf_counter()
                    try:
                        status, data = await asyncio.wait_for(
                            conn.post_json("/api/completions", body), REQUEST_TIMEOUT)
                        break
                    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as e:
                        conn.close()
                        load.statuses[type(e).__name__] = load.statuses.get(type(e).__name__, 0) + 1
                        if fired.is_set():
                            return
                else:
                    continue
                load.latencies.append(time.perf_counter() - t0)
                load.statuses[str(status)] = load.statuses.get(str(status), 0) + 1
                if status in (200, 201):
                    load.acknowledged.add(data["id"])
                    if stop_after is not None and not fired.is_set() and len(load.acknowledged) >= stop_after:
                        fired.set()
                        on_stop()
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(client(c) for c in range(clients))), PHASE_TIMEOUT)
    load.seconds = time.perf_counter() - t0
    return load


def stored_ids(base: str) -> set[str]:
    r = httpx.get(f"{base}/api/completions", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    r.raise_for_status()
    return {x["id"] for x in r.json()["records"]}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def raw_commit_rate(backend: str, db: str, work: Path, seconds: float = 2.0) -> float:
    """Durable single-row transactions a second, straight through the driver, on the same
    kind of database and disk, with the same durability settings: the ceiling the service
    is measured against."""
    row = "x" * 400  # about the size of a completion row
    if backend == "sqlite":
        import sqlite3

        conn = sqlite3.connect(work / "raw.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")

        def one() -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (v) VALUES (?)", (row,))
            conn.execute("COMMIT")
    else:
        import psycopg

        conn = psycopg.connect(db.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        conn.execute("CREATE TABLE raw_t (id SERIAL PRIMARY KEY, v TEXT)")

        def one() -> None:
            conn.execute("INSERT INTO raw_t (v) VALUES (%s)", (row,))
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        one()
        n += 1
    rate = n / (time.perf_counter() - t0)
    conn.close()
    return rate


def bench(backend: str, db: str, work: Path, clients: int, each: int) -> dict:
    site = work / "site"
    template = write_site(site)
    raw = raw_commit_rate(backend, db, work)
    server = Server(site, db, work / "server.log")
    server.start()
    try:
        load = asyncio.run(run_load(server.base, template, clients, each, "load"))
        ok = len(load.acknowledged)
        result = {
            "backend": backend, "requests": clients * each, "created": ok,
            "other": {k: v for k, v in load.statuses.items() if k != "201"},
            "seconds": load.seconds, "throughput": ok / load.seconds if load.seconds else 0.0,
            "p50_ms": 1000 * statistics.median(load.latencies) if load.latencies else float("nan"),
            "p99_ms": 1000 * percentile(load.latencies, 99), "raw": raw,
        }
        # Crash test: kill -9 once a third of a second load has been acknowledged.
        crash = asyncio.run(run_load(server.base, template, clients, each, "crash",
                                     stop_after=(clients * each) // 3, on_stop=server.kill))
        server.kill()
        server.start()
        present = stored_ids(server.base)
        result.update(
            crash_acknowledged=len(crash.acknowledged),
            crash_failed=sum(v for k, v in crash.statuses.items() if not k.isdigit()),
            crash_missing=len(crash.acknowledged - present),
            load_missing=len(load.acknowledged - present),
        )
        return result
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--each", type=int, default=40, help="completions per client")
    ap.add_argument("--backend", action="append", choices=["sqlite", "postgres"],
                    help="repeatable; default both")
    args = ap.parse_args()
    if not (1 <= args.clients <= 200 and 1 <= args.each <= 200):
        ap.error("--clients and --each must be between 1 and 200")
    backends = args.backend or ["sqlite", "postgres"]
    results = []
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix=f"records-bench-{backend}-") as tmp:
            work = Path(tmp)
            if backend == "sqlite":
                results.append(bench(backend, f"sqlite:///{work / 'records.db'}", work, args.clients, args.each))
            else:
                with TempPostgres() as pg:
                    results.append(bench(backend, pg.create_database("records_bench"), work,
                                         args.clients, args.each))
    print(f"{args.clients} concurrent clients x {args.each} completions each, loopback, "
          f"{os.cpu_count()} CPUs")
    print(f"{'backend':<9} {'stored':>7} {'seconds':>8} {'req/s':>8} {'raw/s':>8} {'ratio':>6} "
          f"{'p50 ms':>7} {'p99 ms':>7}  other answers and retried errors")
    for r in results:
        print(f"{r['backend']:<9} {r['created']:>7} {r['seconds']:>8.2f} {r['throughput']:>8.1f} "
              f"{r['raw']:>8.1f} {r['throughput'] / r['raw']:>6.0%} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f}  "
              f"{r['other'] or '-'}")
    print("raw/s: durable single-row commits a second straight through the driver, same database "
          "and disk;\nratio: the service's completions a second against it.")
    print("SIGKILL mid-load, restart, count acknowledged records missing:")
    bad = False
    for r in results:
        print(f"  {r['backend']}: {r['crash_acknowledged']} acknowledged before/around the kill, "
              f"{r['crash_failed']} requests cut off; missing after restart: {r['crash_missing']} "
              f"(and {r['load_missing']} of the first load)")
        bad |= r["crash_missing"] > 0 or r["load_missing"] > 0 or r["created"] != r["requests"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
