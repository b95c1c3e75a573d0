"""Where things live on the site, and links between generated pages (relative, so any base path works)."""

from __future__ import annotations

import posixpath

from ..model import PolicyVersion


def rel(from_src: str, to_src: str) -> str:
    """Relative Markdown link from page ``from_src`` to page (or file) ``to_src``."""
    return posixpath.relpath(to_src, posixpath.dirname(from_src))


def href(here: str, to_src: str, anchor: str = "") -> str:
    """Relative URL, for raw HTML, from page ``here`` to page ``to_src`` (both ``…/index.md``)."""
    url = posixpath.relpath(posixpath.dirname(to_src) or ".", posixpath.dirname(here)) + "/"
    return url + (f"#{anchor}" if anchor else "")


def policy_src(policy_id: str) -> str:
    """The page of the version in force."""
    return f"{policy_id}/index.md"


def version_src(version: PolicyVersion, *, changes: bool = False) -> str:
    """The page of one version (or of its changes): ``v/<n>/`` forever, ``draft/`` for a draft."""
    pid = version.policy.id
    base = f"{pid}/draft" if version.is_draft else f"{pid}/v/{version.number}"
    return f"{base}/changes/index.md" if changes else f"{base}/index.md"


def versions_src(policy_id: str) -> str:
    return f"{policy_id}/versions/index.md"


def version_path(policy_id: str, number: int) -> str:
    """Site path of version ``number``'s page: ``privacy-policy/v/3/``."""
    return f"{policy_id}/v/{number}/"


def changes_path(policy_id: str, number: int) -> str:
    """Site path of version ``number``'s redline: ``privacy-policy/v/3/changes/``."""
    return version_path(policy_id, number) + "changes/"


def absolute(site_url: str, path: str) -> str:
    """``path`` (relative to the site root) under ``site_url``, or rooted at ``/`` when none is set."""
    return (site_url.rstrip("/") + "/" + path) if site_url else "/" + path


def version_url(site_url: str, version: PolicyVersion) -> str:
    """The permanent URL of ``version`` (empty for a draft, which has none yet)."""
    if version.is_draft:
        return ""
    return absolute(site_url, version_path(version.policy.id, version.number))


def pdf_name(version: PolicyVersion) -> str:
    """``privacy-policy-v3.pdf``, or ``privacy-policy-draft.pdf`` for a draft."""
    if version.is_draft:
        return f"{version.policy.id}-draft.pdf"
    return f"{version.policy.id}-v{version.number}.pdf"
