"""A policy's pages: the version in force, every version, its changes and the versions list."""

from __future__ import annotations

import html
import posixpath
from typing import Any, Mapping

from ..history.rules import zone
from ..history.versions import PolicyHistory
from ..model import Policy, PolicyVersion
from ..redline import compare as redline
from ..redline.wording import change_summary, changes_markdown
from ..render import templates as render
from ..render.i18n import DRAFT_LABEL, Labels, labels
from ..render.markdown import Converter
from ..render.urls import href as _href
from ..render.references import LinkContext
from ..render.urls import changes_path, policy_src, rel, version_path, version_src, versions_src
from .languages import Family
from .structure import Page, PdfFile, PolicyArchive, VersionLinks
from .versions_json import VersionsFile, record


def build_archive(policy: Policy, history: PolicyHistory, *, timezone: str, site_url: str = "",
                  pdfs: Mapping[tuple[str, int], PdfFile] | None = None, family: Family | None = None) -> PolicyArchive:
    """Links and redlines of every version of ``policy`` (no pages yet).

    Args:
        policy: the working tree's policy.
        history: its versions.
        timezone: the site's zone, for times in ``versions.json`` and the list.
        site_url: where the site is published, for absolute URLs.
        pdfs: each version's PDF by ``(policy id, number)``, when the PDF stage ran.
        family: its other languages and, for a translation, its stale clauses.
    """
    pid = policy.id
    pdfs = pdfs or {}
    links: dict[int, VersionLinks] = {}
    diffs: dict[int, redline.PolicyDiff] = {}
    for v in history.versions:
        # A version posted under an earlier id keeps its address (previous_ids).
        links[v.number] = VersionLinks(version_path(v.policy.id, v.number), changes_path(v.policy.id, v.number),
                                       pdfs.get((pid, v.number)))
        prev = history.previous(v)
        diffs[v.number] = redline.diff_policies(prev.policy if prev else None, v.policy)
    if history.draft is not None:
        latest = history.latest
        diffs[0] = redline.diff_policies(latest.policy if latest else None, history.draft.policy)
    return PolicyArchive(policy, history, links, diffs, timezone, site_url, family)


def versions_file(archive: PolicyArchive) -> VersionsFile:
    """The policy's ``versions.json``: every published version, never the draft."""
    records = []
    for v in archive.history.versions:
        links = archive.links[v.number]
        records.append(record(
            v, timezone=archive.timezone, page=archive.absolute(links.page),
            changes=archive.absolute(links.changes),
            pdf=archive.absolute(links.pdf.path) if links.pdf else None,
            pdf_sha256=links.pdf.sha256 if links.pdf else None))
    gone = archive.history.withdrawn_on
    return VersionsFile(archive.policy.id, archive.policy.title, tuple(records), archive.history.ledger_head,
                        gone.isoformat() if gone else None)


def policy_pages(archive: PolicyArchive, convert: Converter) -> list[Page]:
    """Every page of one policy, in the order they are listed to the engine.

    ``convert`` makes every piece of content HTML (sanitised) before the engine sees the page.
    """
    layout = _Layout(archive, convert)
    layout.add_all()
    return layout.pages


