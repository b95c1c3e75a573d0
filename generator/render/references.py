"""References between policies that always resolve: ``policy:<id>`` and ``policy:<id>#<clause>``.

A relative link written in content (``../privacy-policy/``) worked on the page in force only:
it broke on archived pages and redlines, and in a PDF became ``file:///<checkout>/…``, so the
same commit built in another folder gave another PDF. A reference names a policy, and
optionally a clause, and each rendering resolves it:

* on the page in force and the training pages: to the referenced policy's page in force;
* on an archived version's page and redline: to the version of the referenced policy that
  was in force on that version's effective date (so old pages never change);
* in a PDF: the same version, by its permanent absolute URL under ``site_url``.

A link with no words (``[](policy:terms-of-use#definitions)``) shows the clause's number
and title as they were in that version: "clause 2.1 Definitions".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping

from ..content.safety import REFERENCE
from ..history.versions import PolicyHistory
from ..model import PolicyVersion
from .urls import absolute, href, policy_src, version_path, version_src


@dataclass(frozen=True)
class LinkContext:
    """Where a text is shown: the page (``here``, a ``…/index.md``), as of which day, and how."""

    here: str = "index.md"
    on: date | None = None
    """``None``: the policies in force now; a day: those in force on it (an archived version)."""
    absolute: bool = False
    """Absolute URLs under ``site_url`` (a PDF), never a path relative to the build folder."""


@dataclass(frozen=True)
class Target:
    href: str
    label: str
    """What an empty link shows: the policy's title, or "clause 2.1 Definitions"."""


class References:
    """Resolves ``policy:`` references against every policy's published versions."""

    def __init__(self, histories: Mapping[str, PolicyHistory], site_url: str = "") -> None:
        self.histories = histories
        self.site_url = site_url

    def version_on(self, policy_id: str, day: date | None) -> PolicyVersion | None:
        history = self.histories.get(policy_id)
        if history is None:
            return None
        if day is None:
            return history.in_force or history.shown
        found = [v for v in history.versions if v.effective_date is not None and v.effective_date <= day]
        return found[-1] if found else None

    def resolve(self, reference: str, context: LinkContext) -> Target | None:
        """The link for ``reference`` shown in ``context``; ``None`` when it names nothing published then."""
        m = REFERENCE.match(reference)
        if not m:
            return None
        pid, clause_id = m.group(1), m.group(2)
        version = self.version_on(pid, context.on)
        if version is None:
            return None
        label = version.policy.title
        if clause_id:
            numbers = {c.id: (n, c.title) for n, c, _ in version.policy.walk()}
            if clause_id not in numbers:
                return None
            number, title = numbers[clause_id]
            label = f"clause {number} {title}"
        anchor = clause_id or ""
        if context.absolute:
            url = absolute(self.site_url, version_path(pid, version.number))
            return Target(url + (f"#{anchor}" if anchor else ""), label)
        to = policy_src(pid) if context.on is None else version_src(version)
        return Target(href(context.here, to, anchor), label)

