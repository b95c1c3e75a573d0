"""The MkDocs adapter: each hook hands its work to the core and translates its errors."""

from __future__ import annotations

import dataclasses
import html
import os
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

from ..build import gather
from ..errors import PolicyError
from ..history.git import set_source_date_epoch
from ..settings import Settings
from ..site import csp
from ..site.complete import BUILD_COMPLETE, BUILD_COMPLETE_DATA
from ..render.i18n import same_language
from ..render.urls import policy_src, versions_src
from ..site.pages import in_order
from ..site.structure import SiteModel
from . import material
from .mkdocs_config import PolicyConfig

log = get_plugin_logger(__name__)


def settings_from(config: MkDocsConfig, plugin_config: PolicyConfig) -> Settings:
    """Read the MkDocs and plugin configuration into the core's :class:`Settings`."""
    root = Path(config.config_file_path).resolve().parent
    checklists = plugin_config.checklists_dir
    if checklists is None and (root / "checklists").is_dir():
        checklists = str(root / "checklists")
    theme_dir = config.theme.custom_dir
    return Settings(
        root=root,
        config_file=Path(config.config_file_path).resolve(),
        content_dir=Path(plugin_config.content_dir),
        checklists_dir=Path(checklists) if checklists else None,
        branch=plugin_config.branch,
        ledger_branch=plugin_config.ledger_branch,
        history_start=plugin_config.history_start,
        policy_order=tuple(plugin_config.order),
        timezone=plugin_config.timezone,
        notice_days=plugin_config.notice_days,
        site_name=config.site_name,
        language=config.theme.get("language") or "en",
        site_url=config.site_url or "",
        markdown_extensions=tuple(config.markdown_extensions),
        mdx_configs=dict(config.mdx_configs),
        pdf=plugin_config.pdf,
        pdf_variant=plugin_config.pdf_variant,
        cache_dir=root / plugin_config.cache_dir,
        theme_dir=Path(theme_dir) if theme_dir else None,
    )


