"""Training pages and data: each role checklist with guidance, hashed quizzes and progress keys."""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import markdown as md_lib
from markupsafe import escape

from . import checklists as checklist_loader
from . import loader, render, yamlsource
from .checklists import Checklist, Item
from .errors import PolicyError
from .model import Clause, Policy, Question

if TYPE_CHECKING:  # pragma: no cover
    from .site import SiteModel

INDEX_SRC = "training/index.md"
SCRIPT = "assets/javascripts/training.js"
STYLESHEET = "assets/stylesheets/training.css"
KIND_LABELS = {"read": "Read", "quiz": "Quiz", "acknowledge": "Acknowledge"}

TEXT = {
    "right_html": '<p class="training-verdict"><span aria-hidden="true">✓</span> Correct.</p>',
    "wrong_html": '<p class="training-verdict"><span aria-hidden="true">✗</span> Not correct.</p>',
    "done": "✓ Done",
    "todo": "Not done yet",
    "changed_training_html": "<p><strong>Changed since you last completed:</strong> the training for this "
                             "item was updated. Please do it again.</p>",
    "changed_html": "<p><strong>Changed since you last completed:</strong> {clauses_html}. "
                    "Please do this item again.</p>",
    "changed_in": "what changed in version {n}",
    "progress": "{n} of {total} items done.",
    "progress_all": "{n} of {total} items done. Now finish below.",
    "not_finished_html": "<p><strong>Not finished yet.</strong> Please do these items first:</p>{list_html}",
    "name_missing_html": "<p><strong>Please type your full name</strong> for your completion record.</p>",
    "failed_html": "<p><strong>Not passed.</strong> Your score is {score}%; the pass mark is {pass_mark}%. "
                   "Read these again, then try the questions once more:</p>{list_html}"
                   '<p><button type="button" class="md-button" data-retry>Try the wrong answers again</button></p>',
    "question_link": "{item}: question {n}",
    "retry": "Your wrong answers were cleared. Answer those questions again, then finish.",
    "choose_html": "<p><strong>Choose an answer first.</strong></p>",
}
"""What the script says, kept with the page so the script stays small (``{name}`` placeholders)."""


def canonical_json(data: Any) -> str:
    """One serialisation for hashing: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


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


@dataclass(frozen=True)
class Target:
    """The policy text a build trains on, and where it sits among the versions."""

    policy: Policy
    version: int
    effective_date: date | None
    draft: bool
    status: str
    clause_history: tuple[tuple[int, dict[str, str]], ...] = ()
    """``(version number, {clause id: clause_text_sha256})`` for each version up to this one."""
    changes_src: tuple[tuple[int, str], ...] = ()
    """``(version number, src of its changes page)``."""


def _question_record(q: Question, clause_id: str) -> dict[str, Any]:
    return {"id": q.id, "clause": clause_id, "type": q.type, "prompt": q.prompt,
            "choices": [{"id": c.id, "text": c.text} for c in q.choices],
            "answer": sorted(q.answer), "explanation": q.explanation}


def _item_record(item: Item) -> dict[str, Any]:
    return {"id": item.id, "kind": item.kind, "title": item.title, "clauses": list(item.clauses),
            "questions": list(item.questions), "statement": item.statement}


def _questions_by_id(policy: Policy) -> dict[str, tuple[Clause, Question]]:
    return {q.id: (c, q) for c, q in policy.training_questions()}


def _guidance(policy: Policy, clause_id: str) -> str | None:
    clause = policy.clause(clause_id)
    return clause.training.guidance if clause is not None and clause.training else None


def fit(checklist: Checklist, policy: Policy) -> Checklist:
    """The checklist as it applies to ``policy``, dropping what that text does not have.

    Checklists are checked against the working tree; a build that trains on an older
    text (the version in force while a newer one is scheduled) may lack a new clause or
    question, and an item left with nothing to do is dropped.
    """
    questions = _questions_by_id(policy)
    items = []
    for item in checklist.items:
        clauses = tuple(c for c in item.clauses if policy.clause(c) is not None)
        asked = tuple(q for q in item.questions if q in questions and questions[q][0].id in clauses)
        if (item.kind == "read" and not clauses) or (item.kind == "quiz" and not asked):
            continue
        items.append(replace(item, clauses=clauses, questions=asked))
    return replace(checklist, items=tuple(items))


def training_content(checklist: Checklist, policy: Policy) -> dict[str, Any]:
    """Everything staff are trained and tested on for one checklist (not the public text)."""
    questions = _questions_by_id(policy)
    return {
        "checklist": checklist.id,
        "pass_mark": checklist.pass_mark,
        "items": [_item_record(i) for i in checklist.items],
        "guidance": {cid: _guidance(policy, cid) for cid in checklist.clause_ids()},
        "questions": [_question_record(questions[qid][1], questions[qid][0].id)
                      for qid in checklist.question_ids()],
    }


def training_hash(checklist: Checklist, policy: Policy) -> str:
    return sha256_hex(canonical_json(training_content(checklist, policy)))


def item_hash(item: Item, policy: Policy) -> str:
    """Hash of one item's own training (guidance, questions, statement): a change means redo it."""
    questions = _questions_by_id(policy)
    return sha256_hex(canonical_json({
        "item": _item_record(item),
        "guidance": {cid: _guidance(policy, cid) for cid in item.clauses},
        "questions": [_question_record(questions[q][1], questions[q][0].id) for q in item.questions],
    }))


