"""``slideproof init [DIR]``: a mkdocs.yml for a course laid out as the spaCy course is.

The layout: ``chapters/LANG/chapterN.md`` (chapter pages, front matter ``type: chapter``,
``id`` and ``title``), their decks in ``chapters/LANG/slides/``, the exercises' files in
``exercises/LANG/``, images in ``static/``. ``init`` moves no file: the docs folder is
``chapters`` (each language a folder of it, for mkdocs-static-i18n), the navigation is the
default language's chapters in the order of their ``id``, the static folder is published
for the decks (plugin option ``static_files``), and mkdocs-jupyter renders the notebooks.
It never overwrites a mkdocs.yml. ``slideproof new`` writes its courses with the same
configuration (``mkdocs_yml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .chapter import parse_chapter
from .deck import decode, page_type, read_source
from .errors import ConfigError, DeckError, Errors
from .i18n import languages, words

DEFAULT_LANG = "en"
CHAPTERS = "chapters"
STATIC = "static"


@dataclass
class ChapterEntry:
    path: str  # relative to its language folder, as the navigation names it
    order: tuple  # its front matter id, then its file name


def language_name(code: str) -> str:
    """How the language menu names a language: the name its slideproof locale gives it,
    else its code."""
    return words(code, "site")["language_name"] if code in languages() else code


def _order(meta: dict, name: str) -> tuple:
    """A chapter page's place: its front matter ``id`` as a number (``2``, ``"02"``, in any
    script's digits); after the numbered pages, those whose id is none, by its text; then
    by file name."""
    ident = meta.get("id")
    text = str(ident)  # isdecimal, not isdigit: int() refuses '²', a digit that is no decimal
    number = ident if isinstance(ident, int) else int(text) if text.isdecimal() else None
    return (number is None, number or 0, str(ident or ""), name)


def find_chapters(folder: Path) -> dict[str, list[ChapterEntry]]:
    """Language → its chapter pages (``chapters/LANG/*.md`` that say ``type: chapter``), in
    order; a course without language folders is one language, ''."""
    found: dict[str, list[ChapterEntry]] = {}
    root = folder / CHAPTERS
    candidates = [(lang.name, page) for lang in sorted(root.iterdir()) if lang.is_dir()
                  for page in sorted(lang.glob("*.md"))] if root.is_dir() else []
    candidates += [("", page) for page in sorted(root.glob("*.md"))] if root.is_dir() else []
    for lang, page in candidates:
        if page_type(page) != "chapter":
            continue
        try:
            meta = parse_chapter(decode(read_source(page), str(page)), str(page)).meta
        except DeckError:
            meta = {}  # the build says what is wrong with it; it still has its place
        found.setdefault(lang, []).append(ChapterEntry(page.name, _order(meta, page.name)))
    for entries in found.values():
        entries.sort(key=lambda e: e.order)
    return found


def mkdocs_yml(name: str, langs: list[str], nav: list[str], static: bool) -> str:
    """The configuration of a course in the layout: ``langs`` (the default first; none: the
    chapters are not in language folders), ``nav`` (chapter pages, relative to a language
    folder), ``static``: it has a static folder beside ``chapters``."""
    plugins: list = ["search"]
    if langs:
        plugins.append({"i18n": {"docs_structure": "folder", "languages": [
            {"locale": lang, "name": language_name(lang), "build": True,
             **({"default": True} if i == 0 else {})} for i, lang in enumerate(langs)]}})
    plugins.append({"slideproof": {"static_files": STATIC}} if static else "slideproof")
    plugins.append({"mkdocs-jupyter": {"include": ["*.ipynb"], "include_source": True,
                                       "execute": False}})
    config = {
        "site_name": name,
        "docs_dir": CHAPTERS,
        "theme": {"name": "material", "language": langs[0] if langs else DEFAULT_LANG,
                  "features": ["navigation.sections", "navigation.top", "navigation.footer",
                               "content.code.copy", "search.highlight"]},
        "nav": nav,
        # The decks are pages of their own, reached from the chapters that embed them.
        "not_in_nav": "slides/\n",
        "markdown_extensions": ["admonition", "attr_list", "md_in_html",
                                {"toc": {"permalink": True}}, "pymdownx.details",
                                "pymdownx.highlight", "pymdownx.superfences"],
        "plugins": plugins,
    }
    head = ("# Written by 'slideproof init' for a course laid out as chapters/LANG/, "
            "exercises/LANG/ and static/.\n# Every example and exercise runs when the site "
            "is built: docs/project/authoring.md of slideproof.\n")
    return head + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100)


def init(folder: Path, name: str | None = None) -> Path:
    """Write ``folder/mkdocs.yml`` for the course in ``folder``; ConfigError if there is one
    already (SP611) or no chapter page (SP612)."""
    target = folder / "mkdocs.yml"
    if target.exists():
        raise ConfigError(Errors.SP611.format(path=target))
    chapters = find_chapters(folder)
    if not chapters:
        raise ConfigError(Errors.SP612.format(folder=folder / CHAPTERS))
    langs = [lang for lang in chapters if lang]
    if DEFAULT_LANG in langs:
        langs.remove(DEFAULT_LANG)
        langs.insert(0, DEFAULT_LANG)
    nav = [entry.path for entry in chapters[langs[0] if langs else ""]]
    text = mkdocs_yml(name or folder.resolve().name, langs, nav,
                      (folder / STATIC).is_dir())
    with target.open("x", encoding="utf-8") as handle:  # 'x': never replace a file
        handle.write(text)
    return target
