"""The export's ``overrides`` folder: the site's own ``custom_dir`` (it wins, as with the
plugin; no symbolic link in it that leads out of it is followed), the packaged deck theme
(templates, presentation script, styles), and, for a site in several languages, the partial
that gives each page its own language (``<html lang>``, Material's words).
"""

from __future__ import annotations

import json
import os
import shutil
from importlib.resources import files
from pathlib import Path

from ..errors import Errors
from ..site import THEME_DIR
from .config import Language, plain


def write_overrides(out: Path, base: Path, theme: dict) -> list[str]:
    """The site's own overrides first (they win, as with the plugin), then the deck theme.
    A symbolic link in them that leads out of them is not followed (SP509)."""
    target = out / "overrides"
    custom = plain(theme.get("custom_dir"))
    warnings: list[str] = []
    if custom and (base / str(custom)).is_dir():
        root = (base / str(custom)).resolve()

        def outside(folder: str, names: list[str]) -> set[str]:
            left = {n for n in names if n.startswith(".")}
            for name in names:
                path = Path(folder) / name
                if path.is_symlink() and root not in path.resolve().parents:
                    warnings.append(Errors.SP509.format(path=path.relative_to(root).as_posix(),
                                          target=os.readlink(path), folder="overrides"))
                    left.add(name)
            return left

        shutil.copytree(root, target, symlinks=False, ignore=outside)
    for path in sorted(THEME_DIR.rglob("*")):
        dest = target / path.relative_to(THEME_DIR)
        if path.is_file() and not dest.exists() and "__pycache__" not in path.parts:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    return warnings


# Each page speaks its own language (its front matter `lang`): <html lang>, the theme's
# words (search, navigation). mkdocs-static-i18n did that by building the site once per
# language; the export builds once. Same shape as the theme's own partial, which it
# replaces; kept to the Jinja that both Jinja2 and MiniJinja (Zensical) accept.
PAGE_LANGUAGE = """\
{#- Written by `slideproof export`: a page in one of the site's languages (front matter
    `lang`) gets the theme's words and <html lang> in that language. -#}
{% set language = page.meta.lang if (page and page.meta and page.meta.lang in KNOWN)
   else (config.theme.language | d("en", true)) %}
{% import "partials/languages/" ~ language ~ ".html" as lang %}
{% import "partials/languages/en.html" as fallback %}
{% macro t(key) %}{{ lang.t(key) or fallback.t(key) or key }}{% endmacro %}
"""


def write_page_language(out: Path, langs: list[Language]) -> None:
    """The partial that gives each page its language, for the languages the theme knows;
    not over a partial of the site's own."""
    target = out / "overrides" / "partials" / "language.html"
    if len(langs) < 2 or target.exists():
        return
    known = [lang.locale for lang in langs if _theme_speaks(lang.locale)]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(PAGE_LANGUAGE.replace("KNOWN", json.dumps(known)), "utf-8")


def _theme_speaks(locale: str) -> bool:
    """Whether Material has its words in ``locale`` (a partial per language)."""
    try:
        words = files("material") / "templates" / "partials" / "languages" / f"{locale}.html"
        return words.is_file()
    except (ImportError, OSError):
        return False
