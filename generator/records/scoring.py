"""Read the training contract a build published and score a submitted checklist against it."""

from __future__ import annotations

import json
import math
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import ContentError, PolicyError
from ..training import answer_hash  # the formula the build publishes and the page uses

ITEM_KINDS = ("read", "quiz", "acknowledge")

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
"""Checklist and policy ids are slugs; anything else cannot name a published file."""


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    clauses: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    statement: str | None = None


@dataclass(frozen=True)
class QuestionKey:
    """What the server needs to mark one question: its choices and the salted answer hash."""

    id: str
    clause: str
    type: str
    choices: tuple[str, ...]
    salt: str
    answer_hash: str


@dataclass(frozen=True)
class Checklist:
    """One published ``training/<id>/checklist.json``: the current training of one checklist."""

    id: str
    title: str
    policy: str
    version: int
    effective_date: str | None
    training_hash: str
    pass_mark: int
    items: tuple[Item, ...]
    questions: dict[str, QuestionKey]
    clause_hashes: dict[str, str]
    path: str = ""

    @property
    def quiz_questions(self) -> tuple[str, ...]:
        """Ids of the questions that count towards the score, in order, each once."""
        seen: dict[str, None] = {}
        for item in self.items:
            if item.kind == "quiz":
                for q in item.questions:
                    seen.setdefault(q, None)
        return tuple(seen)

    @property
    def acknowledge_items(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items if i.kind == "acknowledge")


@dataclass(frozen=True)
class Score:
    correct: int
    total: int
    score: int
    """Whole percent, rounded down."""
    passed: bool
    wrong: tuple[str, ...] = ()
    missing_acknowledgements: tuple[str, ...] = ()


