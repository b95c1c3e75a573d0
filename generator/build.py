"""Gather: content → history → PDFs → pages and files. Everything is made here; nothing is written."""

from __future__ import annotations

from .content import checklists as checklist_loader
from .content import loader
from .history.versions import read_for
from .render import templates as render
from .render.urls import policy_src
from .settings import Settings
from .site import feed
from .site import versions_json
from .site.pages import build_archive, policy_pages, versions_file
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
    policies = tuple(loader.load_all(settings.content_dir))
    checklists = tuple(checklist_loader.load_all(settings.checklists_dir, list(policies)))
    histories = read_for(settings, policies)
    pdf_outputs: tuple[Output, ...] = ()
    pdfs = {}
    stats = PdfStats()
    if settings.pdf:
        from .pdf.render import site_pdfs  # WeasyPrint's stack is loaded only when PDFs are wanted

        made = site_pdfs(histories, settings)
        pdf_outputs, pdfs, stats = made.outputs, made.links, made.stats
    pages: list[Page] = []
    outputs: list[Output] = list(pdf_outputs)
    archives = {}
    entries = []
    for policy in policies:
        archive = build_archive(policy, histories[policy.id], timezone=settings.timezone,
                                site_url=settings.site_url, pdfs=pdfs)
        archives[policy.id] = archive
        pages.extend(policy_pages(archive))
        outputs.append(Output(f"{policy.id}/{versions_json.FILE_NAME}", versions_file(archive).to_bytes()))
        outputs.append(Output(f"{policy.id}/feed.xml", feed.atom(archive, site_name=settings.site_name)))
        entries.append({"title": policy.title, "url": policy_src(policy.id),
                        "line": f"{policy.organisation} · {policy.jurisdiction}"})
    pages.insert(0, Page("index.md", render.render("home.md", site_title=settings.site_name, entries=entries)))
    training = training_site(settings, checklists, archives)
    return SiteModel(settings, policies, checklists, archives, pdfs, stats,
                     tuple(pages) + training.pages, tuple(outputs) + training.outputs)
