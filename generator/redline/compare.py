"""Compare two texts of a policy: which clauses were added, removed, moved or changed (matched by id)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from ..model import Clause, Policy, canonical_markdown
from ..render import i18n

# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class FieldChange:
    """One public field whose value differs between the two texts."""

    name: str
    """``title``, ``summary``, ``body`` or ``contact`` for a clause; a policy field name otherwise."""
    old: Any
    new: Any

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.name, self.name.replace("_", " ").capitalize())


FIELD_LABELS = {
    "title": i18n.N_("Title"),
    "summary": i18n.N_("In short"),
    "body": i18n.N_("Text"),
    "contact": i18n.N_("Contact details"),
    "organisation": i18n.N_("Organisation"),
    "jurisdiction": i18n.N_("Jurisdiction"),
    "language": i18n.N_("Language"),
    "contact.role": i18n.N_("Contact role"),
    "contact.postal_address": i18n.N_("Postal address"),
    "contact.email": i18n.N_("Email"),
    "contact.phone": i18n.N_("Phone"),
    "preamble": i18n.N_("Introduction"),
}


CHANGED_NAMES = {
    "title": i18n.N_("the title"),
    "summary": i18n.N_("the summary"),
    "body": i18n.N_("the wording"),
    "contact": i18n.N_("the contact details"),
}
"""How a changed clause field is named in "Changed: the title and the wording."."""


@dataclass(frozen=True)
class Place:
    """Where a clause sits in one version."""

    number: str
    """Its number in reading order, e.g. ``2.3``."""
    parent_id: str | None
    """The id of the clause it is nested in; ``None`` at the top level."""
    parent_title: str | None
    index: int
    """0-based position among its siblings."""


@dataclass(frozen=True)
class ClauseChange:
    """What happened to one clause, matched by its stable id."""

    clause_id: str
    old: Clause | None
    """The clause in the old text; ``None`` when it was added."""
    new: Clause | None
    """The clause in the new text; ``None`` when it was removed."""
    old_place: Place | None
    new_place: Place | None
    moved: bool = False
    """It now sits under another parent, or in another order among the siblings it kept."""
    fields: tuple[FieldChange, ...] = ()
    """The public fields of this clause (not of its sub-clauses) that changed."""

    @property
    def kind(self) -> str:
        """``added``, ``removed``, ``changed`` or ``moved`` (a moved clause whose text changed is ``changed``)."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed" if self.fields else "moved"

    @property
    def clause(self) -> Clause:
        """The clause as it now reads, or as it last read if it was removed."""
        return self.new if self.new is not None else self.old  # type: ignore[return-value]

    @property
    def number(self) -> str:
        place = self.new_place or self.old_place
        return place.number if place else ""

    @property
    def renumbered(self) -> bool:
        return bool(self.old_place and self.new_place and self.old_place.number != self.new_place.number)

    @property
    def text_changed(self) -> bool:
        """Whether readers see different words (added, removed or a field changed), not just a new place."""
        return self.old is None or self.new is None or bool(self.fields)

    def field(self, name: str) -> FieldChange | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class PolicyDiff:
    """Every difference in the public text between two versions of one policy."""

    old: Policy | None
    """``None`` when ``new`` is the first version."""
    new: Policy
    metadata: tuple[FieldChange, ...] = ()
    """Policy-level fields that changed: title, organisation, jurisdiction, language, contact block."""
    clauses: tuple[ClauseChange, ...] = ()
    """Changed clauses in reading order of the new text; removed ones where they used to be."""
    preamble: FieldChange | None = None
    """The untitled introduction before the clauses, when it was added, removed or reworded."""

    @property
    def is_first(self) -> bool:
        return self.old is None

    @property
    def is_empty(self) -> bool:
        return not self.metadata and not self.clauses and self.preamble is None

    @property
    def changed_clause_ids(self) -> tuple[str, ...]:
        """Ids of every clause listed: added, removed, moved or changed, in page order."""
        return tuple(c.clause_id for c in self.clauses)

    @property
    def text_changed_ids(self) -> tuple[str, ...]:
        """Ids of the clauses whose words changed (added, removed or edited; not those only moved)."""
        return tuple(c.clause_id for c in self.clauses if c.text_changed)

    def of_kind(self, kind: str) -> tuple[ClauseChange, ...]:
        return tuple(c for c in self.clauses if c.kind == kind)

    @property
    def moved(self) -> tuple[ClauseChange, ...]:
        return tuple(c for c in self.clauses if c.moved)

    def summary(self, language: str | None = None) -> str:
        """One line for the versions table, e.g. ``2 clauses changed, 1 added``, in ``language``."""
        _ = i18n.labels(language)
        if self.old is None:
            n = sum(1 for _c in self.new.walk())
            return _.plural("First version: {n} clause", "First version: {n} clauses", n)
        if self.is_empty:
            return _("No change to the public text")
        counts = [(len(self.of_kind("changed")), "changed"), (len(self.of_kind("added")), "added"),
                  (len(self.of_kind("removed")), "removed"), (len(self.moved), "moved")]
        parts: list[str] = [_("Introduction changed")] if self.preamble else []
        for n, verb in counts:
            if n:  # "2 clauses changed, 1 added": the noun once, with the first count
                parts.append(_.plural(*FIRST_COUNT[verb], n) if len(parts) == bool(self.preamble)
                             else _(LATER_COUNT[verb], n=n))
        if self.metadata:
            parts.append(_("policy details changed") if parts else _("Policy details changed"))
        return ", ".join(parts)


