"""Accessibility fixes for stock Material for MkDocs output that CSS cannot make (MkDocs front end only)."""

from __future__ import annotations

_SEARCH_DIALOG = 'class="md-search" data-md-component="search" role="dialog"'


def fix_page(html: str, search_label: str = "Search") -> str:
    """Give Material's search dialog an accessible name (axe: aria-dialog-name)."""
    if _SEARCH_DIALOG in html and f'{_SEARCH_DIALOG} aria-label=' not in html:
        html = html.replace(_SEARCH_DIALOG, f'{_SEARCH_DIALOG} aria-label="{search_label}"', 1)
    return html
