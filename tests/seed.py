"""The seed policy as a list of sentences, and page text to look for them in."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

SEED = Path(__file__).resolve().parent / "fixtures" / "seed" / "privacy-policy.txt"

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z“(])")


def normalise(text: str) -> str:
    """Collapse every run of whitespace to one space."""
    return re.sub(r"\s+", " ", text).strip()


def seed_sentences(path: Path = SEED) -> list[str]:
    """Every sentence, heading, list item and address line of the seed, in order."""
    units: list[str] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        block = normalise(block)
        if not block:
            continue
        block = block.lstrip("•").strip()
        units.extend(s for s in _SENTENCE_END.split(block) if s)
    return units


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.skip += 1
        elif tag in ("p", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "div", "address", "tr", "td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    """Visible text of an HTML page, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return normalise("".join(parser.parts))


def missing_sentences(text: str, path: Path = SEED) -> list[str]:
    """Seed sentences that do not appear, unchanged, in ``text``."""
    text = normalise(text)
    return [s for s in seed_sentences(path) if s not in text]
