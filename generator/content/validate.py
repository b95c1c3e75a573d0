"""Rules that span fields: unique ids, answers among the choices, bodies present."""

from __future__ import annotations

from ..errors import ContentError
from ..model import Policy
from .yamlsource import SourceDoc


def _err(doc: SourceDoc | None, message: str, path: str, line: int) -> ContentError:
    return ContentError(message, path, line, doc.source_line(line) if doc else None)


def check_policy(policy: Policy, doc: SourceDoc | None = None) -> list[ContentError]:
    """Return every cross-field problem of ``policy`` (empty when it is sound)."""
    problems: list[ContentError] = []
    clause_ids: dict[str, int] = {}
    question_ids: dict[str, int] = {}
    for _, clause, _ in policy.walk():
        src = clause.source
        path, line = (src.path, src.line) if src else ("", 0)
        if clause.id in clause_ids:
            problems.append(_err(doc, f"duplicate clause id '{clause.id}' (first used on line "
                                      f"{clause_ids[clause.id]})", path, line))
        else:
            clause_ids[clause.id] = line
        if clause.body is None and not clause.clauses:
            problems.append(_err(doc, f"clause '{clause.id}' has an empty body: give it a body "
                                      "or sub-clauses", path, line))
        if clause.training is None:
            continue
        for q in clause.training.questions:
            qpath, qline = (q.source.path, q.source.line) if q.source else (path, line)
            if q.id in question_ids:
                problems.append(_err(doc, f"duplicate question id '{q.id}' (first used on line "
                                          f"{question_ids[q.id]})", qpath, qline))
            else:
                question_ids[q.id] = qline
            problems.extend(_check_question(q, doc, qpath, qline))
    return problems


def _check_question(q, doc, path, line) -> list[ContentError]:
    out = []
    aline = q.answer_source.line if q.answer_source else line
    ids = [c.id for c in q.choices]
    if q.type != "true-false":
        if len(ids) < 2:
            out.append(_err(doc, f"question '{q.id}' needs at least two choices", path, line))
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        for d in dupes:
            out.append(_err(doc, f"duplicate choice id '{d}' in question '{q.id}'", path, line))
    elif q.answer not in (("true",), ("false",)):
        out.append(_err(doc, f"true-false question '{q.id}' needs answer: true or answer: false",
                        path, aline))
        return out
    for a in q.answer:
        if a not in ids:
            out.append(_err(doc, f"answer '{a}' of question '{q.id}' is not among its choices "
                                 f"({', '.join(ids)})", path, aline))
    if q.type == "single" and len(q.answer) != 1:
        out.append(_err(doc, f"single-choice question '{q.id}' must have exactly one answer",
                        path, aline))
    if q.type == "multiple" and len(set(q.answer)) != len(q.answer):
        out.append(_err(doc, f"question '{q.id}' lists an answer twice", path, aline))
    return out
