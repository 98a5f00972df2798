"""Coding exercises and a course's general tests, run the way decks are; one status each.

A coding exercise (``<codeblock id="ID">`` on a chapter page) runs as the course's test
template says: the solution's code, then the test's code and ``test()``, in one namespace
where ``__solution__`` is the solution's source and ``__msg__`` wasabi's printer (spaCy
depends on wasabi), with the course folder as its working folder (shown read-only, so a
solution opens ``exercises/en/countries.json`` as the course does). Its skeleton runs the
same way, in a process of its own: it must parse and must not pass the test.

Each of those runs is a deck of a kind (``ExerciseRun``, a ``Deck`` whose blocks are whole
files: line 0 is the line before the file, so a block's code is the file's lines): planned
here, then run, cached and judged by the pipeline decks take (``verify.Verifier``), in the
same pool, sandbox and policy. ``judge_exercise`` turns the two results into the exercise's
one status, with the file and line of what went wrong, in the solution or in the test.

``exercises/LANG/test_general.py`` (plain pytest functions, with the fixtures of its own
file) runs as a ``GeneralRun``: the file, then each test function as a block of its own.
"""

from __future__ import annotations

import ast
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .chapter import Chapter, CodeRef, Section
from .deck import DECK_SIZE_LIMIT, Block, Deck, Slide, decode, read_source
from .errors import DeckError, Errors
from .judge import BLOCKED, FAILED, PASSED, SKIPPED, BlockResult, DeckResult, Status
from .options import Options
from .protocol import BlockPlan, Plan, SetupSource

GENERAL_TESTS = "test_general.py"
Show = Callable[[Path], str]  # how a course's file is shown to a person (``shown_under``)
INPUT_LIMIT = 64 << 20  # bytes of a data file hashed into the cache key


@dataclass
class SourceFile:
    shown: str
    file: str  # absolute
    text: str

    @classmethod
    def read(cls, file: str | Path, shown: str, limit: int = DECK_SIZE_LIMIT) -> SourceFile:
        try:
            data = read_source(file, limit)
        except DeckError as err:
            raise DeckError(shown, err.line, err.message) from None
        return cls(shown, str(Path(file).absolute()), decode(data, shown))

    @property
    def code(self) -> str:
        """The file's lines as one block's code (a last line end is not a line)."""
        return self.text[:-1] if self.text.endswith("\n") else self.text

    def line_count(self) -> int:
        return self.code.count("\n") + 1


@dataclass
class Exercise:
    """A coding exercise of a chapter page: its files, and where the page shows it."""

    id: str
    lang: str | None
    chapter: str  # the chapter page, as shown
    line: int  # the line of its <codeblock> there
    section: str  # the id of the <exercise> it is in: the section's anchor
    title: str  # that <exercise>'s title
    hint: str
    root: str  # the course folder: the working folder of its runs
    skeleton: SourceFile
    solution: SourceFile
    test: SourceFile

    @property
    def path(self) -> str:
        """What a person is shown as the exercise (the file its fixes are written to)."""
        return self.solution.shown

    def runs(self) -> list[ExerciseRun]:
        return [ExerciseRun.of(self, "solution"), ExerciseRun.of(self, "skeleton")]


def file_block(code: str, line: int = 0, file: str = "") -> Block:
    """A python block that is a whole file (``line`` 0) or one of its lines."""
    return Block(lang="python", code=code, line=line, end_line=line + code.count("\n") + 2,
                 file=file)


@dataclass
class ExerciseRun(Deck):
    """One run of an exercise: the solution (``role``) or the skeleton, then the test."""

    exercise: Exercise = field(kw_only=True)
    role: str = "solution"

    @classmethod
    def of(cls, exercise: Exercise, role: str) -> ExerciseRun:
        main = exercise.solution if role == "solution" else exercise.skeleton
        test = exercise.test.code.rstrip("\n") + "\n\ntest()"
        # The test follows the main file: its block's line (an identity, never shown) comes
        # after the main file's lines; its code keeps the test file's own lines.
        blocks = [file_block(main.code), file_block(test, main.line_count() + 1,
                                                    exercise.test.shown)]
        return cls(path=main.shown, meta={}, slides=[Slide(1, 1, parts=list(blocks))],
                   body_line=1, lang=exercise.lang, source=main.file, exercise=exercise,
                   role=role)

    @property
    def title(self) -> str:
        ex = self.exercise
        return f"{ex.id} · {ex.title}" if ex.title else ex.id

    def run_plan(self, options: Options) -> Plan:
        ex = self.exercise
        main, test = self.python_blocks
        namespace = f"from wasabi import msg as __msg__\n__solution__ = {main.code!r}\n"
        plan = _plan(self, options, ex.root, _hidden_source(
            f"{self.path} (__msg__, __solution__)", namespace, "<exercise namespace>"))
        plan["blocks"][1]["file"] = ex.test.file
        plan["inputs"] = inputs(ex.root, [main.code, test.code])
        return plan


