"""Make WeasyPrint's tagged PDF read well aloud, before it is written (a ``write_pdf`` finisher).

WeasyPrint 70 tags every piece of text. Measured with outloud and a structure walk:

* the running header and footer ("Privacy Policy · Version 2 / Effective …", "Page 1 of 4")
  are marked as content on every page, though WeasyPrint leaves them out of the structure
  tree: a screen reader reads them in the middle of sentences;
* each dot of a contents leader is a tagged text (774 of them);
* a contents entry is a ``Link`` holding a ``Span`` and another ``Link``, and the link
  annotations of the inner ones hang under the ``Span``, not under a ``Link``.

Here, on WeasyPrint's own objects before they are written (so the bytes stay as
reproducible as WeasyPrint makes them): marked content that no structure element reaches,
and leader dots, become ``/Artifact``; each link's inner elements fold into the outermost
``Link``, which then holds all of its text and annotations; each link annotation's
``/Contents`` says what the link's text says; and the XMP metadata claims PDF/UA-1.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import pydyf

REF = re.compile(rb"^(\d+) 0 R$")
HEX = re.compile(rb"<([0-9a-fA-F]*)>")
TF = re.compile(rb"^/(\S+) \S+ Tf$")
CMAP_ENTRY = re.compile(rb"^<([0-9a-fA-F]+)> <([0-9a-fA-F]+)>$")

UA_SCHEMA = b"""<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"
 xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
 xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
 xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfuaid:part>1</pdfuaid:part>
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Part of ISO 14289 the file conforms to</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
"""
"""PDF/UA identification, with the extension schema PDF/A asks for any property it does not define."""


class Tags:
    """The structure tree and marked content of a pydyf PDF that WeasyPrint tagged."""

    def __init__(self, pdf: pydyf.PDF) -> None:
        self.pdf = pdf
        self.root = self.deref(pdf.catalog["StructTreeRoot"])
        self.nums = self.deref(self.root["ParentTree"])["Nums"]
        # Nums alternates keys (a page's number, an annotation's StructParent) and values.
        self._slot = {self.nums[i]: i + 1 for i in range(0, len(self.nums), 2)}
        kids = pdf.pages["Kids"]
        self.pages = [self.pdf.objects[kids[i]] for i in range(0, len(kids), 3)]
        self.page_index = {p.number: i for i, p in enumerate(self.pages)}
        self.streams = [self.deref(p["Contents"]) for p in self.pages]
        self._fonts: dict[tuple[int, bytes], dict[int, str]] = {}
        self.texts = [self._texts(i) for i in range(len(self.pages))]

    # -- objects

    def deref(self, value: Any) -> Any:
        if isinstance(value, bytes):
            m = REF.match(value)
            if m:
                return self.pdf.objects[int(m.group(1))]
        return value

    def _nums_value(self, key: int) -> Any:
        return self.nums[self._slot[key]]

    def _set_nums(self, key: int, value: Any) -> None:
        self.nums[self._slot[key]] = value

    def elements(self) -> Iterator[pydyf.Dictionary]:
        """Every structure element reachable from the root, parents before children."""
        todo = [self.deref(k) for k in self.root["K"]]
        while todo:
            el = todo.pop(0)
            if not isinstance(el, dict) or el.get("Type") != "/StructElem":
                continue
            yield el
            todo[:0] = [self.deref(k) for k in el.get("K", ())]

    # -- text of each marked-content sequence

    def _to_unicode(self, page: int, font: bytes) -> dict[int, str]:
        key = (page, font)
        if key not in self._fonts:
            table: dict[int, str] = {}
            resources = self.deref(self.pages[page]["Resources"])
            fonts = self.deref(resources.get("Font", {}))
            obj = self.deref(fonts.get(font.decode("latin-1"))) if fonts else None
            cmap = self.deref(obj.get("ToUnicode")) if isinstance(obj, dict) else None
            for line in getattr(cmap, "stream", ()):
                m = CMAP_ENTRY.match(line) if isinstance(line, bytes) else None
                if m:
                    table[int(m.group(1), 16)] = bytes.fromhex(m.group(2).decode()).decode("utf-16-be")
            self._fonts[key] = table
        return self._fonts[key]

    def _texts(self, page: int) -> dict[int, str]:
        """MCID -> the text shown inside it on ``page``."""
        out: dict[int, str] = {}
        items = self.streams[page].stream
        stack: list[int | None] = []
        font = b""
        for i, item in enumerate(items):
            if item == b"BDC":
                props = items[i - 1]
                stack.append(props.get("MCID") if isinstance(props, dict) else None)
            elif item == b"BMC":
                stack.append(None)
            elif item == b"EMC":
                if stack:
                    stack.pop()
            elif isinstance(item, bytes):
                m = TF.match(item)
                if m:
                    font = m.group(1)
                elif item.endswith(b"TJ") and stack and stack[-1] is not None:
                    table = self._to_unicode(page, font)
                    glyphs = b"".join(HEX.findall(item))
                    text = "".join(table.get(int(glyphs[j:j + 4], 16), "")
                                   for j in range(0, len(glyphs) - 3, 4))
                    out[stack[-1]] = out.get(stack[-1], "") + text
        return out

    def _artifact(self, page: int, mcids: set[int], kind: str) -> None:
        items = self.streams[page].stream
        for i, item in enumerate(items):
            if item == b"BDC" and isinstance(items[i - 1], dict) and items[i - 1].get("MCID") in mcids:
                items[i - 2] = "/Artifact"
                items[i - 1] = pydyf.Dictionary({"Type": f"/{kind}"})
        table = self._nums_value(page)
        for m in mcids:
            table[m] = b"null"

    # -- the fixes

    def margin_boxes_to_artifacts(self) -> None:
        """Marked content that no reachable element holds: WeasyPrint's margin boxes."""
        reachable = {el.number for el in self.elements()}
        for page in range(len(self.pages)):
            table = self._nums_value(page)
            orphans = {m for m, ref in enumerate(table)
                       if ref != b"null" and self.deref(ref).number not in reachable}
            if orphans:
                self._artifact(page, orphans, "Pagination")

    def fold_links(self) -> None:
        """Each outermost ``Link`` takes the content and annotations of the elements inside it."""
        for el in list(self.elements()):
            if el.get("S") != "/Link" or self.deref(el["P"]).get("S") == "/Link":
                continue
            el["K"] = pydyf.Array(self._folded(el, el))

    def _folded(self, link: pydyf.Dictionary, el: pydyf.Dictionary) -> list:
        out = []
        own_page = self.page_index[self.deref(link["Pg"]).number]
        for kid in el.get("K", ()):
            target = self.deref(kid)
            if isinstance(kid, int):
                page = self.page_index[self.deref(el["Pg"]).number]
                self._nums_value(page)[kid] = link.reference
                out.append(kid if page == own_page else pydyf.Dictionary(
                    {"Type": "/MCR", "Pg": el["Pg"], "MCID": kid}))
            elif isinstance(target, dict) and target.get("Type") == "/OBJR":
                annotation = self.deref(target["Obj"])
                self._set_nums(annotation["StructParent"], link.reference)
                out.append(kid)
            elif isinstance(target, dict) and target.get("Type") == "/StructElem":
                out.extend(self._folded(link, target))
            else:
                out.append(kid)
        return out

    def leaders_to_artifacts(self) -> None:
        """The dots of a contents leader: a link's runs of text that are a lone ".", three or more."""
        leaders: dict[int, set[int]] = {}
        for el in self.elements():
            if el.get("S") != "/Link":
                continue
            page = self.page_index[self.deref(el["Pg"]).number]
            dots = {k for k in el["K"] if isinstance(k, int) and self.texts[page].get(k, "").strip() == "."}
            if len(dots) >= 3:
                leaders.setdefault(page, set()).update(dots)
                el["K"] = pydyf.Array(k for k in el["K"] if k not in dots)
        for page, dots in leaders.items():  # one pass over each page's content
            self._artifact(page, dots, "Layout")

    def link_contents(self) -> None:
        """Each link annotation's alternate text: the words of its link, as a reader hears them."""
        for el in self.elements():
            if el.get("S") != "/Link":
                continue
            page = self.page_index[self.deref(el["Pg"]).number]
            words = " ".join(self.texts[page].get(k, "") for k in el["K"] if isinstance(k, int))
            words = " ".join(words.split())
            if not words:
                continue
            for kid in el["K"]:
                target = self.deref(kid)
                if isinstance(target, dict) and target.get("Type") == "/OBJR":
                    self.deref(target["Obj"])["Contents"] = pydyf.String(words)

    def claim_pdf_ua(self) -> None:
        """Add the PDF/UA-1 identification to the XMP metadata WeasyPrint wrote."""
        metadata = self.deref(self.pdf.catalog.get("Metadata"))
        if metadata is None:
            return
        data = b"".join(metadata.stream)
        if b"pdfuaid" in data:  # the pdf/ua-1 variant claims it itself
            return
        end = data.rindex(b"</rdf:RDF>")
        metadata.stream[:] = [data[:end] + UA_SCHEMA + data[end:]]


def finish(pdf: pydyf.PDF) -> None:
    """All of the above, in order: folding first, so leaders and link text are found in one place."""
    tags = Tags(pdf)
    tags.margin_boxes_to_artifacts()
    tags.fold_links()
    tags.leaders_to_artifacts()
    tags.link_contents()
    tags.claim_pdf_ua()
