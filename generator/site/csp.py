"""The Content-Security-Policy of every page: only this site, and only the theme's own inline scripts.

A page's policy is written into the page as ``<meta http-equiv>`` (static hosting has no
other way); the records service repeats it as a header with ``frame-ancestors``, which
a ``<meta>`` cannot carry. Inline scripts are allowed by their SHA-256, and only those
outside the page's content: content is sanitised before it is laid out, and if anything
ever slipped through, no hash would let it run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

DIRECTIVES = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    # Material draws its icons with CSS masks of data: SVGs.
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    ("connect-src", "'self'"),
    ("worker-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
)
HEADER_ONLY = "frame-ancestors 'none'"
"""Ignored (with a console error) in a ``<meta>``; sent as a header by the records service."""

_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')
_JS_TYPES = {"", "text/javascript", "application/javascript", "module"}


class _Scripts(HTMLParser):
    """Collects the text of each inline script the browser would run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "script":
            return
        a = dict(attrs)
        if "src" not in a and (a.get("type") or "").strip().lower() in _JS_TYPES:
            self._open = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            self.found.append("".join(self._open))
            self._open = None


def script_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def policy_for(html: str, content: tuple[int, int] | None = None) -> str:
    """The page's policy: the directives above, with the hash of each inline script outside ``content``.

    Args:
        html: the whole page.
        content: start and end offsets of the page's content in ``html``; scripts there get no
            hash, and only the page around it is read (the content is most of the page).
    """
    hashes = []
    for part in ((html[:content[0]], html[content[1]:]) if content else (html,)):
        scripts = _Scripts()
        scripts.feed(part)
        scripts.close()
        for text in scripts.found:
            h = script_hash(text)
            if h not in hashes:
                hashes.append(h)
    parts = []
    for name, value in DIRECTIVES:
        if name == "script-src" and hashes:
            value = " ".join([value, *hashes])
        parts.append(f"{name} {value}")
    return "; ".join(parts)


def with_policy(html: str, content: str = "") -> str:
    """``html`` with its policy as the first element of ``<head>`` (before any script can run).

    ``content`` is the page's content as the engine put it in the page, found by its text.
    """
    start = html.find(content) if content else -1
    span = (start, start + len(content)) if start >= 0 else None
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy_for(html, span)}">'
    head = re.search(r"<head[^>]*>", html, re.IGNORECASE)
    if head is None:
        return html
    charset = re.compile(r"\s*<meta charset=[^>]*>", re.IGNORECASE).match(html, head.end())
    at = charset.end() if charset else head.end()
    return html[:at] + "\n    " + meta + html[at:]


def page_policy(html: str | bytes) -> str | None:
    """The policy a page carries in its ``<meta>``, if any (for the records service's header)."""
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    m = _META.search(text)
    return m.group(1) if m else None


def header_policy(page: str | None) -> str:
    """The header for a response: the page's own policy (for a page) plus what only a header can say."""
    return f"{page}; {HEADER_ONLY}" if page else HEADER_ONLY