def _hidden_source(name: str, code: str, filename: str) -> SetupSource:
    """Set-up code of our own, compiled under a name of its own: no traceback or line of
    the course's files points into it."""
    return {"name": name, "code": f"exec(compile({code!r}, {filename!r}, 'exec'))",
            "first_line": 1}


def _plan(deck: Deck, options: Options, root: str, setup: SetupSource) -> Plan:
    """A run of whole files and lines of them: each block compiled with its file's lines.
    No prelude: an exercise, a test file, is a program of its own."""
    blocks: list[BlockPlan] = []
    for index, block in enumerate(deck.python_blocks):
        # A whole file (line 0, or another file's: the test) starts at its line 1; a line
        # of the run's file (a general test's call) is that line.
        first = 1 if block.file or not block.line else block.line
        blocks.append({"index": index, "line": block.line, "first_line": first,
                       "code": block.code, "skip": None, "isolated": False,
                       "timeout": None, "requires": [], "setup": False})
    return {"path": deck.file, "setup": [setup], "blocks": blocks,
            "models": dict(options.models), "timeout": float(options.timeout),
            "limits": options.limits(), "cwd": root}


def inputs(root: str, codes: list[str]) -> dict[str, str]:
    """The course's files the code names by a path (``"exercises/en/countries.json"``,
    relative to the course folder, where it runs) → their sha256, for the cache key: an
    edit to a data file runs the exercises that open it again."""
    base = Path(root).resolve()
    found: dict[str, str] = {}
    for code in codes:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or \
                    not 0 < len(node.value) < 500 or "\n" in node.value:
                continue
            try:
                path = (base / node.value).resolve()
                if base not in path.parents or not path.is_file() or \
                        path.stat().st_size > INPUT_LIMIT:
                    continue
                found[path.relative_to(base).as_posix()] = hashlib.sha256(
                    path.read_bytes()).hexdigest()
            except (OSError, ValueError):
                continue
    return dict(sorted(found.items()))


# -- a course's general tests --------------------------------------------------------------
# Plain pytest functions: each called with the fixtures its file defines (function scope, a
# generator fixture's code after its yield run once the test ends), as pytest would call it.
_FIXTURES = '''
def __slideproof_test__(test):
    import inspect

    made, ends = {}, []

    def fixture(name, asking):
        if name in made:
            return made[name]
        found = test.__globals__.get(name)
        unwrap = getattr(found, "_get_wrapped_function", None)
        function = unwrap() if unwrap else getattr(
            getattr(found, "__pytest_wrapped__", None), "obj", None)
        if function is None:
            raise LookupError(MESSAGE.format(name=asking, fixture=name))
        value = function(**{p: fixture(p, name)
                            for p in inspect.signature(function).parameters})
        if inspect.isgenerator(value):
            ends.append(value)
            value = next(value)
        made[name] = value
        return value

    try:
        return test(**{p: fixture(p, test.__name__)
                       for p in inspect.signature(test).parameters})
    finally:
        for end in reversed(ends):
            next(end, None)
'''


