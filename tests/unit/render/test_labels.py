"""Issue 14, item 1: labels and dates come from message catalogues, in the policy's language."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from generator.render import i18n

ROOT = Path(__file__).resolve().parents[3]
KEYWORDS = {"_": None, "N_": None, "plural": (1, 2)}
METHODS = [("generator/**.py", "python"), ("generator/render/templates/**.md", "jinja2"),
           ("theme/pdf/**.html", "jinja2")]


def used_messages() -> set[str]:
    """Every label the code and templates ask for, extracted as ``make messages`` does."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords=KEYWORDS):
        for m in message if isinstance(message, tuple) else (message,):
            if m:
                found.add(m)
    return found


def catalogue(language: str) -> dict[str, str]:
    with (ROOT / "generator" / "render" / "locale" / language / "LC_MESSAGES" / "policy.po").open("rb") as f:
        cat = read_po(f)
    out = {}
    for m in cat:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        out.update(zip(ids, strings))
    return out


def test_the_maori_catalogue_translates_every_label_and_only_those():
    used, mi = used_messages(), catalogue("mi")
    assert len(used) > 100
    assert sorted(used - set(mi)) == [], "labels with no entry: run `make messages`, then translate them"
    assert sorted(m for m, s in mi.items() if m in used and not s.strip()) == []
    assert sorted(set(mi) - used) == [], "entries no label uses: run `make messages`"


def test_every_translation_keeps_the_placeholders_and_links_of_its_label():
    for message, text in catalogue("mi").items():
        assert sorted(re.findall(r"\{\w+\}", message)) == sorted(re.findall(r"\{\w+\}", text)), message
        assert message.count("](") == text.count("]("), message
        assert re.findall(r"<[^>]+>", message) == re.findall(r"<[^>]+>", text), message


def test_labels_and_dates_in_maori_and_english():
    mi = i18n.labels("mi")
    assert mi("Version {number}", number=2) == "Putanga 2"
    assert mi.date(date(2025, 6, 10)) == "10 Hune 2025"
    assert mi.plural("{n} clause changed", "{n} clauses changed", 3) == "3 rara kua panonitia"
    en = i18n.labels("en-NZ")
    assert en("Version {number}", number=2) == "Version 2"
    assert en.date(date(2025, 6, 10)) == "10 June 2025"
    assert en.plural("{n} clause changed", "{n} clauses changed", 3) == "3 clauses changed"
    # A language with no catalogue reads English labels and dates, so a page never mixes the two.
    assert i18n.labels("fr")("Version {number}", number=1) == "Version 1"
    assert i18n.labels("fr").date(date(2025, 6, 10)) == "10 June 2025"
    assert i18n.labels("mi-NZ")("Contents") == "Ngā ihirangi"