# --------------------------------------------------------------------------- matching


FIRST_COUNT = {
    "changed": (i18n.N_("{n} clause changed"), i18n.N_("{n} clauses changed")),
    "added": (i18n.N_("{n} clause added"), i18n.N_("{n} clauses added")),
    "removed": (i18n.N_("{n} clause removed"), i18n.N_("{n} clauses removed")),
    "moved": (i18n.N_("{n} clause moved"), i18n.N_("{n} clauses moved")),
}
LATER_COUNT = {"changed": i18n.N_("{n} changed"), "added": i18n.N_("{n} added"),
               "removed": i18n.N_("{n} removed"), "moved": i18n.N_("{n} moved")}
"""The parts of a summary line, by what happened: the first names the clauses, the others count."""


def places(policy: Policy | None) -> dict[str, tuple[Place, Clause]]:
    """Map each clause id to its place and the clause, in reading order."""
    out: dict[str, tuple[Place, Clause]] = {}
    if policy is None:
        return out

    def visit(clauses: tuple[Clause, ...], prefix: str, parent: Clause | None) -> None:
        for i, c in enumerate(clauses):
            number = f"{prefix}.{i + 1}" if prefix else str(i + 1)
            out[c.id] = (Place(number, parent.id if parent else None, parent.title if parent else None, i), c)
            visit(c.clauses, number, c)

    visit(policy.clauses, "", None)
    return out


def _children(policy: Policy | None, parent_id: str | None) -> tuple[Clause, ...]:
    if policy is None:
        return ()
    if parent_id is None:
        return policy.clauses
    c = policy.clause(parent_id)
    return c.clauses if c else ()


def _reordered(old: Policy, new: Policy, places_old: dict, places_new: dict) -> set[str]:
    """Ids of clauses that kept their parent but changed order among the siblings both texts share.

    Position alone would flag every clause after an insertion; the longest run of
    siblings still in the same order stays put and only the others count as moved.
    """
    moved: set[str] = set()
    parents = {None} | {cid for cid in places_new}
    for parent in parents:
        new_ids = [c.id for c in _children(new, parent)]
        if not new_ids:
            continue
        same_parent = {cid for cid in new_ids
                       if cid in places_old and places_old[cid][0].parent_id == parent}
        old_seq = [c.id for c in _children(old, parent) if c.id in same_parent]
        new_seq = [cid for cid in new_ids if cid in same_parent]
        if old_seq == new_seq:
            continue
        kept: set[str] = set()
        for block in difflib.SequenceMatcher(None, old_seq, new_seq, autojunk=False).get_matching_blocks():
            kept.update(new_seq[block.b:block.b + block.size])
        moved.update(set(new_seq) - kept)
    return moved


