"""The MkDocs adapter: ``plugins: [slideproof]`` turns every ``type: slides`` page into a deck.

Thin by design (the core never imports MkDocs): in ``on_files`` every deck is parsed and all
of them are verified up front, in parallel, by the warm pool (cache first); pages are then
rendered from the results. The pool lives on this instance, which MkDocs keeps across
``mkdocs serve`` rebuilds because the plugin defines ``on_startup``. Under ``mkdocs serve``
an edit rebuilds only the pages it touches (``rebuild``, with serve.py), and the first
build does not wait for decks the cache cannot answer for: they run in the background.
"""

from __future__ import annotations

import copy
import html
import json
import logging
import os
import re
import shutil
import sys
import time
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.utils import get_build_date, get_relative_url, write_file

from . import assets
from . import fix as fix_mod
from .deck import load_deck, looks_like_deck, read_source
from .errors import ConfigError, DeckError, Errors, SandboxError
from .exercise import fixable_results
from .i18n import words
from .judge import DeckResult, Status
from .mkdocs_chapters import ChapterSite
from .notebook import HIDDEN_TAG, deck_notebook, notebook_json
from .options import OPTION_TABLE
from .render import Renderer, literal
from .report import not_run_here, outcome, shown_json, to_json, write_json
from .report_page import report_markdown
from .serve import LanguageBuild, Rebuilds
from .site import (
    NEEDED_EXTENSIONS,
    REPORT_JSON,
    REPORT_PAGE,
    THEME_DIR,
    deck_page_meta,
    plugin_settings,
    prelude_code,
    report_front_matter,
    run_options,
    unreadable_deck_markdown,
)
from .verify import Background, Verification, Verifier, runs_of

log = logging.getLogger("mkdocs.plugins.slideproof")


# The options are the core's (options.OPTION_TABLE): MkDocs only hands them over as written (None:
# not given), and options.resolve checks them, over [tool.slideproof] and the defaults.
if TYPE_CHECKING:
    SlideproofConfig = Config  # (its options are made from the table, as the plugin runs)
else:
    SlideproofConfig = type("SlideproofConfig", (Config,),
                            {name: c.Optional(c.Type(object)) for name in OPTION_TABLE})


