"""Training pages: each role checklist with guidance, hashed quizzes and progress keys, and the index."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from markupsafe import escape

from ..content.checklists import Checklist, Item, combined, ref
from ..errors import PolicyError
from ..model import Policy
from ..render import templates as render
from ..render.i18n import N_, Labels, labels, lang_within
from ..render.markdown import Converter
from ..render.references import LinkContext, References
from ..render.urls import href as _href
from ..render.urls import policy_src, version_src
from ..settings import Settings
from ..site.structure import Output, Page, PolicyArchive
from . import contract
from .contract import clause_text_sha256, item_hash, questions_by_id, script_json

INDEX_SRC = "training/index.md"
SCRIPT = "assets/javascripts/training.js"
STYLESHEET = "assets/stylesheets/training.css"
API_DIR = "api"
"""Where the records service answers, under the site's own path (``policy records serve``)."""
STATIC_HEALTH = b'{"records": false}\n'
"""``api/health`` on a static host: the site itself says no service records completions here,
so the page asks nothing of anyone else (the records service answers this path itself)."""
KIND_LABELS = {"read": N_("Read"), "quiz": N_("Quiz"), "acknowledge": N_("Acknowledge")}
TRUE_FALSE = {"true": N_("True"), "false": N_("False")}
"""The choices of a true-false question, as the page shows them (their ids are the answer)."""


def script_text(_: Labels) -> dict[str, str]:
    """What the script says, in the checklist's language, kept with the page so the script stays
    small. ``{name}`` placeholders are filled in escaped, ``{name_html}`` ones as they are."""
    def para(text: str) -> str:
        return f"<p>{text}</p>"

    return {
        "right_html": '<p class="training-verdict"><span aria-hidden="true">✓</span> ' + _("Correct.") + "</p>",
        "wrong_html": '<p class="training-verdict"><span aria-hidden="true">✗</span> ' + _("Not correct.") + "</p>",
        "done": "✓ " + _("Done"),
        "todo": _("Not done yet"),
        "changed_training_html": para(_("<strong>Changed since you last completed:</strong> the training for "
                                        "this item was updated. Please do it again.")),
        "changed_html": para(_("<strong>Changed since you last completed:</strong> {clauses_html}. "
                               "Please do this item again.")),
        "changed_in": _("what changed in version {n}"),
        "progress": _("{n} of {total} items done."),
        "progress_all": _("{n} of {total} items done. Now finish below."),
        "not_finished_html": para(_("<strong>Not finished yet.</strong> Please do these items first:"))
                             + "{list_html}",
        "name_missing_html": para(_("<strong>Please type your full name</strong> for your completion record.")),
        "failed_html": para(_("<strong>Not passed.</strong> Your score is {score}%; the pass mark is "
                              "{pass_mark}%. Read these again, then try the questions once more:"))
                       + "{list_html}" + para('<button type="button" class="md-button" data-retry>'
                                              + _("Try the wrong answers again") + "</button>"),
        "question_link": _("{item}: question {n}"),
        "retry": _("Your wrong answers were cleared. Answer those questions again, then finish."),
        "choose_html": para(_("<strong>Choose an answer first.</strong>")),
        # The records service (``policy records serve``); its own messages stay as it words them.
        "recording": _("Recording your completion…"),
        "recorded_html": para(_("<strong>Recorded.</strong> Your completion record id is {id_html}.")),
        "already_html": para(_("<strong>Already recorded</strong> on {date}.")),
        "not_passed_html": para(_("<strong>Not recorded as passed:</strong> the records service scored "
                                  "{score}%.")),
        "record_id": _("Record id"),
        "later_html": para(_("<strong>Not recorded yet:</strong> {why_html} Your completion is kept in this "
                             "browser and sent again automatically.")),
        "refused_html": para(_("<strong>Not recorded:</strong> {why_html} This completion cannot be recorded "
                               "as it is; it is no longer being sent.")),
        "busy": _("the records service asked to wait before more submissions."),
        "down_html": _("the records service cannot record it just now ({why_html})."),
        "unreachable": _("the records service cannot be reached."),
        "not_checked_html": para(_("<strong>Not checked:</strong> {why_html}")),
        "try_again": _("Please try again."),
        "sign_in": _("Sign in with your company account"),
        "signed_in_html": _("Signed in as <strong>{email}</strong>: your completion is recorded for this "
                            "account."),
        "sign_in_to_html": _("{link_html} to have your completion recorded."),
        "email_label": _("Your work email, for your completion record"),
        "email_missing_html": para(_("<strong>Please type your work email</strong> for your completion record.")),
    }


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
    also: tuple["Target", ...] = ()
    """The other policies a checklist across several trains on (``policy`` is then their combined view)."""
    own: Policy | None = None
    """This target's own policy, before other policies' clauses were added to ``policy``."""

    @property
    def parts(self) -> tuple["Target", ...]:
        """Each policy trained on, the first one first."""
        return (replace(self, policy=self.own or self.policy, also=()), *self.also)

    @property
    def versions(self) -> dict[str, int]:
        return {t.policy.id: t.version for t in self.parts}

    def places(self) -> dict[str, tuple[str, str, str]]:
        """Each clause as the checklist names it → ``(policy id, clause id, number in its policy)``."""
        first = self.parts[0].policy.id
        return {ref(t.policy.id, c.id, first): (t.policy.id, c.id, n)
                for t in self.parts for n, c, _ in t.policy.walk()}


