"""Versions → archival, tagged, reproducible PDFs with WeasyPrint (imported lazily), cached by content."""

from __future__ import annotations

import concurrent.futures
import ctypes
import hashlib
import json
import multiprocessing
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

import jinja2
import markdown
from markupsafe import Markup, escape

from . import render
from .errors import PolicyError
from .model import PolicyVersion

TEMPLATE = "policy.html"
STYLESHEET = "policy.css"
CACHE_FORMAT = 1
"""Bump when this module changes what it feeds WeasyPrint in a way the key does not see."""
TOC_MIN_PAGES = 3
"""Documents over two pages get a table of contents."""
DRAFT_LABEL = "Draft — not yet published"


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


@dataclass(frozen=True)
class RenderedPdf:
    """A PDF ready to write: where it goes, its bytes and their SHA-256."""

    version: int
    name: str
    data: bytes = field(repr=False)
    sha256: str
    cached: bool


# ---------------------------------------------------------------- documents


def pdf_dir(settings) -> Path:
    """The folder of the template and stylesheet: ``theme/pdf`` of the project."""
    theme = settings.theme_dir if getattr(settings, "theme_dir", None) else Path(settings.root) / "theme"
    theme = Path(theme)
    if not theme.is_absolute():
        theme = Path(settings.root) / theme
    return theme / "pdf"


