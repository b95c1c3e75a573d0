"""The PDF cache: a key from everything that decides a PDF's bytes, and the files kept under it."""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import tempfile
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..model import PolicyVersion
from ..content.safety import REFERENCE_TEXT
from ..render import i18n
from ..render.references import References
from ..settings import Settings
from .document import STYLESHEET, TEMPLATE, document_facts, epoch, link_context

REFERENCES = re.compile(REFERENCE_TEXT)

CACHE_FORMAT = 1
"""Bump when the document code changes what it feeds WeasyPrint in a way the key does not see."""
CODE = ("pdf/document.py", "pdf/render.py", "pdf/tagging.py", "render/templates.py", "render/markdown.py",
        "render/sanitize.py", "render/urls.py", "render/i18n.py", "content/limits.py")
"""The modules that turn a version into the HTML WeasyPrint lays out, and the PDF, relative to the package."""

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


def resolved_references(version: PolicyVersion, canonical: str, references: References | None) -> list:
    """Each ``policy:`` reference in the version's text (``canonical``) with the link and words it gets in the PDF."""
    found = sorted(set(REFERENCES.findall(canonical)))
    out = []
    for ref in found:
        target = references.resolve(ref, link_context(version)) if references is not None else None
        out.append([ref, target.href, target.label] if target else [ref, None, None])
    return out


def version_key(version: PolicyVersion, settings: Settings, references: References | None = None) -> str:
    """The cache key of a version's PDF: SHA-256 of everything that decides its bytes.

    The canonical text (the attached YAML is made from it), what the cover says (number, posted time, effective
    date, URL, draft or not), the Markdown extensions, the template and stylesheet, the code
    that turns them into HTML, the variant and the rendering stack. Never the status or a
    later version: an old PDF keeps its key, and so its bytes.
    """
    folder = settings.pdf_template_dir
    package = Path(__file__).resolve().parent.parent
    canonical = version.policy.canonical_text()
    facts = {
        "format": CACHE_FORMAT,
        "stack": stack_fingerprint(),
        "canonical": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        "number": version.number,
        "draft": version.is_draft,
        "epoch": epoch(version),
        "effective": version.effective_date.isoformat() if version.effective_date else None,
        "facts": document_facts(version, settings),
        "extensions": list(settings.markdown_extensions or ()),
        "mdx_configs": settings.mdx_configs or {},
        "markdown": _pkg_version("markdown"),
        "pymdown": _pkg_version("pymdown-extensions"),
        "nh3": _pkg_version("nh3"),
        # Its labels' catalogue and the CLDR data its dates are written with.
        "labels": i18n.catalogue_sha(version.policy.language),
        "babel": _pkg_version("babel"),
        "template": _file_sha(str(folder / TEMPLATE)),
        "stylesheet": _file_sha(str(folder / STYLESHEET)),
        "code": [_file_sha(str(package / name)) for name in CODE],
        "variant": settings.pdf_variant or "",
        # Where each policy: reference leads in this PDF (the version in force on its date).
        "references": resolved_references(version, canonical, references),
    }
    text = json.dumps(facts, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PdfCache:
    """Rendered PDFs on disk, one file per key: ``<dir>/pdf/<key[:2]>/<key>.pdf``."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) / "pdf" if folder else None

    def _path(self, key: str) -> Path:  # only called when there is a folder
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
