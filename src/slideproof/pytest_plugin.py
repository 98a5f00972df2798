"""pytest plugin: slide decks as test files, every python block as a test item.

    pytest --slideproof docs/            # every deck under docs/
    pytest --slideproof docs/ -n auto    # spread over cores with pytest-xdist

Off unless ``--slideproof`` is given (or ``slideproof = true`` in the pytest ini): then
Markdown files whose front matter says ``type: slides`` (and any ``.md`` named on the
command line) are collected, each python block as an item named after its fence line,
``deck.md::L79``. A deck is one session: the whole deck runs once, through the same
``Verifier`` (warm worker, cache, options) as ``slideproof check``, when its first item runs,
and each item then reports its block's status.

A chapter page (front matter ``type: chapter``) is collected too: each of its coding
exercises is an item, ``chapter1.md::exercise 01_02``, that runs the exercise's solution and
test (and its skeleton) as ``slideproof check`` does; the first chapter page of a language
also holds the items of that language's ``exercises/LANG/test_general.py``, one per test.

Under pytest-xdist a deck must stay on one worker, so that it runs once: the plugin turns
xdist's default ``--dist load`` into ``--dist loadfile`` (all items of a file go to the
same worker) unless ``--dist`` is given; items also carry an ``xdist_group`` mark named after
their deck, so ``--dist loadgroup`` keeps decks whole too. With any other mode the outcomes
are still the same, only a deck may run on two workers.
"""

from __future__ import annotations

import os
import shlex
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from .deck import Deck, looks_like_deck, page_type
from .errors import Errors
from .judge import Kind, Status, lack_words, problem_code
from .terminal import inert

if TYPE_CHECKING:  # the verifier (and spaCy's side of things) loads when a deck first runs
    from .exercise import Exercise
    from .verify import Verifier


class DeckWarning(UserWarning):
    """A block that ran but deserves attention (deprecated, or output that differs)."""


class BlockProblem(Exception):
    """Raised by an item whose block the policy fails; ``repr_failure`` formats it."""

    def __init__(self, result, deck_path: str):
        super().__init__(result.message)
        self.result = result
        self.deck_path = deck_path


# -- options -------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("slideproof", "slideproof: Markdown slide decks as tests")
    group.addoption("--slideproof", action="store_true", default=False,
                    help="collect slide decks (*.md with 'type: slides') and run their "
                         "python blocks as tests")
    from .options import add_flags

    # one flag per option of the core, made from its table (as the command line's are)
    add_flags(group.addoption, "--slideproof-", dest_prefix="slideproof_")
    parser.addini("slideproof", type="bool", default=False,
                  help="collect slide decks as tests (like --slideproof)")


def enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("slideproof", False) or config.getini("slideproof"))


