"""A version → the HTML document WeasyPrint lays out: cover facts, clauses, attachments (no rendering here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import jinja2
import yaml
from markupsafe import Markup, escape

from ..errors import PolicyError
from ..model import Clause, Policy, PolicyVersion
from ..render import i18n
from ..render.i18n import DRAFT_LABEL
from ..render import templates as render
from ..render.markdown import Converter
from ..render.references import LinkContext, References
from ..render.urls import pdf_name, version_url
from ..settings import Settings

TEMPLATE = "policy.html"
STYLESHEET = "policy.css"
TOC_MIN_PAGES = 3
"""Documents over two pages get a table of contents."""


VARIANTS = ("pdf/a-1a", "pdf/a-2a", "pdf/a-3a", "pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u",
            "pdf/a-4u", "pdf/a-4e", "pdf/a-4f", "pdf/ua-1", "pdf/ua-2", "pdf/x-1a", "pdf/x-3")
"""WeasyPrint 70's variants whose bytes are reproducible. ``pdf/x-4`` and ``pdf/x-5g`` write a
random document id, so the same version would give a different PDF on every build; only
PDF/A-3 keeps the attached source (PDF/A-1 drops attachments, PDF/A-2 keeps only PDFs)."""


def check_variant(variant: str) -> None:
    """Refuse a ``pdf_variant`` that WeasyPrint does not know or that is not reproducible."""
    if variant and variant not in VARIANTS:
        raise PolicyError(f"pdf_variant {variant!r} is not supported: use one of {', '.join(VARIANTS)} "
                          "(default pdf/a-3a), or an empty string for a plain tagged PDF")


class PdfError(PolicyError):
    """A PDF could not be made (bad template, WeasyPrint failure)."""


@dataclass(frozen=True)
class PdfJob:
    """Everything that determines one PDF's bytes, in a form a worker process can take."""

    name: str
    """File name, like ``privacy-policy-v3.pdf``."""
    html: str
    """The document with a table of contents."""
    html_short: str
    """The same document without one, used when it fits on two pages."""
    variant: str
    attachments: tuple[tuple[str, str, bytes], ...]
    """``(file name, description, data)`` of each embedded file."""
    epoch: int
    """``SOURCE_DATE_EPOCH`` while rendering: the version's posted time."""
    key: str = ""


# ---------------------------------------------------------------- documents


@lru_cache(maxsize=8)
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = _css_string
    return env


def _css_string(text: str) -> Markup:
    """``text`` inside a CSS string: quotes and backslashes escaped, never a way out of the rule."""
    return Markup("".join(c if c.isalnum() or c in " .,:;-–—'’()" else f"\\{ord(c):06x}" for c in str(text)))


def _local(zone: str, moment: datetime) -> datetime:
    try:
        return moment.astimezone(ZoneInfo(zone))
    except Exception:  # an unknown zone is reported by the versions stage
        return moment


def document_facts(version: PolicyVersion, settings: Settings) -> dict:
    """What the cover, header and metadata say about ``version``.

    Nothing here may depend on later versions (status, superseded date), or an
    old PDF would change when a new version is posted.
    """
    policy = version.policy
    _ = i18n.labels(policy.language)
    if version.is_draft:
        # A draft has no number until it is merged (the site says the same).
        return {
            "title": _("{title} — draft", title=policy.title),
            "subject": f"{policy.title} of {policy.organisation} ({policy.jurisdiction}), "
                       "draft not yet published",
            "keywords": [policy.title, policy.id, "draft", policy.organisation, policy.jurisdiction,
                         "policy"],
            "created": "",
            "version_label": _("Draft"),
            "version_note": _("numbered when it is published"),
            "effective": _("not yet (draft)"),
            "posted": _("not yet posted"),
            "url": "",
            "no_url": _("none yet: this is a draft"),
            "draft": _(DRAFT_LABEL),
            "end_note": _("End of {title}, draft.", title=policy.title),
        }
    effective = _.date(version.effective_date) if version.effective_date else _("not recorded")
    posted, created = _("not recorded"), ""
    if version.posted_at is not None:
        # In the zone it was posted under: a later change of time zone must not restamp it.
        local = _local(version.posted_zone or settings.timezone, version.posted_at)
        posted = f"{_.date(local)}, {local:%H:%M} {local.tzname() or ''}".rstrip()
        created = local.isoformat(timespec="seconds")
    return {
        "title": _("{title} — version {number}", title=policy.title, number=version.number),
        "subject": f"{policy.title} of {policy.organisation} ({policy.jurisdiction}), "
                   f"version {version.number}, effective {effective}",
        "keywords": [policy.title, policy.id, f"version {version.number}", policy.organisation,
                     policy.jurisdiction, "policy"],
        "created": created,
        "version_label": str(version.number),
        "version_note": "",
        "effective": effective,
        "posted": posted,
        "url": version_url(settings.site_url or "", version),
        "no_url": "",
        "draft": "",
        "end_note": _("End of {title}, version {number}.", title=policy.title, number=version.number),
    }