class _Layout:
    """Renders the pages of one policy's archive; one instance per policy."""

    def __init__(self, archive: PolicyArchive, convert: Converter) -> None:
        self.a = archive
        self.convert = convert
        self.h = archive.history
        self.pid = archive.policy.id
        self.source = archive.policy.source.path if archive.policy.source else None
        self.tz = zone(archive.timezone)
        self.pages: list[Page] = []

    # -- helpers -------------------------------------------------------------------

    def src(self, v: PolicyVersion | None, changes: bool = False) -> str:
        return policy_src(self.pid) if v is None else version_src(v, changes=changes)

    def page(self, src: str, markdown: str, banner: str = "", kind: str = "", *, lang: str = "") -> None:
        # The theme's banner (theme/main.html) reads the two policy_banner keys. Every page
        # carries metadata even without a banner: Material lays out a page with metadata
        # slightly differently, and an archived page must not change when it gains one.
        # Every page of a policy names its feed in <head> (theme/main.html), so readers find it.
        folder = posixpath.dirname(src) if src.endswith("index.md") else src.removesuffix(".md")
        lang = lang or self.a.policy.language
        _ = labels(lang)
        meta: dict[str, Any] = {"policy": self.pid,
                                "policy_feed": posixpath.relpath(f"{self.pid}/feed.xml", folder),
                                "policy_feed_title": _("{title}: new versions (Atom feed)",
                                                       title=self.a.policy.title),
                                # The language the page is written in: <html lang> (theme/partials/language.html).
                                "policy_lang": lang}
        if banner:
            meta.update(policy_banner=banner, policy_banner_kind=kind)
        # Archived versions and drafts are reached from the version pages, not the
        # navigation: listing them there would change every old page whenever a
        # new version is posted.
        in_nav = "/v/" not in src and "/draft/" not in src
        if not in_nav:
            # Search finds what is in force: an old version's words would read as current.
            meta["search"] = {"exclude": True}
        self.pages.append(Page(src, markdown, self.source, meta, in_nav))

    def posted(self, v: PolicyVersion) -> str:
        # In the zone the version was posted under, as its PDF says (see versions.PublicationRules).
        when = v.posted_at.astimezone(zone(v.posted_zone) if v.posted_zone else self.tz)
        return f"{labels(v.policy.language).date(when)}, {when:%H:%M} {when.tzname()}"

    def header(self, here: str, v: PolicyVersion, *, changes: bool = False, languages: bool = False) -> str:
        """The line under every policy page title: version, status, effective date, links (and, on
        the page in force, the same policy in its other languages)."""
        pdf = None
        _ = labels(v.policy.language)
        found = None if v.is_draft else self.a.links[v.number].pdf
        if found is not None:
            label = _("PDF of version {number}", number=v.number)
            pdf = f'<a href="{rel(here, found.path)}" download>{label}</a> ({human_size(found.size)})'
        return render.render(
            "version_header.md", language=v.policy.language, v=v, draft_label=_(DRAFT_LABEL),
            page_link=rel(here, self.src(v)) if changes else None,
            changes_link=None if changes else rel(here, self.src(v, changes=True)),
            versions_link=(None if here == versions_src(self.pid) else rel(here, versions_src(self.pid))),
            pdf=pdf, languages=self.language_links(here, _) if languages else [])

    def language_links(self, here: str, _: Labels) -> list[tuple[str, str]]:
        """``(label, HTML link)`` for the policy this translates and each translation of it."""
        family = self.a.family
        out = []
        for r in family.relatives if family else ():
            link = _in_language(_href(here, policy_src(r.policy_id)), r.language, f"{r.title} ({r.language_name})")
            out.append((_("Translation of") if r.is_source else _("Also in"), link))
        return out

    def stale_notices(self, here: str) -> dict[str, str]:
        """A notice for each clause of a translation's page in force that lags behind its source in force."""
        family, refs = self.a.family, self.convert.references
        _ = labels(self.a.policy.language)
        if not family or not family.stale or family.source_id is None or refs is None:
            return {}
        source = refs.version_on(family.source_id, None)
        if source is None:
            return {}
        out = {}
        for cid in family.stale:
            target = refs.resolve(f"policy:{family.source_id}" + ("" if cid in family.missing else f"#{cid}"),
                                  LinkContext(here))
            if target is None:
                continue
            link = _in_language(target.href, source.policy.language, target.label)
            text = (_("The text this clause translates has changed, and the translation has not caught up. "
                      "Read {link} as it is in force.", link=link) if cid not in family.missing else
                    _("The text this clause translated is no longer in {link} as it is in force.", link=link))
            out[cid] = render.render("notice.md", kind="stale", text=text)
        return out

    def status_banner(self, here: str, v: PolicyVersion) -> tuple[str, str]:
        """The banner over a version that is not the one in force, as HTML (theme/main.html)."""
        force = self.h.in_force
        to_force = _href(here, policy_src(self.pid))
        _ = labels(v.policy.language)
        if v.is_draft:
            if self.h.latest is None:
                return _("{draft}. This policy has no published version yet; it takes effect only once it is "
                         "merged into the publishing branch.", draft=_(DRAFT_LABEL)), "draft"
            return _("{draft}. This text differs from the published one (version {number}); it takes effect "
                     "only once it is merged into the publishing branch.", draft=_(DRAFT_LABEL),
                     number=self.h.latest.number), "draft"
        if v.status == "superseded":
            now = (" " + _('<a href="{href}">Read the version in force (version {number})</a>.',
                           href=to_force, number=force.number) if force else "")
            return _("Version {number} was superseded on {date} and is kept for the record.",
                     number=v.number, date=_.date(v.superseded_on)) + now, "superseded"
        if v.status == "scheduled":
            now = (" " + _('Until then <a href="{href}">version {number}</a> is in force.',
                           href=to_force, number=force.number) if force else "")
            return _("Version {number} takes effect on {date}.", number=v.number,
                     date=_.date(v.effective_date)) + now, "scheduled"
        return "", ""

    # -- pages ---------------------------------------------------------------------

    def add_all(self) -> None:
        self.current_page(self.h.shown)
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
        _ = labels(shown.policy.language)
        for s in self.h.scheduled:
            if s.number == shown.number:
                continue
            out.append(render.render("notice.md", kind="scheduled", text=_(
                "A new version (version {number}) takes effect on **{date}**. [See what changes]({changes}) "
                "or [read version {number}]({page}).", number=s.number, date=_.date(s.effective_date),
                changes=rel(here, self.src(s, changes=True)), page=rel(here, self.src(s)))))
        if self.h.draft is not None and not shown.is_draft:
            out.append(render.render("notice.md", kind="draft", text=_(
                "**{draft}:** this build contains an unpublished draft. [Read the draft]({page}) or "
                "[see its changes]({changes}).", draft=_(DRAFT_LABEL), page=rel(here, self.src(self.h.draft)),
                changes=rel(here, self.src(self.h.draft, changes=True)))))
        return out

    def current_page(self, shown: PolicyVersion) -> None:
        here = policy_src(self.pid)
        banner, kind = ("", "")
        if shown.is_draft or shown.status == "scheduled":
            banner, kind = self.status_banner(here, shown)
        if self.h.withdrawn_on is not None:
            _ = labels(shown.policy.language)
            when = _.date(self.h.withdrawn_on)
            applies = (_("This policy was withdrawn: it no longer applies from {date}.", date=when)
                       if self.h.withdrawn_on <= self.h.today else
                       _("This policy was withdrawn: it will no longer apply from {date}.", date=when))
            banner, kind = (applies + " " + _(
                "Version {number}, its last, and every earlier version are kept for the record.",
                number=shown.number)), "superseded"
        # References lead to the policies in force now.
        with self.convert.linking(LinkContext(here)):
            md = render.policy_markdown(shown.policy, self.convert,
                                        header=self.header(here, shown, languages=True),
                                        notices=self.notices(here, shown), stale=self.stale_notices(here))
        self.page(here, md, banner, kind, lang=shown.policy.language)

    def version_page(self, v: PolicyVersion) -> None:
        here = self.src(v)
        # The status sentence is the theme's banner (page meta), shown once above the title.
        banner, kind = self.status_banner(here, v)
        notices: list[str] = []
        _ = labels(v.policy.language)
        title = (f"{v.policy.title} — {_(DRAFT_LABEL).lower()}" if v.is_draft
                 else _("{title}, version {number}", title=v.policy.title, number=v.number))
        # References lead to the versions in force on this version's effective date: the page
        # of an old version never changes because another policy moved on.
        with self.convert.linking(LinkContext(here, v.effective_date)):
            md = render.policy_markdown(v.policy, self.convert, header=self.header(here, v), notices=notices,
                                        page_title=title)
        self.page(here, md, banner, kind, lang=v.policy.language)

    def changes_page(self, v: PolicyVersion) -> None:
        here = self.src(v, changes=True)
        prev = self.h.previous(v)
        d = self.a.diffs[0 if v.is_draft else v.number]
        lang = v.policy.language
        _ = labels(lang)
        new_label = _("the draft") if v.is_draft else _("version {number}", number=v.number)
        with self.convert.linking(LinkContext(here, v.effective_date)):
            body = changes_markdown(
                d, old_label=_("version {number}", number=prev.number) if prev else "", new_label=new_label,
                new_url=rel(here, self.src(v)), old_url=rel(here, self.src(prev)) if prev else "",
                heading_level=2, convert=self.convert, language=lang)
        banner, kind = self.status_banner(here, v)
        md = render.render("version_changes.md", language=lang, v=v, prev=prev, title=v.policy.title,
                           header=self.header(here, v, changes=True), body=body,
                           draft_label=_(DRAFT_LABEL), banner=banner,
                           prev_link=rel(here, self.src(prev)) if prev else None)
        self.page(here, md, banner, kind, lang=v.policy.language)

    def list_page(self) -> None:
        here = versions_src(self.pid)
        lang = self.a.policy.language
        rows = []
        for v in reversed(self.h.versions):
            pdf = self.a.links[v.number].pdf
            rows.append({
                "v": v,
                # Raw HTML (the table lays out as cards on a phone): URLs, not Markdown links.
                "link": _href(here, self.src(v)),
                "changes_link": _href(here, self.src(v, changes=True)),
                "summary": change_summary(self.a.diffs[v.number], language=lang),
                "posted": self.posted(v),
                "pdf": (posixpath.relpath(pdf.path, posixpath.dirname(here)), human_size(pdf.size)) if pdf else None,
            })
        draft = None
        if self.h.draft is not None:
            draft = {"link": rel(here, self.src(self.h.draft)),
                     "changes_link": rel(here, self.src(self.h.draft, changes=True)),
                     "summary": change_summary(self.a.diffs[0], language=lang)}
        shown = self.h.in_force
        md = render.render("versions.md", language=lang, policy=self.a.policy, rows=rows, draft=draft,
                           draft_label=labels(lang)(DRAFT_LABEL), timezone=self.a.timezone,
                           header=self.header(here, shown) if shown else "",
                           feed_link="../feed.xml", json_link="../versions.json")
        self.page(here, md)


