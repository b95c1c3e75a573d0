"""Frozen model objects for policies, clauses, training and versions. No I/O here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterator


@dataclass(frozen=True)
class Source:
    """Where a model object was written: file path and 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    source: Source | None = None


@dataclass(frozen=True)
class Question:
    """A quiz question. ``answer`` holds the ids of the correct choices."""

    id: str
    type: str
    """``single``, ``multiple`` or ``true-false``."""
    prompt: str
    choices: tuple[Choice, ...]
    answer: tuple[str, ...]
    explanation: str
    source: Source | None = None
    answer_source: Source | None = None
    """Where ``answer`` is written, for errors about it."""


@dataclass(frozen=True)
class Training:
    """Staff-only material attached to a clause; never part of the public text."""

    guidance: str | None
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    body: str | None
    summary: str | None = None
    contact: bool = False
    """Whether the policy's contact block is shown at the end of this clause."""
    clauses: tuple["Clause", ...] = ()
    training: Training | None = None
    source: Source | None = None
    translates: str | None = None
    """In a translation: the fingerprint of the source clause text it translates (not public text)."""

    def walk(self, number: str = "") -> Iterator[tuple[str, "Clause", int]]:
        """Yield ``(number, clause, depth)`` for this clause and all below it."""
        yield number, self, number.count(".")
        for i, child in enumerate(self.clauses, 1):
            yield from child.walk(f"{number}.{i}" if number else str(i))

    def public(self) -> dict[str, Any]:
        """The public fields, the ones that make a new version when they change."""
        out: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.summary is not None:
            out["summary"] = canonical_markdown(self.summary)
        if self.body is not None:
            out["body"] = canonical_markdown(self.body)
        if self.contact:
            out["contact"] = True
        if self.clauses:
            out["clauses"] = [c.public() for c in self.clauses]
        return out


@dataclass(frozen=True)
class Contact:
    role: str
    postal_address: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role}
        if self.postal_address:
            out["postal_address"] = list(self.postal_address)
        if self.email:
            out["email"] = self.email
        if self.phone:
            out["phone"] = self.phone
        return out


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    organisation: str
    jurisdiction: str
    language: str
    contact: Contact
    clauses: tuple[Clause, ...]
    source: Source | None = None
    schema_version: int = 1
    previous_ids: tuple[str, ...] = ()
    """Ids this policy was published under before: its history continues them (not public text)."""
    timezone: str | None = None
    """This policy's time zone for effective dates and times shown (``None``: the site's; not public text)."""
    notice_days: int | None = None
    """Days from posting to taking effect (``None``: the site's; not public text)."""
    translation_of: str | None = None
    """The id of the policy this one translates (not public text: read from the working file)."""
    preamble: str | None = None
    """An untitled, unnumbered introduction before the clauses (Markdown; public text)."""

    def rules(self, timezone: str, notice_days: int) -> tuple[str, int]:
        """The time zone and notice period this policy is posted under: its own, else the site's given."""
        return (self.timezone or timezone, notice_days if self.notice_days is None else self.notice_days)

    def walk(self) -> Iterator[tuple[str, Clause, int]]:
        """Yield ``(number, clause, depth)`` for every clause in reading order."""
        for i, clause in enumerate(self.clauses, 1):
            yield from clause.walk(str(i))

    def clause(self, clause_id: str) -> Clause | None:
        for _, c, _ in self.walk():
            if c.id == clause_id:
                return c
        return None

    def public(self) -> dict[str, Any]:
        """The public text as plain data: what readers see, nothing staff-only."""
        return {
            "id": self.id,
            "title": self.title,
            "organisation": self.organisation,
            "jurisdiction": self.jurisdiction,
            "language": self.language,
            "contact": self.contact.public(),
            "clauses": [c.public() for c in self.clauses],
            # Only when there is one: a text without a preamble keeps the hash it always had.
            **({"preamble": canonical_markdown(self.preamble)} if self.preamble else {}),
        }

    def canonical_text(self) -> str:
        """A canonical serialisation of the public text: equal texts give equal strings.

        Comments, YAML layout, key order and training-only edits do not change it.
        """
        return json.dumps(self.public(), sort_keys=True, ensure_ascii=False, indent=1) + "\n"

    def text_sha256(self) -> str:
        return hashlib.sha256(self.canonical_text().encode("utf-8")).hexdigest()

    def training_questions(self) -> Iterator[tuple[Clause, Question]]:
        for _, c, _ in self.walk():
            if c.training:
                for q in c.training.questions:
                    yield c, q


def canonical_markdown(text: str) -> str:
    """Normalise whitespace that Markdown ignores: line ends, trailing spaces, outer blank lines."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    out: list[str] = []
    for ln in lines:  # runs of blank lines mean the same as one
        if ln or (out and out[-1]):
            out.append(ln)
    return "\n".join(out)


STATUSES = ("in-force", "superseded", "scheduled", "draft")


@dataclass(frozen=True)
class PolicyVersion:
    """One published (or draft) version of a policy's public text."""

    number: int
    """1, 2, 3… in posting order; 0 is never used. A draft gets the next number."""
    policy: Policy
    commit: str | None
    """First first-parent commit carrying this text; ``None`` for a working-tree draft."""
    posted_at: datetime | None
    """Committer time of that commit, timezone-aware; ``None`` for a draft."""
    effective_date: date | None
    status: str
    superseded_on: date | None = None
    text_sha256: str = ""
    source_text: str = field(default="", repr=False)
    """The YAML of the blob this version was read from."""
    posted_zone: str = ""
    """The time zone it was posted under (``mkdocs.yml`` at its commit); ``""`` if not known."""

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"
