"""Review a pull request (`policy diff`): what merging the working tree would publish, against the published version."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .content import checklists as checklist_loader
from .content import loader
from .content.loader import policy_from_text
from .content.translations import Stale, stale
from .errors import display_path
from .history import git as git_history
from .history import ledger as ledger_store
from .history import versions
from .history.rules import PublicationRules, build_day
from .model import Policy, PolicyVersion
from .redline.compare import PolicyDiff, diff_policies
from .redline.wording import changes_markdown, contact_sentence, field_pairs, what_happened
from .redline.words import word_diff_html
from .render.templates import long_date, md_attr
from .training.impact import TrainingImpact, TrainingItem, training_impact

NO_CHANGE = "No change to the public text."


@dataclass(frozen=True)
class PolicyReport:
    """One policy's comparison: the published text, the edited one, and what a merge would do."""

    policy: Policy
    """The policy as edited in the working tree."""
    path: str
    """Its file, relative to the repository root."""
    published: PolicyVersion | None
    """The latest published version on the base branch (``None`` if never published)."""
    diff: PolicyDiff
    impact: TrainingImpact
    next_number: int
    """The number the edited text gets when merged."""
    notice_days: int
    timezone: str
    base: str
    """The ref compared against, e.g. ``refs/remotes/origin/main``."""
    staff: tuple["StaffChange", ...] = ()
    """Changes to staff-only text (guidance, questions, answers, explanations)."""
    stale: tuple[tuple[Policy, tuple[Stale, ...]], ...] = ()
    """The translations of this policy that this change makes stale, with their stale clauses."""

    @property
    def changed(self) -> bool:
        return not self.diff.is_empty or bool(self.renamed_from)

    @property
    def renamed_from(self) -> str:
        """The id the published version has, when this change gives the policy a new one (``previous_ids``)."""
        old = self.published.policy.id if self.published is not None else ""
        return old if old and old != self.policy.id else ""

    @property
    def quiet(self) -> bool:
        """Nothing to review: no public change, no training affected, no staff-only text changed."""
        return not self.changed and self.impact.is_empty and not self.staff


@dataclass(frozen=True)
class StaffChange:
    """One staff-only text that a merge changes: where it is, what it is, before and after."""

    where: str
    """``1.2 Recording of calls``."""
    label: str
    """``Guidance``, ``Question q-id: prompt``, ``Question q-id: answer`` …"""
    old: str | None
    new: str | None


def staff_changes(old: Policy | None, new: Policy) -> tuple[StaffChange, ...]:
    """Every staff-only text that differs between ``old`` (what staff have now) and ``new``.

    Staff read these on the training pages as they read the policy, so a reviewer
    must see them as a redline too: they are not in the public redline.
    """
    before = {c.id: c for _, c, _ in old.walk()} if old is not None else {}
    out: list[StaffChange] = []
    for number, clause, _ in new.walk():
        where = f"{number} {clause.title}"
        prior = before.get(clause.id)
        for label, a, b in _staff_texts(prior, clause):
            if a != b:
                out.append(StaffChange(where, label, a, b))
    return tuple(out)


def _staff_texts(old, new) -> list[tuple[str, str | None, str | None]]:
    def texts(clause) -> dict[str, str]:
        if clause is None or clause.training is None:
            return {}
        out = {"Guidance": clause.training.guidance or ""}
        for q in clause.training.questions:
            out[f"Question {q.id}: prompt"] = q.prompt
            out[f"Question {q.id}: choices"] = "\n".join(f"- {c.id}: {c.text}" for c in q.choices)
            out[f"Question {q.id}: answer"] = ", ".join(q.answer)
            out[f"Question {q.id}: explanation"] = q.explanation or ""
        return out
    a, b = texts(old), texts(new)
    return [(label, a.get(label) or None, b.get(label) or None) for label in dict.fromkeys([*a, *b])]


