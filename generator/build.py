"""Gather: content → history → PDFs → pages and files. Everything is made here; nothing is written."""

from __future__ import annotations

from .content import checklists as checklist_loader
from .content import limits, loader
from .errors import ContentError
from .history.versions import PolicyHistory
from .history.versions import read_for
from .render import i18n
from .render import templates as render
from .render.markdown import Converter
from .render.references import References
from .settings import Settings
from .site import feed
from .site import versions_json
from .site.languages import families
from .site.pages import build_archive, home_entry, in_order, moved_pages, policy_pages, versions_file
from .site.structure import Output, Page, PdfStats, SiteModel
from .training.pages import training_site


def gather(settings: Settings) -> SiteModel:
    """Load and validate everything, then lay out every page and make every file's bytes.

    The stages run in this order, each handing typed objects to the next:

    1. content: every policy and every checklist, validated (a typo fails before any PDF);
    2. history: each policy's published versions from git, with dates and the draft;
    3. PDFs: one per version, from the cache or rendered (they come before the pages,
       which link each PDF with its size, and ``versions.json`` carries its SHA-256);
    4. site: per policy the version in force, every version under ``v/<n>/`` with its
       changes, the versions list, ``versions.json`` and ``feed.xml``; the home page;
    5. training: a page and ``checklist.json`` per checklist, and the index.

    Raises:
        PolicyError: bad content, a checklist that does not fit, missing history, a PDF failure.
    """
    traps: list[ContentError] = []
    policies = tuple(loader.load_all(settings.content_dir, traps))
    checklists = tuple(checklist_loader.load_all(settings.checklists_dir, list(policies), traps))
    histories = read_for(settings, policies)
    notes = tuple(f"warning: {t}" for t in traps) + tuple(
        note for h in histories.values() for note in over_limit_notes(h)) + tuple(
        f"warning: {i18n.no_labels_warning(p.source, p.language)}" for p in policies if not i18n.has_labels(p.language))
    if histories and not any(h.from_ledger for h in histories.values()):
        notes += (f"No publication ledger ('{settings.ledger_branch}') in this clone: versions are derived "
                  "from the git history of the publishing branch (policy publish starts the ledger).",)
    references = References(histories, settings.site_url or "")
    pdf_outputs: tuple[Output, ...] = ()
    pdfs = {}
    stats = PdfStats()
    if settings.pdf:
        from .pdf.render import site_pdfs  # WeasyPrint's stack is loaded only when PDFs are wanted

        made = site_pdfs(histories, settings, references)
        pdf_outputs, pdfs, stats = made.outputs, made.links, made.stats
    pages: list[Page] = []
    outputs: list[Output] = list(pdf_outputs)
    archives = {}
    entries = []
    convert = Converter.for_settings(settings, references=references)
    current = {p.id for p in policies}
    # A withdrawn policy (its file removed, the removal posted) keeps every page and file.
    withdrawn = [h.versions[-1].policy for pid, h in histories.items() if pid not in current and h.versions]
    related = families(policies, histories)
    for policy in (*policies, *withdrawn):
        archive = build_archive(policy, histories[policy.id],
                                timezone=policy.rules(settings.timezone, settings.notice_days)[0],
                                site_url=settings.site_url, pdfs=pdfs, family=related.get(policy.id))
        archives[policy.id] = archive
        pages.extend(policy_pages(archive, convert))
        listed = versions_file(archive).to_bytes()
        atom = feed.atom(archive, site_name=settings.site_name)
        # An earlier id's addresses (previous_ids) serve the same list and feed.
        for pid in (policy.id, *histories[policy.id].previous_ids):
            outputs.append(Output(f"{pid}/{versions_json.FILE_NAME}", listed))
            outputs.append(Output(f"{pid}/feed.xml", atom))
        for old in histories[policy.id].previous_ids:
            outputs.extend(Output(path, data) for path, data in moved_pages(archive, old))
        entries.append(home_entry(archive, settings.language))
    home = render.render("home.md", language=settings.language, site_title=settings.site_name,
                         site_language=settings.language, entries=in_order(entries, settings.policy_order))
    pages.insert(0, Page("index.md", home, None, {"policy_lang": settings.language}))
    training = training_site(settings, checklists, archives, references)
    return SiteModel(settings, policies, checklists, archives, pdfs, stats,
                     tuple(pages) + training.pages, tuple(outputs) + training.outputs, notes)


def over_limit_notes(history: PolicyHistory) -> list[str]:
    """A note for each text of a published version (or the draft) shown as plain text.

    ``policy check`` refuses such a text today; a version published before it did keeps
    its number and its words, shown as written instead of failing every later build.
    """
    out = []
    shown = list(history.versions) + ([history.draft] if history.draft is not None else [])
    for v in shown:
        label = "the draft" if v.is_draft else f"version {v.number}"
        for _, clause, _ in v.policy.walk():
            texts = {"summary": clause.summary, "body": clause.body,
                     "guidance": clause.training.guidance if clause.training else None}
            if clause.training:
                texts.update({f"explanation of {q.id}": q.explanation for q in clause.training.questions})
            for name, text in texts.items():
                problem = limits.first_problem(text)
                if problem is not None:
                    out.append(f"{history.policy_id} {label}: the {name} of clause '{clause.id}' is shown "
                               f"as plain text: {problem.message}")
    return out