def combined_target(targets: list[Target]) -> Target:
    """The target of a checklist across several policies: the first one's, over all their clauses."""
    if len(targets) == 1:
        return targets[0]
    return replace(targets[0], policy=combined([t.policy for t in targets]), also=tuple(targets[1:]),
                   own=targets[0].policy)


def fit(checklist: Checklist, policy: Policy) -> Checklist:
    """The checklist as it applies to ``policy``, dropping what that text does not have.

    Checklists are checked against the working tree; a build that trains on an older
    text (the version in force while a newer one is scheduled) may lack a new clause or
    question, and an item left with nothing to do is dropped.
    """
    questions = questions_by_id(policy)
    items = []
    for item in checklist.items:
        clauses = tuple(c for c in item.clauses if policy.clause(c) is not None)
        asked = tuple(q for q in item.questions if q in questions and questions[q][0].id in clauses)
        if (item.kind == "read" and not clauses) or (item.kind == "quiz" and not asked):
            continue
        items.append(replace(item, clauses=clauses, questions=asked))
    return replace(checklist, items=tuple(items))


# -- which text a build trains on ------------------------------------------------------------


def target_for(archive: PolicyArchive) -> Target:
    """The version staff train on: the draft in a draft build, else the version in force.

    The text with its training comes from the history stage (:attr:`PolicyHistory.trained`).
    """
    h = archive.history
    pid = archive.policy.id
    draft = h.draft is not None
    shown = h.draft if draft else h.shown
    if shown is None or h.trained is None:
        raise PolicyError(f"{pid}: no version to train on")
    trained = h.trained
    history = []
    changes = []
    for v in h.versions:
        if v.number > shown.number:
            break
        history.append((v.number, {c.id: clause_text_sha256(c) for _, c, _ in v.policy.walk()}))
        changes.append((v.number, version_src(v, changes=True)))
    if draft:
        history.append((shown.number, {c.id: clause_text_sha256(c) for _, c, _ in trained.walk()}))
        changes.append((shown.number, version_src(shown, changes=True)))
    return Target(trained, shown.number, shown.effective_date, draft, shown.status,
                  tuple(history), tuple(changes))


# -- pages -----------------------------------------------------------------------------------


class _Fragments:
    """Guidance, clause bodies and explanations → HTML through the one converter, for many per page."""

    def __init__(self, settings: Settings, references: References | None = None) -> None:
        self.md = Converter.for_settings(settings, fragments=True, references=references)

    def __call__(self, text: str | None) -> str:
        if not text:
            return ""
        return str(self.md(text)).replace("\n\n", "\n")


def _clause_numbers(target: Target) -> dict[str, str]:
    return {key: number for key, (_, _, number) in target.places().items()}


