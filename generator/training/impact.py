"""Which staff training a change of policy text affects: questions, guidance and checklist items to redo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from ..content.checklists import split_ref
from ..model import Clause, Policy, Question
from ..redline.compare import Place, PolicyDiff, diff_policies, places

@dataclass(frozen=True)
class TrainingItem:
    """One piece of training a change affects."""

    kind: str
    """``question``, ``guidance`` or ``checklist``."""
    item_id: str
    """The question id, ``guidance``, or ``<checklist>/<item>``."""
    text: str
    """What staff see: the prompt, or the checklist item's wording."""
    clause_id: str
    clause_number: str
    clause_title: str
    reason: str
    """Why it is listed, in words (``clause text changed``, ``question changed``, …)."""
    redo: bool = True
    """Whether staff who completed it must do it again (``False`` for removed items)."""


@dataclass(frozen=True)
class TrainingImpact:
    items: tuple[TrainingItem, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def redo(self) -> tuple[TrainingItem, ...]:
        return tuple(i for i in self.items if i.redo)

    def of_kind(self, kind: str) -> tuple[TrainingItem, ...]:
        return tuple(i for i in self.items if i.kind == kind)


def _question_key(q: Question) -> tuple:
    return (q.type, q.prompt, tuple((c.id, c.text) for c in q.choices), q.answer, q.explanation)


def training_impact(old: Policy | None, new: Policy, checklists: Iterable[Any] | None = None,
                    diff: PolicyDiff | None = None) -> TrainingImpact:
    """List the training that staff must redo after moving from ``old`` to ``new``.

    Every question on a clause whose public text changed or that is new; on other
    clauses, questions and guidance that were themselves added or edited; removed
    questions (nothing to redo, but worth knowing); and checklist items that point
    at any of those clauses or questions.

    Args:
        old: The published version (``None`` if none yet).
        new: The edited version.
        checklists: Loaded checklists (:class:`generator.checklists.Checklist`, or
            mappings of the same shape); those of another ``policy`` are skipped.
            An item names what it covers in ``clauses`` and ``questions`` and is
            worded by its ``title`` or ``statement``.
        diff: ``diff_policies(old, new)`` when the caller already has it.

    Returns:
        A :class:`TrainingImpact` in page order.
    """
    diff = diff if diff is not None else diff_policies(old, new)
    text_changed = {c.clause_id: c for c in diff.clauses if c.text_changed and c.new is not None}
    places_new = places(new)
    old_questions: dict[str, tuple[Clause, Question]] = {}
    if old is not None:
        old_questions = {q.id: (c, q) for c, q in old.training_questions()}
    new_ids: set[str] = set()
    items: list[TrainingItem] = []
    affected_clauses: set[str] = set()
    affected_questions: set[str] = set()

    for cid, (place, clause) in places_new.items():
        change = text_changed.get(cid)
        training = clause.training
        old_clause = old.clause(cid) if old is not None else None
        old_training = old_clause.training if old_clause is not None else None
        if change is not None:
            reason = "new clause" if change.kind == "added" else "clause text changed"
            affected_clauses.add(cid)
        old_guidance = old_training.guidance if old_training else None
        new_guidance = training.guidance if training else None
        if change is None and old_clause is not None and (old_guidance or "").strip() != (new_guidance or "").strip():
            affected_clauses.add(cid)
            items.append(TrainingItem(
                "guidance", "guidance", "Staff guidance" if new_guidance else "Staff guidance (removed)",
                cid, place.number, clause.title,
                "guidance removed" if not new_guidance else "guidance added" if not old_guidance else "guidance changed",
                redo=bool(new_guidance)))
        for q in (training.questions if training else ()):
            new_ids.add(q.id)
            if change is not None:
                why = reason
            elif q.id not in old_questions:
                why = "question added"
            elif _question_key(old_questions[q.id][1]) != _question_key(q):
                why = "question changed"
            else:
                continue
            affected_questions.add(q.id)
            items.append(TrainingItem("question", q.id, q.prompt, cid, place.number, clause.title, why))

    for qid, (oc, q) in old_questions.items():
        if qid in new_ids:
            continue
        now = places_new.get(oc.id)
        number = now[0].number if now else ""
        reason = "question removed" if now else "clause removed"
        affected_questions.add(qid)
        items.append(TrainingItem("question", qid, q.prompt, oc.id, number, oc.title, reason, redo=False))

    for checklist in checklists or ():
        named = _attr(checklist, "policies", None) or _attr(checklist, "policy", new.id)
        trains_on = (named,) if isinstance(named, str) else tuple(named)
        if new.id not in trains_on:
            continue  # a checklist of other policies
        items.extend(_checklist_items(checklist, affected_clauses, affected_questions, places_new,
                                      new.id, trains_on[0]))
    return TrainingImpact(tuple(items))


def _names(obj: Any, *attrs: str) -> set[str]:
    """Ids an object refers to under any of ``attrs`` (a string, a list of strings or of objects with ``id``)."""
    out: set[str] = set()
    for a in attrs:
        value = obj.get(a) if isinstance(obj, dict) else getattr(obj, a, None)
        if value is None:
            continue
        for v in (value if isinstance(value, (list, tuple, set, frozenset)) else (value,)):
            out.add(v if isinstance(v, str) else str(getattr(v, "id", v)))
    return out


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _number_key(number: str) -> tuple[int, ...]:
    """``2.10`` after ``2.9``: clause numbers compared as numbers."""
    return tuple(int(p) for p in number.split(".") if p.isdigit())


def _own(names: set[str], pid: str, first: str) -> set[str]:
    """Of the clauses or questions an item names, the ids of policy ``pid``'s (``first``: the checklist's first)."""
    out = set()
    for name in names:
        owner, local = split_ref(name, first)
        if owner == pid:
            out.add(local)
    return out


def _checklist_items(checklist: Any, clauses: set[str], questions: set[str],
                     places: dict[str, tuple[Place, Clause]], pid: str, first: str) -> Iterator[TrainingItem]:
    cl_id = str(_attr(checklist, "id", ""))
    cl_title = str(_attr(checklist, "title", cl_id))
    for item in _attr(checklist, "items", ()) or ():
        refs_c = _own(_names(item, "clause", "clauses", "read"), pid, first)
        refs_q = _own(_names(item, "question", "questions", "quiz"), pid, first)
        hit_c = sorted(refs_c & clauses, key=lambda c: _number_key(places[c][0].number if c in places else ""))
        hit_q = refs_q & questions
        if not hit_c and not hit_q:
            continue
        cid = hit_c[0] if hit_c else ""
        place = places.get(cid)
        text = str(_attr(item, "text", None) or _attr(item, "title", None) or _attr(item, "statement", None)
                   or (place[1].title if place else None) or _attr(item, "id", ""))
        yield TrainingItem(
            "checklist", f"{cl_id}/{_attr(item, 'id', '')}", f"{cl_title}: {text}", cid,
            place[0].number if place else "", place[1].title if place else "",
            "covers changed clause" if hit_c else "covers changed question")
