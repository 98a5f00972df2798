"""What the MkDocs plugin and ``slideproof export`` both need to know about a course site:
the packaged theme, the report page's names, the Markdown extensions the deck pages need,
what a deck page's template reads, and the plugin's options, resolved by the core's option
table (over ``[tool.slideproof]``) so that both adapters run the same decks with the same
options, cache and policy. URLs are MkDocs' own: both adapters call
``mkdocs.utils.get_relative_url`` and MkDocs' ``File.url``.
"""

from __future__ import annotations

from pathlib import Path

from .deck import duration_minutes, navigation_modes
from .errors import DeckError
from .i18n import language, words
from .options import Layer, Options, Settings, load
from .render import literal, strings

# The deck page template, the report page template and their assets ship inside the package.
THEME_DIR = Path(__file__).parent / "theme"
REPORT_PAGE = "slideproof-report.md"
REPORT_JSON = "slideproof-report.json"
# What the rendered Markdown relies on; added when a site does not configure them.
NEEDED_EXTENSIONS = ["md_in_html", "attr_list", "admonition", "pymdownx.details",
                     "pymdownx.superfences", "pymdownx.highlight"]


def deck_page_meta(deck, lang: str) -> dict:
    """What the deck page template reads from ``page.meta.slideproof``: its normalised
    language, its words and what the presentation needs."""
    meta = {"lang": language(lang), "strings": strings(lang), "ui": words(lang, "ui"),
            "slides": len(deck.slides), "duration": duration_minutes(deck.meta.get("duration"))}
    if "navigation" in deck.meta:  # else the presentation's default (click)
        meta["navigation"] = navigation_modes(deck.meta["navigation"])
    return meta


def plugin_settings(given: dict, config_file: Path | None) -> Settings:
    """The plugin's options as mkdocs.yml gives them (None: not given), over
    ``[tool.slideproof]`` (found from mkdocs.yml's folder) and the defaults. A bad value is
    a ConfigError that names mkdocs.yml and the line of the key."""
    base = (config_file.parent if config_file else Path(".")).resolve()
    try:
        text = config_file.read_text("utf-8") if config_file and config_file.is_file() else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    layer = Layer({k: v for k, v in given.items() if v is not None},
                  config_file.name if config_file else "mkdocs.yml", base, text)
    return load(layer, start=base, base=base)


def run_options(settings: Settings, docs_dir: str | Path) -> Options:
    """What verification needs; examples may read the course's own files (shown read-only,
    without any .git)."""
    return settings.options(data=(str(Path(docs_dir).resolve()), *settings["data_paths"]))


def prelude_code(options: Options, deck) -> str:
    """The prelude the deck ran with (its language's, else every language's), for its
    notebook."""
    prelude = options.prelude_for(deck.language)
    return prelude[1] if prelude else ""


def report_front_matter(markdown: str) -> str:
    """The report page's source: its template (in the packaged theme) and its Markdown."""
    return "---\ntemplate: slideproof-report.html\n---\n\n" + markdown


def unreadable_deck_markdown(err: DeckError) -> str:
    """What a deck page shows instead of slides when the deck cannot be parsed."""
    return (f'!!! failure "This deck could not be read"\n    `{err.path}:{err.line}`: '
            f"{literal(err.message)}\n")