def _page_data(checklist: Checklist, target: Target, data: dict[str, Any], here: str,
               timezone: str = "") -> dict[str, Any]:
    """What the script needs beyond ``checklist.json``: nothing here reveals an answer."""
    policy = target.policy
    _ = labels(policy.language)
    numbers = _clause_numbers(target)
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
        "item_titles": {i.id: _item_title(i, policy, _) for i in checklist.items},
        "clause_titles": {cid: f"{numbers[cid]} {policy.clause(cid).title}" for cid in checklist.clause_ids()},
        "changed_in": {cid: changed_in.get(cid, []) for cid in checklist.clause_ids()},
        "changes_url": {str(n): _href(here, src) for n, src in target.changes_src},
        "question_item": {q: i.id for i in checklist.items for q in i.questions},
        "text": script_text(_),
        # The completion time is written out in the policy's language and the site's zone
        # ("2 December 2026, 14:08 NZDT"), never in whatever the browser's locale makes of it.
        "language": policy.language,
        "months": _.months(),  # browsers lack some languages' month names (Chromium has no te reo Māori)
        "timezone": timezone,
        # The records service answers under the site's own path (``api/`` next to the home page).
        "api": posixpath.relpath(API_DIR, posixpath.dirname(here)) + "/",
    }


def _item_title(item: Item, policy: Policy, _: Labels) -> str:
    if item.title:
        return item.title
    return ", ".join(policy.clause(c).title for c in item.clauses) or _(KIND_LABELS[item.kind])


def _to_pass(_: Labels, items: int, questions: int, checklist: Checklist) -> str:
    """What passing takes, in words ("do all 3 items and answer at least 80% of the 5 questions correctly.")."""
    all_items = _.plural("{n} item", "{n} items", items)
    if not questions:
        return _("do all {items}.", items=all_items)
    return _("do all {items} and answer at least {pass_mark}% of {questions} correctly.", items=all_items,
             pass_mark=checklist.pass_mark, questions=_.plural("the {n} question", "the {n} questions", questions))


def certificate_line(target: Target, _: Labels) -> str:
    """The policy version as the completion record states it."""
    if target.draft:
        return _("draft of version {number} (not published)", number=target.version)
    if target.effective_date is None:
        return _("version {number}", number=target.version)
    return _("version {number}, effective {date}", number=target.version, date=_.date(target.effective_date))


def version_line(target: Target, _: Labels) -> str:
    """The policy version as the page states it."""
    if target.draft:
        return _("the draft of version {number} (not yet published)", number=target.version)
    if target.effective_date is None:
        return _("version {number}", number=target.version)
    if target.status == "in-force":
        return _("version {number}, in force from {date}", number=target.version,
                 date=_.date(target.effective_date))
    return _("version {number}, effective {date}", number=target.version, date=_.date(target.effective_date))


def checklist_markdown(checklist: Checklist, target: Target, data: dict[str, Any], mdr: _Fragments,
                       timezone: str = "") -> str:
    here = f"training/{checklist.id}/index.md"  # where the page is served, for relative URLs
    policy = target.policy
    _ = labels(policy.language)
    places = target.places()
    numbers = {key: number for key, (_pid, _cid, number) in places.items()}
    contacts = {t.policy.id: t.policy.contact for t in target.parts}
    # The page is in its first policy's language; another policy's text in another says so.
    other = {t.policy.id: lang_within(t.policy.language, policy.language) for t in target.parts}
    questions = questions_by_id(policy)

    def link(key: str) -> str:  # a clause, on the page of the policy it belongs to
        pid, cid, _number = places[key]
        return _href(here, policy_src(pid), cid)

    total = len(data["questions"])
    items = []
    qnum = 0
    for item in checklist.items:
        clauses = []
        for cid in item.clauses:
            for number, c, depth in policy.clause(cid).walk(numbers[cid]):
                clauses.append({
                    "clause": c, "number": number, "lang": other.get(places[c.id][0]),
                    "href": link(c.id),
                    # Escaped first, as on the policy page: a summary is plain language, not HTML.
                    "summary": mdr(str(escape(c.summary)) if c.summary else None),
                    "body": (mdr(render.clause_body(c, contacts[places[c.id][0]]))
                             if (c.body or c.contact) else ""),
                    "guidance": mdr(c.training.guidance if c.training else None),
                })
        qs = []
        for qid in item.questions:
            qnum += 1
            q = questions[qid][1]
            qs.append({"q": q, "number": qnum, "explanation": mdr(q.explanation),
                       "lang": other.get(places[questions[qid][0].id][0])})
        items.append({"item": item, "title": _item_title(item, policy, _), "kind": _(KIND_LABELS[item.kind]),
                      "clauses": clauses if item.kind != "acknowledge" else [],
                      "about": [{"title": f"{numbers[c]} {policy.clause(c).title}", "href": link(c),
                                 "lang": other.get(places[c][0])} for c in item.clauses],
                      "questions": qs})
    page_data = {**data, "page": _page_data(checklist, target, data, here, timezone)}
    return render.render(
        "training_checklist.md", language=policy.language, checklist=checklist, items=items, total=total,
        trains_on=[(t.policy.title, _href(here, policy_src(t.policy.id)), version_line(t, _),
                    certificate_line(t, _), other.get(t.policy.id)) for t in target.parts],
        true_false={k: _(v) for k, v in TRUE_FALSE.items()}, to_pass=_to_pass(_, len(items), total, checklist),
        index_href=_href(here, INDEX_SRC),
        script=posixpath.relpath(SCRIPT, "training/" + checklist.id),
        stylesheet=posixpath.relpath(STYLESHEET, "training/" + checklist.id),
        data_json=script_json(page_data), description=mdr(checklist.description))


