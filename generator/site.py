"""Gather every page and file of the site before anything is written (no MkDocs here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

from . import archive, loader, render, training, versions
from .model import Policy


@dataclass(frozen=True)
class Settings:
    """What a build needs to know, whoever drives it (the plugin, the CLI, a test)."""

    root: Path
    """Project folder: where ``mkdocs.yml`` is, inside the git work tree."""
    content_dir: Path
    config_file: Path | None = None
    """``mkdocs.yml``: its past versions in git say the time zone and notice period each version was posted under."""
    checklists_dir: Path | None = None
    branch: str = "main"
    timezone: str = "Pacific/Auckland"
    notice_days: int = 0
    site_name: str = "Policies"
    site_url: str = ""
    markdown_extensions: tuple = ()
    mdx_configs: dict = field(default_factory=dict)
    today: date | None = None
    """The build day, injectable for tests; ``None`` means the real today."""
    pdf: bool = True
    pdf_variant: str = "pdf/a-3a"
    cache_dir: Path | None = None
    theme_dir: Path | None = None


@dataclass(frozen=True)
class Page:
    """A generated Markdown page: ``src_uri`` like ``privacy-policy/index.md``."""

    src_uri: str
    markdown: str
    source: Path | None = None
    """The content file the page comes from (for the edit link)."""
    meta: dict[str, Any] = field(default_factory=dict)
    in_nav: bool = True
    """Whether the page appears in the site navigation (archived versions do not)."""


@dataclass(frozen=True)
class Output:
    """A file written into the site folder after the pages: ``dest_uri`` like ``privacy-policy/versions.json``."""

    dest_uri: str
    data: bytes | Callable[[], bytes]

    def bytes(self) -> bytes:
        return self.data() if callable(self.data) else self.data


@dataclass
class SiteModel:
    settings: Settings
    policies: list[Policy]
    pages: list[Page] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    """Per-feature data other stages may read (versions, training)."""


def policy_url(policy_id: str) -> str:
    return f"{policy_id}/index.md"


def read_histories(settings: Settings, policies: list[Policy]) -> "dict[str, versions.PolicyHistory]":
    """Every policy's versions under ``settings``: one call for the build and the CLI, so both give the same dates."""
    return versions.read_all(policies, branch=settings.branch, timezone=settings.timezone,
                             notice_days=settings.notice_days, today=settings.today,
                             cache_dir=settings.cache_dir, config_file=settings.config_file)


def gather(settings: Settings, *, pdf_links: "archive.PdfLinks | None" = None) -> SiteModel:
    """Load, validate and lay out everything. Raises :class:`~generator.errors.PolicyError`.

    Per policy (see :mod:`generator.archive`): the version in force, every version under
    ``v/<n>/`` with its changes, the versions list, ``versions.json``, ``feed.xml`` and a
    draft when the working tree differs from the latest published text.
    ``site.extra["versions"][policy_id]`` is the :class:`~generator.archive.PolicyArchive`.

    Args:
        settings: what to build.
        pdf_links: optional ``(policy, version) -> (pdf path, sha256)`` hook for the PDF stage.
    """
    policies = loader.load_all(settings.content_dir)
    site = SiteModel(settings, policies)
    histories = read_histories(settings, policies)
    if pdf_links is None and settings.pdf:
        # PDFs come before the pages: they link each PDF with its size, and
        # versions.json carries its SHA-256 (issue 4).
        from . import pdf

        pdf_links = pdf.add_site_pdfs(site, histories)
    site.extra["versions"] = {}
    entries = []
    for policy in policies:
        site.extra["versions"][policy.id] = archive.add_policy(
            site, policy, histories[policy.id], pdf_links=pdf_links)
        entries.append({"title": policy.title, "url": policy_url(policy.id),
                        "line": f"{policy.organisation} · {policy.jurisdiction}"})
    site.pages.insert(0, Page("index.md", render.render("home.md", site_title=settings.site_name,
                                                         entries=entries)))
    training.add_to(site)  # staff training pages and data (issue 5)
    return site
