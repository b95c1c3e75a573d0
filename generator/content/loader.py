"""Load ``content/*.yaml`` into :class:`~generator.model.Policy` objects with source lines."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import safety, translations, yamlsource
from ..errors import ContentError, ContentErrors
from ..model import Choice, Clause, Contact, Policy, Question, Source, Training
from .schema import ClauseIn, PolicyIn, QuestionIn
from .validate import check_policy
from .yamlsource import SourceDoc

_TYPE_NAMES = {
    "string_type": "text", "bool_type": "true or false", "list_type": "a list",
    "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "int_type": "a whole number", "literal_error": None,
}


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at ``loc`` (for did-you-mean suggestions)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(part)
        if info is None:
            return []
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _what(loc: tuple) -> str:
    return f"'{loc[-1]}'" if loc and isinstance(loc[-1], str) else "this item"


def _clean_loc(loc: tuple, data: Any, kind: str) -> tuple:
    """Follow ``loc`` through the data, dropping pydantic's union-branch markers (``str``, ``list[...]``)."""
    out: list = []
    current = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(current, dict) and isinstance(part, str) and (part in current or (last and kind == "missing")):
            out.append(part)
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            out.append(part)
            current = current[part]
    return tuple(out)


def translate(err: ValidationError, doc: SourceDoc, model: type[BaseModel]) -> list[ContentError]:
    """Turn pydantic's errors into ``path:line`` content errors with plain messages."""
    out: list[ContentError] = []
    seen: set[tuple] = set()
    suggested: set[tuple] = set()  # (mapping loc, field) already explained by a misspelt key
    errors = err.errors(include_url=False)
    for e in errors:
        if e["type"] == "extra_forbidden":
            loc = _clean_loc(tuple(e["loc"]), doc.data, e["type"])
            near = difflib.get_close_matches(str(loc[-1]), _fields_at(model, loc[:-1]), n=1, cutoff=0.6)
            if near:
                suggested.add((loc[:-1], near[0]))
    for e in errors:
        loc = _clean_loc(tuple(e["loc"]), doc.data, e["type"])
        kind = e["type"]
        value = e.get("input")
        if kind == "extra_forbidden":
            key = loc[-1]
            allowed = _fields_at(model, loc[:-1])
            near = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            msg = f"unknown key '{key}'"
            msg += f" (did you mean '{near[0]}'?)" if near else (
                f"; allowed here: {', '.join(allowed)}" if allowed else "")
        elif kind == "missing" and (loc[:-1], loc[-1]) in suggested:
            continue
        elif kind == "missing":
            msg = f"missing required field '{loc[-1]}'"
            owner = doc.data
            for part in loc[:-1]:
                owner = owner[part] if isinstance(owner, (dict, list)) else None
            if isinstance(owner, dict) and "id" in owner and isinstance(owner["id"], str):
                msg += f" in '{owner['id']}'"
            loc = loc[:-1]
        elif kind == "string_pattern_mismatch" and loc and loc[-1] in ("id", "answer") or (
                len(loc) >= 2 and loc[-2] == "answer" and kind == "string_pattern_mismatch"):
            msg = (f"invalid id {value!r}: use lower-case letters, digits and single hyphens "
                   "(e.g. 'data-access')")
        elif kind == "string_pattern_mismatch" and len(loc) >= 2 and loc[-2] in ("clauses", "questions") \
                and isinstance(loc[-1], int):
            msg = (f"invalid clause or question {value!r}: write its id ('data-access'), or 'policy-id#id' "
                   "for a policy the checklist lists after the first")
        elif kind == "string_pattern_mismatch" and loc and loc[-1] == "translates":
            msg = ("'translates' is written by `policy translations mark`: run it rather than editing the "
                   "fingerprint by hand")
        elif kind in ("string_pattern_mismatch", "string_too_short") and isinstance(value, str) and not value.strip():
            msg = f"{_what(loc)} is empty"
        elif kind == "string_pattern_mismatch" and loc and loc[-1] == "email":
            msg = f"'{value}' is not an email address"
        elif kind == "string_pattern_mismatch" and loc and loc[-1] == "language":
            msg = f"'{value}' is not a language tag such as 'en-NZ'"
        elif kind == "too_short" and isinstance(value, list):
            msg = f"{_what(loc)} must not be empty"
        elif kind == "literal_error":
            msg = f"{_what(loc)} must be {e['ctx']['expected']}, not {value!r}"
        elif kind in _TYPE_NAMES:
            msg = f"{_what(loc)} must be {_TYPE_NAMES[kind]}, not {_kind(value)}"
        else:
            msg = f"{_what(loc)}: {e['msg']}"
        if (loc, msg) in seen:
            continue
        # A union ("answer") reports one error per branch; one message is enough.
        if loc and loc[-1] == "answer" and any(x.path == doc.path and x.line == doc.line_of(loc) for x in out):
            continue
        seen.add((loc, msg))
        out.append(doc.error(msg, loc))
    out.sort(key=lambda x: x.line or 0)
    return out


def load_policy(path: str | Path, warnings: list[ContentError] | None = None) -> Policy:
    """Read, validate and convert one policy file, with the checks on its Markdown (``safety``).

    Raw HTML, unsafe links and texts over the renderer limits are errors; Markdown traps
    are appended to ``warnings``. (Versions read back from git skip these checks: what was
    published stays readable, and the renderer guards it instead.) Raises :class:`ContentErrors`.
    """
    doc = yamlsource.read(path)
    policy = policy_from_doc(doc)
    errors: list[ContentError] = []
    safety.sort_into(doc, safety.policy_findings(policy, doc), errors, warnings)
    if errors:
        raise ContentErrors(errors)
    return policy