@dataclass(frozen=True)
class TrainingSite:
    """What the training stage adds to the site."""

    pages: tuple[Page, ...] = ()
    outputs: tuple[Output, ...] = ()


def training_site(settings: Settings, checklists: tuple[Checklist, ...],
                  archives: dict[str, PolicyArchive], references: References | None = None) -> TrainingSite:
    """The training index, a page and ``checklist.json`` per checklist, and ``index.json``.

    Checklists were loaded and validated with the content, before anything was rendered.
    """
    if not checklists:
        return TrainingSite()
    mdr = _Fragments(settings, references)
    pages: list[Page] = []
    outputs: list[Output] = []
    targets: dict[str, Target] = {}
    entries = []
    for checklist in checklists:
        for pid in checklist.trains_on:
            if pid not in targets:
                targets[pid] = target_for(archives[pid])
        target = combined_target([targets[pid] for pid in checklist.trains_on])
        checklist = fit(checklist, target.policy)
        published = contract.publish(checklist, target.policy, target.version, target.effective_date,
                                     versions=target.versions if target.also else None)
        data = published.to_json()
        source = checklist.source.path if checklist.source else None
        # training/<id>.md is served at training/<id>/ like a folder's index, but sits in
        # the navigation beside the training index rather than in a section of its own.
        # References lead to the policies in force, from where the page is served.
        with mdr.md.linking(LinkContext(here=f"training/{checklist.id}/index.md")):
            own_zone = target.policy.rules(settings.timezone, settings.notice_days)[0]
            markdown = checklist_markdown(checklist, target, data, mdr, own_zone)
        pages.append(Page(f"training/{checklist.id}.md", markdown, source,
                          {"training": checklist.id, "policy_lang": target.policy.language}))
        outputs.append(Output(f"training/{checklist.id}/{contract.FILE_NAME}", published.to_bytes()))
        entries.append((checklist, target, data))
    index = {"checklists": [{
        "checklist": c.id, "title": c.title, "audience": c.audience, "policy": d["policy"],
        "version": d["version"], "effective_date": d["effective_date"], "draft": t.draft,
        "training_hash": d["training_hash"], "pass_mark": c.pass_mark,
        "url": f"training/{c.id}/", "data": f"training/{c.id}/{contract.FILE_NAME}",
    } for c, t, d in entries]}
    outputs.append(Output("training/index.json", _json_bytes(index)))
    if entries:
        outputs.append(Output(f"{API_DIR}/health", STATIC_HEALTH))
    rows = []
    for c, t, d in entries:
        # Each checklist's card is in its own language, on an index in the site's.
        lang = t.policy.language
        _ = labels(lang)
        # The text trained on, as on the checklist page: not a scheduled version's titles.
        rows.append({"c": c, "href": f"{c.id}.md", "description": mdr(c.description), "_": _,
                     "lang": lang_within(lang, settings.language),
                     "trains_on": [(p.policy.title, _href(INDEX_SRC, policy_src(p.policy.id)), version_line(p, _),
                                    lang_within(p.policy.language, lang))
                                   for p in t.parts],
                     "item_titles": [_item_title(i, t.policy, _) for i in c.items],
                     "questions": _.plural("{n} question", "{n} questions", len(d["questions"]))})
    pages.append(Page(INDEX_SRC, render.render(
        "training_index.md", language=settings.language, rows=rows,
        stylesheet=posixpath.relpath(STYLESHEET, "training"), script=posixpath.relpath(SCRIPT, "training")),
        None, {"training": "index", "policy_lang": settings.language}))
    return TrainingSite(tuple(pages), tuple(outputs))


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
