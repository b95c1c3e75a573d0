"""The site's shared types: pages, output files, each version's links and the gathered site (a leaf)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..model import Policy
from ..render.urls import absolute
from ..settings import Settings

if TYPE_CHECKING:  # pragma: no cover - types only, never imported at run time
    from ..content.checklists import Checklist
    from ..history.versions import PolicyHistory
    from ..redline.compare import PolicyDiff
    from .languages import Family


@dataclass(frozen=True)
class Page:
    """A generated Markdown page: ``src_uri`` like ``privacy-policy/index.md``."""

    src_uri: str
    markdown: str
    source: str | None = None
    """The content file the page comes from (for the edit link)."""
    meta: dict[str, Any] = field(default_factory=dict)
    """What the theme reads (``policy_banner``, ``policy_version``…)."""
    in_nav: bool = True
    """Whether the page appears in the site navigation (archived versions do not)."""


@dataclass(frozen=True)
class Output:
    """A file of the site besides the pages: ``dest_uri`` like ``privacy-policy/versions.json``.

    Its bytes are made during the gather: writing them is all that is left to a front end.
    """

    dest_uri: str
    data: bytes


@dataclass(frozen=True)
class PdfFile:
    """One version's PDF as the site publishes it."""

    path: str
    """Relative to the site root: ``privacy-policy/v/3/privacy-policy-v3.pdf``."""
    sha256: str
    size: int
    """Bytes, for the link text (``52 KB``)."""


@dataclass(frozen=True)
class VersionLinks:
    """Where one version lives on the site, relative to the site root (``privacy-policy/v/3/``)."""

    page: str
    changes: str
    pdf: PdfFile | None = None


@dataclass(frozen=True)
class PolicyArchive:
    """Everything the version pages of one policy are built from."""

    policy: Policy
    history: "PolicyHistory"
    links: dict[int, VersionLinks]
    diffs: dict[int, "PolicyDiff"]
    """Diff of version n against n-1 (key 0 for the draft against the latest)."""
    timezone: str
    site_url: str = ""
    family: "Family | None" = None
    """Its source and translations (other languages of the same policy), and its stale clauses."""

    def absolute(self, path: str | None) -> str | None:
        """``path`` under ``site_url`` (or the site root when none is configured)."""
        return None if path is None else absolute(self.site_url, path)


@dataclass(frozen=True)
class PdfStats:
    rendered: int = 0
    cached: int = 0


@dataclass(frozen=True)
class SiteModel:
    """The whole gathered site: what every stage made, ready for a front end to write."""

    settings: Settings
    policies: tuple[Policy, ...]
    checklists: tuple["Checklist", ...] = ()
    archives: dict[str, PolicyArchive] = field(default_factory=dict)
    """Each policy's versions, links and redlines, by policy id."""
    pdfs: dict[tuple[str, int], PdfFile] = field(default_factory=dict)
    """Each version's PDF by ``(policy id, version number)``."""
    pdf_stats: PdfStats = PdfStats()
    pages: tuple[Page, ...] = ()
    outputs: tuple[Output, ...] = ()
    notes: tuple[str, ...] = ()
    """Advice that must not fail a strict build: Markdown traps in the content, and texts of
    published versions shown as plain text because they exceed a renderer limit."""

    @property
    def warnings(self) -> tuple[str, ...]:
        """What a front end should log: history blobs skipped because they cannot be read."""
        return tuple(w for a in self.archives.values() for w in a.history.warnings)
