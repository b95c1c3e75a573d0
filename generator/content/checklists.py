"""Load and validate the staff checklists in ``checklists/*.yaml``, with ``path:line`` errors."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Literal, Sequence, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from . import safety, yamlsource
from ..errors import ContentError, ContentErrors
from .loader import translate
from ..model import Clause, Policy, Source, Training
from .schema import SLUG_PATTERN, Markdown, Slug, Text
from .yamlsource import SourceDoc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


_SLUG = SLUG_PATTERN.strip("^$")
Ref = Annotated[str, StringConstraints(pattern=rf"^(?:{_SLUG}#)?{_SLUG}$", max_length=130)]
"""A clause or question: ``id`` in the checklist's first policy, ``policy-id#id`` in another it lists."""


class ItemIn(_Strict):
    """One step of a checklist: read clauses, pass their questions, or acknowledge a statement."""

    id: Slug = Field(description="Stable id, unique within the checklist (a slug). Progress is kept by it.")
    kind: Literal["read", "quiz", "acknowledge"] = Field(
        description="read: read the clauses and their guidance; quiz: also answer their questions; "
                    "acknowledge: agree to a statement.")
    title: Text | None = Field(
        default=None, description="Heading of the item; the clause titles when omitted.")
    clauses: list[Ref] = Field(
        default_factory=list,
        description="Clause ids the item covers (required for read and quiz): 'id' in the checklist's first "
                    "policy, 'policy-id#id' in another it lists. When one of them changes in a new version, "
                    "the item must be done again.")
    questions: list[Ref] | None = Field(
        default=None, description="quiz only: the question ids to ask (written like clauses); all questions of "
                                  "the clauses when omitted.")
    statement: Text | None = Field(
        default=None, description="acknowledge only: what the person agrees to, in the first person.")


class ChecklistIn(_Strict):
    """A role checklist: what one group of staff must read, pass and acknowledge."""

    id: Slug = Field(description="Checklist id; also its URL, e.g. /training/all-staff/.")
    title: Text = Field(description="Name of the checklist, e.g. All staff.")
    audience: Text = Field(description="Who must complete it.")
    description: Markdown = Field(description="What it covers, shown on the training index (Markdown).")
    policy: Union[Slug, Annotated[list[Slug], Field(min_length=1, max_length=20)]] = Field(
        description="Id of the policy it trains on, or a list of them: the first is the one whose clauses "
                    "items name by id alone; the others' are named 'policy-id#clause-id'.")
    pass_mark: int = Field(
        json_schema_extra={"minimum": 0, "maximum": 100},
        description="Lowest score (percent of questions answered correctly, 0 to 100) that passes.")
    items: Annotated[list[ItemIn], Field(min_length=1)] = Field(description="The items, in order.")


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    """``read``, ``quiz`` or ``acknowledge``."""
    title: str | None
    clauses: tuple[str, ...]
    questions: tuple[str, ...]
    """Question ids asked (quiz items); resolved from the clauses when the YAML omits them."""
    statement: str | None
    source: Source | None = None


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    audience: str
    description: str
    policy: str
    """The first policy it trains on: its clauses and questions are named by id alone."""
    pass_mark: int
    items: tuple[Item, ...]
    source: Source | None = None
    policies: tuple[str, ...] = ()
    """Every policy it trains on, the first one first (``(policy,)`` for one)."""

    @property
    def trains_on(self) -> tuple[str, ...]:
        return self.policies or (self.policy,)

    def clause_ids(self) -> tuple[str, ...]:
        """Every clause the checklist refers to, in first-mention order."""
        seen: dict[str, None] = {}
        for item in self.items:
            for c in item.clauses:
                seen.setdefault(c, None)
        return tuple(seen)

    def question_ids(self) -> tuple[str, ...]:
        return tuple(q for item in self.items if item.kind == "quiz" for q in item.questions)


def combined(policies: Sequence[Policy]) -> Policy:
    """One policy holding the clauses of all ``policies``, as a checklist across them names them.

    The first keeps its ids; each clause (and question) of another is renamed
    ``policy-id#id``, so that two policies may use the same ids. Training, contract
    and impact then work on this one view as on a single policy.
    """
    first, others = policies[0], policies[1:]
    if not others:
        return first
    extra = tuple(_renamed(c, p.id) for p in others for c in p.clauses)
    return replace(first, clauses=first.clauses + extra)