def test_functions(code: str) -> list[tuple[str, int]]:
    """(name, line) of the module-level ``test_*`` functions of a test file (read, not run)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    return [(node.name, node.lineno) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test")]


@dataclass
class GeneralRun(Deck):
    """``exercises/LANG/test_general.py``: the file, then each of its tests as a block."""

    root: str = ""
    tests: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, source: SourceFile, lang: str | None, root: str) -> GeneralRun:
        found = test_functions(source.code)
        blocks = [file_block(source.code)] + [
            file_block(f"__slideproof_test__({name})", line) for name, line in found]
        for block, (name, _) in zip(blocks[1:], found):
            block.info = name
        return cls(path=source.shown, meta={}, slides=[Slide(1, 1, parts=list(blocks))],
                   body_line=1, lang=lang, source=source.file, root=root,
                   tests=[name for name, _ in found])

    @property
    def title(self) -> str:
        return Path(self.path).name

    def run_plan(self, options: Options) -> Plan:
        shim = f"MESSAGE = {Errors.SP613.format(name='{name}', fixture='{fixture}')!r}\n" + \
            _FIXTURES
        plan = _plan(self, options, self.root, _hidden_source(
            f"{self.path} (pytest fixtures)", shim, "<pytest fixtures>"))
        plan["inputs"] = inputs(self.root, [b.code for b in self.python_blocks[:1]])
        return plan



# -- results -------------------------------------------------------------------------------
@dataclass
class ExerciseResult(DeckResult):
    """An exercise's one status: its solution and test run's (``blocks``: the solution's,
    then the test's), the first that did not pass, with its file and line."""

    exercise: Exercise = field(kw_only=True)
    skeleton: DeckResult | None = None
    status: Status = PASSED
    message: str = ""
    path: str = ""  # the file of what went wrong (the solution or the test), as shown
    line: int = 1
    warnings: list[str] = field(default_factory=list)  # the skeleton's problems

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def solution(self) -> BlockResult:
        return self.blocks[0]

    def place(self, r: BlockResult) -> tuple[str, int]:
        """(file, line) of one of its blocks: the solution's, or the test's."""
        ex = self.exercise
        source = ex.test if r.block.file else (
            ex.solution if self.deck.path == ex.solution.shown else ex.skeleton)
        return source.shown, _line_in(r, source)

    def problem_block(self) -> BlockResult | None:
        return next((r for r in self.blocks if r.status.problem or r.status is SKIPPED),
                    None)


def _line_in(result: BlockResult, source: SourceFile) -> int:
    """The line of ``source`` to point at for ``result``: its error's, else its first."""
    line = (result.error or {}).get("line")
    if isinstance(line, int) and 1 <= line <= source.line_count():
        return line
    if "def test" in source.text:  # a test that stopped outside its lines: its function
        return next((n for n, text in enumerate(source.text.split("\n"), start=1)
                     if text.startswith("def test")), 1)
    return 1


def judge_exercise(exercise: Exercise, solved: DeckResult,
                   skeleton: DeckResult | None) -> ExerciseResult:
    """The exercise's status: its solution's, else its test's; and what its skeleton
    says about it (it does not parse; it passes the test already)."""
    result = ExerciseResult(solved.deck, solved.blocks, seconds=solved.seconds + (
        skeleton.seconds if skeleton else 0.0), cached=solved.cached and (
        skeleton is None or skeleton.cached), error=solved.error, exercise=exercise,
        skeleton=skeleton, path=exercise.solution.shown)
    test = solved.blocks[1] if len(solved.blocks) > 1 else None
    if test is not None and test.status is BLOCKED and test.blocked_by == 0:
        test.message = Errors.SP614.format(name=(test.error or {}).get("name"),
                             path=exercise.solution.shown)
    problem = result.problem_block()
    if solved.error:
        result.status, result.message = FAILED, solved.error
    elif problem is not None:
        source = exercise.test if problem.block.file else exercise.solution
        result.status, result.message = problem.status, problem.message
        result.path, result.line = source.shown, _line_in(problem, source)
    if skeleton is not None and skeleton.blocks:
        first = skeleton.blocks[0]
        error = first.error or {}
        if "SyntaxError" in (error.get("bases") or [error.get("type")]):
            line = error.get("line") or 1
            result.warnings.append(f"{exercise.skeleton.shown}:{line}: " + Errors.SP609.format(
                path=exercise.skeleton.shown,
                error=f"{error.get('type')}: {error.get('message')}"))
        elif not skeleton.error and all(r.status is PASSED for r in skeleton.blocks):
            result.warnings.append(f"{exercise.skeleton.shown}:1: " + Errors.SP608.format(
                path=exercise.skeleton.shown, test=exercise.test.shown))
    return result


# -- from chapter pages --------------------------------------------------------------------
def exercises_of(chapter: Chapter, show: Show, limit: int = DECK_SIZE_LIMIT
                 ) -> tuple[list[Exercise], list[DeckError]]:
    """The coding exercises of ``chapter`` whose files are there (``show(path)``: how a
    file is shown), and the files that cannot be read."""
    found: list[Exercise] = []
    errors: list[DeckError] = []
    for section in chapter.sections:
        for part in section.parts:
            if not isinstance(part, CodeRef) or part.files is None:
                continue
            try:
                files = {role: SourceFile.read(path, show(Path(path)), limit)
                         for role, path in part.files.items()}
            except DeckError as err:
                errors.append(err)
                continue
            found.append(_exercise(chapter, section, part, files))
    return found, errors


def _exercise(chapter: Chapter, section: Section, code: CodeRef,
              files: dict[str, SourceFile]) -> Exercise:
    return Exercise(id=code.id, lang=chapter.lang, chapter=chapter.path, line=code.line,
                    section=section.id, title=section.title, hint=code.hint,
                    root=chapter.root, skeleton=files["skeleton"],
                    solution=files["solution"], test=files["test"])


def general_tests(root: str, lang: str | None, show: Show, limit: int = DECK_SIZE_LIMIT
                  ) -> GeneralRun | None:
    """The course's general tests for ``lang`` (``exercises/LANG/test_general.py``), if any."""
    folder = Path(root) / "exercises" / lang if lang else Path(root) / "exercises"
    path = folder / GENERAL_TESTS
    if not path.is_file():
        return None
    return GeneralRun.of(SourceFile.read(path, show(path), limit), lang, root)


def fixable_results(results: list[DeckResult]) -> list[DeckResult]:
    """What ``slideproof fix`` may rewrite: decks and exercises' solutions (not the general
    tests, nor an exercise's test, whose blocks are calls and another file's code)."""
    return [r for r in results if not isinstance(r.deck, GeneralRun)]


def shown_under(base: str | Path) -> Show:
    """``show(path)``: a path as seen from ``base`` (the current folder, mkdocs.yml's)."""
    base = os.path.abspath(base)

    def show(path: Path) -> str:
        relative = os.path.relpath(os.path.abspath(path), base)
        return Path(relative).as_posix()

    return show
