"""The MkDocs adapter's chapter pages: what ``SlideproofPlugin`` does for a course in the
layout of the spaCy course (``type: chapter`` pages, ``exercises/LANG/``, a static folder
beside the docs).

A mixin of the plugin, kept apart so that the deck pages' code stays as it was: the plugin
reads chapter pages beside the decks (``_read_chapter``), verifies their exercises and the
general tests with the decks in one run (``chapter_items``), says what failed
(``_chapter_warnings``), renders each chapter page (``_chapter_markdown``) and its notebook
(``_add_chapter_notebook``), keeps the page's table of contents to its exercises and their
parts (``_chapter_toc``) and publishes a static folder that is not in the docs
(``_add_static_files``). Like the rest of the plugin, thin: the work is the core's.
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.utils import get_relative_url

from .chapter import Chapter, SlidesRef, load_chapter
from .chapter_notebook import chapter_notebook
from .chapter_page import ChapterRenderer
from .deck import Deck, page_type, read_source
from .errors import DeckError, Errors
from .exercise import (
    Exercise,
    ExerciseResult,
    GeneralRun,
    Show,
    exercises_of,
    general_tests,
)
from .i18n import language, words
from .judge import DeckResult, Policy, Status
from .options import Settings
from .report import shown_json

log = logging.getLogger("mkdocs.plugins.slideproof")
TOC_DEPTH = 3  # a chapter page's contents: its exercises (h2) and their parts (h3)


class ChapterSite:
    """Chapter pages, for ``SlideproofPlugin``, which provides what is declared below."""

    chapters: dict[str, Chapter]  # page → its chapter
    exercises: dict[str, list[Exercise]]  # page → its exercises whose files are there
    exercise_results: dict[tuple[str, int], ExerciseResult]
    general_results: list[DeckResult]

    # -- what the plugin provides -----------------------------------------------------------
    settings: Settings
    policy: Policy
    environment: dict[str, Any]  # Verifier.environment()
    decks: dict[str, Deck]  # page → its deck
    results: dict[str, DeckResult]  # page → its deck's result
    errors: dict[str, DeckError]  # page → why it cannot be read
    show_all: bool
    _sources: dict[str, bytes]  # page → the bytes its deck or chapter was read from

    if TYPE_CHECKING:  # the plugin's methods (declared only for the type checker)
        def say(self, level: int, message: str) -> None: ...

        @staticmethod
        def _has_template(config, name: str) -> bool: ...

        def _notebook_place(self, config, uri: str, page_file: File
                            ) -> tuple[str, str, str]: ...

        def _publish_notebook(self, files: Files, config, nb, nb_uri: str, nb_dest: str,
                              page_file: File) -> dict[str, str]: ...

        def _deck_shown(self, uri: str) -> object: ...

    def _reset_chapters(self) -> None:
        self.chapters, self.exercises = {}, {}
        self.exercise_results, self.general_results = {}, []

    @staticmethod
    def _exercises_folder(config) -> Path | None:
        """The course's exercises folder, beside the docs folder, if it has one."""
        folder = Path(config.docs_dir).resolve().parent / "exercises"
        return folder if folder.is_dir() else None

    def _watch_exercises(self, config) -> None:
        """``mkdocs serve`` builds again when an exercise's file changes."""
        folder = self._exercises_folder(config)
        if folder is not None and str(folder) not in config.watch:
            config.watch.append(str(folder))

    def _shown(self, config) -> Show:
        """How a course file is shown: docs-relative (as MkDocs names pages), else relative
        to mkdocs.yml's folder (``exercises/en/solution_01_02.py``)."""
        docs = Path(config.docs_dir).resolve()
        base = Path(config.config_file_path).parent.resolve() if config.config_file_path \
            else Path.cwd()

        def show(path: Path) -> str:
            path = Path(os.path.abspath(path))
            try:
                return path.relative_to(docs).as_posix()
            except ValueError:
                return Path(os.path.relpath(path, base)).as_posix()

        return show

    def _read_chapter(self, file: File, path: Path, config) -> bool:
        """Read the chapter page at ``path`` (False: it is no chapter page)."""
        if page_type(path) != "chapter":
            return False
        show = self._shown(config)
        try:
            data = read_source(path, self.settings["max_deck_size"] << 20)
            self._sources[file.src_uri] = data
            chapter = load_chapter(path, file.src_uri, config.docs_dir,
                                   config.theme.get("language") or "en",
                                   self.settings["max_deck_size"] << 20, data, show)
        except DeckError as err:
            self.errors[file.src_uri] = DeckError(file.src_uri, err.line, err.message)
            self.say(logging.ERROR, str(self.errors[file.src_uri]))
            return True
        self.chapters[file.src_uri] = chapter
        for problem in chapter.problems:
            self.say(logging.ERROR, str(problem))
        exercises, unreadable = exercises_of(chapter, show,
                                             self.settings["max_deck_size"] << 20)
        for invalid in unreadable:
            self.say(logging.ERROR, str(invalid))
        self.exercises[file.src_uri] = exercises
        return True

    def chapter_items(self, config) -> list[Deck | Exercise]:
        """What the chapter pages add to a run: their exercises, and the general tests of
        each of their languages."""
        items: list[Deck | Exercise] = [
            ex for exercises in self.exercises.values() for ex in exercises]
        show = self._shown(config)
        for root, lang in sorted({(c.root, c.lang or "") for c in self.chapters.values()}):
            try:
                tests = general_tests(root, lang or None, show,
                                      self.settings["max_deck_size"] << 20)
            except DeckError as err:
                self.say(logging.ERROR, str(err))
                continue
            if tests is not None:
                items.append(tests)
        return items

    def _keep_chapter_results(self, results: list[DeckResult]) -> None:
        """Each exercise's result by (chapter page, line of its <codeblock>); say what
        failed, what could not run here, and what the skeletons say."""
        page_of = {id(ex): uri for uri, found in self.exercises.items() for ex in found}
        for result in results:
            if isinstance(result, ExerciseResult):
                ex = result.exercise
                self.exercise_results[(page_of[id(ex)], ex.line)] = result
            elif isinstance(result.deck, GeneralRun):
                self.general_results.append(result)
        for uri, exercises in self.exercises.items():
            # (an exercise still running under mkdocs serve has no result yet)
            found = [self.exercise_results.get((uri, ex.line)) for ex in exercises]
            mine = [r for r in found if r is not None]
            self._chapter_warnings(uri, mine)
        for result in self.general_results:
            for r in result.blocks:
                if self.policy.fails(r.status):
                    self.say(logging.WARNING, f"{result.deck.path}:{r.where}: {r.status}: "
                             f"{r.message}")

    def _chapter_warnings(self, uri: str, results: list[ExerciseResult]) -> None:
        unverified: dict[str, list[int]] = {}
        for result in results:
            if result.status is Status.UNVERIFIED:
                unverified.setdefault(result.message.split(" — ")[-1], []).append(
                    result.exercise.line)
            elif self.policy.fails(result.status):
                self.say(logging.WARNING, f"{result.where}: {result.status}: {result.message}"
                         f" (the exercise at {uri}:{result.exercise.line})")
            elif self.policy.warns(result.status):
                self.say(logging.INFO, f"{result.where}: {result.status}: {result.message}")
            for warning in result.warnings:
                self.say(logging.WARNING, warning)
        for why, lines in unverified.items():  # one warning per page and cause
            self.say(logging.WARNING, f"{uri}:{lines[0]}: {Status.UNVERIFIED}: "
                     + Errors.SP410.format(count=len(lines), s="s" * (len(lines) != 1),
                                           lines=", ".join(map(str, lines)), why=why))

    # -- the page ---------------------------------------------------------------------------
    def _chapter_markdown(self, page, config, files: Files) -> str:
        uri = page.file.src_uri
        chapter = self.chapters[uri]
        lang = chapter.lang or config.theme.get("language") or "en"
        if "title" not in page.meta:  # nav, <title>, search, and the page's own heading
            page.meta["title"] = html.escape(chapter.title, quote=False)
        templated = page.meta.get("template") == "chapter.html" or (
            "template" not in page.meta and self._has_template(config, "chapter.html"))
        if templated:  # (it writes the page's title, above its toolbar)
            page.meta["template"] = "chapter.html"
        page.meta["slideproof"] = {"lang": language(lang), "ui": words(lang, "ui"),
                                   "chapter": words(lang, "chapter")}
        static = self.settings["static_dir"].strip("/")
        by_file = {deck.file: (deck, self.results.get(u)) for u, deck in self.decks.items()}

        def deck_url(ref: SlidesRef) -> str | None:
            deck_page = files.get_file_from_path(ref.shown)
            return get_relative_url(deck_page.url, page.url) if deck_page else None

        renderer = ChapterRenderer(
            chapter, {line: r for (u, line), r in self.exercise_results.items() if u == uri},
            by_file, mode="serve" if self.show_all else "build", policy=self.policy,
            spacy_version=self.environment.get("spacy", ""), deck_url=deck_url,
            static_url=lambda path: get_relative_url(f"{static}/{path}", page.url),
            static_source=lambda path: get_relative_url(f"{static}/{path}", uri),
            title=not templated)
        return renderer.markdown()

    @staticmethod
    def _chapter_toc(page) -> None:
        """The page's contents: its exercises and their parts, not the embedded slides."""
        def prune(items) -> None:
            for item in items:
                item.children = [c for c in item.children if c.level <= TOC_DEPTH]
                prune(item.children)

        toc = getattr(page, "toc", None)
        if toc is not None:
            prune(toc)

    def _add_chapter_notebook(self, files: Files, config, uri: str, page_file: File) -> dict:
        nb_uri, nb_dest, nb_url = self._notebook_place(config, uri, page_file)
        nb = self._chapter_notebook(files, config, uri, page_file, nb_url)
        return self._publish_notebook(files, config, nb, nb_uri, nb_dest, page_file)

    def _chapter_notebook(self, files: Files, config, uri: str, page_file: File, nb_url: str):
        """The notebook of the chapter page ``uri`` (its page ``page_file``), published at
        ``nb_url``."""
        chapter = self.chapters[uri]
        rendered = "mkdocs-jupyter" in config.plugins
        decks = {f.src_uri: f for f in files.documentation_pages()}

        def deck_url(ref: SlidesRef) -> str | None:
            page = decks.get(ref.shown)
            return get_relative_url(page.url, nb_url) if page is not None and rendered \
                else None

        return chapter_notebook(
            chapter, {line: r for (u, line), r in self.exercise_results.items() if u == uri},
            policy=self.policy, spacy_version=self.environment.get("spacy", ""),
            chapter_url=get_relative_url(page_file.url, nb_url) if rendered else None,
            deck_url=deck_url)

    def _chapter_shown(self, uri: str) -> object:
        """What a chapter page and its notebook show of the verification: its exercises'
        results, and the decks it embeds (as written, and their results)."""
        chapter = self.chapters[uri]
        exercises = [shown_json(r) for (page, _), r in sorted(self.exercise_results.items())
                     if page == uri]
        embedded = {ref.file for ref in chapter.elements(SlidesRef)}
        decks = [(self._sources.get(page), self._deck_shown(page))
                 for page, deck in sorted(self.decks.items()) if deck.file in embedded]
        return exercises, decks

    # -- a static folder outside the docs -----------------------------------------------------
    def _add_static_files(self, files: Files, config) -> None:
        """The files of the option ``static_files`` (a folder relative to mkdocs.yml, e.g. the
        spaCy course's ``static/`` beside ``chapters/``), published under ``static_dir``. Added
        after mkdocs-static-i18n, which drops what is not in the docs folder."""
        given = self.settings["static_files"]
        if not given:
            return
        folder = Path(given)
        if not folder.is_dir():
            self.say(logging.WARNING, "slideproof: " + Errors.SP415.format(folder=given))
            return
        static = self.settings["static_dir"].strip("/")
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or any(p.startswith(".") for p in path.relative_to(
                    folder).parts):
                continue
            source = path.relative_to(folder.parent).as_posix()
            if files.get_file_from_path(source) is None:
                files.append(File(source, str(folder.parent), config.site_dir,
                                  config.use_directory_urls, inclusion=InclusionLevel.NOT_IN_NAV,
                                  dest_uri=f"{static}/{path.relative_to(folder).as_posix()}"))