def _in_language(href: str, lang: str, text: str) -> str:
    """A link to a text in ``lang`` (another policy, or another language of this one): said so to
    browsers and screen readers; its words are text, never markup."""
    return (f'<a href="{html.escape(href)}" hreflang="{lang}" lang="{lang}">'
            f'{render.md_attr(html.escape(text, quote=False))}</a>')


MOVED = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<title>{title}: moved</title>
<link rel="canonical" href="{target}">
<meta http-equiv="refresh" content="0; url={target}">
</head>
<body>
<p>The {title} is now at <a href="{target}">{target}</a>. Its versions are listed there.</p>
</body>
</html>
"""


def moved_pages(archive: PolicyArchive, old: str) -> list[tuple[str, bytes]]:
    """What the addresses of an earlier id (``previous_ids``) serve: the policy page and the versions
    list lead to the new id's; ``versions.json`` and the feed are the new id's own, so readers keep up.
    Its versions' pages (``<old>/v/<n>/``) and PDFs stay where they were posted."""
    title = html.escape(archive.policy.title)
    new = archive.policy.id
    out = []
    for src, depth in ((policy_src(old), 1), (versions_src(old), 2)):
        target = "../" * depth + (policy_src(new) if depth == 1 else versions_src(new)).removesuffix("index.md")
        out.append((src.removesuffix(".md") + ".html", MOVED.format(title=title, target=target).encode()))
    return out