def checklist_data(checklist: Checklist, target: Target) -> dict[str, Any]:
    """The published ``checklist.json`` (the records service scores completions against it)."""
    policy = target.policy
    thash = training_hash(checklist, policy)
    questions = _questions_by_id(policy)
    items = []
    for item in checklist.items:
        entry: dict[str, Any] = {"id": item.id, "kind": item.kind, "clauses": list(item.clauses)}
        if item.kind == "quiz":
            entry["questions"] = list(item.questions)
        if item.kind == "acknowledge":
            entry["statement"] = item.statement
        items.append(entry)
    qs = []
    for qid in checklist.question_ids():
        clause, q = questions[qid]
        salt = question_salt(thash, qid)
        qs.append({"id": qid, "clause": clause.id, "type": q.type, "choices": [c.id for c in q.choices],
                   "salt": salt, "answer_hash": answer_hash(salt, qid, q.answer)})
    return {
        "checklist": checklist.id,
        "title": checklist.title,
        "policy": policy.id,
        "version": target.version,
        "effective_date": target.effective_date.isoformat() if target.effective_date else None,
        "training_hash": thash,
        "pass_mark": checklist.pass_mark,
        "items": items,
        "questions": qs,
        "clause_text_sha256": {c.id: clause_text_sha256(c) for _, c, _ in policy.walk()},
    }


def score(data: dict[str, Any], answers: dict[str, list[str]]) -> int:
    """Percent of the checklist's questions answered exactly right, rounded down (as the script does)."""
    total = len(data["questions"])
    if not total:
        return 100
    right = sum(1 for q in data["questions"]
                if q["id"] in answers and answer_hash(q["salt"], q["id"], answers[q["id"]]) == q["answer_hash"])
    return right * 100 // total


# -- which text a build trains on ------------------------------------------------------------


def _full_policy(source_text: str, name: str) -> Policy | None:
    """A historic blob read with its training (the history reader keeps public fields only)."""
    try:
        return loader.policy_from_doc(yamlsource.parse(source_text, name))
    except PolicyError:
        return None


def target_for(site: "SiteModel", policy: Policy) -> Target:
    """The version staff train on: the draft in a draft build, else the version in force.

    The working tree's training is used whenever its public text is the one trained on,
    because training-only edits make no new version.
    """
    archive = site.extra.get("versions", {}).get(policy.id)
    if archive is None:  # no history stage: train on the working tree as version 1
        hashes = {c.id: clause_text_sha256(c) for _, c, _ in policy.walk()}
        return Target(policy, 1, None, False, "in-force", ((1, hashes),))
    h = archive.history
    pid = policy.id
    if h.draft is not None:
        shown, trained, draft = h.draft, policy, True
    else:
        shown = h.in_force or (h.versions[0] if h.versions else None)
        if shown is None:
            raise PolicyError(f"{pid}: no version to train on")
        draft = False
        if shown.text_sha256 == policy.text_sha256():
            trained = policy
        else:  # a scheduled version is ahead of the one in force
            trained = _full_policy(shown.source_text, f"{pid}@v{shown.number}") or shown.policy
    history = []
    changes = []
    for v in h.versions:
        if v.number > shown.number:
            break
        history.append((v.number, {c.id: clause_text_sha256(c) for _, c, _ in v.policy.walk()}))
        changes.append((v.number, f"{pid}/v/{v.number}/changes/index.md"))
    if draft:
        history.append((shown.number, {c.id: clause_text_sha256(c) for _, c, _ in trained.walk()}))
        changes.append((shown.number, f"{pid}/draft/changes/index.md"))
    return Target(trained, shown.number, shown.effective_date, draft, shown.status,
                  tuple(history), tuple(changes))


