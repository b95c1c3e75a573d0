"""Read ``mkdocs.yml`` into the core's :class:`~generator.settings.Settings` without importing MkDocs (for the CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import PolicyError
from ..history.rules import plugin_options, read_config, rules_from_options
from ..settings import DEFAULT_PDF_VARIANT, Settings

MKDOCS_BUILTIN_EXTENSIONS = ("toc", "tables", "fenced_code")
"""MkDocs puts these before the configured ones; the PDF must use the same list."""


def settings_from_config_file(config_file: Path, **overrides: Any) -> Settings:
    """The core :class:`~generator.settings.Settings` from ``mkdocs.yml``, read without MkDocs.

    Used by the CLI to rebuild PDFs exactly as ``mkdocs build`` makes them.
    """
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
        timezone, notice_days = rules_from_options(plugin)
    except ValueError as e:
        raise PolicyError(f"{config_file}: policy plugin: {e}") from None
    theme = raw.get("theme") or {}
    custom_dir = theme.get("custom_dir") if isinstance(theme, dict) else None
    site_url = raw.get("site_url") or ""
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    checklists = plugin.get("checklists_dir")
    if checklists is None and (root / "checklists").is_dir():
        checklists = "checklists"  # as the plugin does
    values = dict(
        root=root,
        checklists_dir=(root / checklists) if checklists else None,
        config_file=config_file,
        content_dir=root / plugin.get("content_dir", "content"),
        branch=plugin.get("branch", "main"),
        ledger_branch=plugin.get("ledger_branch", "policy-ledger"),
        history_start=str(plugin.get("history_start") or ""),
        policy_order=tuple(str(x) for x in plugin.get("order") or ()),
        timezone=timezone,
        notice_days=notice_days,
        site_name=raw.get("site_name", "Policies"),
        language=str(theme.get("language") or "en") if isinstance(theme, dict) else "en",
        site_url=site_url,
        markdown_extensions=tuple(exts),
        mdx_configs=configs,
        pdf=bool(plugin.get("pdf", True)),
        pdf_variant=plugin.get("pdf_variant", DEFAULT_PDF_VARIANT),
        cache_dir=root / plugin.get("cache_dir", ".cache/policy"),
        theme_dir=(root / custom_dir) if custom_dir else None,
    )
    values.update(overrides)
    return Settings(**values)
