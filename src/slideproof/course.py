"""Files and folders → a course: its decks, its chapter pages, their coding exercises and the
general tests of each language, read once, for every adapter that is given paths (the
command line, pytest).

A folder is searched for Markdown pages whose front matter says ``type: slides`` (a deck)
or ``type: chapter`` (a chapter page); a file named explicitly is read as what it says it
is (a deck, unless it says ``type: chapter``). A chapter page brings its coding exercises,
the decks its ``<slides>`` embed, and its language's ``exercises/LANG/test_general.py``.
Anything that cannot be read is one error, and the rest is still read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .chapter import Chapter, SlidesRef, load_chapter
from .deck import DECK_SIZE_LIMIT, Deck, course_root, load_deck, page_type
from .errors import DeckError, Errors
from .exercise import Exercise, GeneralRun, Show, exercises_of, general_tests, shown_under

PAGE_KINDS = ("slides", "chapter")


@dataclass
class Course:
    decks: list[Deck] = field(default_factory=list)
    chapters: list[Chapter] = field(default_factory=list)
    exercises: list[Exercise] = field(default_factory=list)
    general: list[GeneralRun] = field(default_factory=list)
    errors: list[DeckError] = field(default_factory=list)

    @property
    def items(self) -> list:
        """What runs, in the order it is reported: decks, exercises, general tests."""
        return [*self.decks, *self.exercises, *self.general]


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def course_pages(paths: Sequence[str | Path]) -> Iterator[tuple[Path, str]]:
    """(page, kind) under ``paths``: a folder's decks and chapter pages (a ``*.md`` that is
    not a regular file too, so that reading it gives its error rather than a silent skip);
    a file named explicitly, as what it says it is."""
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            yield path, "chapter" if page_type(path) == "chapter" else "slides"
            continue
        for md in sorted(path.rglob("*.md")):
            kind = page_type(md) if _regular(md) else "slides"
            if kind in PAGE_KINDS:
                yield md, kind


def load_course(paths: Sequence[str | Path], limit: int = DECK_SIZE_LIMIT,
                extras: bool = True) -> Course:
    """The course under ``paths``, each file shown as found there (exercise files relative
    to the current folder, or absolute when the paths are). ``extras``: with the decks its
    chapter pages embed and its general tests (not for a shard of the course's files, which
    ``general_tests_of`` and the other shards cover)."""
    folders = [Path(p) for p in paths if Path(p).is_dir()]
    absolute = any(Path(p).is_absolute() for p in paths)
    show = str if absolute else shown_under(os.getcwd())
    course = Course()
    seen: set[str] = set()
    for path, kind in course_pages(paths):
        given = next((f for f in folders if f.absolute() in path.absolute().parents), None)
        if kind == "chapter":
            _add_chapter(course, path, limit, show)
        else:
            _add_deck(course, path, course_root(path, given), limit, seen)
    if not extras:
        return course
    for chapter in course.chapters:  # the decks a chapter embeds, if not among the paths
        for ref in chapter.elements(SlidesRef):
            if ref.file and ref.file not in seen:
                _add_deck(course, Path(ref.file) if absolute else Path(show(Path(ref.file))),
                          course_root(Path(ref.file)), limit, seen)
    _add_general(course, show, limit)
    return course


def general_tests_of(paths: Sequence[str | Path], limit: int = DECK_SIZE_LIMIT) -> Course:
    """The general tests of the languages of the chapter pages among ``paths`` (files)."""
    show = str if any(Path(p).is_absolute() for p in paths) else shown_under(os.getcwd())
    course = Course()
    for path, kind in course_pages(paths):
        if kind == "chapter":
            try:
                course.chapters.append(load_chapter(path, str(path), limit=limit, show=show))
            except DeckError:
                continue  # the shard that has the page says why
    _add_general(course, show, limit)
    return course


def _add_general(course: Course, show: Show, limit: int) -> None:
    for root, lang in sorted({(c.root, c.lang or "") for c in course.chapters}):
        try:
            tests = general_tests(root, lang or None, show, limit)
        except DeckError as err:
            course.errors.append(err)
            continue
        if tests is not None:
            course.general.append(tests)


def _add_deck(course: Course, path: Path, root: Path, limit: int, seen: set[str]) -> None:
    seen.add(str(path.absolute()))
    try:
        deck = load_deck(path, root=root, limit=limit)
    except DeckError as err:
        course.errors.append(err)
        return
    if deck.meta.get("type") != "slides":
        course.errors.append(DeckError(str(path), 1, Errors.SP101))
        return
    course.decks.append(deck)


def _add_chapter(course: Course, path: Path, limit: int, show: Show) -> None:
    try:
        chapter = load_chapter(path, str(path), limit=limit, show=show)
    except DeckError as err:
        course.errors.append(err)
        return
    course.chapters.append(chapter)
    course.errors.extend(chapter.problems)
    exercises, errors = exercises_of(chapter, show, limit)
    course.exercises.extend(exercises)
    course.errors.extend(errors)
