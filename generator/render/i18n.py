"""Labels and dates in the language of the text they go with: gettext catalogues, read with Babel.

A policy page, its redlines and its PDF are in the policy's language: every label
("Version", "In force", "Contents") comes from ``locale/<language>/LC_MESSAGES/policy.po``
and every date from Babel's CLDR data ("10 Hune 2025"). English is the source language:
its labels are the message ids themselves. A language without a catalogue gets English
labels. The ``.po`` files are read directly: nothing is compiled at build time, so the
build makes no file of its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, get_month_names
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "policy"


@dataclass(frozen=True)
class Labels:
    """The labels of one language: call it with an English message (and its ``{fields}``)."""

    language: str
    """The catalogue's language (``en`` for the message ids themselves)."""
    messages: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict, repr=False)

    def __call__(self, message: str, **fields: object) -> str:
        found = self.messages.get(message)
        text = found if isinstance(found, str) and found else message
        return text.format(**fields) if fields else text

    def plural(self, singular: str, plural: str, n: int, **fields: object) -> str:
        """``singular`` or ``plural`` as ``n`` asks, in this language; ``{n}`` is filled in."""
        found = self.messages.get(singular)
        if isinstance(found, tuple) and all(found):  # a catalogue entry with plural forms
            text = found[0] if n == 1 else found[min(1, len(found) - 1)]
        else:  # two entries marked apart (N_), or none
            text = self(singular if n == 1 else plural)
        return text.format(n=n, **fields)

    def joined(self, items: list[str] | tuple[str, ...]) -> str:
        """``A``, ``A and B``, ``A, B and C``: a list of names in running text."""
        if len(items) < 2:
            return "".join(items)
        return self(AND, first=", ".join(items[:-1]), last=items[-1])

    def months(self) -> list[str]:
        """The names of the twelve months ("Hānuere" … "Tīhema"), as a date writes them."""
        names = get_month_names("wide", context="format", locale=self.language)
        return [names[m] for m in range(1, 13)]

    def date(self, value: date | datetime | None) -> str:
        """``12 March 2026``, ``12 Māehe 2026``: day, month name, year, in every language."""
        if value is None:
            return ""
        return format_date(value, "d MMMM y", locale=self.language)


ENGLISH = Labels("en")


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks a message for the catalogue where it is written, to be translated where it is used."""
    return message


AND = N_("{first} and {last}")
"""The last two names of a list ("Privacy Policy and Terms of Use")."""

DRAFT_LABEL = N_("Draft — not yet published")
"""What the site and the PDF call a text that is not published (translated where it is shown)."""


@lru_cache(maxsize=None)
def labels(language: str | None) -> Labels:
    """The labels for a BCP 47 tag (``mi``, ``en-NZ``): its catalogue, else English."""
    po = catalogue_path(language)
    if po is None:
        return ENGLISH
    base = po.parent.parent.name
    with po.open("rb") as f:
        catalog = read_po(f, locale=base, domain=DOMAIN)
    messages: dict[str, str | tuple[str, ...]] = {}
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        messages[key] = tuple(m.string) if isinstance(m.string, (tuple, list)) else m.string
    return Labels(base, messages)


def base_language(language: str | None) -> str:
    """``mi`` for ``mi-NZ``, ``en`` for none: the language, whatever its region."""
    return (language or "en").replace("_", "-").split("-")[0].lower()


def same_language(a: str | None, b: str | None) -> bool:
    """Whether two BCP 47 tags name one language (``en-NZ`` and ``en``): no ``lang`` needed between them."""
    return base_language(a) == base_language(b)


def lang_within(language: str, within: str) -> str | None:
    """The ``lang`` a text in ``language`` needs inside a text in ``within``: none in the same language."""
    return None if same_language(language, within) else language


def catalogue_path(language: str | None) -> Path | None:
    """The catalogue of a BCP 47 tag's language, if there is one (English has none: its labels are the ids)."""
    base = base_language(language)
    po = LOCALE_DIR / base / "LC_MESSAGES" / f"{DOMAIN}.po"
    return po if base != "en" and po.is_file() else None


def has_labels(language: str | None) -> bool:
    """Whether a text in ``language`` gets its labels in that language (English, or a catalogue)."""
    return base_language(language) == "en" or catalogue_path(language) is not None


def no_labels_warning(where: object, language: str) -> str:
    """What the owner of a policy in a language with no catalogue is told (``policy check``, the build)."""
    return (f"{where}: language '{language}' has no catalogue of labels, so its pages, PDFs and training "
            f"show English labels ('Version', 'In force'); add "
            f"generator/render/locale/{base_language(language)}/LC_MESSAGES/policy.po (README: "
            "'Languages and translations')")


def catalogue_sha(language: str | None) -> str:
    """SHA-256 of the language's catalogue (``""`` for none): what a PDF's cache key needs to know."""
    po = catalogue_path(language)
    return hashlib.sha256(po.read_bytes()).hexdigest() if po else ""


def language_name(tag: str) -> str:
    """The language's name in that language ("Māori", "English"); the tag itself if Babel does not know it."""
    try:
        name = Locale.parse(tag.replace("-", "_")).get_language_name()
    except (ValueError, UnknownLocaleError):
        return tag
    return name[:1].upper() + name[1:] if name else tag
