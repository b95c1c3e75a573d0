"""What a screen reader gets from a tagged PDF: the text of each structure element, in tree order.

Read with pikepdf only: each page's marked-content sequences (by MCID) decoded through the
fonts' ToUnicode maps, and the structure tree walked from its root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pikepdf

CMAP_ENTRY = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _to_unicode(font: pikepdf.Dictionary) -> dict[int, str]:
    out: dict[int, str] = {}
    cmap = font.get("/ToUnicode")
    if cmap is None:
        return out
    data = cmap.read_bytes()
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in CMAP_ENTRY.findall(block):
            out[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    return out


@dataclass
class Page:
    texts: dict[int, str] = field(default_factory=dict)
    """MCID -> text."""
    artifacts: list[str] = field(default_factory=list)
    """The text shown inside /Artifact sequences."""
    untagged: list[str] = field(default_factory=list)
    """Text shown outside any marked content (PDF/UA allows none)."""


def read_page(page: pikepdf.Page) -> Page:
    fonts = {name: _to_unicode(f) for name, f in page.Resources.get("/Font", {}).items()}
    out = Page()
    stack: list[tuple[str, int | None]] = []
    table: dict[int, str] = {}
    for operands, op in pikepdf.parse_content_stream(page):
        op = str(op)
        if op == "BDC":
            props = operands[1]
            mcid = int(props["/MCID"]) if isinstance(props, pikepdf.Dictionary) and "/MCID" in props else None
            stack.append((str(operands[0]), mcid))
        elif op == "BMC":
            stack.append((str(operands[0]), None))
        elif op == "EMC":
            stack.pop()
        elif op == "Tf":
            table = fonts.get(str(operands[0]), {})
        elif op in ("TJ", "Tj"):
            parts = operands[0] if op == "TJ" else [operands[0]]
            raw = b"".join(bytes(p) for p in parts if isinstance(p, pikepdf.String))
            text = "".join(table.get(int.from_bytes(raw[i:i + 2], "big"), "") for i in range(0, len(raw) - 1, 2))
            if any(tag == "/Artifact" for tag, _ in stack):
                out.artifacts.append(text)
            elif stack and stack[-1][1] is not None:
                out.texts[stack[-1][1]] = out.texts.get(stack[-1][1], "") + text
            else:
                out.untagged.append(text)
    return out


def elements(pdf: pikepdf.Pdf):
    """Every structure element from the root, in reading order, with its parent."""
    def walk(node, parent):
        if isinstance(node, pikepdf.Dictionary) and node.get("/Type") == "/StructElem":
            yield node, parent
            kids = node.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
                yield from walk(kid, node)
    for kid in pdf.Root.StructTreeRoot.K if isinstance(pdf.Root.StructTreeRoot.K, pikepdf.Array) \
            else [pdf.Root.StructTreeRoot.K]:
        yield from walk(kid, None)


def reading_order(pdf: pikepdf.Pdf, page_number: int = 0) -> str:
    """The text of ``page_number`` as the structure tree orders it."""
    page = pdf.pages[page_number]
    texts = read_page(page).texts
    words = []
    for el, _ in elements(pdf):
        if el.get("/Pg") is not None and el.Pg.objgen != page.obj.objgen:
            continue
        kids = el.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
            if isinstance(kid, int):
                words.append(texts.get(int(kid), ""))
    return " ".join(" ".join(words).split())
