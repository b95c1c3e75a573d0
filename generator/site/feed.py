"""An Atom feed (RFC 4287) of a policy's published versions, newest first."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree as ET

from ..history.rules import zone
from ..render import templates as render
from .structure import PolicyArchive

ATOM = "http://www.w3.org/2005/Atom"
LEDGER = "urn:policy-site:ledger"
"""Namespace of the feed's ``<ledger head="…"/>``: the publication ledger's head when it was built."""


def entry_id(policy_id: str, number: int) -> str:
    """A permanent id for version ``number``: the same wherever the site is hosted."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"policy-site:{policy_id}/v/{number}"))


def atom(archive: PolicyArchive, *, site_name: str = "") -> bytes:
    """The feed of ``archive``'s published versions; drafts never appear.

    Links are absolute when ``site_url`` is configured, else relative to the site root.
    """
    policy = archive.policy
    versions = list(reversed(archive.history.versions))
    ET.register_namespace("", ATOM)
    ET.register_namespace("ledger", LEDGER)
    feed = ET.Element(f"{{{ATOM}}}feed")
    if policy.language:
        feed.set("{http://www.w3.org/XML/1998/namespace}lang", policy.language)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    sub(feed, "id", "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"policy-site:{policy.id}")))
    sub(feed, "title", f"{policy.title} — versions")
    if site_name:
        sub(feed, "subtitle", f"Every version of the {policy.title} of {policy.organisation} ({site_name})")
    tz = zone(archive.timezone)  # the zone versions.json gives its times in, so both say the same

    def when(v) -> str:
        return v.posted_at.astimezone(tz).isoformat()

    # The feed changes when a version is posted, so its time is the newest posting time.
    newest = when(versions[0]) if versions else "1970-01-01T00:00:00+00:00"
    sub(feed, "updated", newest)
    author = sub(feed, "author")
    sub(author, "name", policy.organisation or policy.title)
    sub(feed, "link", rel="self", href=archive.absolute(f"{policy.id}/feed.xml"), type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=archive.absolute(f"{policy.id}/"), type="text/html")
    if archive.history.ledger_head:  # an extension element: Atom readers skip it, auditors keep it
        ET.SubElement(feed, f"{{{LEDGER}}}ledger", {"head": archive.history.ledger_head})
    for v in versions:
        links = archive.links[v.number]
        d = archive.diffs[v.number]
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(v.policy.id, v.number))  # posted under an earlier id: its id stays
        sub(entry, "title", f"{policy.title}, version {v.number}: effective {render.long_date(v.effective_date)}")
        sub(entry, "published", when(v))
        sub(entry, "updated", when(v))
        sub(entry, "link", rel="alternate", href=archive.absolute(links.page), type="text/html")
        sub(entry, "link", rel="related", href=archive.absolute(links.changes), type="text/html",
            title="What changed")
        if links.pdf:
            sub(entry, "link", rel="enclosure", href=archive.absolute(links.pdf.path), type="application/pdf",
                length=str(links.pdf.size))
        sub(entry, "summary", f"Version {v.number}, posted {render.long_date(v.posted_at.astimezone(tz))}, takes effect on "
                              f"{render.long_date(v.effective_date)}. {d.summary()}.")
    ET.indent(feed)
    body = ET.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")
