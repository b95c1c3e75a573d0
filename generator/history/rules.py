"""The rules a version is dated by: the build day, time zones, and the settings each commit was posted under."""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import yaml

from ..errors import PolicyError
from ..settings import DEFAULT_TIMEZONE, is_time_zone
from . import git as git_history

TODAY_ENV = "POLICY_TODAY"
"""Environment variable that overrides the build day (``YYYY-MM-DD``).

Statuses depend on the day of the build (a scheduled version comes into force without a
new commit), so tests and previews can say which day to build as, e.g.
``POLICY_TODAY=2026-04-01 mkdocs build``. It never changes a posting or effective date."""


def zone(name: str) -> ZoneInfo:
    if not is_time_zone(name):
        raise PolicyError(f"unknown time zone {name!r} (use an IANA name such as 'Pacific/Auckland')")
    return ZoneInfo(name)


def build_day(today: date | None, timezone: str) -> date:
    """The day the build counts as: ``today`` if given, else ``$POLICY_TODAY``, else the real day in ``timezone``."""
    if today is not None:
        return today
    value = os.environ.get(TODAY_ENV, "").strip()
    if value:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise PolicyError(f"{TODAY_ENV}={value!r}: expected a date as YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PolicyError(f"{TODAY_ENV}={value!r} is not a date") from None
    return datetime.now(zone(timezone)).date()


class _TolerantLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """``!ENV`` and ``!!python/name`` tags become plain values; nothing is imported or run."""


def _any_tag(loader: Any, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        seq = loader.construct_sequence(node)
        return seq[-1] if seq else None  # !ENV [NAME, default]: the default
    return loader.construct_mapping(node)


_TolerantLoader.add_multi_constructor("", _any_tag)


def read_config(text: str | bytes) -> dict[str, Any]:
    """Parse the text of a ``mkdocs.yml``. Raises ``yaml.YAMLError``."""
    raw = yaml.load(text, Loader=_TolerantLoader) or {}
    return raw if isinstance(raw, dict) else {}


def plugin_options(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``policy`` plugin's options in a parsed ``mkdocs.yml`` (empty when it has none).

    MkDocs takes ``plugins`` as a list or as a mapping of plugin names to options.
    """
    plugins = raw.get("plugins") or []
    if isinstance(plugins, dict):
        plugins = [plugins]
    for item in plugins:
        if isinstance(item, dict) and "policy" in item:
            return item["policy"] or {}
    return {}


def rules_from_options(options: dict[str, Any]) -> tuple[str, int]:
    """``(timezone, notice_days)`` from the plugin's options. Raises ``ValueError``."""
    timezone = options.get("timezone", DEFAULT_TIMEZONE)
    days = options.get("notice_days", 0)
    if not isinstance(timezone, str) or not isinstance(days, int) or isinstance(days, bool):
        raise ValueError("timezone must be text and notice_days a whole number")
    if days < 0:
        raise ValueError("notice_days must be 0 or more: a version cannot take effect before it is posted")
    return timezone, days


def publication_rules(text: str | bytes) -> tuple[str, int]:
    """``(timezone, notice_days)`` as a ``mkdocs.yml`` text sets them, with the plugin's defaults.

    Raises:
        ValueError: the text cannot be read or the values are not of their types.
    """
    try:
        options = plugin_options(read_config(text))
    except yaml.YAMLError as e:
        raise ValueError(str(e)) from None
    return rules_from_options(options)


class PublicationRules:
    """The time zone and notice period each version was posted under, read from ``mkdocs.yml`` at its commit.

    A version's effective date is fixed when it is posted: changing ``notice_days`` or
    ``timezone`` later applies to later versions only, and never moves a date already
    published. A commit without a readable ``mkdocs.yml`` uses the current settings.
    """

    def __init__(self, root: Path, config_rel: str, timezone: str, notice_days: int) -> None:
        self.root = root
        self.config_rel = config_rel
        self.current = (timezone, notice_days)
        self._at: dict[str, tuple[str, int]] = {}

    @classmethod
    def for_config(cls, root: Path, config_file: Path | None, timezone: str,
                   notice_days: int) -> "PublicationRules | None":
        """The rules of ``config_file``'s history in the repository at ``root``.

        ``None`` (today's settings for every version) without a config file, or when it
        lies outside the repository.
        """
        if config_file is None:
            return None
        try:
            rel = Path(config_file).resolve().relative_to(root).as_posix()
        except ValueError:
            return None
        return cls(root, rel, timezone, notice_days)

    def prefetch(self, commits: Iterable[str]) -> None:
        todo = [c for c in dict.fromkeys(commits) if c not in self._at]
        texts = git_history.read_files_at(self.root, [(c, self.config_rel) for c in todo])
        parsed: dict[bytes, tuple[str, int]] = {}  # most commits share one mkdocs.yml
        for c in todo:
            text = texts.get((c, self.config_rel))
            if text is None:
                self._at[c] = self.current
                continue
            if text not in parsed:
                try:
                    parsed[text] = publication_rules(text)
                except ValueError:
                    parsed[text] = self.current
                zone(parsed[text][0])  # an unknown zone fails the build with its name
            self._at[c] = parsed[text]

    def __call__(self, commit: str) -> tuple[str, int]:
        if commit not in self._at:
            self.prefetch([commit])
        return self._at[commit]
