"""How a redline reads: what happened to each clause, in words, and the Markdown of a changes page."""

from __future__ import annotations

import re
from typing import Any, Callable

from markupsafe import Markup

from ..content import limits
from ..render import i18n
from ..render.i18n import ENGLISH, N_, Labels
from ..render.markdown import Converter
from ..render.sanitize import clean
from ..render.templates import CONTACT_MARKER, md_attr, render
from .compare import CHANGED_NAMES, FIELD_LABELS, ClauseChange, PolicyDiff
from .words import word_diff_html

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|])")


def _plain(text: str | None) -> str | None:
    """Plain text (titles, policy details) with Markdown syntax backslash-escaped before it is redlined:
    a title that ends ``{: onclick=… }`` must stay words, not become attributes."""
    return _MD_SPECIAL.sub(r"\\\1", text) if text else text


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


PREAMBLE = {
    "added": (N_("Added."), N_("The policy now opens with this introduction.")),
    "removed": (N_("Removed."), N_("The introduction before the clauses was removed.")),
    "changed": (N_("Changed:"), N_("the wording of the introduction before the clauses.")),
}
"""What happened to the untitled introduction, in words."""


def contact_sentence(shown: bool, _: Labels = ENGLISH) -> str:
    return (_("The contact details are now shown at the end of this clause.")
            if shown else _("The contact details are no longer shown at the end of this clause."))


def what_happened(c: ClauseChange, _: Labels = ENGLISH) -> tuple[str, str]:
    """What happened to the clause, in words (not colour): a bold lead word and the rest."""
    if c.kind == "added":
        return _("Added."), _("This clause is new.")
    if c.kind == "removed":
        return _("Removed."), _("It was clause {number}.", number=c.old_place.number)
    lead, parts = _("Moved."), []
    if c.fields:
        lead = _("Changed:")
        names = [_(CHANGED_NAMES.get(f.name, f.label.lower())) for f in c.fields]
        parts.append(_("{names} and {last}.", names=", ".join(names[:-1]), last=names[-1]) if len(names) > 1
                     else names[0] + ".")
    if c.moved:
        old_p, new_p = c.old_place, c.new_place
        if old_p.parent_id != new_p.parent_id:
            if new_p.parent_title:
                parts.append(_("It moved under “{parent}” (it was clause {number}).", parent=new_p.parent_title,
                               number=old_p.number) if c.fields else
                             _("It is now under “{parent}” (it was clause {number}).", parent=new_p.parent_title,
                               number=old_p.number))
            else:
                parts.append(_("It moved to the top level (it was clause {number}).", number=old_p.number)
                             if c.fields else
                             _("It is now at the top level (it was clause {number}).", number=old_p.number))
        else:
            parts.append(_("It moved from clause {old} to {new}.", old=old_p.number, new=new_p.number))
    elif c.renumbered:
        parts.append(_("It was clause {number}.", number=c.old_place.number))
    return lead, " ".join(parts)


def field_pairs(c: ClauseChange) -> list[tuple[str, str, Any, Any]]:
    """``(name, label, old, new)`` for each public field to show for a clause (not its title).

    An added clause shows its summary and text as all new, a removed one as all
    gone; texts are canonical Markdown without the contact marker.
    """
    if c.kind in ("added", "removed"):
        clause = c.clause
        out = []
        for name in ("summary", "body"):
            value = _strip_marker(getattr(clause, name))
            if value:
                out.append((name, FIELD_LABELS[name], None if c.kind == "added" else value,
                            value if c.kind == "added" else None))
        return out
    return [(f.name, f.label, f.old if f.name == "contact" else _strip_marker(f.old),
             f.new if f.name == "contact" else _strip_marker(f.new))
            for f in c.fields if f.name != "title"]


def redline_fields(c: ClauseChange, *, labels: bool = True, language: str | None = None) -> list[dict[str, str]]:
    """The redline of each public field of a clause: ``name``, ``label`` and ``markdown``."""
    out: list[dict[str, str]] = []
    _ = i18n.labels(language)
    for name, label, old, new in field_pairs(c):
        if name == "contact":
            md = contact_sentence(bool(new), _)
        else:
            md = word_diff_html(old, new, labels=labels, language=language)
        out.append({"name": name, "label": _(label), "markdown": md})
    return out


def _strip_marker(text: str | None) -> str | None:
    """The text without its ``<!-- contact -->`` line: the contact block is reported as its own change."""
    return CONTACT_MARKER.sub("", text).strip("\n") if text else text


