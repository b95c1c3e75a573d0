"""Completion records in SQLite (WAL, full sync) or PostgreSQL through SQLAlchemy 2."""

from __future__ import annotations

import contextlib
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table,
                        and_, bindparam, create_engine, event, inspect, or_, select)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError

from ..errors import PolicyError
from .writer import GroupWriter, SqliteFiles

SCHEMA_VERSION = 3
"""The schema this release writes; older databases are upgraded on start."""

metadata = MetaData()

schema_info = Table(
    "records_schema", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    # Made once, when the database is: a marker file remembers it, so that an empty database
    # put where a used one was is noticed rather than silently filled (schema 2).
    Column("instance", String(32)),
)

completions = Table(
    "completions", metadata,
    Column("id", String(32), primary_key=True),
    Column("submission_id", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("checklist", String(64), nullable=False),
    Column("policy", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    # A checklist across several policies: "privacy-policy=1;terms-of-use=2", every version trained on
    # ("" for one policy, whose version is ``version``). Schema 3.
    Column("versions", String(512), nullable=False, default="", server_default=""),
    Column("training_hash", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("identity", String(254), nullable=False),
    Column("identity_source", String(16), nullable=False),
    Column("score", Integer, nullable=False),
    Column("correct", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("answers", JSON, nullable=False),
    Column("acknowledged", JSON, nullable=False),
    # The checklist's clause_text_sha256 when the record was made: the site only publishes the
    # current one, and the report needs the old one to tell which items changed since.
    Column("clause_hashes", JSON, nullable=False),
    Column("user_agent", String(512), nullable=False, default=""),
    Column("address", String(64), nullable=False, default=""),
    # "server": the service checked each answer and the page never had the key; "page": the
    # page checked answers against salted hashes it carried (a static host) (schema 2).
    Column("quiz_checked", String(8), nullable=False, default="page"),
)

# A retried submission is found by its id, only among the same person's records.
Index("ux_completions_submission", completions.c.identity, completions.c.submission_id, unique=True)
Index("ix_completions_person", completions.c.identity, completions.c.checklist, completions.c.version)
# One passed record per person, checklist and version (of every policy it trains on), even under
# concurrent submissions.
PASSED_ONCE = Index("ux_completions_passed", completions.c.identity, completions.c.checklist, completions.c.version,
                    completions.c.versions, unique=True, sqlite_where=completions.c.passed.is_(True),
                    postgresql_where=completions.c.passed.is_(True))

_c = completions.c
# Built once: composing a statement costs more than running it.
_FIND = select(completions).where(_c.identity == bindparam("identity"), or_(
    _c.submission_id == bindparam("submission_id"),
    and_(_c.checklist == bindparam("checklist"), _c.version == bindparam("version"),
         _c.versions == bindparam("versions"), _c.passed.is_(True))))
_INSERT = completions.insert()

_PUBLIC = ("id", "created_at", "checklist", "policy", "version", "name", "email", "score", "passed")


def _create_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[completions], checkfirst=True)


def _v2(conn: Connection) -> None:
    """Each database gets its instance id; records say how their quiz was checked; "header" is "proxy"."""
    have = {t: {c["name"] for c in inspect(conn).get_columns(t)} for t in ("records_schema", "completions")}
    if "instance" not in have["records_schema"]:
        conn.exec_driver_sql("ALTER TABLE records_schema ADD COLUMN instance VARCHAR(32)")
    if "quiz_checked" not in have["completions"]:
        conn.exec_driver_sql("ALTER TABLE completions ADD COLUMN quiz_checked VARCHAR(8) NOT NULL DEFAULT 'page'")
    conn.execute(completions.update().where(completions.c.identity_source == "header")
                 .values(identity_source="proxy"))


def _v3(conn: Connection) -> None:
    """A checklist across several policies records the version of each, and one pass per set of versions."""
    have = {c["name"] for c in inspect(conn).get_columns("completions")}
    if "versions" not in have:
        conn.exec_driver_sql("ALTER TABLE completions ADD COLUMN versions VARCHAR(512) NOT NULL DEFAULT ''")
    conn.exec_driver_sql("DROP INDEX IF EXISTS ux_completions_passed")
    PASSED_ONCE.create(conn)


MIGRATIONS = [_create_v1, _v2, _v3]
"""``MIGRATIONS[i]`` takes a database from schema version ``i`` to ``i + 1``."""


@dataclass(frozen=True)
class Stored:
    """The outcome of storing a submission: the record, and whether it is new."""

    record: dict[str, Any]
    created: bool
    same_submission: bool = False
    """The record kept is this very submission's, sent before (a retry whose answer was lost)."""


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as the psycopg 3 driver the project ships."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - called by SQLAlchemy
        # Let SQLAlchemy's "begin" event below decide how each transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # WAL lets readers go on while one writer commits; FULL makes each commit fsync the
        # WAL, so a record is on disk before the 201 that acknowledges it.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:  # pragma: no cover - called by SQLAlchemy
        # A deferred transaction that later wants to write can fail at once with "database is
        # locked" when another writer got in first; taking the write lock up front waits instead.
        if conn.get_execution_options().get("records_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Records:
    """The records database: open it, upgrade its schema, store and list completions."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise PolicyError(f"--db: not a database URL: {url!r} "
                              "(use sqlite:///records.db or postgresql+psycopg://user@host/db)") from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            # A PostgreSQL restart leaves dead pooled connections: test each before use.
            kwargs["pool_pre_ping"] = True
            # The server runs blocking calls in a pool of up to 40 threads: let each have one.
            kwargs.update(pool_size=10, max_overflow=30, pool_timeout=30)
        try:
            self.engine = create_engine(self.url, **kwargs)
        except (ArgumentError, ImportError) as e:
            raise PolicyError(f"--db: cannot use {parsed.render_as_string(hide_password=True)}: {e}") from None
        if self.is_sqlite:
            _sqlite_pragmas(self.engine)
        # SQLite takes one writer at a time anyway; queueing writers here, rather than in
        # SQLite's busy handler (which sleeps in growing steps), keeps the latency tail short.
        self._write_lock = threading.Lock() if self.is_sqlite else contextlib.nullcontext()
        self.started = False
        self.instance = ""
        self.had_records = False
        """Whether the database held any record when it was started (the marker asks)."""
        self.files: SqliteFiles | None = None
        self.writer: GroupWriter | None = None

    @property
    def sqlite_path(self) -> str | None:
        """The SQLite database file, or ``None`` (a server, or an in-memory database)."""
        path = make_url(self.url).database if self.is_sqlite else None
        return path if path and path != ":memory:" else None

    def describe(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def _write(self) -> Connection:
        return self.engine.connect().execution_options(records_write=True)

    def start(self) -> int:
        """Create or upgrade the schema; returns the version found before. Idempotent."""
        if self.started:
            return SCHEMA_VERSION
        try:
            with self._write() as conn, conn.begin():
                if not self.is_sqlite:
                    # Two servers starting together must not both run the migrations.
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(74110001)")
                schema_info.create(conn, checkfirst=True)
                row = conn.execute(select(schema_info.c.version).where(schema_info.c.id == 1)).first()
                found = row[0] if row else 0
                if found > SCHEMA_VERSION:
                    raise PolicyError(
                        f"{self.describe()}: the records schema is version {found}, newer than this "
                        f"program's ({SCHEMA_VERSION}); upgrade policy-site")
                for step in range(found, SCHEMA_VERSION):
                    MIGRATIONS[step](conn)
                if row is None:
                    conn.execute(schema_info.insert().values(id=1, version=SCHEMA_VERSION))
                elif found != SCHEMA_VERSION:
                    conn.execute(schema_info.update().where(schema_info.c.id == 1)
                                 .values(version=SCHEMA_VERSION))
                instance = conn.execute(select(schema_info.c.instance)).scalar()
                if not instance:
                    instance = uuid.uuid4().hex
                    conn.execute(schema_info.update().where(schema_info.c.id == 1).values(instance=instance))
                self.instance = instance
                # One row is enough to know: a count would read them all at every start.
                self.had_records = conn.execute(select(completions.c.id).limit(1)).first() is not None
        except SQLAlchemyError as e:
            raise PolicyError(f"cannot open the records database {self.describe()}: "
                              f"{_first_line(e)}") from None
        self.started = True
        if self.sqlite_path:
            self.files = SqliteFiles(self.sqlite_path, self.engine.raw_connection)
        self.writer = GroupWriter(self.store_batch, self.check_files)
        return found

    def check_files(self) -> None:
        """Raise :class:`DatabaseGone` when the SQLite file or its log went away (see :mod:`.writer`)."""
        if self.files is not None:
            self.files.check()

    def submit(self, values: dict[str, Any]):
        """Queue ``values`` for the writer; the future holds the :class:`Stored` once it is on disk."""
        if self.writer is None:
            raise PolicyError("the records database is not started")
        return self.writer.submit(values)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.engine.dispose()

    def store(self, values: dict[str, Any]) -> Stored:
        """Store one scored attempt, unless it repeats one already kept (see :meth:`store_batch`)."""
        return self.store_batch([values])[0]

    def store_batch(self, batch: list[dict[str, Any]]) -> list[Stored]:
        """Store scored attempts in one transaction (one durable commit), in order.

        A resubmission of the same ``submission_id`` (a retry whose answer was lost) or a new
        submission by someone who already passed this checklist and version gives back the
        record already kept, with ``created`` false.
        """
        for attempt in range(3):
            try:
                with self._write_lock, self._write() as conn, conn.begin():
                    return [self._store_one(conn, values) for values in batch]
            except IntegrityError:
                # A concurrent submission won the race (another server on PostgreSQL): each
                # on its own, so that one collision does not fail the others.
                if len(batch) > 1:
                    return [self.store_batch([values])[0] for values in batch]
                with self.engine.connect() as conn, conn.begin():
                    existing = self._existing(conn, batch[0])
                if existing is not None:
                    return [existing]
                if attempt == 2:
                    raise
            except OperationalError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _store_one(self, conn: Connection, values: dict[str, Any]) -> Stored:
        existing = self._existing(conn, values)
        if existing is not None:
            return existing
        row = dict(values)
        row["id"] = uuid.uuid4().hex
        row["created_at"] = datetime.now(timezone.utc)
        row.setdefault("quiz_checked", "page")
        row.setdefault("versions", "")
        conn.execute(_INSERT, row)
        return Stored(_record(row), True)

    def _existing(self, conn: Connection, values: dict[str, Any]) -> Stored | None:
        """This submission kept before (by its id), or else this person's passed record."""
        rows = conn.execute(_FIND, {"identity": values["identity"], "checklist": values["checklist"],
                                    "version": values["version"], "versions": values.get("versions", ""),
                                    "submission_id": values.get("submission_id") or ""}).all()
        mine = [r for r in rows if values.get("submission_id") and r.submission_id == values["submission_id"]]
        if mine:
            return Stored(_record(mine[0]._asdict()), False, True)
        passed = [r for r in rows if r.passed and r.checklist == values["checklist"]
                  and r.version == values["version"] and r.versions == values.get("versions", "")]
        return Stored(_record(passed[0]._asdict()), False) if passed else None

    def all(self, checklist: str | None = None, version: int | None = None) -> list[dict[str, Any]]:
        """Every record, oldest first, optionally of one checklist and version."""
        query = select(completions).order_by(completions.c.created_at, completions.c.id)
        if checklist:
            query = query.where(completions.c.checklist == checklist)
        if version is not None:
            query = query.where(completions.c.version == version)
        with self.engine.connect() as conn:
            return [_record(r._asdict()) for r in conn.execute(query)]


def _record(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    when = out.get("created_at")
    if isinstance(when, datetime):
        # SQLite hands back naive datetimes; every time stored here is UTC.
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        out["created_at"] = when.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    out["passed"] = bool(out.get("passed"))
    return out


def public(record: dict[str, Any]) -> dict[str, Any]:
    """The fields of a record that its owner is shown."""
    return {k: record[k] for k in _PUBLIC}


def _first_line(e: Exception) -> str:
    msg = str(getattr(e, "orig", None) or e).strip()
    return msg.splitlines()[0] if msg else type(e).__name__