def _explicit_dist(config: pytest.Config) -> bool:
    args = list(config.invocation_params.args)
    args += shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    try:
        args += list(config.getini("addopts"))
    except (ValueError, KeyError):
        pass
    return any(a == "--dist" or a.startswith("--dist=") or a in ("-d", "--distload")
               for a in map(str, args))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not enabled(config):
        return
    config.addinivalue_line("markers", "slideproof: a python block of a slide deck")
    # xdist reads the mode when its session starts (after every pytest_configure): keep the
    # items of one deck on one worker, so that the deck runs once.
    if getattr(config.option, "dist", "no") == "load" and not _explicit_dist(config):
        config.option.dist = "loadfile"
    config.stash[_RUNNER] = Runner(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    runner = config.stash.get(_RUNNER, None)
    if runner is not None:
        runner.close()


# -- collection ----------------------------------------------------------------------------
def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if not enabled(parent.config) or file_path.suffix.lower() != ".md":
        return None
    if page_type(file_path) == "chapter":
        return ChapterFile.from_parent(parent, path=file_path)
    if looks_like_deck(file_path) or parent.session.isinitpath(file_path):
        return DeckFile.from_parent(parent, path=file_path)
    return None


class DeckFile(pytest.File):
    deck: Deck | None = None  # set by collect(), unless the file is not a deck

    def collect(self):
        from .deck import course_root, load_deck
        from .errors import DeckError

        limit = self.config.stash[_RUNNER].settings["max_deck_size"] << 20
        shown = _cli_path(self.path, self.config.invocation_params.dir)  # as 'check' shows it
        try:
            self.deck = load_deck(self.path, shown, course_root(self.path, self.config.rootpath),
                                  limit=limit)
        except DeckError as err:
            yield InvalidDeckItem.from_parent(self, name=f"L{err.line}", error=err)
            return
        group = _group_name(self)
        for block in self.deck.python_blocks:
            item = BlockItem.from_parent(self, name=f"L{block.line}", block=block)
            item.add_marker(pytest.mark.slideproof)
            if group:
                item.add_marker(pytest.mark.xdist_group(group))
            yield item


def _cli_path(path: Path, cwd: Path) -> str:
    relative = os.path.relpath(path, cwd)
    return str(path) if relative.startswith("..") else relative


def _group_name(node: pytest.Collector) -> str | None:
    if not node.config.pluginmanager.hasplugin("xdist"):
        return None
    return node.nodeid.replace("@", "_")  # xdist splits group names from node ids at '@'


class InvalidDeckItem(pytest.Item):
    """A deck (or chapter page) that does not parse: one failing item at the line the
    parser points at."""

    def __init__(self, *, error, what: str = "invalid deck", **kwargs):
        super().__init__(**kwargs)
        self.error = error
        self.what = what

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo, style=None):
        return f"{self.error.path}:{self.error.line}: {self.what}: {self.error.message}"

    def reportinfo(self):
        return self.path, self.error.line - 1, f"{self.what} (line {self.error.line})"


class ChapterFile(pytest.File):
    """A chapter page: an item per coding exercise (and, for the first page of its language,
    per test of the language's general tests)."""

    def collect(self):
        from .chapter import load_chapter
        from .errors import DeckError
        from .exercise import exercises_of, general_tests

        limit = self.config.stash[_RUNNER].settings["max_deck_size"] << 20
        where = self.config.invocation_params.dir

        def show(path: Path) -> str:  # as 'slideproof check' shows it
            return _cli_path(Path(path), where)

        try:
            chapter = load_chapter(self.path, show(self.path), limit=limit, show=show)
        except DeckError as err:
            yield InvalidDeckItem.from_parent(self, name=f"L{err.line}", error=err,
                                              what="invalid chapter")
            return
        for problem in chapter.problems:
            yield InvalidDeckItem.from_parent(self, name=f"L{problem.line}", error=problem,
                                              what="invalid chapter")
        exercises, unreadable = exercises_of(chapter, show, limit)
        for invalid in unreadable:
            yield InvalidDeckItem.from_parent(self, name=f"{Path(invalid.path).name}",
                                              error=invalid, what="unreadable exercise")
        group = _group_name(self)
        items: list[pytest.Item] = [
            ExerciseItem.from_parent(self, name=f"exercise {ex.id}", exercise=ex)
            for ex in exercises]
        if self._first_of_its_language():
            tests = general_tests(chapter.root, chapter.lang, show, limit)
            items += [GeneralItem.from_parent(self, name=f"{Path(tests.path).name}::{name}",
                                              run=tests, index=index)
                      for index, name in enumerate(tests.tests, start=1)] if tests else []
        for item in items:
            item.add_marker(pytest.mark.slideproof)
            if group:
                item.add_marker(pytest.mark.xdist_group(group))
            yield item

    def _first_of_its_language(self) -> bool:
        """Whether this is the first chapter page (by name) of its folder."""
        pages = sorted(p for p in self.path.parent.glob("*.md") if page_type(p) == "chapter")
        return bool(pages) and pages[0] == self.path


