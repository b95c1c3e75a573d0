"""`policy export DIR`: the whole generated docs tree, and a config, for an engine other than MkDocs' plugin."""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from ..build import gather
from ..errors import PolicyError
from ..history.rules import read_config
from ..settings import Settings
from ..site.structure import SiteModel

DOCS = "docs"
"""The docs folder inside the export: every page and file of the site."""
OVERRIDES = "overrides"
"""The theme's template overrides (``main.html``: the version banner)."""
CONFIG = "mkdocs.yml"
"""Read by MkDocs without the plugin and by Zensical, which reads ``mkdocs.yml``."""


def page_text(markdown: str, meta: dict[str, Any]) -> str:
    """A page as a file: its metadata as YAML front matter (what the theme reads), then the Markdown."""
    if not meta:
        return markdown
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=True) + "---\n\n" + markdown


_MD_LINK = re.compile(r"\]\(([^)\s#]+\.md)(#[^)\s]*)?\)")


def engine_paths(site: SiteModel) -> dict[str, str]:
    """Where each page is written: ``a/b.md`` becomes ``a/b/index.md``, every other page stays.

    Both are served at ``a/b/``, but engines differ on what a relative URL in raw HTML is
    relative to: MkDocs takes the page's URL, Zensical the source file's folder. A page
    that is its folder's index makes the two the same.
    """
    out = {}
    for page in site.pages:
        name = posixpath.basename(page.src_uri)
        out[page.src_uri] = (page.src_uri if name == "index.md"
                             else posixpath.join(page.src_uri[:-len(".md")], "index.md"))
    return out


def _relink(src: str, markdown: str, paths: dict[str, str]) -> str:
    """Point Markdown links at the pages' written paths (see :func:`engine_paths`)."""
    here = posixpath.dirname(src)
    there = posixpath.dirname(paths[src])

    def fix(m: re.Match) -> str:
        target = posixpath.normpath(posixpath.join(here, m.group(1)))
        if target not in paths:
            return m.group(0)
        return f"]({posixpath.relpath(paths[target], there)}{m.group(2) or ''})"

    return _MD_LINK.sub(fix, markdown)


def engine_config(config_file: Path, site: SiteModel, paths: dict[str, str]) -> dict[str, Any]:
    """The project's ``mkdocs.yml`` for the exported tree: docs and overrides here, no ``policy`` plugin.

    Archived versions, drafts and their redlines stay out of the navigation, as the plugin keeps them.
    """
    try:
        raw = read_config(Path(config_file).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise PolicyError(f"{config_file}: cannot read it: {e}") from e
    raw["docs_dir"] = DOCS
    raw.pop("exclude_docs", None)
    theme = raw.get("theme")
    if isinstance(theme, dict):
        theme["custom_dir"] = OVERRIDES
    plugins = raw.get("plugins") or []
    if isinstance(plugins, dict):
        plugins = [{k: v} for k, v in plugins.items()]
    raw["plugins"] = [p for p in plugins if not (p == "policy" or isinstance(p, dict) and "policy" in p)]
    hidden = sorted(f"/{paths[p.src_uri]}" for p in site.pages if not p.in_nav)
    if hidden:
        raw["not_in_nav"] = "\n".join(hidden) + "\n"
    return raw


def export(settings: Settings, out_dir: Path) -> SiteModel:
    """Gather the site and write it under ``out_dir``: ``docs/``, ``overrides/`` and ``mkdocs.yml``.

    Nothing is written when the gather fails. An existing ``out_dir`` is replaced, so that a
    version page can never linger from an earlier export.

    Raises:
        PolicyError: bad content, missing history, a PDF failure, or an unreadable config.
    """
    site = gather(settings)
    paths = engine_paths(site)
    config = engine_config(settings.config_file, site, paths) if settings.config_file else None
    out_dir = Path(out_dir)
    if out_dir.exists():
        if not (out_dir / CONFIG).is_file() and any(out_dir.iterdir()):
            raise PolicyError(f"{out_dir}: not empty and not an earlier export; choose an empty folder")
        shutil.rmtree(out_dir)
    docs = out_dir / DOCS
    for page in site.pages:
        text = page_text(_relink(page.src_uri, page.markdown, paths), page.meta)
        _write(docs / paths[page.src_uri], text.encode("utf-8"))
    for out in site.outputs:
        _write(docs / out.dest_uri, out.data)
    theme = settings.theme_folder
    if theme.is_dir():
        # Stylesheets and scripts are files of the site; templates are the theme's overrides.
        # The PDF template is the build's own and is not published.
        if (theme / "assets").is_dir():
            shutil.copytree(theme / "assets", docs / "assets")
        overrides = out_dir / OVERRIDES
        overrides.mkdir(parents=True, exist_ok=True)
        for template in sorted(theme.glob("*.html")):
            shutil.copy2(template, overrides / template.name)
    if config is not None:
        _write(out_dir / CONFIG, yaml.safe_dump(config, allow_unicode=True, sort_keys=False).encode("utf-8"))
    return site


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