@lru_cache(maxsize=8)
def _environment(folder: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _markdown(settings) -> markdown.Markdown:
    """A Markdown converter with the site's extensions, so the PDF says what the page says."""
    return markdown.Markdown(
        extensions=list(settings.markdown_extensions or ()),
        extension_configs=dict(settings.mdx_configs or {}),
    )


def _convert(md: markdown.Markdown, text: str) -> Markup:
    md.reset()
    return Markup(md.convert(text))


def version_url(settings, version: PolicyVersion) -> str:
    """The permanent URL of ``version`` (empty for a draft, which has none yet)."""
    if version.is_draft:
        return ""
    path = f"{version.policy.id}/v/{version.number}/"
    base = settings.site_url or ""
    if not base:
        return "/" + path
    return base.rstrip("/") + "/" + path


def pdf_name(version: PolicyVersion) -> str:
    """``privacy-policy-v3.pdf``, or ``privacy-policy-draft.pdf`` for a draft."""
    if version.is_draft:
        return f"{version.policy.id}-draft.pdf"
    return f"{version.policy.id}-v{version.number}.pdf"


def _local(zone: str, moment: datetime) -> datetime:
    try:
        return moment.astimezone(ZoneInfo(zone))
    except Exception:  # an unknown zone is reported by the versions stage
        return moment


def document_facts(version: PolicyVersion, settings) -> dict:
    """What the cover, header and metadata say about ``version``.

    Nothing here may depend on later versions (status, superseded date), or an
    old PDF would change when a new version is posted.
    """
    policy = version.policy
    if version.is_draft:
        # A draft has no number until it is merged (the site says the same).
        return {
            "title": f"{policy.title} — draft",
            "subject": f"{policy.title} of {policy.organisation} ({policy.jurisdiction}), "
                       "draft not yet published",
            "keywords": [policy.title, policy.id, "draft", policy.organisation, policy.jurisdiction,
                         "policy"],
            "created": "",
            "version_label": "Draft",
            "version_note": "numbered when it is published",
            "effective": "not yet (draft)",
            "posted": "not yet posted",
            "url": "",
            "no_url": "none yet: this is a draft",
            "draft": DRAFT_LABEL,
            "end_note": f"End of {policy.title}, draft.",
        }
    effective = render.long_date(version.effective_date) if version.effective_date else "not recorded"
    posted, created = "not recorded", ""
    if version.posted_at is not None:
        # In the zone it was posted under: a later change of time zone must not restamp it.
        local = _local(version.posted_zone or settings.timezone, version.posted_at)
        posted = f"{render.long_date(local)}, {local:%H:%M} {local.tzname() or ''}".rstrip()
        created = local.isoformat(timespec="seconds")
    return {
        "title": f"{policy.title} — version {version.number}",
        "subject": f"{policy.title} of {policy.organisation} ({policy.jurisdiction}), "
                   f"version {version.number}, effective {effective}",
        "keywords": [policy.title, policy.id, f"version {version.number}", policy.organisation,
                     policy.jurisdiction, "policy"],
        "created": created,
        "version_label": str(version.number),
        "version_note": "",
        "effective": effective,
        "posted": posted,
        "url": version_url(settings, version),
        "no_url": "",
        "draft": "",
        "end_note": f"End of {policy.title}, version {version.number}.",
    }


def clause_rows(version: PolicyVersion, settings) -> list[dict]:
    """Each clause with its number, heading level and HTML, through the site's Markdown."""
    md = _markdown(settings)
    policy = version.policy
    rows = []
    for number, clause, depth in policy.walk():
        body = render.clause_body(clause, policy.contact)
        rows.append({
            "number": number,
            "id": clause.id,
            "title": clause.title,
            "depth": depth,
            "level": min(2 + depth, 6),
            # Escaped first, as on the policy page: the summary is plain language, not HTML.
            "summary_html": _convert(md, str(escape(clause.summary))) if clause.summary else "",
            "body_html": _convert(md, body) if body.strip() else "",
        })
    return rows


def document_html(version: PolicyVersion, settings, *, toc: bool, rows: list[dict] | None = None) -> str:
    """The HTML WeasyPrint lays out for ``version``, stylesheet inlined.

    ``rows`` are :func:`clause_rows` when the caller already has them.
    """
    folder = pdf_dir(settings)
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
    try:
        return template.render(
            policy=policy,
            doc=document_facts(version, settings),
            clauses=rows if rows is not None else clause_rows(version, settings),
            toc=toc,
            contact_fallback="" if shows_contact else render.contact_html(policy.contact),
            stylesheet=Markup(stylesheet),
        )
    except jinja2.TemplateError as e:
        raise PdfError(f"{folder / TEMPLATE}: {e}") from e


def attachments_for(version: PolicyVersion) -> tuple[tuple[str, str, bytes], ...]:
    """The canonical text (what ``text_sha256`` hashes) and, when known, the YAML it came from."""
    stem = pdf_name(version).removesuffix(".pdf")
    what = "draft" if version.is_draft else f"version {version.number}"
    files = [(f"{stem}.json", f"Canonical public text of {version.policy.title} {what}",
              version.policy.canonical_text().encode("utf-8"))]
    if version.source_text:
        files.append((f"{stem}.yaml", f"Source YAML of {version.policy.title} {what}",
                      version.source_text.encode("utf-8")))
    return tuple(files)


def _epoch(version: PolicyVersion) -> int:
    if version.posted_at is None or version.is_draft:
        return 0
    return int(version.posted_at.timestamp())


def make_job(version: PolicyVersion, settings, key: str | None = None) -> PdfJob:
    """Lay out the inputs of one version's PDF (the HTML is only made when it must be rendered)."""
    rows = clause_rows(version, settings)
    return PdfJob(
        name=pdf_name(version),
        html=document_html(version, settings, toc=True, rows=rows),
        html_short=document_html(version, settings, toc=False, rows=rows),
        variant=settings.pdf_variant or "",
        attachments=attachments_for(version),
        epoch=_epoch(version),
        key=key or version_key(version, settings),
    )


# ---------------------------------------------------------------- cache key


def _lib_version(name: str, symbol: str, *, call: bool = True) -> str:
    try:
        lib = ctypes.CDLL(name)
        fn = getattr(lib, symbol)
    except (OSError, AttributeError):
        return "missing"
    if not call:
        return "present"
    if symbol.endswith("_string"):
        fn.restype = ctypes.c_char_p
        return fn().decode()
    fn.restype = ctypes.c_int
    return str(fn())


def _fonts_fingerprint() -> list:
    """Name and size of every installed font file: a changed font changes the bytes."""
    out = []
    for folder in ("/usr/share/fonts", "/usr/local/share/fonts"):
        for dirpath, _dirs, files in os.walk(folder):
            for f in files:
                p = os.path.join(dirpath, f)
                try:
                    out.append((p, os.path.getsize(p)))
                except OSError:
                    pass
    return sorted(out)


@lru_cache(maxsize=1)
def stack_fingerprint() -> str:
    """Versions of everything below the HTML that decides the bytes, without importing WeasyPrint."""
    parts = {
        "format": CACHE_FORMAT,
        "python-packages": {p: _pkg_version(p) for p in ("weasyprint", "pydyf", "fonttools", "tinycss2",
                                                          "tinyhtml5", "cssselect2")},
        "pango": _lib_version("libpango-1.0.so.0", "pango_version"),
        "harfbuzz": _lib_version("libharfbuzz.so.0", "hb_version_string"),
        # Without it WeasyPrint subsets fonts another way, with other bytes.
        "harfbuzz-subset": _lib_version("libharfbuzz-subset.so.0", "hb_subset_or_fail", call=False),
        "fonts": _fonts_fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _pkg_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


def _plain(value: object) -> str:
    """Stable text for config values JSON cannot hold (e.g. a slugify function from mkdocs.yml)."""
    return f"{type(value).__module__}.{getattr(value, '__qualname__', type(value).__name__)}"


def _file_sha(path: str) -> str:
    """SHA-256 of a file, re-read when it changes (``mkdocs serve`` edits the template live)."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    return _file_sha_at(path, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=32)
def _file_sha_at(path: str, _mtime_ns: int, _size: int) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def version_key(version: PolicyVersion, settings) -> str:
    """The cache key of a version's PDF: SHA-256 of everything that decides its bytes.

    The canonical text and source YAML, what the cover says (number, posted time, effective
    date, URL, draft or not), the Markdown extensions, the template and stylesheet, the code
    that turns them into HTML, the variant and the rendering stack. Never the status or a
    later version: an old PDF keeps its key, and so its bytes.
    """
    folder = pdf_dir(settings)
    here = Path(__file__).resolve().parent
    facts = {
        "format": CACHE_FORMAT,
        "stack": stack_fingerprint(),
        "canonical": hashlib.sha256(version.policy.canonical_text().encode("utf-8")).hexdigest(),
        "source": hashlib.sha256(version.source_text.encode("utf-8")).hexdigest(),
        "number": version.number,
        "draft": version.is_draft,
        "epoch": _epoch(version),
        "effective": version.effective_date.isoformat() if version.effective_date else None,
        "facts": document_facts(version, settings),
        "extensions": list(settings.markdown_extensions or ()),
        "mdx_configs": settings.mdx_configs or {},
        "markdown": _pkg_version("markdown"),
        "pymdown": _pkg_version("pymdown-extensions"),
        "template": _file_sha(str(folder / TEMPLATE)),
        "stylesheet": _file_sha(str(folder / STYLESHEET)),
        "code": [_file_sha(str(here / "pdf.py")), _file_sha(str(here / "render.py"))],
        "variant": settings.pdf_variant or "",
    }
    text = json.dumps(facts, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PdfCache:
    """Rendered PDFs on disk, one file per key: ``<dir>/pdf/<key[:2]>/<key>.pdf``."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) / "pdf" if folder else None

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / f"{key}.pdf"

    MAX_UNUSED_DAYS = 60
    """A PDF no build has used for this long (an old draft, an old template) is removed."""

    def get(self, key: str) -> bytes | None:
        if self.folder is None:
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            os.utime(path)  # the file's time is its last use, for prune()
        except OSError:
            pass
        return data

    def prune(self, now: float | None = None) -> int:
        """Remove PDFs unused for :attr:`MAX_UNUSED_DAYS`; returns how many."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        import time

        limit = (now if now is not None else time.time()) - self.MAX_UNUSED_DAYS * 86400
        removed = 0
        for file in self.folder.glob("*/*.pdf"):
            try:
                if file.stat().st_mtime < limit:
                    file.unlink()
                    removed += 1
            except OSError:
                pass
        return removed

    def put(self, key: str, data: bytes) -> None:
        if self.folder is None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a build killed half-way never leaves a torn PDF.
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time


# ---------------------------------------------------------------- rendering


def _weasyprint_options(job: PdfJob) -> dict:
    options = {"pdf_tags": True, "custom_metadata": False}
    if job.variant:
        options["pdf_variant"] = job.variant
    return options


def _attachments(job: PdfJob) -> list:
    import weasyprint  # lazy: importing it costs half a second

    moment = datetime.fromtimestamp(job.epoch, tz=timezone.utc).replace(tzinfo=None)
    # Attachment dates default to "now"; pin them so the bytes depend on the version only.
    return [weasyprint.Attachment(string=data, name=name, description=desc,
                                  created=moment, modified=moment, relationship="Source")
            for name, desc, data in job.attachments]


def _anchor_page(document, anchor: str) -> int:
    """Index of the first page holding ``anchor`` (an element id), or -1."""
    for i, page in enumerate(document.pages):
        if anchor in page.anchors:
            return i
    return -1


def render_job(job: PdfJob) -> bytes:
    """Render one job to PDF bytes, with ``SOURCE_DATE_EPOCH`` pinned to its posted time.

    The document with contents is laid out first; the short one only when the
    first might not be over two pages without its contents.
    """
    import weasyprint  # lazy

    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(job.epoch)
    # Only data: URLs are fetched. A relative image in a clause would otherwise be read
    # from the current folder and an absolute one from the network: the bytes would
    # depend on where and when the build ran, which the cache key cannot see.
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    try:
        options = _weasyprint_options(job)
        document = weasyprint.HTML(string=job.html, base_url=".", url_fetcher=fetcher).render(**options)
        pages = len(document.pages)
        toc_start = _anchor_page(document, "contents")
        body_start = _anchor_page(document, "text")
        # Taking out contents that run from page a to page b shortens the document
        # by at most b - a + 1 pages; only when that could bring it to two pages or
        # fewer is the short document laid out to decide exactly.
        if toc_start < 0 or pages - (body_start - toc_start) - 1 < TOC_MIN_PAGES:
            short = weasyprint.HTML(string=job.html_short, base_url=".", url_fetcher=fetcher).render(**options)
            if len(short.pages) < TOC_MIN_PAGES:
                document = short
        return document.write_pdf(attachments=_attachments(job), **options)
    except Exception as e:  # WeasyPrint raises many kinds; report one
        raise PdfError(f"{job.name}: WeasyPrint failed: {type(e).__name__}: {e}") from e
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


RENDER_COUNT = 0
"""PDFs rendered by this process (not taken from the cache): for tests and benchmarks."""


def render_versions(versions: Iterable[PolicyVersion], settings, *,
                    workers: int | None = None) -> dict[tuple[str, int], RenderedPdf]:
    """PDFs of ``versions`` from the cache or freshly rendered, in parallel when several are missing.

    Returns a mapping ``(policy id, version number) → RenderedPdf``.
    """
    global RENDER_COUNT
    check_variant(settings.pdf_variant or "")
    cache = PdfCache(settings.cache_dir)
    out: dict[tuple[str, int], RenderedPdf] = {}
    missing: dict[tuple[str, int], PdfJob] = {}
    for v in versions:
        k = (v.policy.id, v.number)
        key = version_key(v, settings)
        data = cache.get(key)
        if data is not None:
            out[k] = RenderedPdf(v.number, pdf_name(v), data, hashlib.sha256(data).hexdigest(), True)
        else:
            missing[k] = make_job(v, settings, key)
    if not missing:
        cache.prune()
        return out
    count = workers or min(len(missing), os.cpu_count() or 1)
    if count <= 1 or len(missing) == 1:
        results = {k: render_job(job) for k, job in missing.items()}
    else:
        # A fresh interpreter per worker: forking a process that runs MkDocs'
        # server threads is unsafe, and WeasyPrint holds C library state.
        results = {}
        context = multiprocessing.get_context("spawn")
        try:
            with concurrent.futures.ProcessPoolExecutor(count, mp_context=context) as pool:
                futures = {k: pool.submit(render_job, job) for k, job in missing.items()}
                for k, f in futures.items():
                    results[k] = f.result()
        except (concurrent.futures.process.BrokenProcessPool, OSError):
            # Workers could not start (e.g. a calling script without a __main__ guard):
            # slower, but the same bytes.
            for k, job in missing.items():
                if k not in results:
                    results[k] = render_job(job)
    for k, data in results.items():
        RENDER_COUNT += 1
        cache.put(missing[k].key, data)
        out[k] = RenderedPdf(k[1], missing[k].name, data, hashlib.sha256(data).hexdigest(), False)
    cache.prune()
    return out


def render_version(version: PolicyVersion, settings) -> RenderedPdf:
    """One version's PDF (cached)."""
    return render_versions([version], settings)[(version.policy.id, version.number)]


# ---------------------------------------------------------------- site stage


def human_size(size: int) -> str:
    """``52 KB``: how big a download is, for the link to it."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def add_site_pdfs(site, histories: dict) -> "Callable[[object, PolicyVersion], tuple[str, str, int] | None]":
    """Render (or take from the cache) every version's PDF and add them to ``site.outputs``.

    Writes ``<pid>/v/<n>/<pid>-v<n>.pdf`` for each published version, ``<pid>/<pid>.pdf``
    for the version the policy page shows (the one in force), and
    ``<pid>/draft/<pid>-draft.pdf`` for a draft. Called by :func:`generator.site.gather`
    before any page is laid out, because the pages link the PDFs with their size and
    ``versions.json`` carries their SHA-256.

    Returns:
        The ``pdf_links`` hook of :func:`generator.archive.add_policy`:
        ``(policy, version) → (site path, sha256, size)``.
    """
    from .site import Output

    wanted = []
    for h in histories.values():
        wanted.extend(h.versions)
        if h.draft is not None:
            wanted.append(h.draft)
    rendered = render_versions(wanted, site.settings)
    links: dict[tuple[str, int], tuple[str, str, int]] = {}
    for pid, h in histories.items():
        for v in h.versions:
            r = rendered[(pid, v.number)]
            path = f"{pid}/v/{v.number}/{r.name}"
            site.outputs.append(Output(path, r.data))
            links[(pid, v.number)] = (path, r.sha256, len(r.data))
        shown = h.in_force or (h.versions[0] if h.versions else h.draft)
        if shown is not None:
            site.outputs.append(Output(f"{pid}/{pid}.pdf", rendered[(pid, shown.number)].data))
        if h.draft is not None:
            site.outputs.append(Output(f"{pid}/draft/{pid}-draft.pdf", rendered[(pid, h.draft.number)].data))
    site.extra["pdf"] = {
        "rendered": sum(1 for r in rendered.values() if not r.cached),
        "cached": sum(1 for r in rendered.values() if r.cached),
    }
    return lambda policy, v: links.get((policy.id, v.number))