def _renamed(clause: Clause, pid: str) -> Clause:
    training = clause.training
    if training is not None:
        training = Training(training.guidance, tuple(replace(q, id=ref(pid, q.id)) for q in training.questions))
    return replace(clause, id=ref(pid, clause.id), training=training,
                   clauses=tuple(_renamed(k, pid) for k in clause.clauses))


def ref(pid: str, local: str, first: str = "") -> str:
    """How a checklist names clause or question ``local`` of policy ``pid``: by id alone in its ``first``."""
    return local if pid == first else f"{pid}#{local}"


def split_ref(name: str, first: str) -> tuple[str, str]:
    """``(policy id, id)`` of a clause or question as a checklist names it (the inverse of :func:`ref`)."""
    pid, _, local = name.rpartition("#")
    return (pid or first), local


def find_checklists(checklists_dir: str | Path) -> list[Path]:
    d = Path(checklists_dir)
    return sorted(p for p in d.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def load_all(checklists_dir: str | Path | None, policies: list[Policy],
             warnings: list[ContentError] | None = None) -> list[Checklist]:
    """Load and check every checklist, reporting all problems of all files together.

    Markdown traps in their text (not errors) are appended to ``warnings`` when it is given.

    Args:
        checklists_dir: the folder, or ``None`` (or a missing folder) for no checklists.
        policies: the policies the checklists may refer to.

    Returns:
        The checklists in file-name order. Raises :class:`ContentErrors`.
    """
    if checklists_dir is None or not Path(checklists_dir).is_dir():
        return []
    out: list[Checklist] = []
    problems: list[ContentError] = []
    first: dict[str, Checklist] = {}
    for path in find_checklists(checklists_dir):
        try:
            doc = yamlsource.read(path)
            checklist = checklist_from_doc(doc, policies, warnings)
        except ContentErrors as e:
            problems.extend(e.errors)
            continue
        except ContentError as e:
            problems.append(e)
            continue
        if checklist.id in first:
            other = first[checklist.id].source
            problems.append(doc.error(f"duplicate checklist id '{checklist.id}' (also in {other.path})", ("id",)))
            continue
        first[checklist.id] = checklist
        out.append(checklist)
    if problems:
        raise ContentErrors(problems)
    return out


def checklist_from_doc(doc: SourceDoc, policies: list[Policy],
                       warnings: list[ContentError] | None = None) -> Checklist:
    """Validate one parsed checklist file against the policies; raises :class:`ContentErrors`."""
    if not isinstance(doc.data, dict):
        raise ContentErrors([doc.error("the top level must be a mapping of checklist fields "
                                       "(id, title, policy, pass_mark, items, …)", (), 1)])
    try:
        parsed = ChecklistIn.model_validate(doc.data)
    except ValidationError as e:
        raise ContentErrors(translate(e, doc, ChecklistIn)) from None
    problems: list[ContentError] = []
    named = [parsed.policy] if isinstance(parsed.policy, str) else list(parsed.policy)
    known = [p.id for p in policies]
    found = []
    for j, pid in enumerate(named):
        at = ("policy",) if isinstance(parsed.policy, str) else ("policy", j)
        if pid in [f.id for f in found]:
            problems.append(doc.error(f"policy '{pid}' is listed twice", at))
        elif (p := next((p for p in policies if p.id == pid), None)) is None:
            problems.append(doc.error(f"unknown policy '{pid}'{_near(pid, known)}", at))
        else:
            found.append(p)
    # Every clause and question as the checklist names it: the first policy's by id, the others' as policy#id.
    policy = combined(found) if len(found) == len(named) else None
    if not 0 <= parsed.pass_mark <= 100:
        problems.append(doc.error(f"pass_mark {parsed.pass_mark} is out of range: give a percentage "
                                  "from 0 to 100", ("pass_mark",)))
    items: list[Item] = []
    item_lines: dict[str, int] = {}
    asked: dict[str, str] = {}
    for i, it in enumerate(parsed.items):
        loc = ("items", i)
        it, wrong = _normalised(it, named, doc, loc)
        problems.extend(wrong)
        if it.id in item_lines:
            problems.append(doc.error(f"duplicate item id '{it.id}' (first used on line {item_lines[it.id]})",
                                      loc + ("id",)))
        else:
            item_lines[it.id] = doc.line_of(loc + ("id",))
        problems.extend(_check_item(it, doc, loc, policy))
        questions: tuple[str, ...] = ()
        if it.kind == "quiz" and policy is not None:
            questions = tuple(it.questions) if it.questions is not None else tuple(
                q.id for cid in it.clauses if (c := policy.clause(cid)) and c.training
                for q in c.training.questions)
            for j, qid in enumerate(questions):
                if qid in asked:
                    where = loc + ("questions", j) if it.questions is not None else loc + ("clauses",)
                    problems.append(doc.error(f"question '{qid}' is already asked by item '{asked[qid]}'; "
                                              "ask each question once per checklist", where))
                asked.setdefault(qid, it.id)
        items.append(Item(it.id, it.kind, it.title, tuple(it.clauses), questions, it.statement,
                          Source(doc.path, doc.line_of(loc))))
    # The description is Markdown; titles and statements are text, escaped wherever shown.
    safety.sort_into(doc, safety.located(doc, ("description",), parsed.description), problems, warnings)
    if problems:
        raise ContentErrors(problems)
    return Checklist(parsed.id, parsed.title, parsed.audience, parsed.description, named[0],
                     parsed.pass_mark, tuple(items), Source(doc.path, doc.line_of(())), tuple(named))


def _normalised(it: ItemIn, named: list[str], doc: SourceDoc, loc: tuple) -> tuple[ItemIn, list[ContentError]]:
    """The item with its first policy's ``policy#id`` written ``id``; an error for a policy it does not list."""
    errors = []
    fields = {}
    for name in ("clauses", "questions"):
        refs = getattr(it, name)
        if refs is None:
            continue
        out = []
        for j, written in enumerate(refs):
            pid, local = split_ref(written, named[0])
            if pid not in named:
                errors.append(doc.error(f"'{written}' names policy '{pid}', which this checklist does not train "
                                        f"on: add it to 'policy' (now: {', '.join(named)})", loc + (name, j)))
            out.append(ref(pid, local, named[0]))
        fields[name] = out
    return it.model_copy(update=fields), errors


def _near(word: str, known: list[str]) -> str:
    near = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean '{near[0]}'?)" if near else (f"; known: {', '.join(known)}" if known else "")


