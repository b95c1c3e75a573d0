"""What a build needs to know, whoever drives it: a leaf every stage may import."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Pacific/Auckland"
"""IANA zone in which a posting time becomes an effective date, unless configured."""
DEFAULT_PDF_VARIANT = "pdf/a-3a"
"""Archival and tagged; the only PDF/A part that keeps the attached source."""


def is_time_zone(name: object) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows (the site's, a policy's, an option)."""
    if not isinstance(name, str):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


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
    ledger_branch: str = "policy-ledger"
    """Where ``policy publish`` records every posted version (``history/ledger.py``)."""
    policy_order: tuple[str, ...] = ()
    """Policy ids in the order the home page and navigation list them (the rest follow by title)."""
    history_start: str = ""
    """A commit: the site's history begins after it (``policy init`` sets it, so that nothing
    posted before, in the repository this site started from, is published as this site's)."""
    timezone: str = DEFAULT_TIMEZONE
    notice_days: int = 0
    site_name: str = "Policies"
    language: str = "en"
    """The site's own language (BCP 47): its home page's; each policy's pages are in the policy's."""
    site_url: str = ""
    markdown_extensions: tuple = ()
    """Python-Markdown extensions, in the order the engine applies them (the PDF must use the same)."""
    mdx_configs: dict = field(default_factory=dict)
    today: date | None = None
    """The build day, injectable for tests; ``None`` means the real today."""
    pdf: bool = True
    pdf_variant: str = DEFAULT_PDF_VARIANT
    cache_dir: Path | None = None
    theme_dir: Path | None = None

    @property
    def theme_folder(self) -> Path:
        """The theme's folder (``custom_dir``), absolute; ``theme`` of the project when none is set."""
        theme = Path(self.theme_dir) if self.theme_dir else Path(self.root) / "theme"
        return theme if theme.is_absolute() else Path(self.root) / theme

    @property
    def pdf_template_dir(self) -> Path:
        """The folder of the PDF template and stylesheet: ``theme/pdf`` of the project."""
        return self.theme_folder / "pdf"