# -- pages -----------------------------------------------------------------------------------


def _href(here: str, to_src: str, anchor: str = "") -> str:
    """Relative URL for raw HTML from page ``here`` to page ``to_src`` (both ``…/index.md``)."""
    url = posixpath.relpath(posixpath.dirname(to_src) or ".", posixpath.dirname(here)) + "/"
    return url + (f"#{anchor}" if anchor else "")


class _Markdown:
    """Renders guidance, clause bodies and explanations to HTML with the site's extensions."""

    def __init__(self, extensions: tuple, configs: dict) -> None:
        # toc would add permalinks and ids that clash between repeated clause texts.
        names = [e for e in extensions if isinstance(e, str) and e != "toc"]
        self.md = md_lib.Markdown(extensions=names,
                                  extension_configs={k: v for k, v in configs.items() if k in names})

    def __call__(self, text: str | None) -> str:
        if not text:
            return ""
        self.md.reset()
        return self.md.convert(text).replace("\n\n", "\n")


def _clause_numbers(policy: Policy) -> dict[str, str]:
    return {c.id: number for number, c, _ in policy.walk()}


def _page_data(checklist: Checklist, target: Target, data: dict[str, Any], here: str) -> dict[str, Any]:
    """What the script needs beyond ``checklist.json``: nothing here reveals an answer."""
    policy = target.policy
    numbers = _clause_numbers(policy)
    changed_in: dict[str, list[int]] = {}
    previous: dict[str, str] = {}
    for number, hashes in target.clause_history:
        for cid, h in hashes.items():
            if previous.get(cid) != h:
                changed_in.setdefault(cid, []).append(number)
        previous = hashes
    return {
        "policy_title": policy.title,
        "draft": target.draft,
        "storage_prefix": f"policy-training:{checklist.id}:",
        "item_hash": {i.id: item_hash(i, policy) for i in checklist.items},
        "item_titles": {i.id: _item_title(i, policy) for i in checklist.items},
        "clause_titles": {cid: f"{numbers[cid]} {policy.clause(cid).title}" for cid in checklist.clause_ids()},
        "changed_in": {cid: changed_in.get(cid, []) for cid in checklist.clause_ids()},
        "changes_url": {str(n): _href(here, src) for n, src in target.changes_src},
        "question_item": {q: i.id for i in checklist.items for q in i.questions},
        "text": TEXT,
    }


def _item_title(item: Item, policy: Policy) -> str:
    if item.title:
        return item.title
    return ", ".join(policy.clause(c).title for c in item.clauses) or KIND_LABELS[item.kind]


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element (no ``</script>`` or ``<!--`` can appear)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def certificate_line(target: Target) -> str:
    """The policy version as the completion record states it."""
    if target.draft:
        return f"draft of version {target.version} (not published)"
    line = f"version {target.version}"
    if target.effective_date is not None:
        line += f", effective {render.long_date(target.effective_date)}"
    return line


def version_line(target: Target) -> str:
    if target.draft:
        return f"the draft of version {target.version} (not yet published)"
    line = f"version {target.version}"
    if target.effective_date is not None:
        verb = "in force from" if target.status == "in-force" else "effective"
        line += f", {verb} {render.long_date(target.effective_date)}"
    return line


