"""Read a YAML file safely into plain data, remembering the line of every key and item."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ContentError

try:  # libyaml is several times faster; fall back to the pure-Python parser.
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_BYTES = 1024 * 1024
"""Largest content file accepted (1 MiB); a policy is a few dozen kilobytes."""

MAX_NODES = 100_000
"""Most values a document may expand to once aliases are followed (stops "billion laughs")."""

MAX_DEPTH = 64
"""Deepest nesting accepted."""

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Characters a text field may not hold: controls other than tab and line ends, lone surrogates, non-characters."""

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_scalar_constructor = yaml.SafeLoader("")

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceDoc:
    """Plain data read from one YAML file, with the line of each path in it."""

    path: str
    data: Any
    lines: dict[Path_, int]
    text: str

    def line_of(self, loc: Path_) -> int:
        """Return the line of ``loc``, or of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def source_line(self, line: int) -> str:
        all_lines = self.text.splitlines()
        return all_lines[line - 1] if 0 < line <= len(all_lines) else ""

    def error(self, message: str, loc: Path_ = (), line: int | None = None) -> ContentError:
        line = line if line is not None else self.line_of(loc)
        return ContentError(message, self.path, line, self.source_line(line))


def fail(path: str | Path, message: str, line: int | None = None, text: str = "") -> ContentError:
    """Build the error for ``path:line`` with its source line attached."""
    src = ""
    if line and text:
        lines = text.splitlines()
        src = lines[line - 1] if 0 < line <= len(lines) else ""
    return ContentError(message, str(path), line, src)


def decode(raw: bytes, path: str | Path) -> str:
    """Decode UTF-8 strictly, naming the line of the first bad byte."""
    if len(raw) > MAX_BYTES:
        raise fail(path, f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,} bytes (1 MiB)", 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        offset = e.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        line = raw[:offset].count(b"\n") + 1
        lines = raw.splitlines()
        shown = lines[line - 1].decode("utf-8", "replace") if line <= len(lines) else ""
        raise ContentError(
            f"not valid UTF-8: byte 0x{raw[offset]:02x} cannot start a character; save the file as UTF-8",
            str(path), line, shown) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read(path: str | Path) -> SourceDoc:
    """Read and parse the YAML file at ``path``."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ContentError(f"cannot read file: {e.strerror}", str(path)) from None
    return parse(raw, str(path))


def parse(raw: bytes | str, path: str) -> SourceDoc:
    """Parse YAML ``raw`` (bytes or text) named ``path`` into a :class:`SourceDoc`."""
    text = decode(raw, path) if isinstance(raw, bytes) else raw
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise fail(path, f"file is larger than the limit of {MAX_BYTES:,} bytes (1 MiB)", 1)
    if not text.strip() or all(
            not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise fail(path, "file is empty: expected a mapping of fields", 1, text)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        raise _syntax_error(e, path, text) from None
    except yaml.YAMLError as e:  # pragma: no cover - every parser error is marked
        raise fail(path, f"YAML error: {e}") from None
    if node is None:
        raise fail(path, "file is empty: expected a mapping of fields", 1, text)
    builder = _Builder(path, text)
    data = builder.build(node, ())
    return SourceDoc(path, data, builder.lines, text)


def _syntax_error(e: yaml.MarkedYAMLError, path: str, text: str) -> ContentError:
    mark = e.problem_mark or e.context_mark
    # "end of stream while scanning a quoted scalar" is best shown where the scalar began.
    if e.context_mark is not None and e.problem and "end of stream" in e.problem:
        mark = e.context_mark
    line = mark.line + 1 if mark else None
    problem = e.problem or "invalid YAML"
    src = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
    if "\t" in src[: len(src) - len(src.lstrip())] or "'\\t'" in problem or "tab" in problem:
        message = "tab character used for indentation: YAML indents with spaces only"
    else:
        context = f" {e.context}" if e.context else ""
        message = f"YAML syntax error: {problem}{context}".rstrip()
        if mark is not None:
            message += f" (column {mark.column + 1})"
    return fail(path, message, line, text)


class _Builder:
    """Turn composed nodes into dicts, lists and scalars, recording lines.

    Composing never constructs Python objects, so a ``!!python/...`` tag can
    never execute; here any tag outside YAML's core schema is refused.
    """

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.lines: dict[Path_, int] = {}
        self.count = 0

    def fail(self, message: str, node: yaml.Node) -> ContentError:
        return fail(self.path, message, node.start_mark.line + 1, self.text)

    def build(self, node: yaml.Node, loc: Path_, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(
                f"document expands to more than {MAX_NODES:,} values through aliases "
                "(an alias bomb?); anchors and aliases are not needed in policy content", node)
        if depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep", node)
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != f"{_CORE}seq":
                raise self.fail(f"tag {_short(node.tag)!r} is not allowed: content is plain data only", node)
            return [self.build(item, loc + (i,), depth + 1) for i, item in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            raise self.fail(f"tag {_short(node.tag)!r} is not allowed: content is plain data only", node)
        try:
            value = _scalar_constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as e:
            raise self.fail(f"invalid value: {e}", node) from None
        # YAML's quoted escapes (\v, \x01, …) can produce characters that XML (the
        # feed, the PDF's metadata) cannot carry at all and HTML shows as garbage.
        if isinstance(value, str) and (bad := _CONTROL.search(value)):
            raise self.fail(f"control character U+{ord(bad.group()):04X} is not allowed in text "
                            "(an escape such as \\v or \\x01 in a quoted string?)", node)
        return value

    def _mapping(self, node: yaml.MappingNode, loc: Path_, depth: int) -> dict[str, Any]:
        if node.tag != f"{_CORE}map":
            raise self.fail(f"tag {_short(node.tag)!r} is not allowed: content is plain data only", node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == f"{_CORE}merge":
                raise self.fail("merge keys ('<<') are not supported in content", key_node)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != f"{_CORE}str":
                raise self.fail("keys must be plain words", key_node)
            key = key_node.value
            if key in out:
                first = self.lines.get(loc + (key,))
                raise self.fail(f"duplicate key {key!r} (first given on line {first})", key_node)
            self.lines[loc + (key,)] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, loc + (key,), depth + 1)
            # The key's line is more useful than the value's for messages.
            self.lines[loc + (key,)] = key_node.start_mark.line + 1
        return out


def _short(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag
