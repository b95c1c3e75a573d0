"""What ``policy check`` says about the Markdown in content: raw HTML and unsafe links (errors),
texts over the renderer limits (errors), and traps that render otherwise than they read (warnings).

Content is data: the sanitiser (``render/sanitize.py``) removes whatever slips through,
but an editor must hear about it at ``path:line`` before a reviewer is shown a redline
that hides it. The only HTML content may hold is the ``<!-- contact -->`` marker, which
places the contact block (see ``render/templates.py``); nothing else is needed, since
Markdown writes every element a policy uses.
"""

from __future__ import annotations

import re
from typing import Iterator, Mapping

from ..errors import ContentError
from ..model import Clause, Policy
from . import limits
from .limits import Finding
from .schema import SLUG_PATTERN
from .yamlsource import SourceDoc

HTML_ELEMENTS = frozenset("""
a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption
center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt em embed
fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup
hr html i iframe img input ins kbd label legend li link main map mark marquee math menu meta
meter nav noscript object ol optgroup option output p param picture pre progress q rp rt ruby s
samp script search section select slot small source span strong style sub summary sup svg table
tbody td template textarea tfoot th thead time title tr track u ul var video wbr xmp
""".split())
"""Names the browser treats as elements: in content they are raw HTML, an error."""

ALLOWED_COMMENT = re.compile(r"^[ \t]*<!--\s*contact\s*-->[ \t]*$")

_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:_-]*)(?=[\s/>])[^>]*>?")
_AUTOLINK = re.compile(r"<(?:[a-z][a-z0-9+.-]*:[^\s<>]*|[^\s<>@]+@[^\s<>@]+)>", re.IGNORECASE)
_COMMENT = re.compile(r"<!--|<!\[CDATA\[|<\?|<![A-Za-z]")
_ATTR_LIST = re.compile(r"\{:?[ \t]*([^{}\n]*?)[ \t]*\}[ \t]*$")
_ATTR = re.compile(r"""([^\s=#.][^\s=]*)=(?:"[^"]*"|'[^']*'|\S+)""")
_LINK_URL = re.compile(r"\]\(\s*<?([^)\s>]*)|^\s*\[[^\]]+\]:\s*<?(\S+)", re.MULTILINE)
_UNSAFE_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data|file):", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_ID = SLUG_PATTERN.removeprefix("^").removesuffix("$")
REFERENCE_TEXT = rf"policy:{_ID}(?:#[A-Za-z0-9_-]+)?"
"""A reference to another policy or one of its clauses (resolved per rendering: render/references.py)."""
REFERENCE = re.compile(rf"^policy:({_ID})(?:#([A-Za-z0-9_-]+))?$")
_TABLE_ROW = re.compile(r"^\s*\|")
_EMPHASIS_NAME = re.compile(r"(?<![\w\\*])_(?=\S)([^_|\n]*?\S)_(?!\w)")
_LETTERED = re.compile(r"^[ \t]*\(?(?:[a-z]|[ivx]{1,4}|\d{1,2})\)[ \t]+\S")


Known = Mapping[str, set[str]]
"""Policy id -> its clause ids: what a ``policy:`` reference may name."""


def findings(text: str | None, known: Known | None = None) -> list[Finding]:
    """Every raw-HTML, unsafe-link, limit and trap finding in one Markdown text.

    With ``known``, a ``policy:`` reference that names no policy or clause in it is an error too.
    """
    if not text:
        return []
    out = limits.problems(text)
    if out:
        return out  # the line scans below are linear, but a text over the limits says enough
    fenced = False
    said: set[str] = set()  # 15,000 lines of "<div>" make one message, not 15,000
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced or line.startswith(("    ", "\t")) and not _in_list(lines, n):
            continue
        for f in _line_findings(n, line, known):
            if f.message not in said:
                said.add(f.message)
                out.append(f)
        if n and _LETTERED.match(line) and lines[n - 1].strip():
            out.append(Finding(n, False, "this line starts a lettered paragraph, but with no blank line "
                                         "before it Markdown joins it to the line above: put a blank "
                                         "line between them"))
    return out


def _in_list(lines: list[str], n: int) -> bool:
    """An indented line under a list item is part of the item, not a code block."""
    for k in range(n - 1, -1, -1):  # back to the nearest written line, copying nothing
        prev = lines[k]
        if prev.strip():
            return bool(re.match(r"\s*(?:[-*+]|\d+[.)])\s", prev)) or prev.startswith(("    ", "\t"))
    return False


