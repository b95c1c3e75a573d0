"""Who has completed each checklist for the version in force, who must redo what, who has not started."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..errors import ContentError
from .identity import SELF_DECLARED, identity_key, refused_character
from .scoring import Checklist, PublishedSite, items_to_redo

STATUSES = {
    "completed": "Completed",
    "carried-over": "Completed an earlier version; nothing in this checklist changed since",
    "must-redo": "Completed an earlier version; must redo the changed items",
    "not-passed": "Attempted, not passed yet",
    "not-started": "Not started",
}
"""Report sections, in the order they are printed."""

CSV_FIELDS = ("checklist", "policy", "version_in_force", "status", "name", "email", "version_completed",
              "completed_at", "score", "record_id", "identity_source", "items_to_redo")

IDENTITY = {
    "typed": "identity typed (self-declared)",
    "proxy": "identity from the sign-in proxy",
    "oidc": "identity from the sign-in (OpenID Connect)",
}
"""How each record's identity was established, as the text report says it."""


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    checklists: tuple[str, ...] = ()
    """Checklists this person must complete; empty means all of them."""


@dataclass
class Line:
    status: str
    name: str
    email: str
    record: dict[str, Any] | None = None
    redo: list[str] = field(default_factory=list)


@dataclass
class Section:
    checklist: Checklist
    in_force: int
    effective_date: str | None
    lines: list[Line]
    expected: set[str] | None = None
    """Emails of the roster's people who must complete this checklist (``None``: no roster)."""

    def up_to_date(self) -> int:
        return sum(1 for ln in self.lines if ln.email.lower() in (self.expected or ())
                   and ln.status in ("completed", "carried-over"))

    def by_status(self, status: str) -> list[Line]:
        return [ln for ln in self.lines if ln.status == status]


