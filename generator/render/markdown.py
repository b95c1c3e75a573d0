"""The one Markdown converter: clause bodies, summaries, guidance and explanations → HTML."""

from __future__ import annotations

from typing import Any

import markdown
from markupsafe import Markup

from ..settings import Settings


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
        self._md = markdown.Markdown(extensions=names, extension_configs=configs)

    @classmethod
    def for_settings(cls, settings: Settings, *, fragments: bool = False) -> "Converter":
        return cls(settings.markdown_extensions or (), settings.mdx_configs or {}, fragments=fragments)

    def __call__(self, text: str) -> Markup:
        """HTML of ``text``; each call starts afresh (footnotes, ids and references do not carry over)."""
        self._md.reset()
        return Markup(self._md.convert(text))
