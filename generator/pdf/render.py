"""Render PDFs with WeasyPrint (imported lazily), from the cache when it has them, in parallel when not."""

from __future__ import annotations

import concurrent.futures
import hashlib
import multiprocessing
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable

from ..history.versions import PolicyHistory
from ..model import PolicyVersion
from ..render.references import References
from ..settings import Settings
from . import tagging
from .cache import PdfCache, version_key
from .document import TOC_MIN_PAGES, PdfError, PdfJob, check_variant, make_job
from ..render.urls import pdf_name, version_path
from ..site.structure import Output, PdfFile, PdfStats


@dataclass(frozen=True)
class RenderedPdf:
    """A PDF ready to write: where it goes, its bytes and their SHA-256."""

    version: int
    name: str
    data: bytes = field(repr=False)
    sha256: str
    cached: bool


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


def _finish(document, pdf) -> None:
    """What WeasyPrint leaves to do before the bytes are written."""
    _list_attachments_once(pdf)
    tagging.finish(pdf)


def _list_attachments_once(pdf) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's ``/AF`` (PDF/A-3): keep the first of each."""
    found = pdf.catalog.get("AF")
    if not found:
        return
    seen, kept = set(), []
    for item in found:
        key = str(item)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    found[:] = kept


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
        return document.write_pdf(attachments=_attachments(job), finisher=_finish, **options)
    except Exception as e:  # WeasyPrint raises many kinds; report one
        raise PdfError(f"{job.name}: WeasyPrint failed: {type(e).__name__}: {e}") from e
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def render_versions(versions: Iterable[PolicyVersion], settings: Settings, *,
                    workers: int | None = None,
                    references: References | None = None) -> dict[tuple[str, int], RenderedPdf]:
    """PDFs of ``versions`` from the cache or freshly rendered, in parallel when several are missing.

    Returns a mapping ``(policy id, version number) → RenderedPdf``.
    """
    check_variant(settings.pdf_variant or "")
    cache = PdfCache(settings.cache_dir)
    out: dict[tuple[str, int], RenderedPdf] = {}
    missing: dict[tuple[str, int], PdfJob] = {}
    for v in versions:
        k = (v.policy.id, v.number)
        key = version_key(v, settings, references)
        data = cache.get(key)
        if data is not None:
            out[k] = RenderedPdf(v.number, pdf_name(v), data, hashlib.sha256(data).hexdigest(), True)
        else:
            missing[k] = make_job(v, settings, key, references)
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
        cache.put(missing[k].key, data)
        out[k] = RenderedPdf(k[1], missing[k].name, data, hashlib.sha256(data).hexdigest(), False)
    cache.prune()
    return out


def render_version(version: PolicyVersion, settings: Settings) -> RenderedPdf:
    """One version's PDF (cached)."""
    return render_versions([version], settings)[(version.policy.id, version.number)]


@dataclass(frozen=True)
class SitePdfs:
    """What the PDF stage hands the site: files to publish, each version's link, and counts."""

    outputs: tuple[Output, ...]
    links: dict[tuple[str, int], PdfFile]
    stats: PdfStats


def site_pdfs(histories: dict[str, PolicyHistory], settings: Settings,
              references: References | None = None) -> SitePdfs:
    """Render (or take from the cache) every version's PDF.

    Publishes ``<pid>/v/<n>/<pid>-v<n>.pdf`` for each published version, ``<pid>/<pid>.pdf``
    for the version the policy page shows (the one in force), and
    ``<pid>/draft/<pid>-draft.pdf`` for a draft. Runs before any page is laid out, because
    the pages link each PDF with its size and ``versions.json`` carries its SHA-256.
    """
    wanted = []
    for h in histories.values():
        wanted.extend(h.versions)
        if h.draft is not None:
            wanted.append(h.draft)
    rendered = render_versions(wanted, settings, references=references)
    outputs: list[Output] = []
    links: dict[tuple[str, int], PdfFile] = {}
    for pid, h in histories.items():
        for v in h.versions:
            # A version posted under an earlier id (``previous_ids``) keeps its PDF at its own address.
            r = rendered[(v.policy.id, v.number)]
            path = version_path(v.policy.id, v.number) + r.name
            outputs.append(Output(path, r.data))
            links[(pid, v.number)] = PdfFile(path, r.sha256, len(r.data))
        shown = h.shown
        if shown is not None:
            outputs.append(Output(f"{pid}/{pid}.pdf", rendered[(shown.policy.id, shown.number)].data))
        if h.draft is not None:
            outputs.append(Output(f"{pid}/draft/{pid}-draft.pdf", rendered[(pid, h.draft.number)].data))
    stats = PdfStats(rendered=sum(1 for r in rendered.values() if not r.cached),
                     cached=sum(1 for r in rendered.values() if r.cached))
    return SitePdfs(tuple(outputs), links, stats)