def read_roster(path: str | Path) -> list[Person]:
    """Read a staff CSV with an ``email`` column, and optionally ``name`` and ``checklists``.

    ``checklists`` lists checklist ids separated by spaces or semicolons; when it is absent
    or empty, the person must complete every checklist.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError("the roster is not UTF-8 text", str(path), 1) from None
    except OSError as e:
        raise ContentError(f"cannot read the roster: {e.strerror}", str(path)) from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ContentError("the roster is empty: it needs a header row with an 'email' column",
                           str(path), 1) from None
    if "email" not in header:
        raise ContentError("the roster's header row has no 'email' column", str(path), 1,
                           text.splitlines()[0] if text else None)
    col = {name: header.index(name) for name in ("email", "name", "checklists", "checklist") if name in header}
    people: dict[str, Person] = {}
    lines = text.splitlines()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        email = cell("email")
        if "@" not in email:
            raise ContentError(f"{email!r} is not an email address" if email else "no email on this row",
                               str(path), line, lines[line - 1] if line - 1 < len(lines) else None)
        bad = refused_character(email)
        if bad:
            # Invisible in a spreadsheet, and the person would be both "Completed" and "Not started".
            raise ContentError(f"the email contains the character {bad}, which no address has: retype it",
                               str(path), line, lines[line - 1] if line - 1 < len(lines) else None)
        wanted = (cell("checklists") or cell("checklist")).replace(";", " ").split()
        key = identity_key(email)
        if key in people:
            raise ContentError(f"{email} is listed twice", str(path), line,
                               lines[line - 1] if line - 1 < len(lines) else None)
        people[key] = Person(key, cell("name") or email, tuple(wanted))
    return list(people.values())


def build(site: PublishedSite, records: Iterable[dict[str, Any]], roster: list[Person] | None) -> list[Section]:
    """Sort every person into one status per published checklist."""
    by_checklist: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_checklist.setdefault(r["checklist"], []).append(r)
    sections = []
    for checklist in site.checklists():
        in_force = site.version_in_force(checklist)
        effective = next((v.effective_date for v in site.versions(checklist.policy)
                          if v.version == in_force), checklist.effective_date)
        people: dict[str, list[dict[str, Any]]] = {}
        for r in by_checklist.get(checklist.id, []):
            people.setdefault(r["identity"], []).append(r)
        lines = [_classify(checklist, in_force, rs) for rs in people.values()]
        expected = None
        if roster is not None:
            expected = {p.email for p in roster if not p.checklists or checklist.id in p.checklists}
            for p in roster:
                if p.email not in people and p.email in expected:
                    lines.append(Line("not-started", p.name, p.email))
            names = {p.email: p.name for p in roster}
            for ln in lines:  # the roster's spelling of a name beats whatever was typed
                ln.name = names.get(ln.email.lower(), ln.name)
        lines.sort(key=lambda ln: (list(STATUSES).index(ln.status), ln.name.lower(), ln.email))
        sections.append(Section(checklist, in_force, effective, lines, expected))
    return sections


def _classify(checklist: Checklist, in_force: int, rs: list[dict[str, Any]]) -> Line:
    rs = sorted(rs, key=lambda r: (r["version"], r["created_at"]))
    latest = rs[-1]
    # Across several policies the version is the first one's: another's new version shows only
    # in the clause hashes, so a record is current while none of the clauses it covers changed.
    current = [r for r in rs if r["passed"] and r["version"] >= in_force
               and not (checklist.versions and items_to_redo(checklist, r["clause_hashes"] or {}))]
    if current:
        r = current[0]
        return Line("completed", r["name"], r["email"], r)
    older = [r for r in rs if r["passed"]]
    if older:
        r = older[-1]
        redo = [_describe(i) for i in items_to_redo(checklist, r["clause_hashes"] or {})]
        return Line("must-redo" if redo else "carried-over", r["name"], r["email"], r, redo)
    best = max(rs, key=lambda r: (r["score"], r["created_at"]))
    return Line("not-passed", latest["name"], latest["email"], best)


def _describe(item) -> str:
    clauses = ", ".join(item.clauses)
    return f"{item.id} ({item.kind}{': ' + clauses if clauses else ''})"


def render_text(sections: list[Section], with_roster: bool) -> str:
    out = []
    if any(ln.record and ln.record.get("identity_source") == "typed" for s in sections for ln in s.lines):
        out += [f"Note: {SELF_DECLARED}.", ""]
    for s in sections:
        c = s.checklist
        when = f", effective {s.effective_date}" if s.effective_date else ""
        others = "".join(f"; {pid} version {n}" for pid, n in (c.versions or {}).items() if pid != c.policy)
        out.append(f"{c.title} [{c.id}] - {c.policy} version {s.in_force} in force{when}{others}")
        if s.expected is not None:
            out.append(f"  Up to date: {s.up_to_date()} of the {len(s.expected)} people on the roster "
                       "who must complete it")
        for status, heading in STATUSES.items():
            lines = s.by_status(status)
            if status == "not-started" and not with_roster:
                out.append(f"  {heading}: give --roster staff.csv to list who has not started")
                continue
            out.append(f"  {heading} ({len(lines)}):")
            for ln in lines:
                out.append("    " + _line_text(ln))
        out.append("")
    return "\n".join(out)


def shown(value: str) -> str:
    """``value`` with any character the service now refuses written as an escape, never raw."""
    if refused_character(value) is None:
        return value
    return "".join(ch if refused_character(ch) is None else ch.encode("unicode_escape").decode("ascii")
                   for ch in value)


def _line_text(ln: Line) -> str:
    text = f"{shown(ln.name)} <{shown(ln.email)}>"
    r = ln.record
    if r is None:
        return text
    how = IDENTITY.get(r.get("identity_source") or "", f"identity {r.get('identity_source')}")
    if ln.status == "not-passed":
        return f"{text}  best score {r['score']}% on version {r['version']}, {how}"
    text += f"  version {r['version']}, {r['created_at'][:10]}, {r['score']}%, record {r['id']}, {how}"
    if ln.redo:
        text += "\n      redo: " + "; ".join(ln.redo)
    return text


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def render_csv(sections: list[Section]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for s in sections:
        for ln in s.lines:
            r = ln.record or {}
            passed = ln.status != "not-passed"
            w.writerow([csv_cell(v) for v in (
                s.checklist.id, s.checklist.policy, s.in_force, ln.status, ln.name, ln.email,
                r.get("version") if passed else None, r.get("created_at") if passed else None,
                r.get("score"), r.get("id") if passed else None, r.get("identity_source"),
                "; ".join(ln.redo))])
    return buf.getvalue()
