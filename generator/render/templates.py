"""Model → Markdown through the Jinja templates in ``generator/render/templates/``; dates and escaping."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..model import Clause, Contact, Policy
from . import i18n
from .markdown import Converter

CONTACT_MARKER = re.compile(r"^[ \t]*<!--\s*contact\s*-->[ \t]*$", re.MULTILINE)
"""A body line ``<!-- contact -->`` places the contact block there."""


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator.render", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = _long_date_in
    env.filters["iso"] = lambda d: d.isoformat() if d else ""
    env.filters["md_attr"] = md_attr
    env.tests["same_language"] = i18n.same_language
    env.globals["contact_html"] = contact_html
    env.globals["clause_body"] = clause_body
    return env


def render(template: str, *, language: str | None = None, **context: Any) -> str:
    """Render ``template`` from ``generator/render/templates`` with ``context``.

    Its labels and dates are in ``language`` (a BCP 47 tag; English when ``None``): the
    template calls ``_("Version {number}", number=…)``, and ``long_date`` uses it too.
    """
    return environment().get_template(template).render(_=i18n.labels(language), **context)


@jinja2.pass_context
def _long_date_in(context: Any, value: date | datetime | None) -> str:
    """The ``long_date`` filter: the date in the language of the template's labels (:func:`render`'s ``_``)."""
    return context["_"].date(value)


long_date = i18n.ENGLISH.date
"""``12 March 2026``: unambiguous in every English-speaking country (the feed, ``policy verify``)."""


def md_attr(text: str) -> str:
    """Escape text for use inside a Markdown heading or link label.

    Markdown syntax is backslash-escaped; ``&`` and ``<`` become entities, because
    Python-Markdown cannot backslash-escape ``<`` (``\\<`` shows the backslash) and
    content text must never become HTML.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return re.sub(r"([\\`*_{}\[\]>#|])", r"\\\1", text)


def contact_html(contact: Contact) -> Markup:
    """The contact block as HTML: postal address and email, as the seed lays them out."""
    parts = ['<address class="policy-contact">']
    if contact.postal_address:
        lines = "<br>\n".join(str(escape(x)) for x in contact.postal_address)
        parts.append(f'<p><span class="policy-contact__label">Postal Address:</span><br>\n{lines}</p>')
    if contact.email:
        e = escape(contact.email)
        parts.append(f'<p><span class="policy-contact__label">Email:</span> <a href="mailto:{e}">{e}</a></p>')
    if contact.phone:
        parts.append(f'<p><span class="policy-contact__label">Phone:</span> {escape(contact.phone)}</p>')
    parts.append("</address>")
    return Markup("\n".join(parts))


def clause_body(clause: Clause, contact: Contact) -> str:
    """The clause's Markdown with the contact block placed where the body asks for it."""
    body = (clause.body or "").strip("\n")
    if not clause.contact:
        return CONTACT_MARKER.sub("", body)
    block = "\n" + str(contact_html(contact)) + "\n"
    if CONTACT_MARKER.search(body):
        return CONTACT_MARKER.sub(lambda _: block, body, count=1)
    return f"{body}\n\n{block}" if body else block


def heading_level(depth: int, base: int = 2) -> str:
    return "#" * min(base + depth, 6)


def clause_html(clause: Clause, contact: Contact, convert: Converter) -> dict[str, Markup]:
    """A clause's summary (plain language, escaped first) and body as sanitised HTML."""
    body = clause_body(clause, contact)
    return {"summary": convert.plain(clause.summary) if clause.summary else Markup(""),
            "body": convert(body) if body.strip() else Markup("")}


def policy_markdown(policy: Policy, convert: Converter, **context: Any) -> str:
    """The full text of ``policy`` as a Markdown page (title, contents, clauses).

    Headings stay Markdown, so the engine numbers and links them; every summary and
    body arrives as HTML already made by ``convert`` and sanitised.
    """
    clauses = list(policy.walk())
    html = {c.id: clause_html(c, policy.contact, convert) for _, c, _ in clauses}
    preamble = convert(policy.preamble) if policy.preamble else Markup("")
    return render("policy.md", language=policy.language, policy=policy, clauses=clauses,
                  heading=heading_level, html=html, preamble=preamble, **context)
