"""Read ``mkdocs.yml`` without MkDocs: for the CLI, and for the settings a past commit published under."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import PolicyError

DEFAULT_TIMEZONE = "Pacific/Auckland"
"""The plugin's default ``timezone`` (see :class:`generator.config.PolicyConfig`)."""

MKDOCS_BUILTIN_EXTENSIONS = ("toc", "tables", "fenced_code")
"""MkDocs puts these before the configured ones; the PDF must use the same list."""


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


def _rules(options: dict[str, Any]) -> tuple[str, int]:
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
    return _rules(options)


def settings_from_config_file(config_file: Path, **overrides: Any):
    """The core :class:`~generator.site.Settings` from ``mkdocs.yml``, read without MkDocs.

    Used by the CLI to rebuild PDFs exactly as ``mkdocs build`` makes them.
    """
    from .site import Settings

    config_file = Path(config_file).resolve()
    try:
        raw = read_config(config_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise PolicyError(f"{config_file}: cannot read it: {e}") from e
    root = config_file.parent
    exts: list[str] = list(MKDOCS_BUILTIN_EXTENSIONS)
    configs: dict[str, Any] = {}
    for item in raw.get("markdown_extensions") or []:
        if isinstance(item, dict):
            for name, conf in item.items():
                if name not in exts:
                    exts.append(name)
                if conf:
                    configs[name] = conf
        elif isinstance(item, str) and item not in exts:
            exts.append(item)
    plugin = plugin_options(raw)
    try:
        timezone, notice_days = _rules(plugin)
    except ValueError as e:
        raise PolicyError(f"{config_file}: policy plugin: {e}") from None
    theme = raw.get("theme") or {}
    custom_dir = theme.get("custom_dir") if isinstance(theme, dict) else None
    site_url = raw.get("site_url") or ""
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    values = dict(
        root=root,
        config_file=config_file,
        content_dir=root / plugin.get("content_dir", "content"),
        branch=plugin.get("branch", "main"),
        timezone=timezone,
        notice_days=notice_days,
        site_name=raw.get("site_name", "Policies"),
        site_url=site_url,
        markdown_extensions=tuple(exts),
        mdx_configs=configs,
        pdf=bool(plugin.get("pdf", True)),
        pdf_variant=plugin.get("pdf_variant", "pdf/a-3a"),
        cache_dir=root / plugin.get("cache_dir", ".cache/policy"),
        theme_dir=(root / custom_dir) if custom_dir else None,
    )
    values.update(overrides)
    return Settings(**values)
