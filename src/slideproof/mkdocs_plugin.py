"""The MkDocs adapter: ``plugins: [slideproof]`` turns every ``type: slides`` page into a deck.

Thin by design (the core never imports MkDocs): in ``on_files`` every deck is parsed and all
of them are verified up front, in parallel, by the warm pool (cache first); pages are then
rendered from the results. The pool lives on this instance, which MkDocs keeps across
``mkdocs serve`` rebuilds because the plugin defines ``on_startup``.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from .cache import Cache
from .deck import decode, looks_like_deck, parse_deck
from .errors import DeckError
from .judge import DeckResult, Policy
from .render import Renderer, strings
from .run import Options
from .verify import Verifier

log = logging.getLogger("mkdocs.plugins.slideproof")

# What the rendered Markdown relies on; added when a site does not configure them.
NEEDED_EXTENSIONS = ["md_in_html", "attr_list", "admonition", "pymdownx.details",
                     "pymdownx.superfences", "pymdownx.highlight"]
LANG_CODES = {"en", "pt", "es", "de", "fr", "it", "nl", "ja", "zh", "ru", "ko", "pl", "ca",
              "da", "el", "fi", "sv", "tr", "uk", "xx"}


class SlideproofConfig(Config):
    execute = c.Type(bool, default=True)
    jobs = c.Optional(c.Type(int))
    timeout = c.Type((int, float), default=60)
    models = c.Type(dict, default={})
    prelude = c.Optional(c.Type(str))
    cache = c.Type(bool, default=True)
    cache_dir = c.Type(str, default=".slideproof-cache")
    sandbox = c.Choice(("auto", "bwrap", "unshare", "none"), default="auto")
    output_limit = c.Type(int, default=1_000_000)
    memory_limit = c.Type(int, default=4096)  # MiB
    fail_on_output_differs = c.Type(bool, default=True)
    fail_on_deprecated = c.Type(bool, default=False)
    fail_on_unverified = c.Type(bool, default=False)
    static_dir = c.Type(str, default="static")
    show_all = c.Optional(c.Type(bool))  # default: True under `mkdocs serve`


class SlideproofPlugin(BasePlugin[SlideproofConfig]):
    def __init__(self):
        self.command = "build"
        self.verifier: Verifier | None = None
        self.results: dict[str, DeckResult] = {}
        self.errors: dict[str, DeckError] = {}
        self.decks: dict = {}
        self.environment: dict = {}

    # -- lifetime -------------------------------------------------------------------------
    def on_startup(self, *, command, dirty):
        self.command = command

    def on_shutdown(self):
        if self.verifier:
            self.verifier.close()
            self.verifier = None

    # -- configuration --------------------------------------------------------------------
    def on_config(self, config):
        for name in NEEDED_EXTENSIONS:
            if name not in config.markdown_extensions:
                config.markdown_extensions.append(name)
        self.policy = Policy(self.config.fail_on_output_differs, self.config.fail_on_deprecated,
                             self.config.fail_on_unverified)
        base = Path(config.config_file_path or ".").resolve().parent
        prelude = self.config.prelude or ""
        prelude_path = "mkdocs.yml (prelude)"
        if prelude and "\n" not in prelude and prelude.endswith(".py"):
            path = (base / prelude)
            try:
                prelude, prelude_path = path.read_text("utf-8"), str(path)
            except OSError as err:
                raise PluginError(f"slideproof: cannot read the prelude {path}: {err.strerror}")
        options = Options(jobs=self.config.jobs or os.cpu_count() or 1,
                          timeout=float(self.config.timeout),
                          models={str(k): str(v) for k, v in self.config.models.items()},
                          prelude=prelude, prelude_path=prelude_path,
                          sandbox=self.config.sandbox, output_limit=self.config.output_limit,
                          memory_limit=self.config.memory_limit << 20)
        cache_dir = Path(self.config.cache_dir)
        self.cache = Cache(cache_dir if cache_dir.is_absolute() else base / cache_dir,
                           enabled=self.config.cache)
        if self.verifier is None or self.verifier.options != options:
            if self.verifier:
                self.verifier.close()
            self.verifier = Verifier(options, self.cache)
        else:
            self.verifier.cache = self.cache
        self.show_all = (self.config.show_all if self.config.show_all is not None
                         else self.command == "serve")
        return config

    # -- verify every deck up front -------------------------------------------------------
    @event_priority(50)  # before other plugins' on_files (e.g. notebooks built from results)
    def on_files(self, files: Files, *, config):
        self.results, self.errors, self.decks = {}, {}, {}
        for file in files.documentation_pages():
            path = Path(file.abs_src_path) if file.abs_src_path else None
            if path is None or not looks_like_deck(path):
                continue
            try:
                deck = parse_deck(decode(path.read_bytes(), file.src_uri), file.src_uri)
            except DeckError as err:
                self.errors[file.src_uri] = err
                log.error(str(err))
                continue
            self.decks[file.src_uri] = deck
        if self.config.execute and self.decks:
            self.verify(config)
        return files

    def verify(self, config) -> None:
        decks = list(self.decks.values())
        # Decks run with their real file path so tracebacks point at the file…
        docs = Path(config.docs_dir)
        for deck in decks:
            deck.path = str(docs / deck.path)
        try:
            results = self.verifier.verify(decks)
        finally:
            for uri, deck in self.decks.items():  # …and are reported as docs-relative paths
                deck.path = uri
        self.environment = self.verifier.environment()
        ran = len(self.verifier.ran)
        for uri, result in zip(self.decks, results):
            self.results[uri] = result
            for r in result.blocks:
                line = (r.error or {}).get("line") or r.block.line
                if self.policy.fails(r.status):
                    log.warning(f"{uri}:{line}: {r.status}: {r.message}")
                elif r.status in ("deprecated", "unverified", "output-differs"):
                    log.info(f"{uri}:{line}: {r.status}: {r.message}")
            if result.error:
                log.warning(f"{uri}: {result.error}")
        log.info(f"slideproof: {len(decks)} decks verified ({ran} run, {len(decks) - ran} "
                 f"from cache) with spaCy {self.environment.get('spacy')}")

    # -- pages ----------------------------------------------------------------------------
    def on_page_markdown(self, markdown, *, page, config, files):
        uri = page.file.src_uri
        if uri in self.errors:
            err = self.errors[uri]
            return (f'!!! failure "This deck could not be read"\n    `{err.path}:{err.line}`: '
                    f"{err.message}\n")
        deck = self.decks.get(uri)
        if deck is None:
            return markdown
        if "template" not in page.meta and self._has_template(config, "slides.html"):
            page.meta["template"] = "slides.html"  # the deck page layout in overrides/
        lang = self.deck_lang(deck, uri, config)
        result = self.results.get(uri)
        static = self.config.static_dir.strip("/")

        def static_url(path: str) -> str:
            return get_relative_url(f"{static}/{path}", page.url)

        renderer = Renderer(deck, result.blocks if result else None,
                            mode="serve" if self.show_all else "build", policy=self.policy,
                            lang=lang, spacy_version=self.environment.get("spacy", ""),
                            static_url=static_url)
        page.meta["slideproof"] = {"lang": lang, "strings": strings(lang),
                                   "slides": len(deck.slides)}
        return renderer.markdown()

    @staticmethod
    def _has_template(config, name: str) -> bool:
        return any((Path(d) / name).is_file() for d in config.theme.dirs)

    @staticmethod
    def deck_lang(deck, uri: str, config) -> str:
        if isinstance(deck.meta.get("lang"), str):
            return deck.meta["lang"]
        for part in re.split(r"[/.]", uri)[:-1]:
            if part.lower() in LANG_CODES:
                return part.lower()
        return config.theme.get("language") or "en"
