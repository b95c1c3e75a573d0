"""What each blob of the history holds, kept between builds in ``.cache/policy/history.json``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..content.schema import SCHEMA_VERSION

CACHE_FORMAT = 4
"""Bump when what the history cache stores changes (or the historic reader reads differently)."""


class BlobCache:
    """What each blob of the history holds, kept between builds (a blob id never changes content).

    ``blobs`` maps a blob id to its public text's SHA-256 (or ``["error", message]`` for a
    blob that cannot be read); ``texts`` maps a text's SHA-256 to its public fields
    (:func:`migrate.policy_data`). A warm build then parses no YAML at all: it reads only
    the blobs that start a version, for their source text.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.blobs: dict[str, Any] = {}
        self.texts: dict[str, dict] = {}
        self.dirty = False
        if path is not None and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("format") == CACHE_FORMAT and data.get("schema") == SCHEMA_VERSION:
                    self.blobs, self.texts = dict(data["blobs"]), dict(data["texts"])
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                pass  # a damaged cache is only slower

    @staticmethod
    def in_dir(cache_dir: Path | None) -> "BlobCache":
        return BlobCache(Path(cache_dir) / "history.json" if cache_dir else None)

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"format": CACHE_FORMAT, "schema": SCHEMA_VERSION,
                                       "blobs": self.blobs, "texts": self.texts}), encoding="utf-8")
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            pass  # read-only checkout: build without the cache