class ExerciseItem(pytest.Item):
    """A coding exercise: its solution and test, and its skeleton, as 'slideproof check'
    runs them."""

    def __init__(self, *, exercise, **kwargs):
        super().__init__(**kwargs)
        self.exercise = exercise

    def runtest(self) -> None:
        runner: Runner = self.config.stash[_RUNNER]
        result = runner.result_of(self, self.exercise, self.exercise.path)
        for warning in result.warnings:  # the skeleton's: at its file and line
            path, line, message = [*warning.split(":", 2), "", ""][:3]
            warnings.warn_explicit(DeckWarning(inert(message.strip())), DeckWarning, path,
                                   int(line) if line.isdigit() else 1)
        _outcome(self, result, result.status, result.message, result.where,
                 (result.problem_block() or result.solution))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, BlockProblem):
            r = excinfo.value.result
            lines = [f"{excinfo.value.deck_path}: {r.status}", ""]
            lines += [("E   " if i == 0 else "    ") + text
                      for i, text in enumerate(str(excinfo.value).split("\n"))]
            traceback = (r.error or {}).get("traceback")
            if traceback and (self.config.get_verbosity() > 0 or self.config.getoption(
                    "tbstyle", "auto") == "long"):
                lines += ["", *traceback.rstrip().split("\n")]
            return inert("\n".join(lines))
        if isinstance(excinfo.value, RunnerFailed):
            return Errors.SP160.format(problem=excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, self.exercise.line - 1, \
            f"{self.exercise.chapter}::exercise {self.exercise.id}"


class GeneralItem(pytest.Item):
    """A test of a language's general tests (exercises/LANG/test_general.py)."""

    def __init__(self, *, run, index, **kwargs):
        super().__init__(**kwargs)
        self.run, self.index = run, index

    def runtest(self) -> None:
        runner: Runner = self.config.stash[_RUNNER]
        result = runner.result_of(self, self.run, self.run.path).blocks[self.index]
        _outcome(self, result, result.status, result.message,
                 f"{self.run.path}:{result.where}", result)

    repr_failure = ExerciseItem.repr_failure

    def reportinfo(self):
        return Path(self.run.file), self.run.python_blocks[self.index].line - 1, self.name


def _outcome(item: pytest.Item, result, status, message: str, where: str, block) -> None:
    """Pass, fail, skip or warn, as the policy says of ``status``."""
    runner: Runner = item.config.stash[_RUNNER]
    if block.shown_output:
        item.add_report_section("call", "output", inert(block.shown_output))
    if status.kind is Kind.OK:
        return
    if runner.policy.fails(status):
        raise BlockProblem(block, where) from None
    if status in (Status.SKIPPED, Status.UNVERIFIED):
        _skip(inert(f"{status}: {message}"))
    path, _, line = where.rpartition(":")
    warnings.warn_explicit(DeckWarning(inert(f"{status}: {message}")), DeckWarning, path,
                           int(line) if line.isdigit() else 1)


class BlockItem(pytest.Item):
    """One python block; its result comes from the deck's single session."""

    def __init__(self, *, block, **kwargs):
        super().__init__(**kwargs)
        self.block = block
        self.result = None

    @property
    def deck_file(self) -> DeckFile:
        return cast(DeckFile, self.parent)

    @property
    def deck(self) -> Deck:
        deck = self.deck_file.deck
        assert deck is not None  # its items exist only once it was read
        return deck

    def runtest(self) -> None:
        runner: Runner = self.config.stash[_RUNNER]
        deck_result = runner.result(self)
        result = next(r for r in deck_result.blocks if r.block.line == self.block.line)
        self.result = result
        if result.shown_output:
            self.add_report_section("call", "deck output", inert(result.shown_output))
        policy, status = runner.policy, result.status
        if status.kind is Kind.OK:
            return
        if policy.fails(status):
            raise BlockProblem(result, str(self.path))
        if status is Status.SKIPPED:
            _skip(inert(f"skipped by the author: {result.message}"))
        if status is Status.UNVERIFIED:  # the cause, also when an earlier block lacked it
            through = f" ({lack_words(result.lacks)})" if result.lacks and \
                result.blocked_by is not None else ""
            _skip(inert(f"unverified: {result.message}{through}"))
        # deprecated or output-differs that the policy lets pass: a warning at the deck line
        text = result.message + (f"\n{result.diff}" if result.diff else "")
        line = next((w.get("line") for w in result.warnings if w.get("line") and
                     w.get("filename") == self.deck.file), None) \
            or self.block.line
        warnings.warn_explicit(DeckWarning(inert(f"{status}: {text}")), DeckWarning,
                               str(self.path), line)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, BlockProblem):
            verbose = self.config.get_verbosity() > 0 or self.config.getoption(
                "tbstyle", "auto") == "long"
            return BlockRepr(excinfo.value.result, self.nodeid, self.deck.path, verbose)
        if isinstance(excinfo.value, RunnerFailed):
            return Errors.SP160.format(problem=excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        where = self.deck.path
        # Not a suffix of the node id: pytest would turn the '.' of 'deck.md' into '::'.
        return self.path, self.block.line - 1, f"{where}::L{self.block.line} (python block)"


def _skip(reason: str) -> None:
    """Skip, reported at the block's deck line (like a skip mark) rather than at this file."""
    try:
        raise pytest.skip.Exception(reason, _use_item_location=True)
    except TypeError:  # a pytest without that keyword
        pytest.skip(reason)


class BlockRepr:
    """What a failing block shows: the block with the failing line marked, the exception
    with its spaCy code, the diff of an output that differs."""

    def __init__(self, result, nodeid: str, path: str, verbose: bool):
        self.result = result
        error = result.error or {}
        self.line = result.where
        self.code = problem_code(error, result.warnings)
        first = (result.message or result.status).split("\n", 1)[0]
        self.reprcrash = _Crash(path, self.line, f"{result.status}: {first}")
        self.path = path
        self.verbose = verbose

    def lines(self) -> list[tuple[str, dict]]:
        r, block = self.result, self.result.block
        out: list[tuple[str, dict]] = []
        code_lines = block.code.split("\n")
        width = len(str(block.line + len(code_lines) + 1))
        marked = (r.error or {}).get("line")
        out.append((f"  {block.line:>{width}} {block.fence}python", {}))
        for number, text in enumerate(code_lines, start=block.line + 1):
            if number == marked:
                out.append((f"> {number:>{width}} {text}", {"red": True, "bold": True}))
            else:
                out.append((f"  {number:>{width}} {text}", {}))
        out.append((f"  {block.line + len(code_lines) + 1:>{width}} {block.fence}", {}))
        if marked and not block.line < marked <= block.line + len(code_lines):
            out.append((Errors.SP161.format(line=marked), {}))
        out.append(("", {}))
        for i, text in enumerate((r.message or r.status).split("\n")):
            out.append((("E   " if i == 0 else "    ") + text, {"red": True, "bold": i == 0}))
        if self.code:
            out.append((f"spaCy error code: {self.code}", {"bold": True}))
        if r.diff:
            out.append(("", {}))
            for text in r.diff.split("\n"):
                out.append((text, {"green": text.startswith("+"),
                                   "red": text.startswith("-")}))
        if self.verbose and (r.error or {}).get("traceback"):
            out.append(("", {}))
            out.extend((text, {}) for text in r.error["traceback"].rstrip().split("\n"))
        out.append(("", {}))
        out.append((f"{self.path}:{self.line}: {r.status}"
                    + (f" [{self.code}]" if self.code else ""), {}))
        return out

    def toterminal(self, tw) -> None:
        for text, markup in self.lines():  # an example's text is shown, never acted on
            tw.line(inert(text), **{k: v for k, v in markup.items() if v})

    def __str__(self) -> str:
        # The first line is what pytest's short summary shows (also under xdist, where a
        # report travels as text).
        body = "\n".join(inert(text) for text, _ in self.lines())
        return f"{inert(self.reprcrash.message)}\n{body}"


class _Crash:
    def __init__(self, path: str, lineno: int, message: str):
        self.path, self.lineno, self.message = path, lineno, message


# -- running -------------------------------------------------------------------------------
class RunnerFailed(Exception):
    pass


class Runner:
    """One ``Verifier`` (one warm worker, one cache) per pytest process.

    Outside xdist, the first item verifies every collected deck at once, so decks run in
    parallel on the worker's cores; an xdist worker does not know which decks it will be
    given, and verifies a deck when its first item runs.
    """

    def __init__(self, config: pytest.Config):
        self.config = config
        self.verifier: Verifier | None = None
        self.results: dict[str, object] = {}
        self.options, self.policy, self.cache = self._options()

    def _options(self):
        """The pytest flags given, over [tool.slideproof] (from the invocation folder),
        over the defaults: the same settings 'slideproof check' would use here."""
        from . import options
        from .errors import ConfigError

        cwd = Path(self.config.invocation_params.dir)
        try:
            self.settings = options.settings_from_flags(
                self.config.getoption, cwd, "--slideproof-", "slideproof_")
        except ConfigError as err:
            raise pytest.UsageError(str(err)) from None
        overrides = {"jobs": 1} if hasattr(self.config, "workerinput") else {}
        # (an xdist worker verifies one deck at a time)
        run_options = self.settings.options(**overrides)
        self._check_sandbox(run_options.sandbox)
        return run_options, self.settings.policy(), self.settings.cache()

    def _check_sandbox(self, wanted: str) -> None:
        """A sandbox that is missing, or weaker than bubblewrap under CI: a usage error; a
        weaker one chosen by 'auto': a warning in pytest's summary."""
        from . import sandbox
        from .errors import SandboxError

        try:
            choice = sandbox.choose(wanted)
        except SandboxError as err:
            raise pytest.UsageError(str(err)) from None
        if choice.warning and not hasattr(self.config, "workerinput"):
            self.config.issue_config_time_warning(DeckWarning(choice.warning), stacklevel=2)

    def result(self, item: BlockItem):
        """The result of the deck of ``item``, a block of it."""
        return self.result_of(item, item.deck, item.deck.path)

    def result_of(self, node: pytest.Item, unit: Deck | Exercise, key: str):
        """The result of ``unit`` (a deck, an exercise, a general test file), known by
        ``key``: verified with every other collected one not verified yet, outside xdist."""
        if key not in self.results:
            self._verify(self._batch(node, unit, key))
        result = self.results[key]
        if isinstance(result, BaseException):
            raise RunnerFailed(f"{type(result).__name__}: {result}")
        return result

    def _batch(self, node: pytest.Item, unit: Deck | Exercise, key: str
               ) -> dict[str, Deck | Exercise]:
        """What to verify now (key → unit): this one, and outside xdist every other
        collected one."""
        units = {key: unit}
        if not hasattr(self.config, "workerinput"):
            for item in getattr(node.session, "items", None) or []:
                found = _unit(item)
                if found is not None and found[0] not in self.results:
                    units.setdefault(*found)
        return units

    def _verify(self, units: dict[str, Deck | Exercise]) -> None:
        from .verify import Verifier

        if self.verifier is None:
            self.verifier = Verifier(self.options, self.cache)
        try:
            for key, result in zip(units, self.verifier.verify(list(units.values()))):
                self.results[key] = result
        except Exception as err:  # the runner itself failed: every item of these says so
            for key in units:
                self.results.setdefault(key, err)

    def close(self) -> None:
        if self.verifier is not None:
            self.verifier.close()
            self.verifier = None


def _unit(item: pytest.Item) -> tuple[str, Deck | Exercise] | None:
    """(key, unit) of what an item reports on."""
    if isinstance(item, BlockItem) and isinstance(item.parent, DeckFile) and \
            item.parent.deck is not None:
        return item.parent.deck.path, item.parent.deck
    if isinstance(item, ExerciseItem):
        return item.exercise.path, item.exercise
    if isinstance(item, GeneralItem):
        return item.run.path, item.run
    return None


_RUNNER = pytest.StashKey[Runner]()