class PolicyPlugin(BasePlugin[PolicyConfig]):
    """Generates the policy pages, versions, training and PDFs from ``content/``."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.is_serve = False
        self.site: SiteModel | None = None
        self.page_meta: dict[str, dict] = {}
        """Each generated page's metadata by ``src_uri``, for the theme."""
        self.nav_renamed: set[str] = set()
        self.page_languages: dict[str, str] = {}
        """Each page in another language than the site's, by URL (search/languages.json)."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.is_serve = command == "serve"

    @event_priority(50)  # before Material's search reads the theme's language
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return None
        settings = settings_from(config, self.config)
        if not material.has_language(config.theme, settings.language):
            # Material has no words in this language (te reo Māori): its own stay English, and say so
            # (in_site_language); the home page and each policy's pages are in their own language.
            config.theme["language"] = "en"
        if self.is_serve and not self.config.pdf_on_serve:
            settings = dataclasses.replace(settings, pdf=False)
        # Two builds of one commit must be byte-identical whatever the day (sitemap dates).
        set_source_date_epoch(settings.root)
        try:
            self.site = gather(settings)
        except PolicyError as e:
            raise PluginError(str(e)) from e
        # Search reads each text with its own language's rules (Material's search reads this next).
        for language in material.search_in_languages(
                config, [settings.language, *(p.language for p in self.site.policies)]):
            log.info("Search has no stop words or stemming for '%s': its words are indexed as written", language)
        config.extra["policy_search_languages"] = material.has_search(config) and any(
            not same_language(p.language, settings.language) for p in self.site.policies)
        self.page_languages = {}
        for warning in self.site.warnings:
            log.warning(warning)
        # Said, but at INFO: a published version cannot be edited, and a trap is not an error.
        for note in self.site.notes:
            log.info(note)
        if settings.pdf:
            stats = self.site.pdf_stats
            log.info("PDFs: %d rendered, %d from the cache", stats.rendered, stats.cached)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        if not self.config.enabled or self.site is None:
            return None
        # The YAML sources live in docs_dir so that `mkdocs serve` watches them,
        # but they are not pages.
        # Nor is the PDF template folder of the theme (theme/pdf/) part of the site.
        pdf_templates = self.site.settings.pdf_template_dir.resolve()
        for f in list(files):
            if f.src_uri.endswith((".yaml", ".yml")) or Path(f.abs_src_path or "").resolve().is_relative_to(
                    pdf_templates):
                files.remove(f)
        self.page_meta = {page.src_uri: page.meta for page in self.site.pages}
        for page in self.site.pages:
            existing = files.get_file_from_path(page.src_uri)
            if existing is not None:
                files.remove(existing)
            file = File.generated(config, page.src_uri, content=page.markdown,
                                  inclusion=InclusionLevel.INCLUDED if page.in_nav
                                  else InclusionLevel.NOT_IN_NAV)
            if page.source is not None:
                file.edit_uri = _edit_uri(config, page.source)
            files.append(file)
        return files

    def on_nav(self, nav, *, config: MkDocsConfig, files: Files):
        """Name each policy's section after the policy and its pages once (see material.py)."""
        if self.site is None:
            return None
        # Navigation titles are HTML, as MkDocs makes them from the rendered headings.
        policies = {policy_src(p.id): (html.escape(p.title, quote=False), versions_src(p.id))
                    for p in self.site.policies}
        self.nav_renamed = set(material.policy_sections_named(nav, policies))
        listed = in_order([{"id": p.id, "title": p.title} for p in self.site.policies],
                          self.site.settings.policy_order)
        material.policies_in_order(nav, {policy_src(e["id"]): i for i, e in enumerate(listed)})
        return nav

    def on_page_markdown(self, markdown: str, *, page, config, files) -> str:
        # Before any plugin's page context: search reads ``search.exclude`` there.
        page.meta.update(self.page_meta.get(page.file.src_uri, {}))
        return markdown

    def on_page_context(self, context, *, page, config, nav):
        if page.file.src_uri in self.nav_renamed and "title" not in page.meta:
            # The navigation says "Version in force"; the page, its <title> and its header keep
            # the title MkDocs made from its heading (HTML, as Material's header prints it).
            page.meta["title"] = page._title_from_render or html.escape(page.file.src_uri)
        return context

    def on_post_page(self, output: str, *, page, config: MkDocsConfig) -> str | None:
        output = material.fix_page(output)
        if page.meta.get("policy_lang"):
            output = material.in_site_language(output, page.meta["policy_lang"],
                                               config.theme.get("language") or "en")
            searched = not (page.meta.get("search") or {}).get("exclude")
            if searched and self.site is not None and not same_language(page.meta["policy_lang"],
                                                                         self.site.settings.language):
                self.page_languages[page.url] = page.meta["policy_lang"]
        # `mkdocs serve` injects its live-reload script inline: a policy would block it.
        return output if self.is_serve else csp.with_policy(output, page.content or "")

    def on_post_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str | None:
        if template_name.endswith(".html") and not self.is_serve and "<head" in output_content:
            return csp.with_policy(output_content)
        return None

    def on_serve(self, server, *, config, builder):
        if self.site is not None:
            for d in (self.site.settings.content_dir, self.site.settings.checklists_dir,
                      self.site.settings.theme_dir):
                if d is not None and Path(d).is_dir():
                    server.watch(str(d))
        return server

    # Last of every plugin's post-build work (the search index is written there too): the
    # build-complete file must come after every other file.
    @event_priority(-100)
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.site is None:
            return
        site_dir = Path(config.site_dir)
        for out in self.site.outputs:
            target = site_dir / out.dest_uri
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(out.data)
        if config.extra.get("policy_search_languages"):
            (site_dir / material.SEARCH_LANGUAGES).write_bytes(
                material.search_languages_json(self.site.settings.language, self.page_languages))
        (site_dir / BUILD_COMPLETE).write_bytes(BUILD_COMPLETE_DATA)


def _edit_uri(config: MkDocsConfig, source: Path) -> str | None:
    """Point the page's edit link at the YAML it was generated from."""
    if not config.repo_url:
        return None
    root = Path(config.config_file_path).resolve().parent
    try:
        rel = Path(source).resolve().relative_to(root)
    except ValueError:
        return None
    docs = Path(config.docs_dir).resolve()
    try:
        return os.path.relpath(root / rel, docs).replace(os.sep, "/")
    except ValueError:
        return None
