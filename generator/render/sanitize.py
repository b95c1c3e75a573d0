"""The one sanitiser: every piece of HTML made from content passes this allow-list (nh3/ammonia).

The tags are what Python-Markdown and its standard extensions write for prose (and what
this package's own blocks use: the contact ``address``, redline ``ins``/``del``, hidden
labels in ``span``); everything else is dropped, and ``script``, ``style`` and the like
are dropped with their content. No tag keeps an event handler or a ``style``: ``id``,
``class``, ``title``, ``lang`` and ``dir`` are the only attributes any tag may carry,
plus a link's ``href``, an image's ``src``/``alt`` and a table cell's alignment. URLs
may be relative or ``http``, ``https`` or ``mailto``; ``javascript:`` and ``data:`` go.
"""

from __future__ import annotations

import nh3
from markupsafe import Markup

TAGS = frozenset({
    "a", "abbr", "address", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "var",
})
"""Tags that survive; the text of any other tag is kept, the tag is not."""

DROP_WITH_CONTENT = frozenset({"script", "style", "template", "textarea", "title", "noscript",
                               "iframe", "object", "embed", "svg", "math", "select"})
"""Tags whose content is not text a reader should see: dropped whole."""

GENERIC_ATTRIBUTES = frozenset({"id", "class", "title", "lang", "dir"})
ATTRIBUTES = {
    "*": set(GENERIC_ATTRIBUTES),
    "a": {"href"},
    "abbr": set(),
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# Python-Markdown's ``tables`` writes column alignment as a style; only these exact values pass.
_ALIGN = {f"text-align: {a};" for a in ("left", "right", "center")}
ALIGNED = {"td": {"style": _ALIGN}, "th": {"style": _ALIGN}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def clean(html: str) -> Markup:
    """``html`` with everything outside the allow-list removed, as markup safe to embed."""
    return Markup(nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        tag_attribute_values={k: {a: set(vals) for a, vals in v.items()} for k, v in ALIGNED.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    ))