def changes_markdown(diff: PolicyDiff, *, old_label: str, new_label: str, new_url: str | None = None,
                     old_url: str | None = None, for_site: bool = True, heading_level: int = 2,
                     convert: Callable[[str], Markup] | None = None, language: str | None = None) -> str:
    """The body of a changes page: every changed clause with its number, title, what happened and its redline.

    Args:
        diff: The result of :func:`diff_policies`.
        old_label: How to name the earlier text, e.g. ``version 2``.
        new_label: How to name the later text, e.g. ``version 3``.
        new_url: URL of the later text's page, prefixed to ``#clause-id`` anchors
            (``None`` for no links); ``"../"`` from ``v/3/changes/``.
        old_url: Likewise for the earlier text, used to link removed clauses.
        for_site: Use MkDocs extensions (heading ids, ``markdown`` attributes,
            visually hidden labels); ``False`` for GitHub-flavoured Markdown.
        heading_level: Level of each clause's heading.
        convert: The site's converter (plain Python-Markdown when ``for_site`` and none is
            given): each redline of content is made HTML (and sanitised) here, so no content
            text reaches the engine's Markdown.
        language: the policy's language (BCP 47): every label and sentence is in it.

    Returns:
        Markdown with inline HTML.
    """
    if for_site and convert is None:
        convert = Converter()  # a page never carries content the core has not made safe HTML
    _ = i18n.labels(language)
    said = {"labels": for_site, "language": language}
    entries = []
    for c in diff.clauses:
        title = c.field("title")
        if title is not None:
            title_md = word_diff_html(_plain(title.old), _plain(title.new), **said)
        else:
            title_md = md_attr(c.clause.title)
        url = ""
        if c.new is not None and new_url is not None:
            url = f"{new_url}#{c.clause_id}"
        elif c.new is None and old_url is not None:
            url = f"{old_url}#{c.clause_id}"
        lead, what = what_happened(c, _)
        entries.append({
            "change": c,
            "kind": c.kind,
            "number": c.number,
            "title_md": title_md,
            "lead": lead,
            "what": what,
            "fields": _converted(redline_fields(c, **said), convert),
            "url": url,
            "link_label": (_("Read clause {number} in {label}", number=c.number, label=new_label)
                           if c.new is not None else
                           _("Read clause {number} as it was in {label}", number=c.number, label=old_label)),
        })
    metadata = []
    for f in diff.metadata:
        if f.name == "contact.postal_address":
            md = word_diff_html(_plain("\n".join(f.old or ())), _plain("\n".join(f.new or ())), **said)
            md = md.replace("\n", "<br>\n")
        else:
            md = word_diff_html(_plain(_value_text(f.old)), _plain(_value_text(f.new)), **said)
        metadata.append({"label": _(f.label), "markdown": md})
    preamble = None
    if diff.preamble is not None:
        f = diff.preamble
        kind = "added" if f.old is None else "removed" if f.new is None else "changed"
        preamble = _converted([{"name": "body", "label": _(f.label), "kind": kind, "lead": _(PREAMBLE[kind][0]),
                                "what": _(PREAMBLE[kind][1]),
                                "markdown": word_diff_html(f.old, f.new, **said)}], convert)[0]
    metadata_html = None
    if convert is not None and metadata:
        metadata_html = convert("\n".join(f"- **{m['label']}:** {m['markdown']}" for m in metadata))
    return render("changes.md", language=language, diff=diff, entries=entries, metadata=metadata,
                  metadata_html=metadata_html, preamble=preamble, old_label=old_label,
                  new_label=new_label, for_site=for_site, hashes="#" * max(1, min(heading_level, 6)),
                  summary=diff.summary(language))


def _converted(fields: list[dict[str, str]], convert: Callable[[str], Markup] | None) -> list[dict[str, Any]]:
    for f in fields:
        if convert is None:
            f["html"] = None
        elif limits.first_problem(f["markdown"]):
            f["html"] = clean(f["markdown"])  # the whole-text redline of an over-limit text is HTML already
        else:
            f["html"] = convert(f["markdown"])
    return fields


def change_summary(d: PolicyDiff, limit: int = 4, *, language: str | None = None) -> str:
    """``2 clauses changed: 1.2 Recording of calls, 3 Disclosure`` for tables and the CLI."""
    text = d.summary(language)
    if d.is_first or d.is_empty or not d.clauses:
        return text
    named = [f"{c.number} {c.clause.title}" for c in d.clauses[:limit]]
    more = len(d.clauses) - limit
    _ = i18n.labels(language)
    return f"{text}: {', '.join(named)}" + (_(" and {n} more", n=more) if more > 0 else "")