def _clause_fields(old: Clause, new: Clause) -> tuple[FieldChange, ...]:
    """Changed public fields of one clause, compared in their canonical form."""
    a, b = old.public(), new.public()
    out = []
    for name in ("title", "summary", "body"):
        if a.get(name) != b.get(name):
            out.append(FieldChange(name, a.get(name), b.get(name)))
    if old.contact != new.contact:
        out.append(FieldChange("contact", old.contact, new.contact))
    return tuple(out)


def _metadata(old: Policy, new: Policy) -> tuple[FieldChange, ...]:
    out = []
    for name in ("title", "organisation", "jurisdiction", "language"):
        if getattr(old, name) != getattr(new, name):
            out.append(FieldChange(name, getattr(old, name), getattr(new, name)))
    a, b = old.contact, new.contact
    for name in ("role", "postal_address", "email", "phone"):
        va, vb = getattr(a, name), getattr(b, name)
        if va != vb:
            out.append(FieldChange(f"contact.{name}", va, vb))
    return tuple(out)


def diff_policies(old: Policy | None, new: Policy) -> PolicyDiff:
    """Compare the public text of ``old`` and ``new``; training is not public and is ignored.

    Clauses are matched by their stable id, so a clause that moves keeps its
    history and a renamed id reads as one clause removed and another added.

    Args:
        old: The earlier version, or ``None`` when ``new`` is the first.
        new: The later version.

    Returns:
        A :class:`PolicyDiff`; ``is_empty`` when the public texts are the same.
    """
    places_new = places(new)
    if old is None:
        changes = tuple(ClauseChange(cid, None, c, None, place) for cid, (place, c) in places_new.items())
        return PolicyDiff(None, new, (), changes)
    places_old = places(old)
    reordered = _reordered(old, new, places_old, places_new)

    listed: list[ClauseChange] = []
    for cid, (place, c) in places_new.items():
        if cid not in places_old:
            listed.append(ClauseChange(cid, None, c, None, place))
            continue
        old_place, oc = places_old[cid]
        moved = old_place.parent_id != place.parent_id or cid in reordered
        fields = _clause_fields(oc, c)
        if moved or fields:
            listed.append(ClauseChange(cid, oc, c, old_place, place, moved, fields))

    # A removed clause is shown where it used to be: after the clause that
    # preceded it in the old text and still exists, and after that clause's
    # sub-clauses, so it never splits a parent from its children.
    order = {cid: i for i, cid in enumerate(places_new)}
    subtree_end = dict(order)
    for cid, (place, _) in reversed(list(places_new.items())):
        if place.parent_id is not None:
            subtree_end[place.parent_id] = max(subtree_end[place.parent_id], subtree_end[cid])
    keyed: list[tuple[float, int, ClauseChange]] = [
        (order[c.clause_id], 0, c) for c in listed]
    last = -1.0
    for seq, (cid, (place, oc)) in enumerate(places_old.items()):
        if cid in places_new:
            last = float(subtree_end[cid])
            continue
        keyed.append((last + 0.5, seq, ClauseChange(cid, oc, None, place, None)))
    keyed.sort(key=lambda k: (k[0], k[1]))
    a, b = (canonical_markdown(p.preamble) if p.preamble else None for p in (old, new))
    preamble = FieldChange("preamble", a, b) if a != b else None
    return PolicyDiff(old, new, _metadata(old, new), tuple(k[2] for k in keyed), preamble)
