"""What the MkDocs plugin and ``slideproof export`` both need to know about a course site.

No MkDocs import: ``export`` must work where the plugin cannot be loaded. The plugin's
options are read here from their plain mapping (as in ``mkdocs.yml``), so both adapters
run the same decks with the same options, cache and policy.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

from .cache import Cache
from .errors import ConfigError, DeckError
from .judge import Policy
from .render import strings
from .run import Options

# The deck page template, the report page template and their assets ship inside the package.
THEME_DIR = Path(__file__).parent / "theme"
REPORT_PAGE = "slideproof-report.md"
REPORT_JSON = "slideproof-report.json"
# What the rendered Markdown relies on; added when a site does not configure them.
NEEDED_EXTENSIONS = ["md_in_html", "attr_list", "admonition", "pymdownx.details",
                     "pymdownx.superfences", "pymdownx.highlight"]
LANG_CODES = {"en", "pt", "es", "de", "fr", "it", "nl", "ja", "zh", "ru", "ko", "pl", "ca",
              "da", "el", "fi", "sv", "tr", "uk", "xx"}

# The plugin's options and their defaults (mkdocs_plugin.SlideproofConfig declares the same
# for MkDocs; a test keeps the two equal).
PLUGIN_DEFAULTS: dict = {
    "execute": True, "jobs": None, "timeout": 60, "models": {}, "prelude": None,
    "cache": True, "cache_dir": ".slideproof-cache", "sandbox": "auto",
    "output_limit": 1_000_000, "memory_limit": 4096, "cpu_limit": 600,
    "fail_on_output_differs": True, "fail_on_deprecated": False, "fail_on_unverified": False,
    "static_dir": "static", "show_all": None,
}


def deck_lang(meta: dict, uri: str, default: str | None) -> str:
    """The deck's language: its front matter, else a language folder in its path, else
    the site's."""
    if isinstance(meta.get("lang"), str):
        return meta["lang"]
    for part in re.split(r"[/.]", uri)[:-1]:
        if part.lower() in LANG_CODES:
            return part.lower()
    return default or "en"


def deck_page_meta(deck, lang: str) -> dict:
    """What the deck page template reads from ``page.meta.slideproof``."""
    return {"lang": lang, "strings": strings(lang), "slides": len(deck.slides)}


def run_settings(options: dict, base: Path) -> tuple[Options, Policy, Cache]:
    """The plugin's options (defaults filled in) → what verification needs. Relative paths
    (prelude file, cache folder) are relative to ``base``, the folder of mkdocs.yml."""
    timeout = options["timeout"]
    if not (isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
            and 0 < timeout <= 1_000_000):  # nan fails the comparison too
        raise ConfigError(f"slideproof: 'timeout: {timeout}' must be a number of seconds "
                          "greater than 0 and at most 1000000")
    prelude = options["prelude"] or ""
    prelude_path = "mkdocs.yml (prelude)"
    if prelude and "\n" not in prelude and prelude.endswith(".py"):
        path = base / prelude
        try:
            prelude, prelude_path = path.read_text("utf-8"), str(path)
        except OSError as err:
            raise ConfigError(f"slideproof: cannot read the prelude {path}: {err.strerror}")
    run = Options(jobs=options["jobs"] or os.cpu_count() or 1, timeout=float(timeout),
                  models={str(k): str(v) for k, v in options["models"].items()},
                  prelude=prelude, prelude_path=prelude_path,
                  sandbox=options["sandbox"], output_limit=options["output_limit"],
                  memory_limit=options["memory_limit"] << 20,
                  cpu_limit=options["cpu_limit"])
    policy = Policy(options["fail_on_output_differs"], options["fail_on_deprecated"],
                    options["fail_on_unverified"])
    cache_dir = Path(options["cache_dir"])
    cache = Cache(cache_dir if cache_dir.is_absolute() else base / cache_dir,
                  enabled=options["cache"])
    return run, policy, cache


def relative_url(url: str, other: str) -> str:
    """``url`` (relative to the site root) as seen from the page at ``other`` (also
    site-root relative), the way MkDocs' ``url`` filter resolves it."""
    dirname, _, basename = other.rpartition("/")
    if "." in basename:
        other = dirname
    other_parts = [p for p in posixpath.normpath("/" + other).split("/") if p]
    dest_parts = [p for p in posixpath.normpath("/" + url).split("/") if p]
    common = 0
    for a, b in zip(other_parts, dest_parts):
        if a != b:
            break
        common += 1
    rel = "/".join([".."] * (len(other_parts) - common) + dest_parts[common:]) or "."
    return rel + "/" if url.endswith("/") else rel


def page_url(uri: str, use_directory_urls: bool = True) -> str:
    """The site-root relative URL MkDocs gives the page built from ``uri`` (a .md path)."""
    stem, _ = posixpath.splitext(uri)
    folder, _, name = stem.rpartition("/")
    prefix = f"{folder}/" if folder else ""
    if name in ("index", "README"):
        return prefix
    return f"{prefix}{name}/" if use_directory_urls else f"{prefix}{name}.html"


def report_front_matter(markdown: str) -> str:
    """The report page's source: its template (in the packaged theme) and its Markdown."""
    return "---\ntemplate: slideproof-report.html\n---\n\n" + markdown


def unreadable_deck_markdown(err: DeckError) -> str:
    """What a deck page shows instead of slides when the deck cannot be parsed."""
    return (f'!!! failure "This deck could not be read"\n    `{err.path}:{err.line}`: '
            f"{err.message}\n")
