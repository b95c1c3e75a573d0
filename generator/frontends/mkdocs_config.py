"""Typed configuration of the ``policy`` MkDocs plugin."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class _Days(c.Type):
    """A whole number of days, 0 or more."""

    def run_validation(self, value):
        value = super().run_validation(value)
        if value < 0:
            raise c.ValidationError("must be 0 or more: a version cannot take effect before it is posted")
        return value


class PolicyConfig(base.Config):
    enabled = c.Type(bool, default=True)
    """Turn the plugin off without removing it from ``mkdocs.yml``."""

    content_dir = c.Dir(exists=True, default="content")
    """Folder of policy YAML files, relative to ``mkdocs.yml``."""

    checklists_dir = c.Optional(c.Dir(exists=True))
    """Folder of staff checklists; ``checklists`` beside ``mkdocs.yml`` when it exists."""

    branch = c.Type(str, default="main")
    """Publishing branch whose first-parent history defines the versions."""
    ledger_branch = c.Type(str, default="policy-ledger")
    order = c.ListOfItems(c.Type(str), default=[])
    """Policy ids in the order the home page and navigation list them."""
    history_start = c.Type(str, default="")
    """A commit after which this site's history begins (set by ``policy init``)."""
    """Branch of the publication ledger (``policy publish`` appends to it; builds read it)."""

    timezone = c.Type(str, default="Pacific/Auckland")
    """IANA time zone in which a posting time becomes an effective date."""

    notice_days = _Days(int, default=0)
    """Days between posting a version and its taking effect."""

    pdf = c.Type(bool, default=True)
    """Build a PDF of every version."""

    pdf_on_serve = c.Type(bool, default=False)
    """Also build PDFs under ``mkdocs serve`` (slower live reload)."""

    pdf_variant = c.Type(str, default="pdf/a-3a")
    """WeasyPrint PDF variant: archival and tagged by default."""

    cache_dir = c.Type(str, default=".cache/policy")
    """Where rendered PDFs are kept between builds, relative to ``mkdocs.yml``."""
