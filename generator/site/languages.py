"""A policy and its translations: the links between their pages, and the stale clauses of a translation.

A translation's page in force shows, on each clause that no longer translates the clause
of its source in force, a notice linking that clause. Which source text a clause
translates (``translates:``) is not public text: like training, it is read from the
working file, and it counts for the version shown only where that version's clause
reads as the working file's does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..content.translations import stale
from ..history.versions import PolicyHistory
from ..model import Policy
from ..render.i18n import language_name


@dataclass(frozen=True)
class Relative:
    """Another language of the same policy."""

    policy_id: str
    title: str
    language: str
    is_source: bool
    """``True``: the policy this one translates; ``False``: a translation of this one."""

    @property
    def language_name(self) -> str:
        return language_name(self.language)


@dataclass(frozen=True)
class Family:
    relatives: tuple[Relative, ...] = ()
    source_id: str | None = None
    stale: tuple[str, ...] = ()
    """Ids of the clauses of the version shown that lag behind the source in force."""
    missing: frozenset[str] = field(default_factory=frozenset)
    """Of those, the ones whose source clause is gone from the source in force."""


def families(policies: Iterable[Policy], histories: Mapping[str, PolicyHistory]) -> dict[str, Family]:
    """Each policy's relatives (its source, its translations) and, for a translation, its stale clauses."""
    current = {p.id: p for p in policies}
    out: dict[str, Family] = {}
    for p in current.values():
        relatives = []
        source = current.get(p.translation_of) if p.translation_of else None
        if source is not None:
            relatives.append(Relative(source.id, source.title, source.language, True))
        relatives += [Relative(t.id, t.title, t.language, False) for t in current.values()
                      if t.translation_of == p.id and t.id != p.id]
        lagging: tuple[str, ...] = ()
        missing: frozenset[str] = frozenset()
        shown = histories[p.id].shown if p.id in histories else None
        source_now = histories[source.id].in_force if source is not None and source.id in histories else None
        if shown is not None and source_now is not None:
            marks = {}
            for _, c, _ in shown.policy.walk():
                working = p.clause(c.id)
                marks[c.id] = working.translates if working and working.public() == c.public() else None
            found = stale(shown.policy, source_now.policy, marks)
            lagging = tuple(s.clause.id for s in found)
            missing = frozenset(s.clause.id for s in found if s.source is None)
        out[p.id] = Family(tuple(relatives), source.id if source else None, lagging, missing)
    return out
