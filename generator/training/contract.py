"""``training/<id>/checklist.json``: the training contract a build publishes and the records service reads.

One module writes it and reads it back, so the build, the page and the server hash
answers the same way. It imports nothing heavier than the model: the records service
loads it without the page-building code.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..errors import ContentError
from ..model import Clause, Policy, Question

if TYPE_CHECKING:  # pragma: no cover - types only
    from ..content.checklists import Checklist as ChecklistSource
    from ..content.checklists import Item as ItemSource

ITEM_KINDS = ("read", "quiz", "acknowledge")
FILE_NAME = "checklist.json"


# -- hashes --------------------------------------------------------------------------------


def canonical_json(data: Any) -> str:
    """One serialisation for hashing: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element (no ``</script>`` or ``<!--`` can appear).

    The training page embeds its data so; the records service rewrites it the same way.
    """
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clause_text_sha256(clause: Clause) -> str:
    """SHA-256 of a clause's canonical public JSON (title, summary, body, sub-clauses)."""
    return sha256_hex(canonical_json(clause.public()))


def question_salt(training_hash: str, question_id: str) -> str:
    """Deterministic per question and per training content, so builds are reproducible."""
    return sha256_hex(training_hash + question_id)[:32]


def answer_hash(salt: str, question_id: str, choice_ids: Iterable[str]) -> str:
    """The published check of an answer: the script and the records service hash the chosen set the same way.

    Returns:
        ``sha256("{salt}:{question_id}:{sorted ids joined by commas}")`` in hex.
    """
    return sha256_hex(f"{salt}:{question_id}:{','.join(sorted(choice_ids))}")


def _question_record(q: Question, clause_id: str) -> dict[str, Any]:
    return {"id": q.id, "clause": clause_id, "type": q.type, "prompt": q.prompt,
            "choices": [{"id": c.id, "text": c.text} for c in q.choices],
            "answer": sorted(q.answer), "explanation": q.explanation}


def _item_record(item: "ItemSource") -> dict[str, Any]:
    return {"id": item.id, "kind": item.kind, "title": item.title, "clauses": list(item.clauses),
            "questions": list(item.questions), "statement": item.statement}


def questions_by_id(policy: Policy) -> dict[str, tuple[Clause, Question]]:
    return {q.id: (c, q) for c, q in policy.training_questions()}


def _guidance(policy: Policy, clause_id: str) -> str | None:
    clause = policy.clause(clause_id)
    return clause.training.guidance if clause is not None and clause.training else None


def training_content(checklist: "ChecklistSource", policy: Policy) -> dict[str, Any]:
    """Everything staff are trained and tested on for one checklist (not the public text)."""
    questions = questions_by_id(policy)
    return {
        "checklist": checklist.id,
        "pass_mark": checklist.pass_mark,
        "items": [_item_record(i) for i in checklist.items],
        "guidance": {cid: _guidance(policy, cid) for cid in checklist.clause_ids()},
        "questions": [_question_record(questions[qid][1], questions[qid][0].id)
                      for qid in checklist.question_ids()],
    }


def training_hash(checklist: "ChecklistSource", policy: Policy) -> str:
    return sha256_hex(canonical_json(training_content(checklist, policy)))


def item_hash(item: "ItemSource", policy: Policy) -> str:
    """Hash of one item's own training (guidance, questions, statement): a change means redo it."""
    questions = questions_by_id(policy)
    return sha256_hex(canonical_json({
        "item": _item_record(item),
        "guidance": {cid: _guidance(policy, cid) for cid in item.clauses},
        "questions": [_question_record(questions[q][1], questions[q][0].id) for q in item.questions],
    }))


# -- the published contract ------------------------------------------------------------------


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
    versions: dict[str, int] | None = None
    """For a checklist across several policies: the version of each trained on (``policy``'s first).
    Their clauses and questions are named ``policy-id#id`` in ``items``, ``questions`` and the hashes."""

    @property
    def versions_key(self) -> str:
        """``privacy-policy=1;terms-of-use=2`` for a checklist across policies, ``""`` for one (records)."""
        return ";".join(f"{pid}={n}" for pid, n in sorted((self.versions or {}).items()))

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

    def to_json(self) -> dict[str, Any]:
        """The published file's content, in its key order."""
        items = []
        for item in self.items:
            entry: dict[str, Any] = {"id": item.id, "kind": item.kind, "clauses": list(item.clauses)}
            if item.kind == "quiz":
                entry["questions"] = list(item.questions)
            if item.kind == "acknowledge":
                entry["statement"] = item.statement
            items.append(entry)
        return {
            "checklist": self.id,
            "title": self.title,
            "policy": self.policy,
            "version": self.version,
            "effective_date": self.effective_date,
            "training_hash": self.training_hash,
            "pass_mark": self.pass_mark,
            "items": items,
            "questions": [{"id": q.id, "clause": q.clause, "type": q.type, "choices": list(q.choices),
                           "salt": q.salt, "answer_hash": q.answer_hash} for q in self.questions.values()],
            "clause_text_sha256": dict(self.clause_hashes),
            **({"versions": dict(self.versions)} if self.versions else {}),
        }

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: Any, path: str = FILE_NAME) -> "Checklist":
        """Read the parsed JSON, checking the shape of the contract. Raises :class:`ContentError`."""
        return checklist_from_json(data, path)


def publish(checklist: "ChecklistSource", policy: Policy, version: int,
            effective_date: date | None, versions: Mapping[str, int] | None = None) -> Checklist:
    """The contract of ``checklist`` as trained on ``policy`` (version ``version``); across several
    policies, ``policy`` is their combined view and ``versions`` the version of each."""
    thash = training_hash(checklist, policy)
    if versions:
        # Across policies ``version`` is the first one's: a new version of another must still make
        # the training another (a page loaded before is refused, its progress carried item by item).
        thash = sha256_hex(canonical_json({"training": thash, "versions": dict(versions)}))
    questions = questions_by_id(policy)
    items = tuple(Item(i.id, i.kind, tuple(i.clauses), tuple(i.questions) if i.kind == "quiz" else (),
                       i.statement if i.kind == "acknowledge" else None) for i in checklist.items)
    keys = {}
    for qid in checklist.question_ids():
        clause, q = questions[qid]
        salt = question_salt(thash, qid)
        keys[qid] = QuestionKey(qid, clause.id, q.type, tuple(c.id for c in q.choices), salt,
                                answer_hash(salt, qid, q.answer))
    return Checklist(
        id=checklist.id, title=checklist.title, policy=policy.id, version=version,
        effective_date=effective_date.isoformat() if effective_date else None,
        training_hash=thash, pass_mark=checklist.pass_mark, items=items, questions=keys,
        clause_hashes={c.id: clause_text_sha256(c) for _, c, _ in policy.walk()},
        versions=dict(versions) if versions else None)


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
        path=path, versions=_versions(data.get("versions"), path))
    for qid in checklist.quiz_questions:
        if qid not in questions:
            raise ContentError(f"a quiz item names question '{qid}', which is not in 'questions'", path)
    return checklist


def _versions(raw: Any, path: str) -> dict[str, int] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw.values()):
        raise ContentError("'versions' must map policy ids to version numbers", path)
    return {str(k): v for k, v in raw.items()}


def load_checklist(path: str | Path) -> Checklist:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ContentError(f"cannot read: {e}", str(path)) from None
    except json.JSONDecodeError as e:
        raise ContentError(f"not valid JSON: {e.msg}", str(path), e.lineno) from None
    return Checklist.from_json(data, str(path))
