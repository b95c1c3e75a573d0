"""One writer thread: submissions that arrive together share one durable commit.

Each commit of SQLite in WAL mode with full sync costs an fsync; a request that waits for
its own commit while others queue behind it wastes the machine's commit rate. The writer
takes everything queued since its last commit, stores it in one transaction, commits once,
and only then answers each submission: nothing is acknowledged before it is on disk.

Before and after each commit it checks that the database file is still the one it opened
(:class:`SqliteFiles`): a record committed into a deleted file is not kept, so it is not
acknowledged either.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import queue
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger("generator.records")

MAX_BATCH = 200
IDLE_CHECK = 0.5
"""Seconds between checks of the database files while no submission comes."""


class DatabaseGone(Exception):
    """The database the service opened is no longer where it was: nothing more is acknowledged."""


def _file_id(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


class SqliteFiles:
    """Watches a SQLite database file and its write-ahead log for removal or replacement.

    Args:
        path: the database file.
        connect: gives a pooled connection to the database as opened (SQLAlchemy's
            ``raw_connection``), used to save what it holds (a checkpoint, or a backup copy)
            when a file goes away; a new connection would open whatever is at the path now.
    """

    def __init__(self, path: str, connect: Callable[[], Any]) -> None:
        self.path = path
        self.wal = path + "-wal"
        self.connect = connect
        self.db_id = _file_id(path)
        self.wal_id: tuple[int, int] | None = None
        self.failed: str | None = None
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise :class:`DatabaseGone` if the files are not the ones opened; save what can be saved."""
        with self._lock:
            if self.failed:
                raise DatabaseGone(self.failed)
            db = _file_id(self.path)
            if db != self.db_id:
                what = "removed" if db is None else "replaced by another file"
                rescued = self._rescue()
                self.failed = (f"the records database {self.path} was {what} while the service ran; "
                               f"{rescued}; restart the service once the database is back")
                log.error(self.failed)
                raise DatabaseGone(self.failed)
            wal = _file_id(self.wal)
            if self.wal_id is None:
                self.wal_id = wal
            elif wal != self.wal_id:
                # SQLite keeps writing into the deleted log, which a crash would lose: move
                # everything into the database file now, and take no more until a restart
                # opens a new log.
                saved = self._checkpoint()
                self.failed = (f"the write-ahead log {self.wal} was removed while the service ran; "
                               f"{saved}; restart the service to go on recording")
                log.error(self.failed)
                raise DatabaseGone(self.failed)

    def _checkpoint(self) -> str:
        try:
            conn = self.connect()
            try:
                conn.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                conn.close()
        except Exception as e:  # noqa: BLE001 - reported, and the service stops acknowledging
            return f"moving its records into the database file failed ({e})"
        return "every acknowledged record was moved into the database file"

    def _rescue(self) -> str:
        """Copy the still-open database into a new file next to where it was."""
        target = f"{self.path}.rescued-{time.strftime('%Y%m%dT%H%M%S')}"
        try:
            source = self.connect()
            try:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                dest = sqlite3.connect(target)
                try:
                    source.driver_connection.backup(dest)
                finally:
                    dest.close()
            finally:
                source.close()
        except Exception as e:  # noqa: BLE001
            return f"saving a copy of its records failed ({e})"
        return f"a copy of every record it held is saved as {target}"


class GroupWriter:
    """Queues submissions for one thread that commits them in groups (see the module)."""

    def __init__(self, store_batch: Callable[[list[dict[str, Any]]], list[Any]],
                 check: Callable[[], None] | None = None) -> None:
        self.store_batch = store_batch
        self.check = check or (lambda: None)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._run, name="records-writer", daemon=True)
        self.thread.start()

    def submit(self, values: dict[str, Any]) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        if self.closed.is_set():
            future.set_exception(DatabaseGone("the records service is shutting down"))
        else:
            self.queue.put((values, future))
        return future

    def close(self) -> None:
        self.closed.set()
        self.queue.put(None)
        self.thread.join(10)

    def _run(self) -> None:
        while True:
            try:
                first = self.queue.get(timeout=IDLE_CHECK)
            except queue.Empty:
                try:
                    self.check()
                except Exception:  # noqa: BLE001 - logged by the check; requests get it too
                    pass
                continue
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self.queue.put(None)
                    break
                batch.append(item)
            try:
                self.check()
                results = self.store_batch([values for values, _ in batch])
                self.check()  # committed into a file that is gone: not kept, not acknowledged
            except BaseException as e:  # noqa: BLE001 - each waiting request gets the error
                for _, future in batch:
                    future.set_exception(e)
                continue
            for (_, future), result in zip(batch, results):
                future.set_result(result)
