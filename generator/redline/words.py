"""Word-level redline of two Markdown texts: lines paired, then words marked with <ins> and <del>."""

from __future__ import annotations

import difflib
import re

from markupsafe import escape

from ..content import limits
from ..render import i18n
from ..render.i18n import Labels
from . import tables

# Links, inline code and autolinks are compared whole: a redline inside a URL
# would break the link it marks up.
_TOKEN = re.compile(
    r"\[[^\]\n]*\]\([^)\s]*\)"          # [text](url)
    r"|`[^`\n]+`"                        # `code`
    r"|<(?:https?://|mailto:)[^>\s]+>"   # <https://…>
    r"|<[^>\s@<]+@[^>\s@<]+>"           # <name@example.org>
    r"|\n"
    r"|[^\S\n]+"
    r"|\w+(?:['’\-]\w+)*"
    r"|[^\w\s]"
)
_BLOCK_MARKER = re.compile(r"^(?:[ \t]*(?:[-*+]|\d+[.)])[ \t]+|[ \t]*>[ \t]?|#{1,6}[ \t]+)")
_RAW = re.compile(r"^(?:\[[^\]\n]*\]\([^)\s]*\)|`[^`\n]+`|<(?:https?://|mailto:)[^>\s]+>|<[^>\s@<]+@[^>\s@<]+>)$")
_LINK = re.compile(r"\[(?P<text>[^\]\n]*)\](?P<target>\([^)\s]*\))\Z")

LABELS = {"ins": i18n.N_("inserted"), "del": i18n.N_("deleted")}
ROW_LABELS = {"ins": i18n.N_("inserted row"), "del": i18n.N_("deleted row")}
"""What a screen reader hears before marked words (in the text's language, from the catalogue)."""


def tokens(text: str) -> list[str]:
    """Split text into words, punctuation, spaces and line ends (Markdown links kept whole)."""
    return _TOKEN.findall(text)


def _esc(token: str) -> str:
    # Links and autolinks stay Markdown so that they still work in the redline; a
    # link's words are escaped like any other words, or "[<img …>](url)" is markup.
    link = _LINK.match(token)
    if link:
        return f"[{escape(link['text'])}]{link['target']}"
    return token if _RAW.match(token) else str(escape(token))


def _wrap(tag: str, text_tokens: list[str], at_line_start: bool, labels: Labels | None,
          what: str | None = None) -> str:
    """Mark ``text_tokens`` as inserted or deleted, one tag per line so Markdown blocks survive."""
    out: list[str] = []
    lines: list[list[str]] = [[]]
    for t in text_tokens:
        if t == "\n":
            lines.append([])
        else:
            lines[-1].append(t)
    for n, line in enumerate(lines):
        if n:
            out.append("\n")
        raw = "".join(line)
        start = at_line_start or n > 0
        prefix = ""
        if start:
            m = _BLOCK_MARKER.match(raw)
            if m:  # keep "- " or "1. " outside the tag, or the list item is lost
                prefix = m.group(0)
                raw = raw[len(prefix):]
        body = raw.strip()
        if not body:
            out.append(prefix + raw)
            continue
        lead = raw[: len(raw) - len(raw.lstrip())]
        trail = raw[len(raw.rstrip()):]
        inner = "".join(_esc(t) for t in tokens(body))
        if labels:
            said = labels(ROW_LABELS[tag] if what == "row" else LABELS[tag])
            inner = (f'<span class="policy-sr">[{said}: </span>{inner}'
                     f'<span class="policy-sr">]</span>')
        out.append(f"{prefix}{lead}<{tag}>{inner}</{tag}>{trail}")
    return "".join(out)


def word_diff_html(old: str | None, new: str | None, *, labels: bool = True, language: str | None = None) -> str:
    """Redline ``old`` → ``new`` word by word as Markdown with ``<ins>``/``<del>`` marks.

    Lines are matched first (a paragraph or a list item is one line of the
    canonical text), then words within each pair of similar lines, so that a
    list item stays a list item and an edit stays inside its own line. Text is
    HTML-escaped.

    Args:
        old: The earlier text (``None`` or ``""`` when there was none).
        new: The later text.
        labels: Add visually hidden ``[inserted: …]``/``[deleted: …]`` words for
            screen readers and copy-paste; turn off where classes are stripped
            (e.g. a GitHub comment), as the words would then show.
        language: the language of the text (BCP 47), for those words.

    Returns:
        Markdown text; equal inputs give the text unchanged (escaped).
    """
    said = i18n.labels(language) if labels else None
    if limits.first_problem(old) or limits.first_problem(new):
        # Over the renderer limits (an archived text only): the whole text out, the whole text in.
        return "\n".join(x for x in (_whole("del", old, said), _whole("ins", new, said)) if x)
    a = old.split("\n") if old else []
    b = new.split("\n") if new else []
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend("".join(_esc(t) for t in tokens(line)) for line in a[i1:i2])
            continue
        for x, y in _pair_lines(a[i1:i2], b[j1:j2]):
            out.append(_pair(x, y, said))
    return "\n".join(out)


