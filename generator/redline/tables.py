"""Rows of a Markdown table in a redline: a row is marked cell by cell, so the table stays a table.

A mark around a whole row (``<ins>| a | b |</ins>``) is no longer a row: the
table shifts its cells right and drops the last one. Here an added or removed
row keeps its pipes and each cell carries its own mark; a changed row is
diffed cell against cell; the delimiter row (``| --- |``) is never marked.
"""

from __future__ import annotations

import re
from typing import Callable

_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
_DELIMITER = re.compile(r"^[ \t]*\|(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*$")
_CELL_BREAK = re.compile(r"(`[^`\n]*`|\\.)|\|")


def is_row(line: str) -> bool:
    """A line written ``| … |``: a table's header, delimiter or body row."""
    return bool(_ROW.match(line))


def is_delimiter(line: str) -> bool:
    return bool(_DELIMITER.match(line))


def cells(line: str) -> list[str]:
    """The cells of a row, stripped; a ``|`` in code or escaped as ``\\|`` stays inside its cell."""
    out, start, body = [], 0, line.strip()[1:-1]
    for m in _CELL_BREAK.finditer(body):
        if m.group(1) is None:
            out.append(body[start:m.start()].strip())
            start = m.end()
    out.append(body[start:].strip())
    return out


def row(parts: list[str]) -> str:
    return "| " + " | ".join(parts) + " |"


def similarity(x: str, y: str, words: Callable[[str, str], float]) -> float:
    """How alike two rows are, cell by cell (every row shares its pipes, so they say nothing).

    The first cell names the row ("Invoices", "CVs"), so it weighs double: a row
    whose period changed is that row edited, a row with another name is another row.
    """
    if is_delimiter(x) or is_delimiter(y):
        return 1.0 if is_delimiter(x) and is_delimiter(y) else 0.0
    a, b = cells(x), cells(y)
    score = weight = 0.0
    for i in range(max(len(a), len(b))):
        p, q = (a[i] if i < len(a) else ""), (b[i] if i < len(b) else "")
        w = 2.0 if i == 0 else 1.0
        score += w * (1.0 if p == q else words(p, q))
        weight += w
    return score / weight if weight else 1.0


Wrap = Callable[[str, str, str | None], str]
"""``wrap(tag, text, label)``: ``text`` marked as inserted or deleted, with an optional spoken label."""


def whole(tag: str, line: str, wrap: Wrap) -> str:
    """A row added or removed: every cell marked, the first one saying that the row is what changed."""
    if is_delimiter(line):
        return line
    parts = cells(line)
    return row([wrap(tag, c, "row" if i == 0 else None) if c else c for i, c in enumerate(parts)])


def changed(old: str, new: str, cell_diff: Callable[[str, str], str], wrap: Wrap) -> str:
    """Two versions of one row, diffed cell against cell; a column added or dropped is marked whole."""
    if is_delimiter(new):
        return new  # alignment is not text: the new delimiter, unmarked
    a, b = cells(old), cells(new)
    out = [cell_diff(x, y) for x, y in zip(a, b)]
    out += [wrap("ins", y, None) if y else y for y in b[len(a):]]
    dropped = [wrap("del", x, None) for x in a[len(b):] if x]
    if dropped and out:
        out[-1] = " ".join([out[-1], *dropped]).strip()
    return row(out)