def _check_item(it: ItemIn, doc: SourceDoc, loc: tuple, policy: Policy | None) -> list[ContentError]:
    out: list[ContentError] = []
    if it.kind in ("read", "quiz") and not it.clauses:
        out.append(doc.error(f"{it.kind} item '{it.id}' needs 'clauses': the clause ids it covers", loc))
    if it.kind == "acknowledge" and it.statement is None:
        out.append(doc.error(f"acknowledge item '{it.id}' needs a 'statement'", loc))
    if it.kind != "acknowledge" and it.statement is not None:
        out.append(doc.error(f"'statement' is only for acknowledge items, and '{it.id}' is a {it.kind} item",
                             loc + ("statement",)))
    if it.kind != "quiz" and it.questions is not None:
        out.append(doc.error(f"'questions' is only for quiz items, and '{it.id}' is a {it.kind} item",
                             loc + ("questions",)))
    seen: set[str] = set()
    for j, cid in enumerate(it.clauses):
        if cid in seen:
            out.append(doc.error(f"clause '{cid}' is listed twice in item '{it.id}'", loc + ("clauses", j)))
        seen.add(cid)
    if policy is None:
        return out
    all_ids = [c.id for _, c, _ in policy.walk()]
    for j, cid in enumerate(it.clauses):
        if policy.clause(cid) is None:
            out.append(doc.error(f"unknown clause '{cid}' in item '{it.id}'{_near(cid, all_ids)}",
                                 loc + ("clauses", j)))
    if it.kind != "quiz":
        return out
    own = {q.id: cid for cid in it.clauses if (c := policy.clause(cid)) and c.training
           for q in c.training.questions}
    if it.questions is None:
        if it.clauses and not own and all(policy.clause(c) for c in it.clauses):
            out.append(doc.error(f"quiz item '{it.id}' has no questions: its clauses have none "
                                 "(use kind: read, or add questions under the clauses' training)", loc))
        return out
    if not it.questions:
        out.append(doc.error(f"quiz item '{it.id}' lists no questions", loc + ("questions",)))
    every = {q.id: c.id for c, q in policy.training_questions()}
    for j, qid in enumerate(it.questions):
        if qid in own:
            continue
        if qid in every:
            msg = (f"question '{qid}' belongs to clause '{every[qid]}', which item '{it.id}' does not "
                   "list in its clauses")
        else:
            msg = f"unknown question '{qid}' in item '{it.id}'{_near(qid, list(own) or list(every))}"
        out.append(doc.error(msg, loc + ("questions", j)))
    return out


def json_schema() -> dict:
    """The JSON Schema of checklist files, for editor autocompletion."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "checklist.schema.json",
        **ChecklistIn.model_json_schema(),
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
