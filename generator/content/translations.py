"""Translations: which source text each translated clause translates, and which clauses are stale.

A policy that declares ``translation_of: <policy id>`` keeps its source's clause ids. Each
translated clause carries ``translates:``, the fingerprint of the source clause's public
text it translates, written by ``policy translations mark`` once a translator has checked
it. When the source clause changes, the fingerprints differ: the translated clause is
stale until it is brought up to date and marked again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Iterable

from ..errors import ContentError
from ..model import Clause, Policy
from .yamlsource import SourceDoc

FINGERPRINT_LENGTH = 16


def fingerprint(clause: Clause) -> str:
    """The fingerprint of a clause's own public text (title, summary, body, contact; not its sub-clauses)."""
    own = clause.public()
    own.pop("clauses", None)
    text = json.dumps(own, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


@dataclass(frozen=True)
class Stale:
    """A translated clause that does not translate its source clause's current text."""

    number: str
    clause: Clause
    source: Clause | None
    """The source clause of the same id; ``None`` when the source has none."""

    @property
    def unmarked(self) -> bool:
        return self.clause.translates is None


def stale(translation: Policy, source: Policy, marks: dict[str, str | None] | None = None) -> list[Stale]:
    """Every clause of ``translation`` whose mark is not the fingerprint of ``source``'s clause of that id.

    ``marks`` overrides the clauses' own ``translates`` (by clause id), for a published text
    whose marks come from the working file.
    """
    originals = {c.id: c for _, c, _ in source.walk()}
    out = []
    for n, c, _ in translation.walk():
        mark = marks.get(c.id) if marks is not None else c.translates
        original = originals.get(c.id)
        if original is None or mark != fingerprint(original):
            out.append(Stale(n, c, original))
    return out


def findings(parsed: Iterable[tuple[Policy, SourceDoc]]) -> tuple[list[ContentError], list[ContentError]]:
    """``(errors, warnings)`` about translations: a source that is missing, and stale or unmarked clauses."""
    pairs = list(parsed)
    by_id = {p.id: p for p, _ in pairs}
    errors: list[ContentError] = []
    warnings: list[ContentError] = []
    for policy, doc in pairs:
        if policy.translation_of is None:
            continue
        line = doc.line_of(("translation_of",))
        source = by_id.get(policy.translation_of)
        problem = None
        if policy.translation_of == policy.id:
            problem = "translation_of names this policy itself"
        elif source is None:
            problem = (f"translation_of: there is no policy '{policy.translation_of}' in the content folder "
                       f"(known: {', '.join(sorted(by_id)) or 'none'})")
        elif source.translation_of is not None:
            problem = (f"translation_of: '{source.id}' is itself a translation (of '{source.translation_of}'); "
                       "translate the original")
        if problem:
            errors.append(ContentError(problem, doc.path, line, doc.source_line(line)))
            continue
        command = f'"policy translations mark {policy.id}"'
        for s in stale(policy, source):
            at = s.clause.source.line if s.clause.source else line
            if s.source is None:
                message = (f"clause '{s.clause.id}' has no clause of that id in {source.id} to translate "
                           "(a translation keeps its source's clause ids)")
            elif s.unmarked:
                message = (f"clause '{s.clause.id}' is not marked as translating {source.id}#{s.clause.id}: "
                           f"once it says what that clause says, run {command}")
            else:
                message = (f"clause '{s.clause.id}' is stale: {source.id}#{s.clause.id} changed after it was "
                           f"translated; bring it up to date, then run {command}")
            warnings.append(ContentError(message, doc.path, at, doc.source_line(at)))
    return errors, warnings


_ID_LINE = re.compile(r"^(?P<lead>[ ]*-[ ]+)id:[ ]*(?P<id>['\"]?[a-z0-9-]+['\"]?)[ ]*(?:#.*)?$")


def mark(text: str, path: str, translation: Policy, source: Policy,
         only: Iterable[str] | None = None) -> tuple[str, list[str]]:
    """``text`` (the translation's file) with ``translates:`` set on each clause to its source clause's
    fingerprint, and the ids marked. ``only`` limits it to those clause ids.

    Each clause must be written ``- id: <id>`` on its own line (as ``policy init`` and the
    schema's examples do): the mark goes on the line after it, replacing any earlier mark.
    """
    prints = {c.id: fingerprint(c) for _, c, _ in source.walk()}
    wanted = set(only) if only is not None else None
    targets = [(c.source.line if c.source else 0, c.id) for _, c, _ in translation.walk()
               if c.id in prints and (wanted is None or c.id in wanted)]
    lines = text.split("\n")
    for line, cid in sorted(targets, reverse=True):  # bottom up: earlier line numbers stay right
        m = _ID_LINE.match(lines[line - 1]) if 0 < line <= len(lines) else None
        if m is None or m["id"].strip("'\"") != cid:
            raise ContentError(f"cannot mark clause '{cid}': write it as '- id: {cid}' on a line of its own",
                               path, line or None)
        key = " " * len(m["lead"])
        j = line
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith(key)):
            if lines[j].startswith(key + "translates:"):
                del lines[j]
                continue
            j += 1
        lines.insert(line, f"{key}translates: {prints[cid]}")
    return "\n".join(lines), [cid for _, cid in sorted(targets)]
