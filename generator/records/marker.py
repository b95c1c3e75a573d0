"""A marker file that remembers which database the service last recorded into.

Deleting ``records.db`` while the service was stopped used to be invisible: the next start
made an empty database and carried on, and every earlier record was gone without a word.
The marker keeps the database's instance id (made once, with the schema) and whether
records were kept in it; a start on another database, where the marked one held records,
is refused unless the operator says the new database is intended.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from ..errors import PolicyError
from .db import Records


def default_path(url: str) -> Path:
    """Next to a SQLite file; in the current folder for a database server."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database + ".marker")
    return Path("records-database.marker")


class Marker:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.recorded = False

    def _seen(self) -> dict | None:
        try:
            seen = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise PolicyError(f"{self.path}: cannot read the database marker ({e}); "
                              "remove it to start afresh") from None
        return seen if isinstance(seen, dict) and seen.get("records") else None

    def _refuse(self, records: Records, seen: dict, this: str) -> PolicyError:
        return PolicyError(
            f"{records.describe()} is not the database this service last recorded into: that one "
            f"({seen.get('database')}, instance {seen.get('instance')}) held records, and this one {this}. "
            "Put the right database back (or restore it from a backup); to start on this one on "
            "purpose, add --new-database")

    def check_file(self, records: Records, accept_new: bool) -> None:
        """Before the database is opened: a SQLite file that is gone is not made again, empty."""
        seen = self._seen()
        if seen and not accept_new and records.sqlite_path and not Path(records.sqlite_path).exists():
            raise self._refuse(records, seen, "does not exist")

    def check(self, records: Records, accept_new: bool) -> None:
        """Refuse a database that is not the one marked, when the marked one held records."""
        seen = self._seen()
        if seen and seen.get("instance") != records.instance and not accept_new:
            raise self._refuse(records, seen, "is another" if records.had_records else "is empty")
        self.recorded = records.had_records
        self._write(records)

    def note_record(self, records: Records) -> None:
        """Called once a record is kept: from now on a missing database is noticed."""
        if not self.recorded:
            self.recorded = True
            self._write(records)

    def _write(self, records: Records) -> None:
        data = {"database": records.describe(), "instance": records.instance, "records": self.recorded}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as e:
            raise PolicyError(f"{self.path}: cannot write the database marker ({e.strerror})") from None
