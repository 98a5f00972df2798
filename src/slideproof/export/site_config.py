"""The exported mkdocs.yml: the site's own configuration, tags kept as written, made to build
from OUT without slideproof: the plugins that must not run there left out, paths that were
relative to the original mkdocs.yml made relative to OUT, the deck theme as ``custom_dir``,
the Markdown extensions the deck pages need, and for a site in several languages one nav
with each language's pages and titles and a language selector.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..site import NEEDED_EXTENSIONS
from .config import Course, Language, dump_yaml, plain

# Plugins that run the examples or need the layout the export replaced.
DROPPED_PLUGINS = {"slideproof", "mkdocs-jupyter", "i18n"}


def site_config(course: Course, out: Path) -> str:
    """The text of OUT/mkdocs.yml."""
    config = dict(course.config)
    for key in ("hooks", "watch"):
        paths = plain(config.get(key))
        if isinstance(paths, list):
            config[key] = _from(out, course.base, paths)
    if "plugins" in config:
        config["plugins"] = _kept_plugins(config["plugins"])
    config["docs_dir"] = "docs"
    config["theme"] = {**course.theme, "custom_dir": "overrides"}
    config["markdown_extensions"] = _with_needed_extensions(config.get("markdown_extensions"))
    # applied already (and drafts are not exported); the layout changed under them
    config.pop("exclude_docs", None)
    config.pop("draft_docs", None)
    if len(course.built) > 1:
        _in_every_language(config, course.built)
    return ("# Written by `slideproof export`: builds without slideproof (MkDocs, Zensical).\n"
            + dump_yaml(config))


def _from(out: Path, base: Path, paths: list) -> list:
    """Paths relative to mkdocs.yml's folder (``base``) made relative to OUT, where the
    exported mkdocs.yml is."""
    return [os.path.relpath(base / path, out) if isinstance(path, str)
            and not os.path.isabs(path) else path for path in paths]


def _kept_plugins(plugins: Any) -> Any:
    """The plugin list or mapping without the dropped plugins."""
    if isinstance(plugins, dict):
        return {k: v for k, v in plugins.items() if k not in DROPPED_PLUGINS}
    if isinstance(plugins, list):
        return [p for p in plugins
                if not (isinstance(p, dict) and set(p) & DROPPED_PLUGINS)
                and not (isinstance(p, str) and p in DROPPED_PLUGINS)]
    return plugins


def _with_needed_extensions(extensions: Any) -> list:
    listed = list(extensions or [])
    names = {next(iter(x)) if isinstance(x, dict) else x for x in listed}
    return listed + [name for name in NEEDED_EXTENSIONS if name not in names]


def _in_every_language(config: dict, langs: list[Language]) -> None:
    """One nav for every language (the default's pages, then a section per other language
    with its translated titles) and a selector of the languages, unless the site has one."""
    nav = config.get("nav")
    if isinstance(nav, list):
        merged = list(_nav_for(nav, "", {}))
        for lang in langs:
            if not lang.default:
                merged.append({lang.name: _nav_for(nav, f"{lang.locale}/",
                                                   lang.nav_translations)})
        config["nav"] = merged
    extra = dict(config.get("extra") or {})
    extra.setdefault("alternate", [
        {"name": lang.name, "link": "./" if lang.default else f"{lang.locale}/",
         "lang": lang.locale} for lang in langs])
    config["extra"] = extra


def _nav_for(nav: Any, prefix: str, translations: dict) -> Any:
    """The site's nav for one language: its pages under ``prefix``, titles translated."""
    if isinstance(nav, str):
        return nav if "://" in nav else prefix + nav
    if isinstance(nav, list):
        return [_nav_for(item, prefix, translations) for item in nav]
    if isinstance(nav, dict):
        return {translations.get(k, k): _nav_for(v, prefix, translations)
                for k, v in nav.items()}
    return nav