class SubmissionError(PolicyError):
    """A submission that does not fit the checklist; ``field`` names the offending part."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def score(checklist: Checklist, answers: Mapping[str, list[str]], acknowledged: Iterable[str]) -> Score:
    """Mark ``answers`` against the checklist's answer hashes; the browser's own mark is never used.

    Args:
        checklist: the published checklist the person worked through.
        answers: question id -> chosen choice ids. Unanswered questions count as wrong.
        acknowledged: ids of the acknowledge items the person ticked.

    Returns:
        The score; ``passed`` needs the pass mark and every acknowledgement.

    Raises:
        SubmissionError: an answer names a question or choice the checklist does not have,
            or an acknowledgement names no acknowledge item.
    """
    counted = checklist.quiz_questions
    for qid, chosen in answers.items():
        key = checklist.questions.get(qid)
        if key is None or qid not in counted:
            raise SubmissionError(f"'{qid}' is not a question of checklist '{checklist.id}'", f"answers.{qid}")
        for choice in chosen:
            if choice not in key.choices:
                raise SubmissionError(f"'{choice}' is not a choice of question '{qid}'", f"answers.{qid}")
    acks = set(acknowledged)
    wanted = checklist.acknowledge_items
    for a in sorted(acks):
        if a not in wanted:
            raise SubmissionError(f"'{a}' is not an item to acknowledge in checklist '{checklist.id}'",
                                  "acknowledged")
    wrong = []
    for qid in counted:
        key = checklist.questions[qid]
        if answer_hash(key.salt, qid, answers.get(qid, ())) != key.answer_hash:
            wrong.append(qid)
    total = len(counted)
    correct = total - len(wrong)
    # No quiz at all means nothing to get wrong: the acknowledgements decide.
    percent = math.floor(100 * correct / total) if total else 100
    missing = tuple(a for a in wanted if a not in acks)
    return Score(correct, total, percent, percent >= checklist.pass_mark and not missing,
                 tuple(wrong), missing)


def changed_clauses(old: Mapping[str, str], new: Mapping[str, str]) -> set[str]:
    """Clause ids whose text differs between two ``clause_text_sha256`` maps (added ones too)."""
    return {cid for cid, h in new.items() if old.get(cid) != h}


def items_to_redo(checklist: Checklist, old_clause_hashes: Mapping[str, str]) -> list[Item]:
    """The items of ``checklist`` that touch a clause changed since ``old_clause_hashes``."""
    changed = changed_clauses(old_clause_hashes, checklist.clause_hashes)
    out = []
    for item in checklist.items:
        clauses = set(item.clauses)
        for qid in item.questions:
            if qid in checklist.questions:
                clauses.add(checklist.questions[qid].clause)
        if clauses & changed:
            out.append(item)
    return out


# -- reading the published files ------------------------------------------------------------

def _need(data: Mapping[str, Any], key: str, kind: type | tuple, path: str, where: str = "") -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise ContentError(f"{where}'{key}' is missing or of the wrong type", path)
    return value


def checklist_from_json(data: Any, path: str = "checklist.json") -> Checklist:
    """Build a :class:`Checklist` from the parsed JSON, checking the shape of the contract."""
    if not isinstance(data, dict):
        raise ContentError("a checklist.json must hold a JSON object", path)
    items = []
    for i, raw in enumerate(_need(data, "items", list, path)):
        where = f"items[{i}]: "
        if not isinstance(raw, dict):
            raise ContentError(f"{where}must be an object", path)
        kind = _need(raw, "kind", str, path, where)
        if kind not in ITEM_KINDS:
            raise ContentError(f"{where}unknown kind {kind!r}", path)
        items.append(Item(
            id=_need(raw, "id", str, path, where), kind=kind,
            clauses=tuple(str(c) for c in raw.get("clauses") or ()),
            questions=tuple(str(q) for q in raw.get("questions") or ()),
            statement=raw.get("statement")))
    questions = {}
    for i, raw in enumerate(_need(data, "questions", list, path)):
        where = f"questions[{i}]: "
        if not isinstance(raw, dict):
            raise ContentError(f"{where}must be an object", path)
        q = QuestionKey(
            id=_need(raw, "id", str, path, where), clause=str(raw.get("clause", "")),
            type=str(raw.get("type", "")),
            choices=tuple(str(c) for c in _need(raw, "choices", list, path, where)),
            salt=_need(raw, "salt", str, path, where),
            answer_hash=_need(raw, "answer_hash", str, path, where))
        questions[q.id] = q
    checklist = Checklist(
        id=_need(data, "checklist", str, path), title=str(data.get("title") or data["checklist"]),
        policy=_need(data, "policy", str, path), version=_need(data, "version", int, path),
        effective_date=data.get("effective_date"),
        training_hash=_need(data, "training_hash", str, path),
        pass_mark=_need(data, "pass_mark", int, path), items=tuple(items), questions=questions,
        clause_hashes={str(k): str(v) for k, v in (data.get("clause_text_sha256") or {}).items()},
        path=path)
    for qid in checklist.quiz_questions:
        if qid not in questions:
            raise ContentError(f"a quiz item names question '{qid}', which is not in 'questions'", path)
    return checklist


def load_checklist(path: str | Path) -> Checklist:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ContentError(f"cannot read: {e}", str(path)) from None
    except json.JSONDecodeError as e:
        raise ContentError(f"not valid JSON: {e.msg}", str(path), e.lineno) from None
    return checklist_from_json(data, str(path))


def versions_from_json(data: Any) -> list[dict[str, Any]]:
    """The version entries of a ``versions.json``: a plain list, or an object with ``versions``."""
    if isinstance(data, dict):
        data = data.get("versions")
    if not isinstance(data, list):
        return []
    return [v for v in data if isinstance(v, dict) and isinstance(v.get("version"), int)]


@dataclass
class _Cached:
    stamp: tuple
    value: Any


@dataclass
class PublishedSite:
    """The training contract of a built site, re-read whenever the build rewrites a file.

    A rebuild while the service runs (a new version merged) must take effect at once:
    that is what makes an old page's submission stale (409) rather than silently accepted.
    """

    root: Path
    _cache: dict[str, _Cached] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _read(self, path: Path, parse) -> Any:
        try:
            st = path.stat()
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        key = str(path)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit.stamp == stamp:
                return hit.value
        value = parse(path)
        with self._lock:
            self._cache[key] = _Cached(stamp, value)
        return value

    def checklist(self, checklist_id: str) -> Checklist | None:
        """The current checklist ``checklist_id``, or ``None`` when the site has none by that id."""
        if not SLUG.match(checklist_id):
            return None
        return self._read(self.root / "training" / checklist_id / "checklist.json", load_checklist)

    def checklists(self) -> list[Checklist]:
        base = self.root / "training"
        if not base.is_dir():
            return []
        out = []
        for name in sorted(os.listdir(base)):
            c = self.checklist(name)
            if c is not None:
                out.append(c)
        return out

    def versions(self, policy_id: str) -> list[dict[str, Any]]:
        """The entries of ``<policy>/versions.json`` (empty when the build wrote none)."""
        def parse(p: Path) -> list[dict[str, Any]]:
            try:
                return versions_from_json(json.loads(p.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                raise ContentError("not valid JSON", str(p)) from None
        if not SLUG.match(policy_id):
            return []
        return self._read(self.root / policy_id / "versions.json", parse) or []

    def version_in_force(self, checklist: Checklist) -> int:
        """The policy version in force, from ``versions.json``; the checklist's own if none is listed."""
        for v in self.versions(checklist.policy):
            if v.get("status") == "in-force":
                return int(v["version"])
        return checklist.version

    def known_versions(self, checklist: Checklist) -> set[int]:
        known = {int(v["version"]) for v in self.versions(checklist.policy)}
        known.add(checklist.version)
        return known