class SlideproofPlugin(ChapterSite, BasePlugin[SlideproofConfig]):
    def __init__(self):
        self.command = "build"
        self.sandbox_warning = ""
        self.verifier: Verifier | None = None
        self.results: dict[str, DeckResult] = {}
        self.errors: dict[str, DeckError] = {}
        self.decks: dict = {}
        self.environment: dict = {}
        self.seconds = 0.0  # how long verifying the decks took in this build
        self._sources: dict[str, bytes] = {}  # the deck files the results were made from
        self._search_indexes: dict[str, tuple[type, dict, list]] = {}
        self.rebuilds: Rebuilds | None = None  # mkdocs serve: what an edit rebuilds
        self.background: Background | None = None  # mkdocs serve: decks run meanwhile
        self.running: set[str] = set()  # decks (src_uri) running in the background
        self.pending = 0  # decks and exercises running in the background
        self._nav = None  # this language's, for the rebuilds
        self._reset_chapters()

    # -- lifetime -------------------------------------------------------------------------
    def on_startup(self, *, command, dirty):
        self.command = command
        if command == "serve":
            self.rebuilds = Rebuilds(self)

    def on_serve(self, server, *, config, builder):
        if self.rebuilds is not None:
            self.rebuilds.install(server, builder)
        return server

    def on_shutdown(self):
        self._stop_background()
        if self.verifier:
            self.verifier.close()
            self.verifier = None

    def _stop_background(self) -> None:
        """End the decks running in the background (their verifier is about to go)."""
        if self.background is not None:
            self.background.verifier.close()  # its runner ends, and so do their runs
            self.background.join()
            self.background = None

    # -- configuration --------------------------------------------------------------------
    def on_config(self, config):
        self._said: set[str] = set()
        # mkdocs-static-i18n builds every other language again: say things once, in the first
        self._repeat_build = bool(self._lang_prefix(config))
        if not self._repeat_build:
            self._search_indexes = {}
            if self.rebuilds is not None:
                self.rebuilds.begin(config)
        self._separate_notebook_caches(config)
        self._hide_withheld_cells(config)
        self._probe_only_included_notebooks(config)
        self._add_theme(config)
        for name in NEEDED_EXTENSIONS:
            if name not in config.markdown_extensions:
                config.markdown_extensions.append(name)
        yml = Path(config.config_file_path) if config.config_file_path else None
        try:  # shared with `slideproof export`, which reads the same options from mkdocs.yml
            self.settings = plugin_settings(dict(self.config), yml)
        except ConfigError as err:
            raise PluginError(f"slideproof: {err}") from None
        self.policy = self.settings.policy()
        options = run_options(self.settings, config.docs_dir)
        self.cache = self.settings.cache()
        if self.verifier is None or self.verifier.options != options:
            self._stop_background()
            if self.verifier:
                self.verifier.close()
            self.verifier = Verifier(options, self.cache)
        else:
            self.verifier.cache = self.cache
        # Served pages do not wait for the decks the cache cannot answer for, when a rebuild
        # will show their results (mkdocs serve reloads pages unless told not to).
        if self.rebuilds is not None and self.settings["execute"] and self.background is None \
                and "--no-livereload" not in sys.argv:
            self.background = Background(self.verifier, self.rebuilds.request)
        if self.settings["execute"]:
            try:  # a sandbox that is missing, or weaker than bubblewrap under CI: no build
                choice = self.verifier.sandbox_choice()
            except SandboxError as err:
                raise PluginError(f"slideproof: {err}") from None
            self.sandbox_warning = choice.warning
            if choice.warning:  # a MkDocs warning: --strict fails on it
                self.say(logging.WARNING, f"slideproof: {choice.warning}")
            # spaCy's import overlaps MkDocs' own reading of the site (and the course folder,
            # where exercises run, when it has them)
            exercises = self._exercises_folder(config)
            self.verifier.warm_up([str(Path(config.docs_dir).resolve()),
                                   *([str(exercises.parent)] if exercises else [])])
        self._watch_exercises(config)
        show_all = self.settings["show_all"]
        self.show_all = show_all if show_all is not None else self.command == "serve"
        return config

    def _add_theme(self, config):
        """Put the packaged templates after the site's own ``custom_dir`` (so a course can
        still override any of them) and before the theme's, as MkDocs' search plugin does.
        They extend Material's templates: with another theme decks stay plain pages."""
        if config.theme.name != "material":
            self.say(logging.INFO, Errors.SP400.format(
                theme=config.theme.name or config.theme.custom_dir))
            return
        dirs = config.theme.dirs
        if str(THEME_DIR) in dirs:
            return
        custom = config.theme.custom_dir  # (not among theme.get()'s options)
        dirs.insert(1 if custom and dirs and Path(dirs[0]) == Path(custom) else 0,
                    str(THEME_DIR))

    # -- verify every deck up front -------------------------------------------------------
    @event_priority(50)  # before other plugins' on_files (e.g. notebooks built from results)
    def on_files(self, files: Files, *, config):
        before = self.decks, self.results, self.running, self.pending, self._sources
        chapters = (self.chapters, self.exercises, self.exercise_results, self.general_results)
        self.results, self.errors, self.decks, self._sources = {}, {}, {}, {}
        self.running, self.pending = set(), 0
        self._reset_chapters()
        for file in files.documentation_pages():
            self._read_page(file, config)
        decks, results, running, pending, sources = before
        if self._repeat_build and (results or pending or chapters[2]) \
                and sources == self._sources:
            # mkdocs-static-i18n builds this language after the first: the decks are the
            # ones the first language's pass verified, its results are this build's
            self.decks, self.results, self.running, self.pending = \
                decks, results, running, pending
            (self.chapters, self.exercises, self.exercise_results,
             self.general_results) = chapters
        elif self.settings["execute"] and (self.decks or self.chapters):
            self.verify(config)
        return files

    def _read_page(self, file: File, config) -> None:
        """Parse the deck or chapter page ``file`` is, if it is one, into ``decks`` or
        ``chapters`` (or ``errors``)."""
        path = Path(file.abs_src_path) if file.abs_src_path else None
        if path is None:
            return
        if not looks_like_deck(path):
            self._read_chapter(file, path, config)
            return
        try:
            data = read_source(path, self.settings["max_deck_size"] << 20)
            self._sources[file.src_uri] = data
            # shown docs-relative; its language (its prelude, its page's words and its
            # notebook's) from its path inside docs_dir, else the site's
            deck = load_deck(path, file.src_uri, config.docs_dir,
                             config.theme.get("language") or "en", data=data)
        except DeckError as err:
            err = DeckError(file.src_uri, err.line, err.message)  # docs-relative
            self.errors[file.src_uri] = err
            self.say(logging.ERROR, str(err))
            return
        self.decks[file.src_uri] = deck

    def say(self, level: int, message: str) -> None:
        """Log once per build: mkdocs-static-i18n runs on_files again for each language."""
        if message not in self._said and not self._repeat_build:
            self._said.add(message)
            log.log(level, message)

    # How long an edit's rebuild waits for the decks it made run before it shows them as
    # running (the page then reloads when they are done).
    EDIT_WAIT = 2.0

    def verify(self, config, wait: float = 0.0) -> None:
        """Every deck's and exercise's result, into ``results`` and ``exercise_results``.
        Under ``mkdocs serve`` what the cache cannot answer for runs in the background, after
        ``wait`` seconds: ``running`` (the decks), ``pending`` (how many decks and exercises)."""
        verifier = self.verifier
        if verifier is None:
            return  # (on_config makes it, when examples run)
        decks = list(self.decks.values())
        started = time.perf_counter()
        items = decks + self.chapter_items(config)
        if self.background is not None:
            found = self.background.results(items, wait)
            ran = self.background.ran
        else:
            found = list(verifier.verify(items))
            ran = len(verifier.ran)  # before fix runs rewritten decks
        fixable = fixable_results([r for r in found if r is not None])
        if self.show_all and fixable:  # the served view shows a failing block's verified fix
            def attach():
                fix_mod.attach(verifier, fixable)
            if self.background is not None:  # not while decks run: then at their rebuild
                self.background.exclusive(attach, wait=not self.background.running)
            else:
                attach()
        self.seconds = time.perf_counter() - started
        self.environment = verifier.environment()
        self.running = {uri for uri, r in zip(self.decks, found) if r is None}
        self.pending = sum(r is None for r in found)
        if self.pending:
            kinds = "decks" if len(items) == len(decks) else "decks and exercises"
            self.say(logging.INFO, f"slideproof: {self.pending} of {len(items)} {kinds} are "
                     f"running ({len(items) - self.pending - ran} from the cache); their "
                     "pages say so, and reload when they are done")
        results = [r for r in found[:len(decks)] if r is not None]
        self._keep_chapter_results([r for r in found[len(decks):] if r is not None])
        self.results = {}
        for uri, result in zip(self.decks, found):
            if result is None:
                continue
            self.results[uri] = result
            self._deck_warnings(uri, result)
        if self.pending:
            return
        pool = verifier.pool
        exercises = len(self.exercise_results)
        counted = f"{len(decks)} decks" + (f" and {exercises} exercises" if exercises else "")
        self.say(logging.INFO, f"slideproof: {counted} verified ({ran} run, "
                 f"{len(runs_of(items)) - ran} from cache) with spaCy "
                 f"{self.environment.get('spacy')} in {self.seconds:.1f} s: "
                 f"{outcome(results).line()}"
                 + (f"; runner pids {', '.join(map(str, pool.pids))}" if pool and pool.pids
                    else ""))

    def _deck_warnings(self, uri: str, result: DeckResult) -> None:
        """Say what failed in the deck ``uri``, and what could not run here."""
        for r in result.blocks:
            if r.status is Status.UNVERIFIED:
                continue  # one warning per deck and cause, below
            if self.policy.fails(r.status):
                self.say(logging.WARNING, f"{uri}:{r.where}: {r.status}: {r.message}")
            elif self.policy.warns(r.status):
                self.say(logging.INFO, f"{uri}:{r.where}: {r.status}: {r.message}")
        # An example that could not run here is not verified: a warning (so --strict
        # fails), one per deck and cause, as a course missing a model has many of them.
        for group in not_run_here([result]):
            lines = [line for _, line in group.blocks]
            self.say(logging.WARNING, f"{uri}:{lines[0]}: {Status.UNVERIFIED}: "
                     + Errors.SP410.format(count=len(lines), s="s" * (len(lines) != 1),
                                           lines=", ".join(map(str, lines)), why=group.why))
        if result.error:
            self.say(logging.WARNING, f"{uri}: {result.error}")

    def _all_results(self) -> list[DeckResult]:
        """Every result of the site, as its report lists them: decks, exercises, tests."""
        return [*self.results.values(), *self.exercise_results.values(),
                *self.general_results]

    def _all_errors(self) -> list[DeckError]:
        return [*self.errors.values(), *(p for c in self.chapters.values() for p in c.problems)]

    # -- pages ----------------------------------------------------------------------------
    def on_page_markdown(self, markdown, *, page, config, files):
        uri = page.file.src_uri
        if uri in self.errors:
            return unreadable_deck_markdown(self.errors[uri])
        deck = self.decks.get(uri)
        self._check_references(page, config, files, deck)
        if uri in self.chapters:
            return self._chapter_markdown(page, config, files)
        if deck is None:
            return markdown
        if deck.written_title and "title" not in page.meta:  # nav, <title>, search
            # The first slide's heading as text: the theme writes a page title as it is.
            page.meta["title"] = html.escape(deck.written_title, quote=False)
        if "template" not in page.meta and self._has_template(config, "slides.html"):
            page.meta["template"] = "slides.html"  # the deck page layout in the packaged theme
        lang = deck.language
        result = self.results.get(uri)
        static = self.settings["static_dir"].strip("/")

        def static_url(path: str) -> str:  # raw HTML: from the page's address
            return get_relative_url(f"{static}/{path}", page.url)

        def static_source(path: str) -> str:  # Markdown: from its file, as MkDocs reads it
            return get_relative_url(f"{static}/{path}", uri)

        renderer = Renderer(deck, result.blocks if result else None,
                            mode="serve" if self.show_all else "build", policy=self.policy,
                            lang=lang, spacy_version=self.environment.get("spacy", ""),
                            static_url=static_url, static_source=static_source,
                            running=uri in self.running)
        page.meta["slideproof"] = deck_page_meta(deck, lang)
        if self.show_all and self.sandbox_warning:  # the author sees it where they work
            return f'!!! warning ""\n\n    {literal(self.sandbox_warning)}\n\n' + \
                renderer.markdown()
        return renderer.markdown()

    def _check_references(self, page, config, files: Files, deck) -> None:
        """Every image and link of a deck (slides and notes), and every raw HTML one and
        root-absolute one of another page, must point at a file the build publishes
        (MkDocs checks a page's relative Markdown links itself); else a warning with the
        file's line. Each page is built once, in its language's pass: said every pass."""
        if deck is None and (page.file.abs_src_path is None or
                             not page.file.src_uri.endswith(".md")):
            return
        if getattr(self, "_published_for", None) is not files:
            self._published_for = files
            self._published = assets.Published(
                frozenset(f.src_uri for f in files),
                frozenset(p for f in files for p in (f.dest_uri, f.url)))
        if deck is not None:
            refs = assets.deck_references(deck)
        else:
            try:
                text = page.file.content_string
            except (OSError, UnicodeDecodeError):
                return
            refs = (r for r in assets.references(text)
                    if r.html or r.url.startswith("/"))
        static = self.settings["static_dir"]
        where = Path(config.docs_dir) / static.strip("/")
        if config.config_file_path:  # as the author knows it: from mkdocs.yml's folder
            where = Path(os.path.relpath(where, Path(config.config_file_path).parent))
        for missing in assets.check(refs, src_uri=page.file.src_uri, page_url=page.url,
                                    site=self._published,
                                    static_dir=static if deck is not None else None):
            log.warning(f"{page.file.src_uri}:{missing.line}: "
                        f"{missing.message(where.as_posix())}")

    @staticmethod
    def _has_template(config, name: str) -> bool:
        return any((Path(d) / name).is_file() for d in config.theme.dirs)

    # -- the reader's site: report page, notebooks, JSON report ---------------------------
    # These run after mkdocs-static-i18n's on_files (priority -100), which keeps only this
    # language's pages and drops any page whose source is outside docs_dir (a generated
    # page, a notebook in a build folder). So mkdocs-jupyter's on_files never sees the
    # notebooks; they are registered as documentation pages here and mkdocs-jupyter renders
    # them in on_pre_page (it matches any page whose source is a *.ipynb it includes).
    REPORT_PAGE = REPORT_PAGE
    REPORT_JSON = REPORT_JSON

    @event_priority(-200)
    def _add_site_pages(self, files: Files, *, config):
        self.site_links: dict[str, dict[str, str]] = {}
        self._add_static_files(files, config)
        decks, chapters = self._site_files(files)
        self.lang_prefix = self._lang_prefix(config)
        report_uri = self.lang_prefix + self.REPORT_PAGE
        report_url = File(report_uri, None, config.site_dir, config.use_directory_urls).url
        taken = files.get_file_from_path(report_uri)
        if self.settings["execute"] and taken is not None and not taken.generated_by:
            # A page of the site at the report's path: the report page stays the report.
            self.say(logging.ERROR, f"slideproof: {taken.src_uri}: "
                     + Errors.SP401.format(path=taken.src_uri, report=report_uri))
            files.remove(taken)
            self.decks.pop(taken.src_uri, None)
            decks.pop(taken.src_uri, None)
        self.report_url = report_url
        if self.settings["execute"] and files.get_file_from_path(report_uri) is None:
            report = File.generated(config, report_uri,
                                    content=self._report_content(config, decks, chapters))
            i18n = config.plugins.get("i18n")
            if i18n is not None and getattr(i18n, "build_languages", None):
                default = getattr(i18n, "default_language", None)
                self._i18n_page(report, config, {
                    lang: File(("" if lang == default else f"{lang}/") + self.REPORT_PAGE, None,
                               config.site_dir, config.use_directory_urls)
                    for lang in i18n.build_languages})
            files.append(report)
        for uri, page_file in decks.items():
            links = {}
            if self.settings["execute"]:
                links["report"] = report_url
            # With execution off the notebook is still published, as written (no outputs).
            links.update(self._add_notebook(files, config, uri, page_file))
            self.site_links[uri] = links
        for uri, page_file in chapters.items():
            links = {"report": report_url} if self.settings["execute"] else {}
            links.update(self._add_chapter_notebook(files, config, uri, page_file))
            self.site_links[uri] = links
        return files

    # (MkDocs' way of giving one event two handlers; mypy sees a method replaced)
    on_files = CombinedEvent(on_files, _add_site_pages)  # type: ignore[assignment]

    def _site_files(self, files: Files) -> tuple[dict[str, File], dict[str, File]]:
        """This language's deck pages and chapter pages, by source."""
        pages = files.documentation_pages()
        return ({f.src_uri: f for f in pages if f.src_uri in self.decks},
                {f.src_uri: f for f in pages if f.src_uri in self.chapters})

    def _report_content(self, config, decks: dict[str, File],
                        chapters: dict[str, File]) -> str:
        """The report page's source in this language: the whole site, every language, as
        its JSON (mkdocs-static-i18n leaves only this language's pages in the build's files:
        the others' decks are listed, not linked)."""
        report_uri = self.lang_prefix + self.REPORT_PAGE
        content = report_markdown(
            self._all_results(), self.environment,
            lang=config.theme.get("language") or "en", policy=self.policy,
            errors=self._all_errors(), running=self.pending,
            # a link to the page's source, which MkDocs checks and turns into its URL
            link=lambda path: (get_relative_url(path, report_uri)
                               if path in decks or path in chapters else None),
            # written in on_post_build, next to the page: a raw link (not a page MkDocs checks)
            json_url=get_relative_url(self.lang_prefix + self.REPORT_JSON, self.report_url))
        if self._has_template(config, "slideproof-report.html"):
            content = report_front_matter(content)
        return content

    def _notebook_place(self, config, uri: str, page_file: File) -> tuple[str, str, str]:
        """(source path, destination, address) of the notebook of the page ``uri``."""
        nb_uri = str(Path(uri).with_suffix(".ipynb").as_posix())
        dest = page_file.dest_uri
        nb_dest = self._notebook_dest(dest, config)
        if "mkdocs-jupyter" not in config.plugins:  # the .ipynb is only offered for download
            nb_dest = f"{dest.rsplit('/', 1)[0]}/{Path(nb_uri).name}" if "/" in dest \
                else Path(nb_uri).name
        nb_url = File(nb_uri, None, config.site_dir, config.use_directory_urls,
                      dest_uri=nb_dest).url
        return nb_uri, nb_dest, nb_url

    def _add_notebook(self, files: Files, config, uri: str, page_file: File) -> dict[str, str]:
        """The deck's notebook, added to the site."""
        nb_uri, nb_dest, nb_url = self._notebook_place(config, uri, page_file)
        nb = self._deck_notebook(config, uri, page_file, nb_url)
        return self._publish_notebook(files, config, nb, nb_uri, nb_dest, page_file)

    def _deck_notebook(self, config, uri: str, page_file: File, nb_url: str):
        """The notebook of the deck ``uri`` (its page ``page_file``), published at
        ``nb_url``."""
        deck = self.decks[uri]
        static = self.settings["static_dir"].strip("/")
        rendered = "mkdocs-jupyter" in config.plugins
        # A deck still running has no outputs of its own yet: its notebook is as written.
        spacy = "" if uri in self.running else self.environment.get("spacy", "")
        return deck_notebook(deck, self.results.get(uri), lang=deck.language,
                             policy=self.policy, spacy_version=spacy,
                             static_url=lambda path: get_relative_url(f"{static}/{path}",
                                                                      nb_url),
                             prelude=prelude_code(self.verifier.options, deck)
                             if self.verifier else "",
                             deck_url=get_relative_url(page_file.url, nb_url) if rendered
                             else None)

    @staticmethod
    def _save_notebook(nb, path: Path) -> bool:
        """Write ``nb`` to ``path``, unless it is there already as it would be written."""
        text = notebook_json(nb)
        try:
            if not path.is_file() or path.read_text("utf-8") != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, "utf-8")
        except OSError as err:
            log.warning("slideproof: "
                        + Errors.SP170.format(path=path, problem=err.strerror or err))
            return False
        return True

    def _publish_notebook(self, files: Files, config, nb, nb_uri: str, nb_dest: str,
                          page_file: File) -> dict[str, str]:
        """Write a notebook into <cache_dir>/notebooks/ and add it to the site."""
        folder = self.cache.folder / "notebooks"
        rendered = "mkdocs-jupyter" in config.plugins
        if not self._save_notebook(nb, folder / nb_uri):
            return {}
        cls = _NotebookPage if rendered else File
        nb_file = cls(nb_uri, str(folder), config.site_dir, config.use_directory_urls,
                      dest_uri=nb_dest, inclusion=InclusionLevel.NOT_IN_NAV)
        files.append(nb_file)
        if rendered:  # switching language from a notebook leads to the translated notebook
            self._i18n_page(nb_file, config, self._notebook_alternates(page_file, config))
        if not rendered:
            return {"ipynb": nb_file.url}
        ipynb = f"{nb_file.url.rsplit('/', 1)[0]}/{Path(nb_uri).name}" if "/" in nb_file.url \
            else Path(nb_uri).name
        return {"notebook": nb_file.url, "ipynb": ipynb}

    def _write_notebook(self, build: LanguageBuild, page_file: File, nb_file: File) -> bool:
        """Write the notebook of the deck or chapter page ``page_file`` to ``nb_file``'s
        source again (a rebuild under ``mkdocs serve``)."""
        uri = page_file.src_uri
        nb = self._chapter_notebook(build.files, build.config, uri, page_file, nb_file.url) \
            if uri in self.chapters else \
            self._deck_notebook(build.config, uri, page_file, nb_file.url)
        return nb_file.abs_src_path is not None and \
            self._save_notebook(nb, Path(nb_file.abs_src_path))

    @staticmethod
    def _notebook_dest(deck_dest: str, config) -> str:
        """Where the notebook page of the deck page written to ``deck_dest`` goes."""
        if config.use_directory_urls:
            return f"{deck_dest.rsplit('/', 1)[0]}/notebook/index.html" if "/" in deck_dest \
                else "notebook/index.html"
        return deck_dest[:-len(".html")] + ".notebook.html"

    def _notebook_alternates(self, page_file: File, config) -> dict:
        """The deck's translations, each as its notebook page where it is a deck (each
        language's build adds its own); a translation that is no deck stays the page."""
        alternates = {}
        for lang, other in dict(getattr(page_file, "alternates", {})).items():
            if other.src_uri in self.decks or other.src_uri in self.errors or \
                    other.src_uri in self.chapters:
                other = File(str(Path(other.src_uri).with_suffix(".ipynb").as_posix()), None,
                             config.site_dir, config.use_directory_urls,
                             dest_uri=self._notebook_dest(other.dest_uri, config))
            alternates[lang] = other
        return alternates

    @staticmethod
    def _i18n_page(file: File, config, alternates: dict) -> None:
        """Give a page added after mkdocs-static-i18n the attributes it reads in
        on_page_context; without them it leaves the previous page's language links in
        place, and Material then reroutes clicks on links to that page (dropping #slide-N)."""
        i18n = config.plugins.get("i18n")
        if i18n is None or not getattr(i18n, "current_language", None):
            return
        vars(file).update(locale=i18n.current_language, localization=i18n.current_language,
                          alternates=alternates, locale_alternate_of=file.src_uri)

    @staticmethod
    def _hide_withheld_cells(config) -> None:
        """The notebook page shows what the deck page shows: setup code and the blocks the
        deck withholds stay in the downloaded notebook (so "Run All" runs it as the build
        did) and carry HIDDEN_TAG, which mkdocs-jupyter is told to leave out of the page
        unless the site chose its own tags. (mkdocs-jupyter 0.25 honours only the first tag
        of remove_cell_tags, so the withheld cells share that one tag.)"""
        jupyter = config.plugins.get("mkdocs-jupyter")
        if jupyter is None or not isinstance(jupyter.config.get("remove_tag_config"), dict):
            return
        jupyter.config["remove_tag_config"].setdefault("remove_cell_tags", [HIDDEN_TAG])

    @staticmethod
    def _probe_only_included_notebooks(config) -> None:
        """mkdocs-jupyter asks jupytext whether each Markdown file of the site is a notebook
        before it looks at its own ``include`` patterns, several times a file and language,
        on every build: the largest part of its cost when no notebook changed. A file none
        of those patterns matches is never one of its pages, so it is not asked about that
        file: the same answers, without reading it."""
        jupyter = config.plugins.get("mkdocs-jupyter")
        if jupyter is None or "should_include" in vars(jupyter):
            return
        asks = type(jupyter).should_include

        def should_include(file) -> bool:
            path = file.abs_src_path
            if path is None or not any(PurePath(path).match(pattern)
                                       for pattern in jupyter.config["include"]):
                return False
            return asks(jupyter, file)

        jupyter.should_include = should_include

    def _separate_notebook_caches(self, config) -> None:
        """mkdocs-jupyter evicts, after each build, the cache entries that build did not
        use; mkdocs-static-i18n builds each language in turn, so each language would evict
        the other's notebooks and every build would convert them all again. One cache
        folder per language keeps both warm."""
        jupyter = config.plugins.get("mkdocs-jupyter")
        if jupyter is None or "i18n" not in config.plugins or not jupyter.config.get("cache"):
            return
        if not hasattr(self, "_jupyter_cache_root"):
            self._jupyter_cache_root = jupyter.config["cache_dir"]
        language = self._lang_prefix(config).strip("/") or "default"
        jupyter.config["cache_dir"] = str(Path(self._jupyter_cache_root) / language)

    @staticmethod
    def _lang_prefix(config) -> str:
        """'pt/' while mkdocs-static-i18n builds a non-default language, else ''."""
        i18n = config.plugins.get("i18n")
        if i18n is None or getattr(i18n, "is_default_language_build", True):
            return ""
        return f"{i18n.current_language}/" if getattr(i18n, "current_language", None) else ""

    def on_page_content(self, html, *, page, config, files):
        if page.file.src_uri in self.chapters:
            self._chapter_toc(page)
        if isinstance(page.file, _NotebookPage):
            # The deck page has the same text: search leads readers there, not here.
            page.meta.setdefault("search", {})["exclude"] = True
        return html

    def on_page_context(self, context, *, page, config, nav):
        links = getattr(self, "site_links", {}).get(page.file.src_uri)
        if links is not None:
            context["slideproof_links"] = links
        if self.rebuilds is not None:
            self.rebuilds.record_pages(context["pages"])
        return context

    # Material renders each entry of extra.alternate as <link rel="alternate"> and, on every
    # page, fetches "sitemap.xml" relative to each of them. mkdocs-static-i18n points those
    # entries at the page's translation (so the language menu stays on the page), which
    # makes Material fetch .../chapter1/01-basics/sitemap.xml: a 404 in the console on
    # every page. The <link>s go back to the language roots, where the sitemaps are; the
    # language menu's own links (<a hreflang>) keep pointing at the translated page.
    _ALTERNATE = re.compile(r'<link rel="alternate" href="[^"]*" hreflang="([^"]*)">')

    def on_post_page(self, output, *, page, config):
        output = self._language_base(output, page, config)
        i18n = config.plugins.get("i18n")
        roots = {a.get("lang"): a.get("link") for a in
                 (getattr(i18n, "extra_alternate", None) or []) if isinstance(a, dict)}
        if not roots:
            return output

        def root(match: re.Match) -> str:
            link = roots.get(match[1])
            if not isinstance(link, str) or link.startswith(("http:", "https:")):
                return match[0]
            url = get_relative_url(link.strip("/") + "/" if link.strip("/") else ".", page.url)
            url = url if url.endswith("/") else url + "/"
            return f'<link rel="alternate" href="{url}" hreflang="{match[1]}">'

        return self._ALTERNATE.sub(root, output)

    def on_post_build(self, *, config):
        self._language_sitemap(config)
        self._keep_language_search(config)
        self._write_report_json(config, getattr(self, "lang_prefix", ""))

    def _write_report_json(self, config, prefix: str) -> None:
        if not self.settings["execute"] or not (
                self.results or self.exercise_results or self.pending):
            return
        verification = Verification(self.environment, self._all_results(),
                                    errors=self._all_errors(), seconds=self.seconds,
                                    incomplete=bool(self.pending))
        target = Path(config.site_dir) / prefix / self.REPORT_JSON
        try:
            write_json(to_json(verification, self.policy), target)
        except OSError as err:
            log.warning("slideproof: "
                        + Errors.SP171.format(path=target, problem=err.strerror or err))


    # -- one search per language ----------------------------------------------------------
    # Material's search loads <base>/search/search_index.json, <base> being the site's root,
    # and mkdocs-static-i18n puts every language's pages into that one index, with the
    # stemmers of all of them. Instead each language gets an index of its own pages, in the
    # search plugin's own format, with Material's search language for it (its stemmer), at
    # its root (pt/search/search_index.json); and its pages name their language's root as
    # Material's <base>, so that they load that index and resolve its links.
    _BASE = re.compile(r'(<script id="__config" type="application/json">\{.*?"base": )'
                       r'("(?:[^"\\]|\\.)*")', re.S)

    def _language_base(self, output: str, page, config) -> str:
        prefix = self._lang_prefix(config)
        if not prefix or self._search_plugin(config) is None:
            return output
        base = json.dumps(get_relative_url(prefix, page.url))
        return self._BASE.sub(lambda m: m[1] + base, output, count=1)

    @staticmethod
    def _search_plugin(config):
        return next((config.plugins[name] for name in ("material/search", "search")
                     if name in config.plugins), None)

    def _keep_language_search(self, config) -> None:
        """Keep this language's search entries (the search plugin made them for this build;
        mkdocs-static-i18n merges all languages into them after the last build). Without
        mkdocs-static-i18n the search plugin writes its index itself; they are kept for
        ``mkdocs serve``, whose rebuilds of a page write it again."""
        search = self._search_plugin(config)
        index = getattr(search, "search_index", None)
        if index is None or not hasattr(index, "entries"):
            return
        prefix = self._lang_prefix(config)
        settings = dict(getattr(index, "config", {}))
        if "i18n" in config.plugins:
            ours = self._search_words(config)
            if not prefix:
                self._search_defaults = ours
            settings["lang"] = ours["lang"]
            # The search plugin took its separator and pipeline from the first language
            # built; where the site did not choose its own, each language gets Material's.
            for key in ("separator", "pipeline"):
                if settings.get(key) == getattr(self, "_search_defaults", {}).get(key):
                    settings[key] = ours[key]
        docs = [dict(entry, location=entry["location"][len(prefix):])
                for entry in index.entries if entry.get("location", "").startswith(prefix)]
        self._search_indexes[prefix] = (type(index), settings, docs)

    def _replace_search_entries(self, prefix: str, pages, entries: list[dict]) -> None:
        """Put the entries ``pages`` now have (from the search plugin) where their old ones
        were in this language's index: in build order, as a full build lists them."""
        kind, settings, docs = self._search_indexes[prefix]
        entries = [dict(e, location=e["location"][len(prefix):]) for e in entries]
        for page in pages:
            url = page.url[len(prefix):]

            def of_page(entry: dict, url=url) -> bool:
                location = entry.get("location", "")
                return location == url or location.startswith(url + "#")

            new = [e for e in entries if of_page(e)]
            at = next((i for i, e in enumerate(docs) if of_page(e)), None)
            if at is None:
                if new:  # where a full build would put them is not known here
                    raise LookupError(f"no search entries of {page.url} to replace")
                continue
            docs = docs[:at] + new + [e for e in docs[at:] if not of_page(e)]
        self._search_indexes[prefix] = (kind, settings, docs)

    @staticmethod
    def _search_words(config) -> dict:
        """Material's search settings for the language of this build (its language partial,
        as its search plugin reads them)."""
        env = config.theme.get_env()
        theme = env.get_template("partials/language.html", None, {"config": config}).module

        def word(key: str) -> str:
            return str(theme.t(f"search.config.{key}")).strip()

        return {"lang": [word("lang") or "en"], "separator": word("separator"),
                "pipeline": [p for p in re.split(r"\s*,\s*", word("pipeline")) if p]}

    @event_priority(-200)  # after mkdocs-static-i18n wrote its merged index
    def _write_language_search(self, *, config):
        if "i18n" not in config.plugins:
            return
        for prefix in getattr(self, "_search_indexes", {}):
            self._write_search(config, prefix)

    def _write_search(self, config, prefix: str) -> None:
        kind, settings, docs = self._search_indexes[prefix]
        index = kind(**settings)
        index.entries = docs
        target = Path(config.site_dir) / prefix / "search" / "search_index.json"
        try:
            write_file(index.generate_search_index(None).encode("utf-8"), str(target))
        except OSError as err:
            log.warning("slideproof: " + Errors.SP171.format(path=target,
                                                         problem=err.strerror or err))

    on_post_build = CombinedEvent(on_post_build, _write_language_search)

    # -- mkdocs serve: rebuild what an edit touches (serve.py keeps the last full build) -----
    def rebuild(self, changed: set[Path], builds: list[LanguageBuild]) -> bool:
        """An edit to ``changed`` (Markdown pages of the site), or decks that finished
        running: re-read the decks among them, verify every deck (the cache answers for the
        others), and write again, in each language that shows them, the changed pages, the
        page and notebook of each deck or chapter page whose content or results changed, the
        report page if what it shows changed, the search indexes and the JSON report.
        False: MkDocs' full build is needed (a title or front matter changed, a page became
        a deck, ...)."""
        config = builds[0].config
        search = self._search_plugin(config)
        index = getattr(search, "search_index", None)  # None: no search, or turned off
        if index is not None and not hasattr(index, "entries"):
            return False  # an index this cannot update page by page (MkDocs' own theme's)
        files = {f.src_uri: f for b in builds for path in changed if (f := b.file_at(path))}
        if any(not uri.endswith(".md") or uri in self.chapters for uri in files):
            return False  # (a chapter page: its exercises and tests are read with it)
        touched = self._reverify(files, config)
        if touched is None or not all(self._rewrite(build, touched, search) for build in builds):
            return False
        for build in builds:
            self._write_report_json(build.config, build.state["lang_prefix"])
        return True

    def _reverify(self, files: dict[str, File], config) -> set[str] | None:
        """Read the changed pages ``files`` again and verify the site: the pages whose
        content or results changed (None: pages became or stopped being decks or chapters,
        a full build is needed)."""
        before = {uri: self._deck_shown(uri) for uri in self.decks}
        chapters_before = {uri: self._chapter_shown(uri) for uri in self.chapters}
        order = list(self.decks), list(self.errors)
        self._said, self._repeat_build = set(), False
        for uri, file in files.items():
            self.decks.pop(uri, None)
            self.errors.pop(uri, None)
            self._sources.pop(uri, None)
            self._read_page(file, config)
        if (set(self.decks), set(self.errors), set(self.chapters)) != (
                *map(set, order), set(chapters_before)):
            return None
        self.decks = {uri: self.decks[uri] for uri in order[0]}
        self.errors = {uri: self.errors[uri] for uri in order[1]}
        if self.settings["execute"] and (self.decks or self.chapters):
            self.exercise_results, self.general_results = {}, []
            self.verify(config, wait=self.EDIT_WAIT)
        return (set(files) | {uri for uri in self.decks if self._deck_shown(uri) != before[uri]}
                | {uri for uri in self.chapters
                   if self._chapter_shown(uri) != chapters_before[uri]})

    def _rewrite(self, build: LanguageBuild, touched: set[str], search) -> bool:
        """Write again, in the language of ``build``, the ``touched`` pages it has, their
        notebooks and the report page if it changed (False: a full build is needed)."""
        build.enter()
        self._enter_language(build)
        if self._site_words(build.config) != build.env.globals.get("slideproof_site"):
            return False  # every page shows it
        pages = [f for f in build.pages if f.src_uri in touched]
        for page_file in [f for f in pages if f.src_uri in self.decks
                          or f.src_uri in self.chapters]:
            notebook = build.files.get_file_from_path(
                str(PurePath(page_file.src_uri).with_suffix(".ipynb")))
            if notebook is None or not self._write_notebook(build, page_file, notebook):
                continue
            if notebook.is_documentation_page():
                pages.append(notebook)
            else:  # only offered for download: copied as MkDocs copies files
                notebook.copy_file()
        report = build.files.get_file_from_path(self.lang_prefix + self.REPORT_PAGE)
        if report is not None and report.generated_by and self.settings["execute"]:
            content = self._report_content(build.config, *self._site_files(build.files))
            if content != report.content_string:
                report.content_string = content
                pages.append(report)
        if not pages:
            return True
        entries = build.rebuild(pages, search)
        if entries is None:
            return False  # a title or front matter changed: the nav shows it
        if self.lang_prefix in self._search_indexes:
            self._replace_search_entries(self.lang_prefix, [f.page for f in pages], entries)
            self._write_search(build.config, self.lang_prefix)
        return True

    def _deck_shown(self, uri: str) -> object:
        """What a deck's page and notebook show of its verification."""
        if uri in self.running:
            return "running"
        result = self.results.get(uri)
        return None if result is None else shown_json(result)

    def _language_state(self) -> dict:
        """What this plugin keeps per language of a build (see _enter_language)."""
        return {"lang_prefix": self.lang_prefix, "site_links": self.site_links,
                "report_url": self.report_url}

    def _enter_language(self, build: LanguageBuild) -> None:
        self.lang_prefix = build.state["lang_prefix"]
        self.site_links = build.state["site_links"]
        self.report_url = build.state["report_url"]
        self._separate_notebook_caches(build.config)

    # -- the 404 page -----------------------------------------------------------------------
    # One 404.html, at the site's root, in the default language: its language menu leads to
    # each language's home (not to the translations of the page built last).
    def on_template_context(self, context, *, template_name, config):
        i18n = config.plugins.get("i18n")
        if template_name == "404.html" and getattr(i18n, "extra_alternate", None):
            config.extra["alternate"] = copy.deepcopy(i18n.extra_alternate)
        return context

    def on_post_template(self, output_content, *, template_name, config):
        if template_name == "404.html" and self._lang_prefix(config):
            return ""  # MkDocs skips an empty page: the default language's 404 stays
        return output_content

    # -- words for every page ---------------------------------------------------------------
    def on_env(self, env, *, config, files):
        """``slideproof_site`` for a course's templates: what the build verified (the spaCy
        version, the date, a sentence in the build's language) and the report's page."""
        site = self._site_words(config)
        if site is None:
            env.globals.pop("slideproof_site", None)
        else:
            env.globals["slideproof_site"] = site
        return env

    def _site_words(self, config) -> dict | None:
        spacy = self.environment.get("spacy") \
            if self.results or self.exercise_results or self.pending else None
        if not spacy or not self.settings["execute"]:
            return None
        date = get_build_date()
        lang = config.theme.get("language")
        return {"spacy": spacy, "date": date,
                "verified": words(lang, "site")["verified"].format(v=spacy, date=date),
                "report": getattr(self, "report_url", None),
                "report_title": words(lang, "ui")["report"]}

    @event_priority(-300)  # after every other plugin's: the environment pages are made with
    def _record_language(self, env, *, config, files):
        if self.rebuilds is not None:
            self.rebuilds.record(config, files, self._nav, env, self._language_state())
        return env

    on_env = CombinedEvent(on_env, _record_language)

    @event_priority(-300)  # after mkdocs-static-i18n translated it
    def on_nav(self, nav, *, config, files):
        self._nav = nav
        return nav

    def _language_sitemap(self, config) -> None:
        """mkdocs-static-i18n writes one sitemap.xml, at the site's root, listing every
        language; Material fetches one from each language root (see on_post_page)."""
        prefix = getattr(self, "lang_prefix", "")
        if not prefix:
            return
        source = Path(config.site_dir) / "sitemap.xml"
        target = Path(config.site_dir) / prefix / "sitemap.xml"
        try:
            if source.is_file() and not target.is_file():
                shutil.copyfile(source, target)
        except OSError as err:
            log.warning("slideproof: "
                        + Errors.SP171.format(path=target, problem=err.strerror or err))


class _NotebookPage(File):
    """A .ipynb that mkdocs-jupyter renders as a page (it only wraps the files it sees in its
    own on_files, which ran before this one was added)."""

    def is_documentation_page(self) -> bool:
        return True
