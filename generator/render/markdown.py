"""The one Markdown converter: clause bodies, summaries, guidance and explanations → safe HTML."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import re
import xml.etree.ElementTree as etree

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup, escape

from ..settings import Settings
from ..content import limits
from .references import LinkContext, References
from .sanitize import clean


def plain_text(text: str) -> Markup:
    """``text`` as it was written, escaped, its line breaks kept: for texts too big or deep to render."""
    return Markup('<pre class="policy-plain">{}</pre>').format(text)


class _WebAddress(InlineProcessor):
    """A bare ``www.example.org`` or ``https://…`` in the text becomes a link to it; the words stay as written."""

    ANCESTOR_EXCLUDES = ("a",)

    def handleMatch(self, m: re.Match, data: str):  # noqa: N802 (Python-Markdown's name)
        text = m.group(0)
        el = etree.Element("a", {"href": text if "://" in text else "https://" + text})
        el.text = markdown.util.AtomicString(text)
        return el, m.start(0), m.end(0)


class WebAddresses(Extension):
    # After links and <autolinks> (so neither is linked twice), before emphasis (so "a_b" in a URL stays).
    PATTERN = r"(?<![\w/@.:-])(?:https?://|www\.)[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]"

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        md.inlinePatterns.register(_WebAddress(self.PATTERN, md), "policy_web_address", 105)


class _PolicyLinks(Treeprocessor):
    """``policy:`` references become links for the page being made (see :mod:`.references`)."""

    def __init__(self, md: markdown.Markdown, owner: "Converter") -> None:
        super().__init__(md)
        self.owner = owner

    def run(self, root: etree.Element) -> None:
        for el in root.iter("a"):
            ref = el.get("href", "")
            if not ref.startswith("policy:"):
                continue
            refs = self.owner.references
            target = refs.resolve(ref, self.owner.context) if refs is not None else None
            empty = not (el.text or "").strip() and len(el) == 0
            if target is None:
                # Nothing published to link to (yet): the words stay, without a link.
                el.tag = "span"
                el.attrib.pop("href", None)
                continue
            el.set("href", target.href)
            if empty:
                el.text = target.label


class Converter:
    """Python-Markdown with the site's extensions, so the PDF and training say what the page says.

    Args:
        extensions: extension names (or instances) in the order the engine applies them.
        configs: their options, by name.
        fragments: for pages that hold many clause texts at once (training): ``toc``
            would give their headings ids and permalinks that clash, so it is left out,
            and so is any extension given as an object rather than a name.
    """

    def __init__(self, extensions: tuple | list = (), configs: dict[str, Any] | None = None, *,
                 fragments: bool = False) -> None:
        names = list(extensions)
        configs = dict(configs or {})
        if fragments:
            names = [e for e in names if isinstance(e, str) and e != "toc"]
            configs = {k: v for k, v in configs.items() if k in names}
        self._md = markdown.Markdown(extensions=[*names, WebAddresses()], extension_configs=configs)
        self._md.treeprocessors.register(_PolicyLinks(self._md, self), "policy_links", 1)
        self.references: References | None = None
        self.context = LinkContext()

    @contextlib.contextmanager
    def linking(self, context: LinkContext) -> Iterator["Converter"]:
        """Resolve ``policy:`` references as shown in ``context`` while the block runs."""
        saved, self.context = self.context, context
        try:
            yield self
        finally:
            self.context = saved

    @classmethod
    def for_settings(cls, settings: Settings, *, fragments: bool = False,
                     references: References | None = None) -> "Converter":
        made = cls(settings.markdown_extensions or (), settings.mdx_configs or {}, fragments=fragments)
        made.references = references
        return made

    def __call__(self, text: str) -> Markup:
        """Sanitised HTML of ``text``; each call starts afresh (footnotes, ids and references do not carry over).

        A text over the renderer limits (only an archived version can hold one: ``policy check``
        refuses it) is shown as escaped plain text instead: never a hang or a failed build.
        """
        if limits.first_problem(text) is not None:
            return plain_text(text)
        self._md.reset()
        return clean(self._md.convert(text))

    def plain(self, text: str) -> Markup:
        """``text`` escaped, then converted: for plain-language fields (summaries) that must not hold markup."""
        return self(str(escape(text)))