def policy_from_doc(doc: SourceDoc) -> Policy:
    """Validate a parsed document into a :class:`Policy`, training included. Raises :class:`ContentErrors`."""
    if not isinstance(doc.data, dict):
        raise ContentErrors([doc.error(
            f"the top level must be a mapping of policy fields (id, title, clauses, …), not {_kind(doc.data)}",
            (), 1)])
    try:
        parsed = PolicyIn.model_validate(doc.data)
    except ValidationError as e:
        raise ContentErrors(translate(e, doc, PolicyIn)) from None
    policy = _to_policy(parsed, doc)
    problems = check_policy(policy, doc)
    if problems:
        raise ContentErrors(problems)
    return policy


def _src(doc: SourceDoc, loc: tuple) -> Source:
    return Source(doc.path, doc.line_of(loc))


def _to_policy(p: PolicyIn, doc: SourceDoc) -> Policy:
    contact = Contact(p.contact.role, tuple(p.contact.postal_address), p.contact.email, p.contact.phone)
    clauses = tuple(_to_clause(c, doc, ("clauses", i)) for i, c in enumerate(p.clauses))
    return Policy(p.id, p.title, p.organisation, p.jurisdiction, p.language, contact, clauses,
                  _src(doc, ()), p.schema_version, tuple(p.previous_ids), p.timezone, p.notice_days,
                  p.translation_of, p.preamble)


def _to_clause(c: ClauseIn, doc: SourceDoc, loc: tuple) -> Clause:
    training = None
    if c.training is not None:
        questions = tuple(_to_question(q, doc, loc + ("training", "questions", i))
                          for i, q in enumerate(c.training.questions))
        training = Training(c.training.guidance, questions)
    children = tuple(_to_clause(k, doc, loc + ("clauses", i)) for i, k in enumerate(c.clauses))
    return Clause(c.id, c.title, c.body, c.summary, c.contact, children, training, _src(doc, loc), c.translates)


def _to_question(q: QuestionIn, doc: SourceDoc, loc: tuple) -> Question:
    if q.type == "true-false":
        choices = (Choice("true", "True"), Choice("false", "False"))
        answer: tuple[str, ...] = (("true" if q.answer else "false"),) if isinstance(q.answer, bool) else (
            tuple(q.answer) if isinstance(q.answer, list) else (q.answer,))
    else:
        choices = tuple(Choice(ch.id, ch.text, _src(doc, loc + ("choices", i)))
                        for i, ch in enumerate(q.choices))
        if isinstance(q.answer, bool):
            answer = (str(q.answer).lower(),)
        elif isinstance(q.answer, list):
            answer = tuple(q.answer)
        else:
            answer = (q.answer,)
    return Question(q.id, q.type, q.prompt, choices, answer, q.explanation, _src(doc, loc),
                    _src(doc, loc + ("answer",)))


def policy_from_text(raw: bytes | str, name: str) -> Policy | None:
    """A policy with its training from a stored text (a git blob), or ``None`` if today's schema rejects it."""
    try:
        return policy_from_doc(yamlsource.parse(raw, name))
    except (ContentError, ContentErrors):
        return None


def find_policies(content_dir: str | Path) -> list[Path]:
    """The policy files of a content directory, in name order."""
    d = Path(content_dir)
    return sorted(p for p in d.glob("*.yaml") if p.is_file()) + sorted(
        p for p in d.glob("*.yml") if p.is_file())


def unpublished(content_dir: str | Path) -> list[Path]:
    """YAML files in sub-folders of the content folder: a policy put there was silently left out."""
    d = Path(content_dir)
    return sorted(p for p in d.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")
                  and p.parent != d and not any(part.startswith(".") for part in p.relative_to(d).parts))


def load_all(content_dir: str | Path, warnings: list[ContentError] | None = None) -> list[Policy]:
    """Load every policy in ``content_dir``, reporting all problems of all files together.

    Markdown traps (not errors) are appended to ``warnings`` when it is given.
    """
    files = find_policies(content_dir)
    if not files:
        raise ContentErrors([ContentError("no policy files (*.yaml) found", str(content_dir))])
    problems: list[ContentError] = [ContentError(
        "this file is in a sub-folder of the content folder, so it is not published: policies live "
        "directly in the content folder (move it up, or out of the content folder)", str(f))
        for f in unpublished(content_dir)]
    parsed: list[tuple[Policy, SourceDoc]] = []
    per_file: list[list[ContentError]] = []
    for f in files:
        found: list[ContentError] = []
        per_file.append(found)
        try:
            doc = yamlsource.read(f)
            parsed.append((policy_from_doc(doc), doc))
        except ContentErrors as e:
            found.extend(e.errors)
        except ContentError as e:
            found.append(e)
    # A policy: reference must name a policy of this site and a clause it has: checked when
    # every file could be read (else one that could not would seem missing).
    known = {p.id: {c.id for _, c, _ in p.walk()} for p, _ in parsed} if len(parsed) == len(files) else None
    checked = iter(parsed)
    for found in per_file:
        if not found:
            policy, doc = next(checked)
            safety.sort_into(doc, safety.policy_findings(policy, doc, known), found, warnings)
        problems.extend(found)
    if len(parsed) == len(files):
        # A translation names its source, and says which of its clauses lag behind it.
        wrong, lagging = translations.findings(parsed)
        problems.extend(wrong)
        if warnings is not None:
            warnings.extend(lagging)
    policies = [p for p, _ in parsed]
    seen: dict[str, Policy] = {}
    for p in policies:
        if p.id in seen:
            problems.append(ContentError(
                f"duplicate policy id '{p.id}' (also in {seen[p.id].source.path})",
                p.source.path, p.source.line))
        seen[p.id] = p
    if problems:
        raise ContentErrors(problems)
    return policies