def compare(content_dir: Path, *, base: str, checklists_dir: Path | None = None,
            timezone: str = "Pacific/Auckland", notice_days: int = 0,
            today: date | None = None, config_file: Path | None = None,
            ledger_branch: str | None = None, history_start: str = "") -> list[PolicyReport]:
    """Compare every policy in ``content_dir`` with its latest published version on ``base``.

    Args:
        content_dir: the working tree's content folder.
        base: the publishing branch (``main``), a remote-tracking one (``origin/main``)
            or a full ref.
        checklists_dir: staff checklists, if any (items on changed clauses are listed).
        timezone: where a merge instant becomes a date.
        notice_days: days between merge and taking effect.
        today: the day statuses are computed for (``$POLICY_TODAY`` or today when ``None``).
        config_file: ``mkdocs.yml``: each published version's dates follow the time zone and
            notice period it was posted under, as on the site (``timezone`` and
            ``notice_days`` are for the new version).
        ledger_branch: the publication ledger: when the clone has it, what was published
            (numbers, dates, texts, which policies apply) is the ledger's, not ``base``'s history.
        history_start: only commits after this one are this site's history (``policy init``).

    Raises:
        ContentErrors: the edited YAML (or a checklist) is invalid.
        HistoryError: no repository, a shallow clone, or ``base`` is missing.
    """
    policies = loader.load_all(content_dir)
    checklists = _load_checklists(checklists_dir, policies)
    files = [Path(p.source.path) for p in policies]
    hist = git_history.read_history(files, base, start=history_start)
    day = build_day(today, timezone)
    rules = PublicationRules.for_config(hist.root, config_file, timezone, notice_days)
    book = ledger_store.read(hist.root, ledger_branch) if ledger_branch else None
    reports = []
    for policy, file in zip(policies, files):
        rel = file.resolve().relative_to(hist.root).as_posix()
        revisions = hist.revisions.get(rel, [])
        if book is not None and book.versions_of(policy.id):
            past = versions.from_ledger(policy, book, policy.id, today=day, path=rel, sources={})
        else:
            past = versions.build_versions(policy, revisions, hist.blobs, timezone=timezone,
                                           notice_days=notice_days, today=day, path=rel, rules=rules)
        published = past.latest
        old = published.policy if published else None
        # Training is not in the published text; it comes from the file at the tip of
        # the base branch, so that a training-only edit is compared with what staff have now.
        old_training = policy_from_text(hist.blobs[revisions[-1].blob], rel) if revisions else None
        if old_training is not None and (old is None or old_training.text_sha256() != old.text_sha256()):
            old_training = None  # the tip is not the published text (it failed to build): skip training
        d = diff_policies(old, policy)
        impact = training_impact(old_training if old_training is not None else old, policy, checklists, diff=d)
        # The edited policy's own rules, when it sets them, are the new version's.
        new_zone, new_notice = policy.rules(timezone, notice_days)
        # A translation goes stale where this change rewrites a clause it translates.
        lagging = []
        for t in policies:
            found = tuple(s for s in stale(t, policy) if s.clause.id in d.text_changed_ids) \
                if t.translation_of == policy.id else ()
            if found:
                lagging.append((t, found))
        reports.append(PolicyReport(policy, rel, published, d, impact,
                                    (published.number + 1) if published else 1, new_notice, new_zone, hist.ref,
                                    staff_changes(old_training if old_training is not None else old, policy),
                                    tuple(lagging)))
    return reports


def stale_section(r: PolicyReport, *, markdown: bool) -> list[str]:
    """The translations this change makes stale, each with its clauses, and what to do."""
    if not r.stale:
        return []
    head = "Translations this change makes stale"
    out = [f"### {head}", ""] if markdown else [f"{head}:"]
    for t, found in r.stale:
        clauses = ", ".join(f"clause {s.number} {s.clause.title}" for s in found)
        where = display_path(t.source.path) if t.source else t.id
        out.append(f"- **{md_attr(t.title)}** (`{where}`): {md_attr(clauses)}" if markdown
                   else f"  {t.title} ({where}): {clauses}")
    ids = " ".join(t.id for t, _ in r.stale)
    out += ["", f"Bring them up to date, then run `policy translations mark {ids}`.", ""] if markdown else [
        f"  Bring them up to date, then run: policy translations mark {ids}", ""]
    return out


def withdrawals(content_dir: Path, policies: list[Policy], *, base: str,
                ledger_branch: str | None = None) -> list[tuple[str, str]]:
    """``(id, title)`` of each published policy that the working tree no longer has: merged, it is withdrawn.

    Published means applying in the ledger when the clone has one, else present on ``base``.
    """
    root = git_history.repo_root(content_dir)
    here = {p.id for p in policies} | {old for p in policies for old in p.previous_ids}
    book = ledger_store.read(root, ledger_branch) if ledger_branch else None
    if book is not None and book.ref is not None:
        published = {pid: e.title for pid, e in ledger_store.applying(book).items()}
    else:
        commit = git_history.git(["rev-parse", git_history.resolve_branch(root, base)], root).stdout.decode().strip()
        published = {pid: p.title for pid, (p, _) in ledger_store.policies_at(root, commit, Path(content_dir)).items()}
    return [(pid, title) for pid, title in published.items() if pid not in here]