def link_context(version: PolicyVersion) -> LinkContext:
    """References in a version's PDF: absolute URLs of the versions in force on its effective date."""
    return LinkContext(on=version.effective_date, absolute=True)


def clause_rows(version: PolicyVersion, settings: Settings, references: References | None = None) -> list[dict]:
    """Each clause with its number, heading level and HTML, through the site's Markdown.

    The untitled preamble, when the policy has one, is the first row, ``number`` ``None``:
    :func:`document_html` hands it to the template on its own.
    """
    md = Converter.for_settings(settings, references=references)
    policy = version.policy
    rows = []
    with md.linking(link_context(version)):
        if policy.preamble:
            rows.append({"number": None, "id": "preamble", "body_html": md(policy.preamble)})
        for number, clause, depth in policy.walk():
            rows.append(_row(md, policy, number, clause, depth))
    return rows


def _row(md: Converter, policy: Policy, number: str, clause: Clause, depth: int) -> dict:
    body = render.clause_body(clause, policy.contact)
    return {
        "number": number,
        "id": clause.id,
        "title": clause.title,
        "depth": depth,
        "level": min(2 + depth, 6),
        # Escaped first, as on the policy page: the summary is plain language, not HTML.
        "summary_html": md(str(escape(clause.summary))) if clause.summary else "",
        "body_html": md(body) if body.strip() else "",
    }


def document_html(version: PolicyVersion, settings: Settings, *, toc: bool, rows: list[dict] | None = None) -> str:
    """The HTML WeasyPrint lays out for ``version``, stylesheet inlined.

    ``rows`` are :func:`clause_rows` when the caller already has them.
    """
    folder = settings.pdf_template_dir
    try:
        stylesheet = (folder / STYLESHEET).read_text(encoding="utf-8")
        template = _environment(str(folder)).get_template(TEMPLATE)
    except OSError as e:
        raise PdfError(f"{e.filename or folder}: cannot read the PDF stylesheet: {e.strerror or e}") from e
    except jinja2.TemplateNotFound as e:
        raise PdfError(f"{folder / TEMPLATE}: no PDF template there") from e
    except jinja2.TemplateSyntaxError as e:
        raise PdfError(f"{e.filename or folder / TEMPLATE}:{e.lineno}: {e.message}") from e
    policy = version.policy
    shows_contact = any(c.contact for _, c, _ in policy.walk())
    rows = rows if rows is not None else clause_rows(version, settings)
    try:
        return template.render(
            policy=policy,
            doc=document_facts(version, settings),
            preamble=next((r["body_html"] for r in rows if r["number"] is None), ""),
            clauses=[r for r in rows if r["number"] is not None],
            _=i18n.labels(policy.language),
            toc=toc,
            contact_fallback="" if shows_contact else render.contact_html(policy.contact),
            stylesheet=Markup(stylesheet),
        )
    except jinja2.TemplateError as e:
        raise PdfError(f"{folder / TEMPLATE}: {e}") from e


class _PublicDumper(yaml.SafeDumper):
    """Block style for multi-line text, so a body reads as it was written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_PublicDumper.add_representer(str, _text)


def public_yaml(policy: Policy) -> str:
    """The public fields of ``policy`` as a policy file: no comments, no ``training:``, no answers.

    It loads back as the same public text (``policy check`` accepts it), so anyone holding the
    PDF can rebuild the version's page from it.
    """
    data = {"schema_version": policy.schema_version, **policy.public()}
    return yaml.dump(data, Dumper=_PublicDumper, sort_keys=False, allow_unicode=True, width=100)


def attachments_for(version: PolicyVersion) -> tuple[tuple[str, str, bytes], ...]:
    """The canonical text (what ``text_sha256`` hashes) and a YAML of the same public fields.

    Never the source file: its comments and its staff training (with every quiz answer)
    are not public.
    """
    stem = pdf_name(version).removesuffix(".pdf")
    what = "draft" if version.is_draft else f"version {version.number}"
    policy = version.policy
    return (
        (f"{stem}.json", f"Canonical public text of {policy.title} {what}",
         policy.canonical_text().encode("utf-8")),
        (f"{stem}.yaml", f"Public fields of {policy.title} {what} as a policy file",
         public_yaml(policy).encode("utf-8")),
    )


def epoch(version: PolicyVersion) -> int:
    """``SOURCE_DATE_EPOCH`` for the version: its posted time (0 for a draft)."""
    if version.posted_at is None or version.is_draft:
        return 0
    return int(version.posted_at.timestamp())


def make_job(version: PolicyVersion, settings: Settings, key: str = "",
             references: References | None = None) -> PdfJob:
    """Lay out the inputs of one version's PDF (the HTML is only made when it must be rendered)."""
    rows = clause_rows(version, settings, references)
    return PdfJob(
        name=pdf_name(version),
        html=document_html(version, settings, toc=True, rows=rows),
        html_short=document_html(version, settings, toc=False, rows=rows),
        variant=settings.pdf_variant or "",
        attachments=attachments_for(version),
        epoch=epoch(version),
        key=key,
    )
