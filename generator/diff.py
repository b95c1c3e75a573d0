"""Redlines between two policies: which clauses were added, removed, moved or changed, word by word."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from markupsafe import escape

from .model import Clause, Policy, Question

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
    "title": "Title",
    "summary": "In short",
    "body": "Text",
    "contact": "Contact details",
    "organisation": "Organisation",
    "jurisdiction": "Jurisdiction",
    "language": "Language",
    "contact.role": "Contact role",
    "contact.postal_address": "Postal address",
    "contact.email": "Email",
    "contact.phone": "Phone",
}


CHANGED_NAMES = {
    "title": "the title",
    "summary": "the summary",
    "body": "the wording",
    "contact": "the contact details",
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

    @property
    def is_first(self) -> bool:
        return self.old is None

    @property
    def is_empty(self) -> bool:
        return not self.metadata and not self.clauses

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

    def summary(self) -> str:
        """One line for the versions table, e.g. ``2 clauses changed, 1 added``."""
        if self.old is None:
            n = sum(1 for _ in self.new.walk())
            return f"First version: {_plural(n, 'clause')}"
        if self.is_empty:
            return "No change to the public text"
        counts = [(len(self.of_kind("changed")), "changed"), (len(self.of_kind("added")), "added"),
                  (len(self.of_kind("removed")), "removed"), (len(self.moved), "moved")]
        parts: list[str] = []
        for n, verb in counts:
            if n:
                parts.append(f"{_plural(n, 'clause')} {verb}" if not parts else f"{n} {verb}")
        if self.metadata:
            parts.append("policy details changed" if parts else "Policy details changed")
        return ", ".join(parts)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --------------------------------------------------------------------------- matching


def _places(policy: Policy | None) -> dict[str, tuple[Place, Clause]]:
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
    places_new = _places(new)
    if old is None:
        changes = tuple(ClauseChange(cid, None, c, None, place) for cid, (place, c) in places_new.items())
        return PolicyDiff(None, new, (), changes)
    places_old = _places(old)
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
    return PolicyDiff(old, new, _metadata(old, new), tuple(k[2] for k in keyed))


# --------------------------------------------------------------------------- training


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
    places_new = _places(new)
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
        if _attr(checklist, "policy", new.id) != new.id:
            continue  # a checklist of another policy
        items.extend(_checklist_items(checklist, affected_clauses, affected_questions, places_new))
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


def _checklist_items(checklist: Any, clauses: set[str], questions: set[str],
                     places: dict[str, tuple[Place, Clause]]) -> Iterator[TrainingItem]:
    cl_id = str(_attr(checklist, "id", ""))
    cl_title = str(_attr(checklist, "title", cl_id))
    for item in _attr(checklist, "items", ()) or ():
        refs_c = _names(item, "clause", "clauses", "read")
        refs_q = _names(item, "question", "questions", "quiz")
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


# --------------------------------------------------------------------------- word diff

# Links, inline code and autolinks are compared whole: a redline inside a URL
# would break the link it marks up.
_TOKEN = re.compile(
    r"\[[^\]\n]*\]\([^)\s]*\)"          # [text](url)
    r"|`[^`\n]+`"                        # `code`
    r"|<(?:https?://|mailto:)[^>\s]+>"   # <https://…>
    r"|\n"
    r"|[^\S\n]+"
    r"|\w+(?:['’\-]\w+)*"
    r"|[^\w\s]"
)
_BLOCK_MARKER = re.compile(r"^(?:[ \t]*(?:[-*+]|\d+[.)])[ \t]+|[ \t]*>[ \t]?|#{1,6}[ \t]+)")
_RAW = re.compile(r"^(?:\[[^\]\n]*\]\([^)\s]*\)|`[^`\n]+`|<(?:https?://|mailto:)[^>\s]+>)$")
_LINK = re.compile(r"\[(?P<text>[^\]\n]*)\](?P<target>\([^)\s]*\))\Z")

LABELS = {"ins": "inserted", "del": "deleted"}


def tokens(text: str) -> list[str]:
    """Split text into words, punctuation, spaces and line ends (Markdown links kept whole)."""
    return _TOKEN.findall(text)


def _esc(token: str) -> str:
    # Links and autolinks stay Markdown so that they still work in the redline; a
    # link's words are escaped like any other words, or "[<img …>](url)" is markup.
    link = _LINK.match(token)
    if link:
        return f"[{escape(link['text'])}]{link['target']}"
    return token if _RAW.match(token) else str(escape(token))


def _wrap(tag: str, text_tokens: list[str], at_line_start: bool, labels: bool) -> str:
    """Mark ``text_tokens`` as inserted or deleted, one tag per line so Markdown blocks survive."""
    out: list[str] = []
    lines: list[list[str]] = [[]]
    for t in text_tokens:
        if t == "\n":
            lines.append([])
        else:
            lines[-1].append(t)
    for n, line in enumerate(lines):
        if n:
            out.append("\n")
        raw = "".join(line)
        start = at_line_start or n > 0
        prefix = ""
        if start:
            m = _BLOCK_MARKER.match(raw)
            if m:  # keep "- " or "1. " outside the tag, or the list item is lost
                prefix = m.group(0)
                raw = raw[len(prefix):]
        body = raw.strip()
        if not body:
            out.append(prefix + raw)
            continue
        lead = raw[: len(raw) - len(raw.lstrip())]
        trail = raw[len(raw.rstrip()):]
        inner = "".join(_esc(t) for t in tokens(body))
        if labels:
            inner = (f'<span class="policy-sr">[{LABELS[tag]}: </span>{inner}'
                     f'<span class="policy-sr">]</span>')
        out.append(f"{prefix}{lead}<{tag}>{inner}</{tag}>{trail}")
    return "".join(out)


def word_diff_html(old: str | None, new: str | None, *, labels: bool = True) -> str:
    """Redline ``old`` → ``new`` word by word as Markdown with ``<ins>``/``<del>`` marks.

    Lines are matched first (a paragraph or a list item is one line of the
    canonical text), then words within each pair of similar lines, so that a
    list item stays a list item and an edit stays inside its own line. Text is
    HTML-escaped.

    Args:
        old: The earlier text (``None`` or ``""`` when there was none).
        new: The later text.
        labels: Add visually hidden ``[inserted: …]``/``[deleted: …]`` words for
            screen readers and copy-paste; turn off where classes are stripped
            (e.g. a GitHub comment), as the words would then show.

    Returns:
        Markdown text; equal inputs give the text unchanged (escaped).
    """
    a = old.split("\n") if old else []
    b = new.split("\n") if new else []
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend("".join(_esc(t) for t in tokens(line)) for line in a[i1:i2])
            continue
        for x, y in _pair_lines(a[i1:i2], b[j1:j2]):
            if x is not None and y is not None:
                out.append(_line_diff(x, y, labels))
            elif x is not None:
                out.append(_wrap("del", tokens(x), True, labels))
            else:
                out.append(_wrap("ins", tokens(y), True, labels))
    return "\n".join(out)


def _similarity(x: str, y: str) -> float:
    if not x.strip() or not y.strip():
        return 1.0 if x.strip() == y.strip() else 0.0
    # List markers say nothing about whether two items are the same item.
    x, y = _BLOCK_MARKER.sub("", x, count=1), _BLOCK_MARKER.sub("", y, count=1)
    sm = difflib.SequenceMatcher(None, tokens(x), tokens(y), autojunk=False)
    return sm.ratio() if sm.quick_ratio() >= 0.5 else 0.0


def _pair_lines(a: list[str], b: list[str]) -> list[tuple[str | None, str | None]]:
    """Pair each old line with the most similar new line still ahead; the rest were deleted or inserted."""
    out: list[tuple[str | None, str | None]] = []
    j = 0
    for x in a:
        best, best_k = 0.0, -1
        for k in range(j, len(b)):
            r = _similarity(x, b[k])
            if r > best:
                best, best_k = r, k
        if best >= 0.5:
            out.extend((None, y) for y in b[j:best_k])
            out.append((x, b[best_k]))
            j = best_k + 1
        else:
            out.append((x, None))
    out.extend((None, y) for y in b[j:])
    return out


def _line_diff(old: str, new: str, labels: bool) -> str:
    """Word-level redline of one line against another."""
    m_old, m_new = _BLOCK_MARKER.match(old), _BLOCK_MARKER.match(new)
    p_old, p_new = (m_old.group(0) if m_old else ""), (m_new.group(0) if m_new else "")
    if p_old.strip() != p_new.strip():
        # A bullet that became a number: the new marker leads, or the list would break.
        return p_new + _line_diff(old[len(p_old):], new[len(p_new):], labels)
    a, b = tokens(old), tokens(new)
    # Spaces may extend a match but never anchor one: "we [-generally-] record {+all+}",
    # not "we [-generally record-] {+record all+}" around a shared space.
    matcher = difflib.SequenceMatcher(_is_space, a, b, autojunk=False)
    ops = _merge_small_gaps(matcher.get_opcodes(), a)
    out: list[str] = []
    for op, i1, i2, j1, j2 in ops:
        if op == "equal":
            out.append("".join(_esc(t) for t in a[i1:i2]))
            continue
        old_part, new_part = a[i1:i2], b[j1:j2]
        if not "".join(old_part).strip() and not "".join(new_part).strip():
            out.append("".join(new_part))  # only spacing differs: Markdown shows no difference
            continue
        start = not out
        if "".join(old_part).strip():
            out.append(_wrap("del", old_part, start, labels))
            start = False
            # "<del>old</del> <ins>new</ins>": without the space the two words run
            # together for anyone reading without the underline and strike-through.
            if "".join(new_part).strip() and _is_word(old_part[-1]) and _is_word(new_part[0]) \
                    and not out[-1].endswith(" "):
                out.append(" ")
        if "".join(new_part).strip():
            out.append(_wrap("ins", new_part, start, labels))
        else:
            out.append("".join(new_part))
    return "".join(out)


def _is_space(token: str) -> bool:
    return token.isspace()


def _is_word(token: str) -> bool:
    return bool(token) and (token[0].isalnum() or token[-1].isalnum() or token[0] in "[`<")


def _merge_small_gaps(ops: list[tuple], a: list[str]) -> list[tuple]:
    """Fold a lone space between two edits into one edit: ``<del>a b</del>`` reads better than two."""
    out: list[list] = []
    for op in ops:
        op = list(op)
        if (len(out) >= 2 and op[0] != "equal" and out[-1][0] == "equal" and out[-2][0] != "equal"
                and all(t.isspace() and t != "\n" for t in a[out[-1][1]:out[-1][2]])):
            gap = out.pop()
            prev = out.pop()
            op = ["replace", prev[1], op[2], prev[3], op[4]]
            del gap
        elif out and op[0] != "equal" and out[-1][0] != "equal":
            prev = out.pop()
            op = ["replace", prev[1], op[2], prev[3], op[4]]
        out.append(op)
    return [tuple(o) for o in out]


# --------------------------------------------------------------------------- changes page


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def contact_sentence(shown: bool) -> str:
    return ("The contact details are now shown at the end of this clause."
            if shown else "The contact details are no longer shown at the end of this clause.")


def what_happened(c: ClauseChange) -> tuple[str, str]:
    """What happened to the clause, in words (not colour): a bold lead word and the rest."""
    if c.kind == "added":
        return "Added.", "This clause is new."
    if c.kind == "removed":
        return "Removed.", f"It was clause {c.old_place.number}."
    lead, parts = "Moved.", []
    if c.fields:
        lead = "Changed:"
        names = [CHANGED_NAMES.get(f.name, f.label.lower()) for f in c.fields]
        parts.append((", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]) + ".")
    if c.moved:
        old_p, new_p = c.old_place, c.new_place
        if old_p.parent_id != new_p.parent_id:
            where = f"under “{new_p.parent_title}”" if new_p.parent_title else "to the top level"
            parts.append(f"{'It moved' if c.fields else 'It is now'} {where} (it was clause {old_p.number}).")
        else:
            parts.append(f"It moved from clause {old_p.number} to {new_p.number}.")
    elif c.renumbered:
        parts.append(f"It was clause {c.old_place.number}.")
    return lead, " ".join(parts)


def field_pairs(c: ClauseChange) -> list[tuple[str, str, Any, Any]]:
    """``(name, label, old, new)`` for each public field to show for a clause (not its title).

    An added clause shows its summary and text as all new, a removed one as all
    gone; texts are canonical Markdown without the contact marker.
    """
    if c.kind in ("added", "removed"):
        clause = c.clause
        out = []
        for name in ("summary", "body"):
            value = _strip_marker(getattr(clause, name))
            if value:
                out.append((name, FIELD_LABELS[name], None if c.kind == "added" else value,
                            value if c.kind == "added" else None))
        return out
    return [(f.name, f.label, f.old if f.name == "contact" else _strip_marker(f.old),
             f.new if f.name == "contact" else _strip_marker(f.new))
            for f in c.fields if f.name != "title"]


def redline_fields(c: ClauseChange, *, labels: bool = True) -> list[dict[str, str]]:
    """The redline of each public field of a clause: ``name``, ``label`` and ``markdown``."""
    out: list[dict[str, str]] = []
    for name, label, old, new in field_pairs(c):
        if name == "contact":
            md = contact_sentence(bool(new))
        else:
            md = word_diff_html(old, new, labels=labels)
        out.append({"name": name, "label": label, "markdown": md})
    return out


def _strip_marker(text: str | None) -> str | None:
    """The text without its ``<!-- contact -->`` line: the contact block is reported as its own change."""
    from .render import CONTACT_MARKER  # lazy: render loads jinja2, which a plain diff does not need

    return CONTACT_MARKER.sub("", text).strip("\n") if text else text


def changes_markdown(diff: PolicyDiff, *, old_label: str, new_label: str, new_url: str | None = None,
                     old_url: str | None = None, for_site: bool = True, heading_level: int = 2) -> str:
    """The body of a changes page: every changed clause with its number, title, what happened and its redline.

    Args:
        diff: The result of :func:`diff_policies`.
        old_label: How to name the earlier text, e.g. ``version 2``.
        new_label: How to name the later text, e.g. ``version 3``.
        new_url: URL of the later text's page, prefixed to ``#clause-id`` anchors
            (``None`` for no links); ``"../"`` from ``v/3/changes/``.
        old_url: Likewise for the earlier text, used to link removed clauses.
        for_site: Use MkDocs extensions (heading ids, ``markdown`` attributes,
            visually hidden labels); ``False`` for GitHub-flavoured Markdown.
        heading_level: Level of each clause's heading.

    Returns:
        Markdown with inline HTML.
    """
    from .render import md_attr, render

    entries = []
    for c in diff.clauses:
        title = c.field("title")
        if title is not None:
            title_md = word_diff_html(title.old, title.new, labels=for_site)
        else:
            title_md = md_attr(c.clause.title)
        url = ""
        if c.new is not None and new_url is not None:
            url = f"{new_url}#{c.clause_id}"
        elif c.new is None and old_url is not None:
            url = f"{old_url}#{c.clause_id}"
        entries.append({
            "change": c,
            "kind": c.kind,
            "number": c.number,
            "title_md": title_md,
            "lead": what_happened(c)[0],
            "what": what_happened(c)[1],
            "fields": redline_fields(c, labels=for_site),
            "url": url,
            "link_label": (f"Read clause {c.number} in {new_label}" if c.new is not None
                           else f"Read clause {c.number} as it was in {old_label}"),
        })
    metadata = []
    for f in diff.metadata:
        if f.name == "contact.postal_address":
            md = word_diff_html("\n".join(f.old or ()), "\n".join(f.new or ()), labels=for_site)
            md = md.replace("\n", "<br>\n")
        else:
            md = word_diff_html(_value_text(f.old), _value_text(f.new), labels=for_site)
        metadata.append({"label": f.label, "markdown": md})
    return render("changes.md", diff=diff, entries=entries, metadata=metadata, old_label=old_label,
                  new_label=new_label, for_site=for_site, hashes="#" * max(1, min(heading_level, 6)),
                  summary=diff.summary())
