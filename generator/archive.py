"""Lay out a policy's versions as pages and files: in force, archive, changes, list, JSON, feed."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from . import diff as redline
from . import feed, render
from .model import Policy, PolicyVersion
from .versions import PolicyHistory, zone

if TYPE_CHECKING:  # pragma: no cover
    from .site import SiteModel

DRAFT_LABEL = "Draft — not yet published"

PdfLinks = Callable[[Policy, PolicyVersion], "tuple[str, str | None] | tuple[str, str | None, int] | None"]
"""Optional hook: ``(policy, version) → (site-relative PDF path, sha256 or None[, size in bytes])``.

:func:`generator.site.gather` passes it to :func:`add_policy`; what it returns lands in
:class:`VersionLinks` (``pdf``, ``pdf_sha256``, ``extra["pdf_size"]``), hence in the page
header and ``versions.json``."""


@dataclass
class VersionLinks:
    """Where one version lives on the site. The PDF stage fills ``pdf``/``pdf_sha256``.

    Paths are relative to the site root (``privacy-policy/v/3/``); :meth:`absolute`
    prefixes ``site_url`` for the JSON and the feed.
    """

    page: str
    changes: str
    pdf: str | None = None
    pdf_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Room for later stages (e.g. a signature file) without changing this class."""


@dataclass
class PolicyArchive:
    """Everything the version pages of one policy were built from (``site.extra['versions'][pid]``)."""

    policy: Policy
    history: PolicyHistory
    links: dict[int, VersionLinks]
    diffs: dict[int, redline.PolicyDiff]
    """Diff of version n against n-1 (key 0 for the draft against the latest)."""
    timezone: str
    site_url: str = ""

    def absolute(self, path: str | None) -> str | None:
        if path is None:
            return None
        return (self.site_url.rstrip("/") + "/" + path) if self.site_url else "/" + path

    def record(self, v: PolicyVersion) -> dict[str, Any]:
        """The entry of ``v`` in ``versions.json`` (exactly the fields DESIGN.md lists)."""
        links = self.links[v.number]
        return {
            "version": v.number,
            "status": v.status,
            "posted_at": v.posted_at.astimezone(zone(self.timezone)).isoformat(),
            "effective_date": v.effective_date.isoformat(),
            "superseded_on": v.superseded_on.isoformat() if v.superseded_on else None,
            "commit": v.commit,
            "text_sha256": v.text_sha256,
            "url": self.absolute(links.page),
            "changes_url": self.absolute(links.changes),
            "pdf": self.absolute(links.pdf),
            "pdf_sha256": links.pdf_sha256,
        }

    def versions_json(self) -> bytes:
        """``versions.json``; read when written, so a later stage may still fill the PDF fields."""
        data = {"policy": self.policy.id, "title": self.policy.title,
                "versions": [self.record(v) for v in self.history.versions]}
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def build_archive(policy: Policy, history: PolicyHistory, *, timezone: str, site_url: str = "",
                  pdf_links: PdfLinks | None = None) -> PolicyArchive:
    """Links and redlines of every version of ``policy`` (no pages yet)."""
    pid = policy.id
    links: dict[int, VersionLinks] = {}
    diffs: dict[int, redline.PolicyDiff] = {}
    for v in history.versions:
        links[v.number] = VersionLinks(f"{pid}/v/{v.number}/", f"{pid}/v/{v.number}/changes/")
        prev = history.previous(v)
        diffs[v.number] = redline.diff_policies(prev.policy if prev else None, v.policy)
        if pdf_links is not None:
            found = pdf_links(v.policy, v)
            if found:
                links[v.number].pdf, links[v.number].pdf_sha256 = found[0], found[1]
                if len(found) > 2:  # the PDF stage also gives the size, for the link (issue 4)
                    links[v.number].extra["pdf_size"] = found[2]
    if history.draft is not None:
        latest = history.latest
        diffs[0] = redline.diff_policies(latest.policy if latest else None, history.draft.policy)
    return PolicyArchive(policy, history, links, diffs, timezone, site_url)


def add_policy(site: "SiteModel", policy: Policy, history: PolicyHistory, *,
               pdf_links: PdfLinks | None = None) -> PolicyArchive:
    """Add every version page and file of ``policy`` to ``site``.

    Args:
        site: the site being gathered.
        policy: the working tree's policy.
        history: its versions.
        pdf_links: optional hook giving each version's PDF path and checksum.
    """
    settings = site.settings
    pid = policy.id
    archive = build_archive(policy, history, timezone=settings.timezone, site_url=settings.site_url,
                            pdf_links=pdf_links)
    _Layout(site, archive).add_all()
    site.outputs.append(_output(f"{pid}/versions.json", archive.versions_json))
    site.outputs.append(_output(f"{pid}/feed.xml", lambda: feed.atom(archive, site_name=settings.site_name)))
    return archive