def home_entry(archive: PolicyArchive, language: str = "en") -> dict[str, Any]:
    """What the home page (the policy centre) says of one policy, in the site's ``language``:
    links made from ``index.md``."""
    h, pid = archive.history, archive.policy.id
    shown = h.shown
    date = labels(language).date
    entry: dict[str, Any] = {"id": pid, "title": archive.policy.title, "url": policy_src(pid),
                             "lang": archive.policy.language,
                             "line": f"{archive.policy.organisation} · {archive.policy.jurisdiction}",
                             "versions": versions_src(pid), "feed": f"{pid}/feed.xml",
                             "withdrawn": date(h.withdrawn_on) if h.withdrawn_on else "",
                             "in_force": None, "scheduled": []}
    if shown is not None and not shown.is_draft:
        pdf = archive.links[shown.number].pdf
        entry["in_force"] = {"number": shown.number, "status": shown.status,
                             "effective": date(shown.effective_date),
                             "pdf": (pdf.path, human_size(pdf.size)) if pdf else None}
    for v in h.scheduled:
        entry["scheduled"].append({"number": v.number, "effective": date(v.effective_date),
                                   "changes": version_src(v, changes=True)})
    return entry


def in_order(entries: list[dict[str, Any]], order: tuple[str, ...]) -> list[dict[str, Any]]:
    """The site owner's order (the plugin's ``order`` of policy ids), then the rest by title."""
    rank = {pid: i for i, pid in enumerate(order)}
    return sorted(entries, key=lambda e: (rank.get(e["id"], len(rank)), e["title"].casefold()))


def human_size(size: int) -> str:
    """``52 KB``: how big a download is, for the link to it."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"