def checklist_markdown(checklist: Checklist, target: Target, data: dict[str, Any], mdr: _Markdown) -> str:
    here = f"training/{checklist.id}/index.md"  # where the page is served, for relative URLs
    policy = target.policy
    numbers = _clause_numbers(policy)
    questions = _questions_by_id(policy)
    policy_src = f"{policy.id}/index.md"
    total = len(data["questions"])
    items = []
    qnum = 0
    for item in checklist.items:
        clauses = []
        for cid in item.clauses:
            for number, c, depth in policy.clause(cid).walk(numbers[cid]):
                clauses.append({
                    "clause": c, "number": number,
                    "href": _href(here, policy_src, c.id),
                    # Escaped first, as on the policy page: a summary is plain language, not HTML.
                    "summary": mdr(str(escape(c.summary)) if c.summary else None),
                    "body": mdr(render.clause_body(c, policy.contact)) if (c.body or c.contact) else "",
                    "guidance": mdr(c.training.guidance if c.training else None),
                })
        qs = []
        for qid in item.questions:
            qnum += 1
            q = questions[qid][1]
            qs.append({"q": q, "number": qnum, "explanation": mdr(q.explanation)})
        items.append({"item": item, "title": _item_title(item, policy), "kind": KIND_LABELS[item.kind],
                      "clauses": clauses if item.kind != "acknowledge" else [],
                      "about": [{"title": f"{numbers[c]} {policy.clause(c).title}",
                                 "href": _href(here, policy_src, c)} for c in item.clauses],
                      "questions": qs})
    page_data = {**data, "page": _page_data(checklist, target, data, here)}
    return render.render(
        "training_checklist.md", checklist=checklist, policy=policy, items=items, total=total,
        version_line=version_line(target), certificate_line=certificate_line(target), target=target,
        policy_href=_href(here, policy_src), index_href=_href(here, INDEX_SRC),
        script=posixpath.relpath(SCRIPT, "training/" + checklist.id),
        stylesheet=posixpath.relpath(STYLESHEET, "training/" + checklist.id),
        data_json=_script_json(page_data), description=mdr(checklist.description))


def add_to(site: "SiteModel") -> None:
    """Add the training index, a page and ``checklist.json`` per checklist, and ``index.json``.

    Raises:
        ContentErrors: a checklist is invalid (``path:line`` messages).
    """
    from .site import Output, Page

    settings = site.settings
    found = checklist_loader.load_all(settings.checklists_dir, site.policies)
    if not found:
        return
    mdr = _Markdown(settings.markdown_extensions, settings.mdx_configs)
    policies = {p.id: p for p in site.policies}
    targets: dict[str, Target] = {}
    entries = []
    for checklist in found:
        policy = policies[checklist.policy]
        if policy.id not in targets:
            targets[policy.id] = target_for(site, policy)
        target = targets[policy.id]
        checklist = fit(checklist, target.policy)
        data = checklist_data(checklist, target)
        source = Path(checklist.source.path) if checklist.source else None
        # training/<id>.md is served at training/<id>/ like a folder's index, but sits in
        # the navigation beside the training index rather than in a section of its own.
        site.pages.append(Page(f"training/{checklist.id}.md",
                               checklist_markdown(checklist, target, data, mdr), source,
                               {"training": checklist.id}))
        site.outputs.append(Output(f"training/{checklist.id}/checklist.json", _json_bytes(data)))
        entries.append((checklist, target, data))
    index = {"checklists": [{
        "checklist": c.id, "title": c.title, "audience": c.audience, "policy": d["policy"],
        "version": d["version"], "effective_date": d["effective_date"], "draft": t.draft,
        "training_hash": d["training_hash"], "pass_mark": c.pass_mark,
        "url": f"training/{c.id}/", "data": f"training/{c.id}/checklist.json",
    } for c, t, d in entries]}
    site.outputs.append(Output("training/index.json", _json_bytes(index)))
    rows = []
    for c, t, d in entries:
        # The text trained on, as on the checklist page: not a scheduled version's titles.
        rows.append({"c": c, "href": f"{c.id}.md", "description": mdr(c.description),
                     "version_line": version_line(t), "policy": t.policy,
                     "policy_href": _href(INDEX_SRC, f"{c.policy}/index.md"),
                     "item_titles": [_item_title(i, t.policy) for i in c.items],
                     "questions": len(d["questions"])})
    site.pages.append(Page(INDEX_SRC, render.render(
        "training_index.md", rows=rows, stylesheet=posixpath.relpath(STYLESHEET, "training"),
        script=posixpath.relpath(SCRIPT, "training")), None, {"training": "index"}))


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