def _line_findings(n: int, line: str, known: Known | None = None) -> Iterator[Finding]:
    if ALLOWED_COMMENT.match(line):
        return
    text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
    text = _AUTOLINK.sub(lambda m: " " * len(m.group(0)), text)
    if _COMMENT.search(text):
        yield Finding(n, True, "raw HTML (a comment or declaration) is not allowed in content; the only "
                               "comment allowed is a line <!-- contact --> on its own")
    opened = {m.group(2).lower() for m in _TAG.finditer(text) if not m.group(1)}
    for m in _TAG.finditer(text):
        name = m.group(2).lower()
        if m.group(1) and name in opened:
            continue  # "<b>…</b>": one message for the pair
        tag = f"<{m.group(1)}{m.group(2)}>"
        if name in HTML_ELEMENTS:
            yield Finding(n, True, f"raw HTML {tag} is not allowed in content: write it in Markdown, "
                                   "or put it in a code span (`like this`) to show it as text")
        else:
            yield Finding(n, False, f"{tag} looks like an HTML tag, so Markdown hides it: write "
                                    f"&lt;{m.group(2)}&gt; or put it in a code span (`{m.group(0)}`)")
    attrs = _ATTR_LIST.search(text)
    if attrs:
        for a in _ATTR.finditer(attrs.group(1)):
            yield Finding(n, True, f"attribute list sets '{a.group(1)}': content may set only an id "
                                   "(#name) and classes (.name)")
    for m in _LINK_URL.finditer(text):
        url = m.group(1) or m.group(2) or ""
        if _UNSAFE_SCHEME.match(url):
            yield Finding(n, True, f"link to '{url.split(':')[0]}:' is not allowed: links go to web "
                                   "pages (https://…), email (mailto:…) or this site")
        elif url.startswith("policy:"):
            problem = reference_problem(url, known)
            if problem:
                yield Finding(n, True, problem)
        elif url and not _SCHEME.match(url) and not url.startswith("#"):
            # It worked on the page in force only: archived pages and redlines sit deeper, and in
            # a PDF it became a path on the machine that built it (so the PDF's bytes differed).
            yield Finding(n, True, f"link to '{url}' is a relative link or a local path, which breaks on "
                                   "archived pages and in PDFs: link another policy with policy:<policy id> "
                                   "(or policy:<policy id>#<clause id>), or give a full https:// address")
    if _TABLE_ROW.match(text):
        for m in _EMPHASIS_NAME.finditer(text):
            yield Finding(n, False, f"_{m.group(1)}_ in a table cell turns into italics and loses its "
                                    f"underscores: write \\_{m.group(1)}\\_ or a code span (`_{m.group(1)}_`)")


def reference_problem(url: str, known: Known | None) -> str | None:
    """Why a ``policy:`` link is wrong: not a reference, or (with ``known``) naming nothing there."""
    found = REFERENCE.match(url)
    if not found:
        return f"'{url}' is not a reference: write policy:<policy id> or policy:<policy id>#<clause id>"
    pid, clause = found.group(1), found.group(2)
    if known is None:
        return None
    if pid not in known:
        return f"'{url}' names no policy: there is no policy with id '{pid}'"
    if clause and clause not in known[pid]:
        return f"'{url}' names no clause: policy '{pid}' has no clause '{clause}'"
    return None


def _plain_references(text: str, known: Known) -> list[Finding]:
    """A plain-text field's links still render: its references must name something (as written)."""
    out = []
    for n, line in enumerate(text.split("\n")):
        for m in _LINK_URL.finditer(line):
            url = m.group(1) or m.group(2) or ""
            if url.startswith("policy:") and REFERENCE.match(url):
                problem = reference_problem(url, known)
                if problem:
                    out.append(Finding(n, True, problem))
    return out


# -- a whole policy ------------------------------------------------------------------------


def policy_findings(policy: Policy, doc: SourceDoc, known: Known | None = None) -> list[tuple[int, Finding]]:
    """``(file line, finding)`` for every Markdown text of ``policy``, public and staff-only, in file order.

    Titles and summaries are plain text, escaped wherever they are shown: "<b>" in one is
    shown as written, so only the renderer limits apply to a summary (it is still
    converted, for its line breaks). With ``known``, ``policy:`` references are checked against it.
    """
    found = located(doc, ("preamble",), policy.preamble, known=known)
    return sorted(found + _clauses(policy.clauses, doc, ("clauses",), known), key=lambda x: x[0])


def _clauses(clauses: tuple[Clause, ...], doc: SourceDoc, base: tuple,
             known: Known | None) -> list[tuple[int, Finding]]:
    out: list[tuple[int, Finding]] = []
    for i, clause in enumerate(clauses):
        loc = base + (i,)
        out.extend(located(doc, loc + ("summary",), clause.summary, plain=True, known=known))
        out.extend(located(doc, loc + ("body",), clause.body, known=known))
        if clause.training is not None:
            out.extend(located(doc, loc + ("training", "guidance"), clause.training.guidance, known=known))
            for j, q in enumerate(clause.training.questions):
                out.extend(located(doc, loc + ("training", "questions", j, "explanation"), q.explanation,
                                   known=known))
        out.extend(_clauses(clause.clauses, doc, loc + ("clauses",), known))
    return out


def sort_into(doc: SourceDoc, found: list[tuple[int, Finding]], errors: list[ContentError],
              warnings: list[ContentError] | None) -> None:
    """File the findings of ``doc`` as ``path:line`` errors, or as warnings when a list is given for them."""
    for line, finding in found:
        problem = ContentError(finding.message, doc.path, line, doc.source_line(line))
        if finding.error:
            errors.append(problem)
        elif warnings is not None:
            warnings.append(problem)


def located(doc: SourceDoc, loc: tuple, text: str | None, *, plain: bool = False,
            known: Known | None = None) -> list[tuple[int, Finding]]:
    """Findings of one field with file lines; a plain-text field is only held to the renderer limits
    (and, with ``known``, its references)."""
    if not text:
        return []
    if plain:
        found = limits.problems(text) + (_plain_references(text, known) if known is not None else [])
    else:
        found = findings(text, known)
    return [(field_line(doc, loc, f.line), f) for f in found]


_BLOCK_SCALAR = re.compile(r":[ \t]*[|>][+-]?[0-9]?[ \t]*(?:#.*)?$")


def field_line(doc: SourceDoc, loc: tuple, offset: int) -> int:
    """The file line of line ``offset`` of a field: exact in a block scalar (``|``), else the key's line."""
    key_line = doc.line_of(loc)
    if _BLOCK_SCALAR.search(doc.source_line(key_line)):
        return key_line + 1 + offset
    return key_line