def _pair(x: str | None, y: str | None, labels: Labels | None) -> str:
    """The redline of one old line against the new line it became (either may be ``None``)."""
    def wrap(tag: str, text: str, what: str | None) -> str:
        return _wrap(tag, tokens(text), False, labels, what)

    if x is not None and y is not None:
        if tables.is_row(y):
            return tables.changed(x, y, lambda p, q: _line_diff(p, q, labels), wrap)
        return _line_diff(x, y, labels)
    tag, line = ("del", x) if x is not None else ("ins", y)
    if tables.is_row(line):
        return tables.whole(tag, line, wrap)
    return _wrap(tag, tokens(line), True, labels)


def _whole(tag: str, text: str | None, labels: Labels | None) -> str:
    if not text:
        return ""
    inner = str(escape(text)).replace("\n", "<br>")
    if labels:
        inner = f'<span class="policy-sr">[{labels(LABELS[tag])}: </span>{inner}<span class="policy-sr">]</span>'
    return f"<p><{tag}>{inner}</{tag}></p>"


def _similarity(x: str, y: str) -> float:
    if tables.is_row(x) or tables.is_row(y):
        # A row pairs only with a row, by the words in its cells: every row shares its pipes.
        return tables.similarity(x, y, _similarity) if tables.is_row(x) and tables.is_row(y) else 0.0
    if not x.strip() or not y.strip():
        return 1.0 if x.strip() == y.strip() else 0.0
    # List markers say nothing about whether two items are the same item.
    x, y = _BLOCK_MARKER.sub("", x, count=1), _BLOCK_MARKER.sub("", y, count=1)
    sm = difflib.SequenceMatcher(None, tokens(x), tokens(y), autojunk=False)
    return sm.ratio() if sm.quick_ratio() >= 0.5 else 0.0


def _pair_lines(a: list[str], b: list[str]) -> list[tuple[str | None, str | None]]:
    """Pair each old line with the most similar new line still ahead; the rest were deleted or inserted."""
    out: list[tuple[str | None, str | None]] = []
    j = 0
    for x in a:
        best, best_k = 0.0, -1
        for k in range(j, len(b)):
            r = _similarity(x, b[k])
            if r > best:
                best, best_k = r, k
        if best >= 0.5:
            out.extend((None, y) for y in b[j:best_k])
            out.append((x, b[best_k]))
            j = best_k + 1
        else:
            out.append((x, None))
    out.extend((None, y) for y in b[j:])
    return out


def _line_diff(old: str, new: str, labels: Labels | None) -> str:
    """Word-level redline of one line against another."""
    m_old, m_new = _BLOCK_MARKER.match(old), _BLOCK_MARKER.match(new)
    p_old, p_new = (m_old.group(0) if m_old else ""), (m_new.group(0) if m_new else "")
    if p_old.strip() != p_new.strip():
        # A bullet that became a number: the new marker leads, or the list would break.
        return p_new + _line_diff(old[len(p_old):], new[len(p_new):], labels)
    a, b = tokens(old), tokens(new)
    # Spaces may extend a match but never anchor one: "we [-generally-] record {+all+}",
    # not "we [-generally record-] {+record all+}" around a shared space.
    matcher = difflib.SequenceMatcher(_is_space, a, b, autojunk=False)
    ops = _merge_small_gaps(matcher.get_opcodes(), a)
    out: list[str] = []
    for op, i1, i2, j1, j2 in ops:
        if op == "equal":
            out.append("".join(_esc(t) for t in a[i1:i2]))
            continue
        old_part, new_part = a[i1:i2], b[j1:j2]
        if not "".join(old_part).strip() and not "".join(new_part).strip():
            out.append("".join(new_part))  # only spacing differs: Markdown shows no difference
            continue
        start = not out
        if "".join(old_part).strip():
            out.append(_wrap("del", old_part, start, labels))
            start = False
            # "<del>old</del> <ins>new</ins>": without the space the two words run
            # together for anyone reading without the underline and strike-through.
            if "".join(new_part).strip() and _is_word(old_part[-1]) and _is_word(new_part[0]) \
                    and not out[-1].endswith(" "):
                out.append(" ")
        if "".join(new_part).strip():
            out.append(_wrap("ins", new_part, start, labels))
        else:
            out.append("".join(new_part))
    return "".join(out)


def _is_space(token: str) -> bool:
    return token.isspace()


def _is_word(token: str) -> bool:
    return bool(token) and (token[0].isalnum() or token[-1].isalnum() or token[0] in "[`<")


def _merge_small_gaps(ops: list[tuple], a: list[str]) -> list[tuple]:
    """Fold a lone space between two edits into one edit: ``<del>a b</del>`` reads better than two."""
    out: list[list] = []
    for op in ops:
        op = list(op)
        if (len(out) >= 2 and op[0] != "equal" and out[-1][0] == "equal" and out[-2][0] != "equal"
                and all(t.isspace() and t != "\n" for t in a[out[-1][1]:out[-1][2]])):
            gap = out.pop()
            prev = out.pop()
            op = ["replace", prev[1], op[2], prev[3], op[4]]
            del gap
        elif out and op[0] != "equal" and out[-1][0] != "equal":
            prev = out.pop()
            op = ["replace", prev[1], op[2], prev[3], op[4]]
        out.append(op)
    return [tuple(o) for o in out]