def _output(dest: str, make: Callable[[], bytes]):
    from .site import Output

    return Output(dest, make)


def rel(from_src: str, to_src: str) -> str:
    """Relative Markdown link from page ``from_src`` to page (or file) ``to_src``."""
    return posixpath.relpath(to_src, posixpath.dirname(from_src))


class _Layout:
    """Renders the pages of one policy's archive; one instance per policy."""

    def __init__(self, site: "SiteModel", archive: PolicyArchive) -> None:
        self.site = site
        self.a = archive
        self.h = archive.history
        self.pid = archive.policy.id
        self.source = Path(archive.policy.source.path) if archive.policy.source else None
        self.tz = zone(archive.timezone)

    # -- helpers -------------------------------------------------------------------

    def src(self, v: PolicyVersion | None, changes: bool = False) -> str:
        if v is None:
            return f"{self.pid}/index.md"
        base = f"{self.pid}/draft" if v.is_draft else f"{self.pid}/v/{v.number}"
        return f"{base}/changes/index.md" if changes else f"{base}/index.md"

    def page(self, src: str, markdown: str, v: PolicyVersion | None, banner: str = "",
             kind: str = "") -> None:
        from .site import Page

        meta: dict[str, Any] = {"policy": self.pid}
        if v is not None:
            meta["policy_version"] = v.number
            meta["policy_status"] = v.status
            if not v.is_draft:
                meta["policy_links"] = self.a.links[v.number]
        if banner:
            meta["policy_banner"] = banner
            meta["policy_banner_kind"] = kind
        # Archived versions and drafts are reached from the version pages, not the
        # navigation: listing them there would change every old page whenever a
        # new version is posted.
        in_nav = not src.startswith((f"{self.pid}/v/", f"{self.pid}/draft/"))
        self.site.pages.append(Page(src, markdown, self.source, meta, in_nav))

    def posted(self, v: PolicyVersion) -> str:
        # In the zone the version was posted under, as its PDF says (see versions.PublicationRules).
        when = v.posted_at.astimezone(zone(v.posted_zone) if v.posted_zone else self.tz)
        return f"{render.long_date(when)}, {when:%H:%M} {when.tzname()}"

    def header(self, here: str, v: PolicyVersion, *, changes: bool = False) -> str:
        """The line under every policy page title: version, status, effective date, links."""
        pdf = None
        if not v.is_draft and self.a.links[v.number].pdf:
            href = rel(here, self.a.links[v.number].pdf)
            pdf = f'<a href="{href}" download>PDF of version {v.number}</a>'
            size = self.a.links[v.number].extra.get("pdf_size")
            if size:
                from .pdf import human_size

                pdf += f" ({human_size(size)})"
        return render.render(
            "version_header.md", v=v, draft_label=DRAFT_LABEL,
            page_link=rel(here, self.src(v)) if changes else None,
            changes_link=None if changes else rel(here, self.src(v, changes=True)),
            versions_link=(None if here == f"{self.pid}/versions/index.md"
                           else rel(here, f"{self.pid}/versions/index.md")),
            pdf=pdf)

    def status_banner(self, here: str, v: PolicyVersion) -> tuple[str, str]:
        """The banner over a version that is not the one in force, as HTML (theme/main.html)."""
        force = self.h.in_force
        to_force = _href(here, f"{self.pid}/index.md")
        if v.is_draft:
            if self.h.latest is None:
                return (f"{DRAFT_LABEL}. This policy has no published version yet; it takes effect "
                        "only once it is merged into the publishing branch."), "draft"
            return (f"{DRAFT_LABEL}. This text differs from the published one (version "
                    f"{self.h.latest.number}); it takes effect only once it is merged into the "
                    "publishing branch."), "draft"
        if v.status == "superseded":
            now = (f' <a href="{to_force}">Read the version in force (version {force.number})</a>.'
                   if force else "")
            return (f"Version {v.number} was superseded on {render.long_date(v.superseded_on)} "
                    f"and is kept for the record.{now}"), "superseded"
        if v.status == "scheduled":
            now = (f' Until then <a href="{to_force}">version {force.number}</a> is in force.'
                   if force else "")
            return (f"Version {v.number} takes effect on {render.long_date(v.effective_date)}.{now}"), "scheduled"
        return "", ""

    # -- pages ---------------------------------------------------------------------

    def add_all(self) -> None:
        shown = self.h.in_force or (self.h.versions[0] if self.h.versions else self.h.draft)
        self.current_page(shown)
        for v in self.h.versions:
            self.version_page(v)
            self.changes_page(v)
        if self.h.draft is not None:
            self.version_page(self.h.draft)
            self.changes_page(self.h.draft)
        self.list_page()

    def notices(self, here: str, shown: PolicyVersion) -> list[str]:
        """Notices on the page in force: scheduled versions ahead, a draft in this build."""
        out = []
        for s in self.h.scheduled:
            if s.number == shown.number:
                continue
            out.append(render.render("notice.md", kind="scheduled", text=(
                f"A new version (version {s.number}) takes effect on "
                f"**{render.long_date(s.effective_date)}**. "
                f"[See what changes]({rel(here, self.src(s, changes=True))}) or "
                f"[read version {s.number}]({rel(here, self.src(s))}).")))
        if self.h.draft is not None and not shown.is_draft:
            out.append(render.render("notice.md", kind="draft", text=(
                f"**{DRAFT_LABEL}:** this build contains an unpublished draft. "
                f"[Read the draft]({rel(here, self.src(self.h.draft))}) or "
                f"[see its changes]({rel(here, self.src(self.h.draft, changes=True))}).")))
        return out

    def current_page(self, shown: PolicyVersion) -> None:
        here = f"{self.pid}/index.md"
        banner, kind = ("", "")
        if shown.is_draft or shown.status == "scheduled":
            banner, kind = self.status_banner(here, shown)
        md = render.policy_markdown(shown.policy, header=self.header(here, shown),
                                    notices=self.notices(here, shown))
        self.page(here, md, shown, banner, kind)

    def version_page(self, v: PolicyVersion) -> None:
        here = self.src(v)
        # The status sentence is the theme's banner (page meta), shown once above the title.
        banner, kind = self.status_banner(here, v)
        notices: list[str] = []
        title = f"{v.policy.title} — {DRAFT_LABEL.lower()}" if v.is_draft else f"{v.policy.title}, version {v.number}"
        md = render.policy_markdown(v.policy, header=self.header(here, v), notices=notices, page_title=title)
        self.page(here, md, v, banner, kind)

    def changes_page(self, v: PolicyVersion) -> None:
        here = self.src(v, changes=True)
        prev = self.h.previous(v)
        d = self.a.diffs[0 if v.is_draft else v.number]
        new_label = "the draft" if v.is_draft else f"version {v.number}"
        body = redline.changes_markdown(
            d, old_label=f"version {prev.number}" if prev else "", new_label=new_label,
            new_url=rel(here, self.src(v)), old_url=rel(here, self.src(prev)) if prev else "",
            heading_level=2)
        banner, kind = self.status_banner(here, v)
        md = render.render("version_changes.md", v=v, prev=prev, title=v.policy.title,
                           header=self.header(here, v, changes=True), body=body,
                           draft_label=DRAFT_LABEL, banner=banner,
                           prev_link=rel(here, self.src(prev)) if prev else None)
        self.page(here, md, v, banner, kind)

    def list_page(self) -> None:
        here = f"{self.pid}/versions/index.md"
        rows = []
        for v in reversed(self.h.versions):
            rows.append({
                "v": v,
                "link": rel(here, self.src(v)),
                "changes_link": rel(here, self.src(v, changes=True)),
                "summary": change_summary(self.a.diffs[v.number]),
                "posted": self.posted(v),
            })
        draft = None
        if self.h.draft is not None:
            draft = {"link": rel(here, self.src(self.h.draft)),
                     "changes_link": rel(here, self.src(self.h.draft, changes=True)),
                     "summary": change_summary(self.a.diffs[0])}
        shown = self.h.in_force
        md = render.render("versions.md", policy=self.a.policy, rows=rows, draft=draft,
                           draft_label=DRAFT_LABEL, timezone=self.a.timezone,
                           header=self.header(here, shown) if shown else "",
                           feed_link=f"../feed.xml", json_link=f"../versions.json")
        self.page(here, md, shown)


def change_summary(d: redline.PolicyDiff, limit: int = 4) -> str:
    """``2 clauses changed: 1.2 Recording of calls, 3 Disclosure`` for tables and the CLI."""
    text = d.summary()
    if d.is_first or d.is_empty or not d.clauses:
        return text
    named = [f"{c.number} {c.clause.title}" for c in d.clauses[:limit]]
    more = len(d.clauses) - limit
    return f"{text}: {', '.join(named)}" + (f" and {more} more" if more > 0 else "")


def _href(here: str, to_src: str) -> str:
    """Relative URL (for raw HTML) from page ``here`` to page ``to_src``; both are ``…/index.md``."""
    return posixpath.relpath(posixpath.dirname(to_src), posixpath.dirname(here)) + "/"

