"""One small exception hierarchy; the CLI and the MkDocs plugin translate it at the edge."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO


def display_path(path: str | Path) -> str:
    """Return ``path`` relative to the working directory when it lies below it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


class PolicyError(Exception):
    """Base class of every error this package raises on purpose."""

    def show(self, file: TextIO | None = None) -> None:
        """Print the error for a person, as every command line front end does (on stderr)."""
        print(str(self), file=file or sys.stderr)


@dataclass
class ContentError(PolicyError):
    """A problem in a content file, located by path and line.

    ``str()`` gives ``path:line: message`` followed by the offending source line,
    the format every front end prints.
    """

    message: str
    path: str
    line: int | None = None
    source_line: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def location(self) -> str:
        where = display_path(self.path)
        return f"{where}:{self.line}" if self.line else where

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.source_line is not None and self.source_line.strip():
            text += f"\n    {self.line} | {self.source_line.rstrip()}"
        return text

    def __hash__(self) -> int:  # dataclass(eq=True) would drop hashing
        return hash((self.message, self.path, self.line))


@dataclass
class ContentErrors(PolicyError):
    """Several content problems found in one pass, reported together."""

    errors: list[ContentError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def show(self, file: TextIO | None = None) -> None:
        super().show(file)
        if len(self.errors) > 1:
            print(f"{len(self.errors)} problems found.", file=file or sys.stderr)

    def __hash__(self) -> int:
        return id(self)


class HistoryError(PolicyError):
    """git could not give the history a build needs; ``stderr`` is git's own word."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.stderr = stderr

    def __str__(self) -> str:
        if self.stderr.strip():
            return f"{self.message}\ngit said: {self.stderr.strip()}"
        return self.message