def _load_checklists(checklists_dir: Path | None, policies: list[Policy]) -> list:
    if checklists_dir is None or not Path(checklists_dir).is_dir():
        return []
    return checklist_loader.load_all(checklists_dir, policies)


# ---------------------------------------------------------------- wording


MERGED_ONLY = ("Only the merged result is posted, whatever the merge method (merge commit, squash or "
               "rebase): the commits in between never become versions.")


def withdrawal_lines(gone: list[tuple[str, str]], *, markdown: bool) -> list[str]:
    """What merging does to policies whose files are gone (empty when none)."""
    if not gone:
        return []
    out = ["## Withdrawn on merge", ""] if markdown else ["Withdrawn on merge:"]
    for pid, title in gone:
        name = f"**{md_attr(pid)}** ({md_attr(title)})" if markdown else f"{pid} ({title})"
        out.append(("- " if markdown else "  - ") + f"{name} will be withdrawn: its file is gone. Its pages, "
                   "PDFs and feed stay, marked as no longer applying from the day the merge is posted.")
    return out + [""]


def on_merge(r: PolicyReport) -> str:
    """What merging does, in one sentence."""
    when = ("effective on the merge date" if r.notice_days == 0
            else f"effective on the merge date + {r.notice_days} day{'s' if r.notice_days != 1 else ''}")
    sentence = f"On merge this becomes version {r.next_number} of the {r.policy.title}, {when}"
    sentence += f" (dates in {r.timezone})."
    if r.notice_days:
        sentence += (f" Until then version {r.published.number} stays in force, and the policy page"
                     " announces the new version." if r.published else "")
    return sentence


def compared_with(r: PolicyReport) -> str:
    if r.published is None:
        return "Nothing has been published yet: this is the first version."
    if r.renamed_from:
        return (f"The id changes from {r.renamed_from} to {r.policy.id} (declared in previous_ids): the history "
                f"continues, earlier versions keep their addresses, and /{r.renamed_from}/ leads to "
                f"/{r.policy.id}/. Compared with version {r.published.number}: {r.diff.summary()}.")
    v = r.published
    status = {"in-force": "in force", "scheduled": "scheduled", "superseded": "superseded"}.get(v.status, v.status)
    return (f"Compared with version {v.number} ({status}, effective {long_date(v.effective_date)}): "
            f"{r.diff.summary()}.")


def _item_line(i: TrainingItem, *, markdown: bool) -> str:
    # In Markdown, a prompt or title is text: "<b>" or "*" in it must not become markup.
    plain = md_attr if markdown else (lambda s: s)
    where = plain(f"{i.clause_number} {i.clause_title}".strip())
    code = (lambda s: f"`{s}`") if markdown else (lambda s: s)
    if i.kind == "question":
        what = f"Question {code(i.item_id)}: “{plain(i.text)}”"
    elif i.kind == "guidance":
        what = "Staff guidance"
    else:
        what = f"Checklist item {code(i.item_id)}: {plain(i.text)}"
    return f"{what} (clause {where}): {i.reason}" if where else f"{what}: {i.reason}"


STAFF_HEADING = "Staff-only text (training pages)"


def staff_section(changes: tuple[StaffChange, ...], *, markdown: bool) -> list[str]:
    """The redline of every staff-only text a merge changes (empty when none)."""
    if not changes:
        return []
    if not markdown:
        out = [f"{STAFF_HEADING}:"]
        for c in changes:
            out += [f"    {c.where}, {c.label}:", _indent(word_diff_text(c.old, c.new), "        ")]
        return out + [""]
    out = [f"### {STAFF_HEADING}", ""]
    for c in changes:
        # Content is escaped in the redline: a reviewer reads "<img onerror=…>", not an image.
        out += [f"**{md_attr(c.where)}, {md_attr(c.label)}**", "", "<blockquote>", "",
                word_diff_html(c.old, c.new, labels=False), "", "</blockquote>", ""]
    return out


def training_section(impact: TrainingImpact, *, markdown: bool) -> list[str]:
    """Lines listing the training a change affects (empty when none)."""
    if impact.is_empty:
        return []
    out: list[str] = []
    groups = (("Training staff will have to redo", impact.redo),
              ("Training no longer asked", tuple(i for i in impact.items if not i.redo)))
    for heading, items in groups:
        if not items:
            continue
        out += [f"### {heading}", ""] if markdown else [f"{heading}:"]
        out += [("- " if markdown else "  - ") + _item_line(i, markdown=markdown) for i in items]
        out.append("")
    return out


# ---------------------------------------------------------------- formats


def render_markdown(reports: list[PolicyReport], gone: list[tuple[str, str]] = ()) -> str:
    """GitHub-flavoured Markdown for the pull request comment and the job summary."""
    if len(reports) == 1 and reports[0].quiet and not gone:
        return NO_CHANGE + "\n"
    out: list[str] = withdrawal_lines(list(gone), markdown=True)
    for r in reports:
        out.append(f"## {md_attr(r.policy.title)} (`{r.path}`)")
        out.append("")
        if not r.changed:
            out += [NO_CHANGE, ""]
        else:
            out += [f"**{md_attr(on_merge(r))}**", "", md_attr(compared_with(r)), "", MERGED_ONLY, ""]
            if r.published is not None:
                label = f"version {r.published.number}"
                out.append(changes_markdown(r.diff, old_label=label, new_label="this change", new_url=None,
                                            for_site=False, heading_level=3).strip())
                out.append("")
        out += stale_section(r, markdown=True)
        out += training_section(r.impact, markdown=True)
        out += staff_section(r.staff, markdown=True)
    return "\n".join(out).rstrip() + "\n"


_DEL = re.compile(r"<del>(.*?)</del>", re.S)
_INS = re.compile(r"<ins>(.*?)</ins>", re.S)


def word_diff_text(old: str | None, new: str | None) -> str:
    """A plain-text redline: ``[-deleted-]`` and ``{+inserted+}``, as ``git diff --word-diff`` shows."""
    marked = word_diff_html(old, new, labels=False)
    marked = _DEL.sub(lambda m: f"[-{m.group(1)}-]", marked)
    marked = _INS.sub(lambda m: f"{{+{m.group(1)}+}}", marked)
    return html.unescape(marked)


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + ln if ln else "" for ln in text.split("\n"))


def render_text(reports: list[PolicyReport], gone: list[tuple[str, str]] = ()) -> str:
    """Plain text for a terminal."""
    if len(reports) == 1 and reports[0].quiet and not gone:
        return NO_CHANGE + "\n"
    out: list[str] = withdrawal_lines(list(gone), markdown=False)
    for r in reports:
        out.append(f"{r.policy.title} ({r.path})")
        if not r.changed:
            out += [NO_CHANGE, ""]
            out += training_section(r.impact, markdown=False)
            out += staff_section(r.staff, markdown=False)
            continue
        out += [on_merge(r), compared_with(r), MERGED_ONLY, ""]
        if r.diff.metadata:
            out.append("Policy details:")
            for f in r.diff.metadata:
                old = ", ".join(f.old) if isinstance(f.old, tuple) else (f.old or "")
                new = ", ".join(f.new) if isinstance(f.new, tuple) else (f.new or "")
                out.append(f"    {f.label}: {word_diff_text(old, new)}")
            out.append("")
        if r.published is not None and (r.diff.clauses or r.diff.preamble):
            out.append("Marks: [-deleted-] {+inserted+}")
            out.append("")
            if r.diff.preamble:
                out += ["Introduction", _indent(word_diff_text(r.diff.preamble.old, r.diff.preamble.new)), ""]
            for c in r.diff.clauses:
                title = c.field("title")
                heading = word_diff_text(title.old, title.new) if title else c.clause.title
                lead, rest = what_happened(c)
                out.append(f"{c.number} {heading}")
                out.append(f"    {lead} {rest}".rstrip())
                for name, label, old, new in field_pairs(c):
                    if name == "contact":
                        out.append(f"    {contact_sentence(bool(new))}")
                        continue
                    out.append(f"    {label}:")
                    out.append(_indent(word_diff_text(old, new), "        "))
                out.append("")
        out += stale_section(r, markdown=False)
        out += training_section(r.impact, markdown=False)
        out += staff_section(r.staff, markdown=False)
    return "\n".join(out).rstrip() + "\n"
