"""Accessibility fixes for stock Material for MkDocs output that CSS cannot make (MkDocs front end only)."""

from __future__ import annotations

import re
from html import escape as html_escape

from ..render.i18n import N_, base_language, labels, same_language

_SEARCH_DIALOG = 'class="md-search" data-md-component="search" role="dialog"'
_TOC_TOGGLE = '<input class="md-nav__toggle md-toggle" type="checkbox" id="__toc">'


def fix_page(html: str, search_label: str = "Search", toc_label: str = "Table of contents") -> str:
    """Give Material's search dialog an accessible name (axe: aria-dialog-name), and its
    contents toggle one on a page with no headings, where no label names it (pa11y)."""
    if _SEARCH_DIALOG in html and f'{_SEARCH_DIALOG} aria-label=' not in html:
        html = html.replace(_SEARCH_DIALOG, f'{_SEARCH_DIALOG} aria-label="{search_label}"', 1)
    if _TOC_TOGGLE in html and 'for="__toc"' not in html:
        html = html.replace(_TOC_TOGGLE, _TOC_TOGGLE[:-1] + f' aria-label="{toc_label}">', 1)
    return html


TOC_LABEL = N_("Table of contents")
"""Material's name for a page's contents sidebar (the page itself says "Contents")."""
_TOC_NAV = '<nav class="md-nav md-nav--secondary" aria-label="Table of contents">'
_TOC_TITLE = re.compile(r'(<label class="md-nav__title" for="__toc">\s*<span class="md-nav__icon md-icon"></span>\s*)'
                        r'Table of contents')


def in_site_language(html: str, page_language: str, site_language: str) -> str:
    """A page in another language than the site's: Material's own words (skip link, header,
    navigation, footer) are marked as the site's language (WCAG 3.1.2, language of parts),
    and the page's contents sidebar is named in the page's language."""
    if same_language(page_language, site_language):
        return html
    lang = html_escape(site_language)
    for old, new in (('class="md-skip">', f'class="md-skip" lang="{lang}">'),
                     ('<header class="md-header', f'<header lang="{lang}" class="md-header'),
                     ('<div class="md-sidebar md-sidebar--primary"',
                      f'<div lang="{lang}" class="md-sidebar md-sidebar--primary"'),
                     ('<footer class="md-footer">', f'<footer class="md-footer" lang="{lang}">')):
        html = html.replace(old, new, 1)
    toc = labels(page_language)(TOC_LABEL)
    html = html.replace(_TOC_NAV, _TOC_NAV.replace("Table of contents", html_escape(toc)))
    return _TOC_TITLE.sub(lambda m: m.group(1) + html_escape(toc), html)


def has_language(theme, language: str) -> bool:
    """Whether Material (or the project's theme folder) has its words in ``language``."""
    return _in_theme(theme, f"partials/languages/{language}.html")


def _in_theme(theme, path: str) -> bool:
    """Whether the theme (the project's folder, then Material's) has the file ``path``."""
    from pathlib import Path

    return any((Path(d) / path).is_file() for d in theme.dirs)


def search_in_languages(config, languages: list[str]) -> list[str]:
    """Material's search, set for the languages the site's texts are in, unless ``mkdocs.yml`` sets it.

    Material builds one index, processed by the rules (stop words, stemming) of each language
    listed in ``plugins: search: lang``. Each language lunr has rules for gets its own. A language
    it has none for (te reo Māori) must not be read with another's: English stop words are Māori
    words ("me", "he", "i", "a"), and dropping them made a phrase copied from a te reo page find
    nothing. The index then keeps every word, split at punctuation. Returns the languages read with
    no rules of their own.
    """
    search = _search(config)
    if search is None or getattr(search.config, "lang", None) or not languages:
        return []
    bases = list(dict.fromkeys(base_language(tag) for tag in languages))
    known = [b for b in bases if b == "en" or _in_theme(config.theme, f"assets/javascripts/lunr/min/lunr.{b}.min.js")]
    unknown = [b for b in bases if b not in known]
    search.config.lang = known or ["en"]
    if search.config.separator is None:
        search.config.separator = SEARCH_SEPARATOR
    if unknown and search.config.pipeline is None:
        search.config.pipeline = []
    return unknown


SEARCH_SEPARATOR = r"""[\s\-,:;!?=\[\]()"“”/]+|\.(?!\d)"""
"""Words end at spaces, hyphens and punctuation (a full stop, not the point of "2.1"), so that the
last word of a sentence is found as it is written ("wāhitau.", "whakapā"), in any language."""


def _search(config):
    return config.plugins.get("material/search") or config.plugins.get("search")


def has_search(config) -> bool:
    """Whether the site has Material's (or MkDocs') search."""
    return _search(config) is not None




SEARCH_LANGUAGES = "search/languages.json"
"""The site's language and each page's in another, for theme/assets/javascripts/search-languages.js."""


def search_languages_json(site_language: str, pages: dict[str, str]) -> bytes:
    import json

    data = {"site": site_language, "pages": dict(sorted(pages.items()))}
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


IN_FORCE_LABEL = "Version in force"
VERSIONS_LABEL = "All versions"


def policy_sections_named(nav, policies: dict[str, tuple[str, str]]):
    """Each policy's folder section titled with the policy, its pages named once.

    MkDocs makes a section of every folder and titles it from the folder name, so the
    navigation read "Privacy policy › Privacy Policy", and "Versions › Privacy Policy: all
    versions". Now: "Privacy Policy › Version in force", "Privacy Policy › All versions".

    Args:
        nav: MkDocs' navigation, changed in place.
        policies: ``policy page src -> (policy title, versions page src)``.

    Returns:
        The ``src_uri`` of each page whose navigation title changed (the page itself must
        keep its own title).
    """
    from mkdocs.structure.nav import Section

    renamed = {}

    def visit(items: list) -> None:
        for item in items:
            if not isinstance(item, Section):
                continue
            first = item.children[0] if item.children else None
            src = getattr(getattr(first, "file", None), "src_uri", None)
            if src in policies:
                title, versions = policies[src]
                item.title = title
                first.title = IN_FORCE_LABEL
                renamed[src] = first
                kept = []
                for child in item.children:
                    # The "Versions" folder section around the one versions page gives way to it.
                    pages = child.children if isinstance(child, Section) else [child]
                    if isinstance(child, Section) and len(pages) == 1 and \
                            getattr(getattr(pages[0], "file", None), "src_uri", None) == versions:
                        child = pages[0]
                        child.parent = item
                    if getattr(getattr(child, "file", None), "src_uri", None) == versions:
                        child.title = VERSIONS_LABEL
                        renamed[versions] = child
                    kept.append(child)
                item.children = kept
            visit(item.children)

    visit(nav.items)
    return renamed


def policies_in_order(nav, ranks: dict[str, int]) -> None:
    """Put the top-level sections of policies (``policy page src -> rank``) in the owner's order,
    in the places the policies held; everything else stays where it is."""
    def src(item) -> str | None:
        first = item.children[0] if getattr(item, "children", None) else item
        return getattr(getattr(first, "file", None), "src_uri", None)
    places = [i for i, item in enumerate(nav.items) if src(item) in ranks]
    ordered = sorted((nav.items[i] for i in places), key=lambda item: ranks[src(item)])
    for i, item in zip(places, ordered):
        nav.items[i] = item
