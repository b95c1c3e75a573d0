"""Bounds on content text, so that no text that passes ``policy check`` can make a renderer slow or recurse.

Measured on a busy 2-core machine with ``benchmarks/content_limits.py``: Python-Markdown
is quadratic in unclosed ``[`` in one paragraph (3,200 take 1.8 s), and recurses once per
nesting level (a list 256 deep raised ``RecursionError``; 128 took 0.09 s); the word
redline is quadratic in the tokens of one changed line (4,000 punctuation marks take
1.8 s, 20,000 took 97 s). Every limit below is far above what a real
policy needs (the embedded policy: longest line 387 characters, nesting 2, a handful
of brackets per paragraph) and far below where the renderers slow down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_FIELD = 100_000
"""Characters in one text field (the embedded policy's longest body: about 1,600)."""
MAX_LINE = 5_000
"""Characters on one line (a paragraph is one line; the embedded policy's longest: 387)."""
MAX_MARKS_PER_LINE = 1_000
"""Punctuation and symbols on one line: the redline compares them one by one."""
MAX_BRACKETS_PER_BLOCK = 200
"""``[`` in one paragraph or block: Python-Markdown's link search is quadratic in them."""
MAX_NESTING = 8
"""Levels of lists and quotes (the embedded policy: 2)."""
MAX_RUN = 200
"""One punctuation mark repeated in a row (a rule of dashes is fine; 200,000 ``[`` are not)."""

_MARK = re.compile(r"[^\w\s]")
_RUN = re.compile(r"([^\w\s])\1{%d,}" % MAX_RUN)
_LEADING = re.compile(r"[ \t]*(?:(?:[-*+]|\d{1,9}[.)]|>)(?:[ \t]+|$))*")
_MARKER = re.compile(r"[-*+>]|\d{1,9}[.)]")


@dataclass(frozen=True)
class Finding:
    """A problem in one text: its line (0-based, within the text), whether it is an error
    (else a warning), and the message. Every limit exceeded is an error."""

    line: int
    error: bool
    message: str


def _over(line: int, message: str) -> Finding:
    return Finding(line, True, message)


def problems(text: str | None) -> list[Finding]:
    """Every limit ``text`` exceeds, in one linear pass (at most one problem per kind)."""
    if not text:
        return []
    found: dict[str, Finding] = {}
    if len(text) > MAX_FIELD:
        found["size"] = _over(0, f"text is {len(text):,} characters long; the limit is {MAX_FIELD:,} "
                                   "(split it into clauses)")
    brackets = 0
    block_start = 0
    for n, line in enumerate(text.split("\n")):
        if not line.strip():
            brackets, block_start = 0, n + 1
            continue
        if "line" not in found and len(line) > MAX_LINE:
            found["line"] = _over(n, f"line is {len(line):,} characters long; the limit is {MAX_LINE:,} "
                                       "(break the paragraph with a blank line)")
        if "marks" not in found and len(_MARK.findall(line)) > MAX_MARKS_PER_LINE:
            found["marks"] = _over(n, f"line has more than {MAX_MARKS_PER_LINE:,} punctuation marks")
        if "run" not in found and (run := _RUN.search(line)):
            found["run"] = _over(n, f"'{run.group(1)}' is repeated more than {MAX_RUN} times in a row")
        brackets += line.count("[")
        if "brackets" not in found and brackets > MAX_BRACKETS_PER_BLOCK:
            found["brackets"] = _over(block_start, f"more than {MAX_BRACKETS_PER_BLOCK} '[' in one paragraph")
        if "nesting" not in found and (depth := nesting(line)) > MAX_NESTING:
            found["nesting"] = _over(n, f"lists or quotes nested {depth} levels deep; the limit is {MAX_NESTING}")
    return sorted(found.values(), key=lambda p: p.line)


def nesting(line: str) -> int:
    """How deep a line sits in lists and quotes: its indent (4 columns a level) plus its leading markers."""
    lead = _LEADING.match(line).group(0)
    indent = len(line) - len(line.lstrip(" \t"))
    columns = sum(4 if c == "\t" else 1 for c in line[:indent])
    return columns // 4 + len(_MARKER.findall(lead))


def first_problem(text: str | None) -> Finding | None:
    found = problems(text)
    return found[0] if found else None
