"""The ``slideproof`` command line, one function per command:

- ``check PATH…``: verify decks for CI, with progress, tables, the causes, the JSON, JUnit
  and GitHub reports, and an exit code;
- ``fix PATH…``: verified spaCy 2→3 rewrites of failing blocks (what it prints and writes:
  ``fix_report``);
- ``render PATH… -o DIR``: decks as plain Markdown with their verified outputs;
- ``new DIR``: a course that builds as it is;
- ``export -o DIR``: the site source that builds without slideproof (``export``);
- ``report merge``: shard reports joined into one.

The flags map onto the core's options (``options.OPTION_TABLE``) over [tool.slideproof].
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

# Only what ``check`` needs to start its runner is imported here: rich, the search for fixes
# and the report formats load afterwards, while the runner imports spaCy.
from . import __version__, options, report
from .cache import Cache
from .course import Course, course_pages, general_tests_of, load_course
from .deck import DECK_SIZE_LIMIT, Deck, course_root, iter_deck_files, load_deck
from .errors import ConfigError, DeckError, Errors, SandboxError
from .exercise import Exercise, ExerciseResult, fixable_results
from .judge import DeckResult, Kind, Policy, Status, summary
from .options import Options
from .shard import parse_shard, select_shard
from .terminal import cell, display_path, say
from .terminal import console as make_console
from .verify import Verification, Verifier, runs_of

if TYPE_CHECKING:
    from rich.console import Console

# A status's colour is its kind's; a missing model is not the example's fault, and a blocked
# block is another block's.
KIND_STYLE = {Kind.OK: "green", Kind.INFO: "dim", Kind.SOFT: "yellow", Kind.HARD: "red"}
STATUS_STYLE = {Status.UNVERIFIED: "cyan", Status.BLOCKED: "magenta", "invalid file": "red"}


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The flags of every command that runs decks: one per option of the core
    (``options.OPTION_TABLE``); unset flags leave [tool.slideproof] or the default in charge."""
    group = parser.add_argument_group("running (flags override [tool.slideproof] in "
                                      "pyproject.toml)")
    options.add_flags(group.add_argument, "--", short=True, leave=options.POLICY_OPTIONS)
    add_policy_options(parser)


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("what fails")
    options.add_flags(group.add_argument, "--", keys=options.POLICY_OPTIONS)


def settings_from(args) -> options.Settings:
    """Parsed command-line args → the core's settings: the flags given, over
    [tool.slideproof] (found from the current folder), over the defaults. Raises
    ConfigError for a bad value, wherever it was written."""
    return options.settings_from_flags(lambda dest: getattr(args, dest, None), Path.cwd(),
                                       "--")


def options_from(args) -> tuple[options.Settings, Options, Policy, Cache]:
    """The settings and what a run of decks is made with, for every command that runs them."""
    settings = settings_from(args)
    return settings, settings.options(), settings.policy(), settings.cache()


def policy_from(args) -> Policy:
    return settings_from(args).policy()


def load_decks(paths: list[str], limit: int = DECK_SIZE_LIMIT):
    """Every deck under ``paths``, shown as found there, its language read inside its course
    folder; a file that cannot be read, or that was named but is not a deck, is one error
    and the others are still loaded."""
    folders = [Path(p) for p in paths if Path(p).is_dir()]
    decks, errors = [], []
    for path in iter_deck_files(paths):
        given = next((f for f in folders if f.absolute() in path.absolute().parents), None)
        try:
            deck = load_deck(path, root=course_root(path, given), limit=limit)
        except DeckError as err:
            errors.append(err)
            continue
        if deck.meta.get("type") != "slides":
            errors.append(DeckError(str(path), 1, Errors.SP101))
            continue
        decks.append(deck)
    return decks, errors


def course_folders(paths: list[str]) -> list[str]:
    """The folders the decks under ``paths`` are in, as far as the paths tell (the runner
    started before the decks are read shows these)."""
    return sorted({str(Path(p).resolve() if Path(p).is_dir() else Path(p).resolve().parent)
                   for p in paths})


def unwritable(path: str | None) -> str | None:
    """Why a report cannot be written to ``path`` (found before anything runs), or None."""
    if not path:
        return None
    target = Path(path)
    if target.is_dir():
        return Errors.SP106.format(path=path, reason="it is a folder")
    try:  # the one sure test, also for root on a read-only file system
        target.parent.mkdir(parents=True, exist_ok=True)  # as pytest does for --junitxml
        with tempfile.NamedTemporaryFile(dir=target.parent.resolve(), prefix=".slideproof-"):
            pass
    except OSError as err:
        return Errors.SP106.format(path=path, reason=err.strerror or str(err))
    if target.exists() and not os.access(target, os.W_OK):
        return Errors.SP106.format(path=path, reason="the file is read-only")
    return None


def check_usage(args: argparse.Namespace) -> str | None:
    """Why ``check`` cannot start (a path that does not exist, a report that cannot be
    written), found before anything runs; or None."""
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        return Errors.SP207.format(paths=", ".join(missing))
    return next((problem for problem in map(unwritable, (args.json, args.junit)) if problem),
                None)


def check(args) -> int:
    problem = check_usage(args)
    if problem:
        say(make_console(stderr=True), f"slideproof: {problem}", style="red")
        return 2
    settings, options, policy, cache = options_from(args)
    verifier = Verifier(options, cache)
    try:  # a --sandbox that is missing, or a weaker one under CI: say so before anything
        choice = verifier.sandbox_choice()
    except SandboxError as err:
        say(make_console(stderr=True), f"slideproof: {err}", style="red")
        return 2
    # The runner first: spaCy's import overlaps all that follows (rich's too).
    verifier.warm_up(course_folders(args.paths))
    console = make_console(stderr=True)
    if choice.warning:
        say(console, f"warning: {choice.warning}", style="yellow")
    limit = settings["max_deck_size"] << 20
    shard = None
    if args.shard:
        every = [str(p) for p, _ in course_pages(args.paths)]
        k, n = args.shard
        mine = select_shard(every, k, n)
        shard = {"index": k, "count": n, "paths": every}
        course = load_course(mine, limit, extras=False) if mine else Course()
        if k == 1:  # the general tests of the course's languages: in the first shard
            course.general = general_tests_of(every, limit).general
    else:
        course = load_course(args.paths, limit)
        if not course.items and not course.errors:
            verifier.close()
            say(console, f"slideproof: {Errors.SP100.format(paths=', '.join(args.paths))}",
                style="red")
            return 2
    verification = Verification(environment={}, decks=[], errors=course.errors)
    if choice.warning:
        verification.warnings.append(choice.warning)
    started = time.perf_counter()
    interrupted = not verify_with_progress(verifier, course.items, verification, console,
                                           quiet=args.quiet, fixes=not args.no_fix)
    verification.seconds = time.perf_counter() - started
    if cache.warning:
        verification.warnings.append(cache.warning)
        say(console, f"warning: {cache.warning}", style="yellow")
    data = report.to_json(verification, policy)
    if shard:
        data["shard"] = shard
    try:
        write_outputs(data, args, policy, json_path=args.json)
    except OSError as err:  # it could be written when the check started; not any more
        why = Errors.SP106.format(path=err.filename or args.json, reason=err.strerror or err)
        say(console, f"slideproof: {why}", style="red")
        return 2
    if not args.quiet:
        print_summary(console, verification, policy)
    if interrupted:
        say(console, Errors.SP151, style="red")
        return 130
    return 0 if data["ok"] else 1


def verify_with_progress(verifier: Verifier, items: list[Deck | Exercise],
                         verification: Verification, console: Console, *, quiet: bool,
                         fixes: bool) -> bool:
    """Verify ``items`` (decks and exercises) into ``verification`` (and, with ``fixes``,
    look for verified fixes of their failing blocks) under a progress bar, then close the
    verifier. False if Ctrl-C cut it short: what finished by then is kept, marked
    incomplete."""
    from . import fix as fix_mod

    decks = runs_of(items)
    progress = progress_bar("checking", console, quiet)
    # The rewrites the search for fixes tries are worked out while the runner starts.
    preparing = threading.Thread(target=fix_mod.prepare, args=(verifier, decks), daemon=True,
                                 name="slideproof-rewrites")
    if fixes:
        preparing.start()
    # Each deck's rewrites are tried as soon as the deck is done, beside the decks running.
    search = fix_mod.Search(verifier) if fixes else None
    try:
        with progress:
            task = progress.add_task("", total=len(decks))
            count = itertools.count(1)

            def advance(result: DeckResult) -> None:
                last = next(count) == len(decks)
                progress.update(task, advance=1, description="looking for verified fixes"
                                if last and search else Path(result.deck.path).name)

            verification.decks = verifier.verify(
                items, on_deck=advance, follow_up=search.follow_up if search else None)
            if search:
                preparing.join()  # (done long before, in practice; not cut off at exit)
                fix_mod.record(fixable_results(verification.decks), search.found())
    except KeyboardInterrupt:
        if not verification.decks:  # else only the search for fixes was interrupted
            verification.decks = list(verifier.finished)
        verification.incomplete = True
        return False
    finally:
        verification.environment = verifier.environment()
        verifier.close()
    return True


def progress_bar(doing: str, console: Console, quiet: bool):
    """A transient progress bar: what is being done, decks done of all, time, the last deck."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(TextColumn(f"[bold]{doing}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("{task.description}"),
                    console=console, transient=True, disable=quiet)


def print_summary(console: Console, verification: Verification, policy: Policy) -> None:
    """The decks' table, the exercises', the causes, every problem, then one line."""
    print_decks(console, verification.decks, policy)
    print_exercises(console, [d for d in verification.decks if isinstance(d, ExerciseResult)])
    print_causes(console, verification.decks)
    print_problems(console, verification)
    counts = report.summary(verification.decks)
    line = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    env = verification.environment
    cached = sum(1 for d in verification.decks if d.cached)  # not len(ran): Ctrl-C
    exercises = sum(isinstance(d, ExerciseResult) for d in verification.decks)
    items = f"{len(verification.decks) - exercises} decks" + (
        f" and {exercises} exercises" if exercises else "")
    say(console, f"{items} ({len(verification.decks) - cached} run, "
        f"{cached} cached), {line or 'no blocks'}"
        f"{f', {len(verification.errors)} invalid files' if verification.errors else ''}"
        f" in {verification.seconds:.1f} s — Python {env.get('python')}, "
        f"spaCy {env.get('spacy')}, sandbox {report.sandbox_summary(env)}")


def print_decks(console: Console, results: list[DeckResult], policy: Policy) -> None:
    from rich.table import Table

    decks = Table(title="Decks", title_justify="left")
    for column in ("deck", "blocks", "passed", "problems", "cached", "seconds"):
        decks.add_column(column, justify="right" if column not in ("deck",) else "left")
    for d in results:
        if isinstance(d, ExerciseResult):
            continue
        counts = summary(r.status for r in d.blocks)
        known = {status: n for s, n in counts.items() if (status := Status.of(s))}
        ok = sum(n for s, n in known.items() if s.kind is Kind.OK)
        problems = ", ".join(f"{n} {s}" for s, n in sorted(known.items()) if n and s.problem)
        decks.add_row(cell(display_path(d.deck.path)), str(len(d.blocks)), str(ok),
                      cell(problems, "red" if d.failures(policy) else ""),
                      "yes" if d.cached else "", f"{d.seconds:.2f}")
    console.print(decks)


def print_problems(console: Console, verification: Verification) -> None:
    rows = list(report.failure_rows(verification))
    if rows:
        console.print("[bold]Problems")
    for where, status, message, code in rows:
        style = STATUS_STYLE.get(status) or KIND_STYLE[status.kind]
        # file:line stays whole for editors and CI logs
        say(console, (f"{status.upper():>14}", style), f" {where}",
            (f"  {code}" if code else "", "bold"))
        for line in message.splitlines():
            say(console, f"{'':>15} {line}")


def print_exercises(console: Console, exercises: list[ExerciseResult]) -> None:
    """The coding exercises, counted by language and status; their problems are listed with
    the others, and what their skeletons say as warnings."""
    if not exercises:
        return
    from rich.table import Table

    table = Table(title="Exercises", title_justify="left")
    counts = summary(e.status for e in exercises)
    # the statuses found, in the summary's order (an exercise's is ours: never one a report
    # read back may name that this version does not know)
    found = [s for s in Status if counts[s]]
    for column in ("language", "exercises", *found):
        table.add_column(str(column), justify="left" if column == "language" else "right")
    for lang in sorted({e.exercise.lang or "" for e in exercises}):
        mine = [e for e in exercises if (e.exercise.lang or "") == lang]
        mine_counts = summary(e.status for e in mine)
        table.add_row(lang or "—", str(len(mine)), *(
            cell(str(mine_counts[s]) if mine_counts[s] else "", KIND_STYLE[s.kind])
            for s in found))
    console.print(table)
    for e in exercises:
        for warning in e.warnings:
            say(console, f"warning: {warning}", style="yellow")


def print_causes(console: Console, decks, limit: int = 10) -> None:
    """What most blocks fail for, first: one fix there clears many of the problems below."""
    found = report.causes(decks)
    if not found:
        return
    console.print("[bold]Causes[/] (most blocks first)")
    for cause in found[:limit]:
        say(console, f"  • {cause.line()}")
        where = ", ".join(f"{display_path(p)}:{n}" for p, n in cause.blocks[:3])
        more = len(cause.blocks) - 3
        say(console, f"    {where}{f' and {more} more' if more > 0 else ''}")
    if len(found) > limit:
        console.print(f"  … and {len(found) - limit} more causes", highlight=False)


def write_outputs(data: dict, args, policy: Policy, json_path: str | None) -> None:
    """The report in every format asked for: JSON, JUnit XML, GitHub annotations."""
    from . import ci_formats

    if json_path:
        report.write_json(data, json_path)
    if args.junit:
        ci_formats.write_junit(data, args.junit, policy)
    if args.github:
        for line in ci_formats.github_commands(data, policy):
            print(line, flush=True)


def merge(args) -> int:
    """``slideproof report merge A.json B.json … -o OUT.json``: shard reports → one."""
    console = make_console(stderr=True)
    parts = []
    for name in args.reports:
        try:
            parts.append(json.loads(Path(name).read_text("utf-8")))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            say(console, f"slideproof: {Errors.SP150.format(path=name, problem=err)}", style="red")
            return 2
    policy = policy_from(args)
    try:
        data = report.merge_reports(parts, policy)
    except report.MergeError as err:
        say(console, f"slideproof: {err}", style="red")
        return 2
    write_outputs(data, args, policy, json_path=args.output)
    for warning in data["warnings"]:
        say(console, f"warning: {warning}", style="yellow")
    if not args.quiet:
        line = ", ".join(f"{n} {s}" for s, n in data["summary"].items() if n)
        invalid = f", {len(data['errors'])} invalid files" if data["errors"] else ""
        say(console, f"{len(data['decks'])} decks from {len(parts)} reports, "
            f"{line or 'no blocks'}{invalid}"
            f"{' (incomplete)' if data['incomplete'] else ''} → {args.output}")
    return 0 if data["ok"] else 1


def shard_arg(text: str) -> tuple[int, int]:
    try:
        return parse_shard(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_ci_outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--junit", metavar="FILE",
                        help="write a JUnit XML report to FILE (one testcase per block)")
    parser.add_argument("--github", action="store_true",
                        help="print GitHub Actions annotations (::error file=…,line=…::)")


def render(args) -> int:
    """Decks → plain Markdown files (with their verified outputs), for any other engine."""
    from .render import render_markdown

    console = make_console(stderr=True)
    settings, options, policy, cache = options_from(args)
    decks, errors = load_decks(args.paths, settings["max_deck_size"] << 20)
    for err in errors:
        say(console, err, style="red")
    results = {}
    if decks and not args.no_execute:
        verifier = Verifier(options, cache)
        try:
            results = {r.deck.path: r for r in verifier.verify(decks)}
            spacy_version = verifier.environment().get("spacy", "")
        finally:
            verifier.close()
    else:
        spacy_version = ""
    out = Path(args.output)
    roots = [Path(p) for p in args.paths]
    for deck in decks:
        source = Path(deck.path)
        root = next((r for r in roots if r.is_dir() and r in source.parents), source.parent)
        target = out / source.relative_to(root)
        result = results.get(deck.path)
        text = render_markdown(deck, result.blocks if result else None,
                               mode="serve" if args.show_all else "build", policy=policy,
                               spacy_version=spacy_version, static_url=lambda p: "/" + p)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
        if not args.quiet:
            say(console, f"{display_path(deck.path)} → {display_path(str(target))}")
    failing = any(r.failures(policy) or r.error for r in results.values())
    return 1 if errors or failing else 0


def init_course(args) -> int:
    """``slideproof init [DIR]``: mkdocs.yml for a course laid out as the spaCy course is."""
    from .init import init

    console = make_console(stderr=True)
    written = init(Path(args.folder), args.name)
    say(console, f"created {display_path(str(written))}")
    say(console, f"next: cd {args.folder} && mkdocs serve")
    return 0


def new_course(args) -> int:
    from .new import create, parse_langs

    written = create(Path(args.folder), parse_langs(args.lang), args.name)
    console = make_console(stderr=True)
    for path in written:
        say(console, f"created {display_path(str(path))}")
    say(console, f"next: cd {args.folder} && mkdocs serve")
    return 0


def fix(args) -> int:
    """``slideproof fix PATH…``: rewrites of failing blocks that were run before being offered
    (and, unless --verified-only, partial ones: the block then stops only on its context)."""
    from . import fix as fix_mod
    from .fix_report import FixReport

    console = make_console(stderr=True)
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        say(console, f"slideproof: {Errors.SP300.format(paths=', '.join(missing))}", style="red")
        return 2
    settings, options, policy, cache = options_from(args)
    verifier = Verifier(options, cache)
    try:
        choice = verifier.sandbox_choice()
    except SandboxError as err:
        say(console, f"slideproof: {err}", style="red")
        return 2
    if choice.warning:
        say(console, f"warning: {choice.warning}", style="yellow")
    # the decks, and the exercises' solutions (their tests and the general tests are left)
    course = load_course(args.paths, settings["max_deck_size"] << 20)
    errors = course.errors
    for invalid in errors:
        say(console, invalid, style="red")
    try:
        with console.status("verifying decks and rewrites", spinner="line"):
            results = fixable_results(verifier.verify(course.decks + course.exercises))
            found = fix_mod.propose(verifier, results)
    except KeyboardInterrupt:
        say(console, Errors.SP152, style="red")
        return 130
    finally:
        verifier.close()
    done = FixReport(write=args.write, update_output=args.update_output,
                     with_partial=not args.verified_only, left=bool(errors))
    out = make_console(highlight=False, soft_wrap=True)  # the diff, on stdout
    for result in results:
        done.add(result, found.get(result.deck.path), policy, out, console)
    if not args.quiet:
        done.print_summary(console, found, len(results))
    return 1 if done.left else 0


def export_site(args) -> int:
    """The course → a site source that MkDocs or Zensical build without slideproof."""
    from .export import export  # imports nbformat; `check` does not need it

    console = make_console(stderr=True)
    config = Path(args.config_file)
    progress = progress_bar("verifying", console, args.quiet)
    started = time.perf_counter()
    try:
        with progress:
            task = progress.add_task("", total=None)

            def advance(result) -> None:
                progress.update(task, advance=1, description=Path(result.deck.path).name)

            done = export(config, Path(args.output), on_deck=advance)
    except ConfigError as err:
        say(console, err, style="red")
        return 2
    except KeyboardInterrupt:
        say(console, Errors.SP153, style="red")
        return 130
    verification = done.verification
    verification.seconds = time.perf_counter() - started
    for warning in done.warnings:
        say(console, f"warning: {warning}", style="yellow")
    data = report.to_json(verification, done.policy)
    write_outputs(data, args, done.policy, json_path=args.json)
    if not args.quiet:
        print_summary(console, verification, done.policy)
        say(console, f"exported to {display_path(args.output)}: build it with "
            f"'zensical build -f {Path(args.output) / 'mkdocs.yml'}' or "
            f"'mkdocs build -f {Path(args.output) / 'mkdocs.yml'}'")
    return 0 if data["ok"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="slideproof", description=(
        "Run every Python example of Markdown slide decks against the installed spaCy."))
    parser.add_argument("--version", action="version", version=f"slideproof {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="verify decks (files or folders) and report")
    c.add_argument("paths", nargs="+", metavar="PATH")
    c.add_argument("--json", metavar="FILE", help="write the JSON report to FILE")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress bar or tables")
    add_ci_outputs(c)
    c.add_argument("--shard", type=shard_arg, metavar="K/N",
                   help="check only part K of N (for N parallel CI jobs; join their --json "
                        "reports with 'slideproof report merge')")
    c.add_argument("--no-fix", action="store_true",
                   help="do not look for verified fixes of failing blocks")
    add_run_options(c)
    c.set_defaults(func=check)
    f = sub.add_parser("fix", help="rewrite examples broken by spaCy API changes, offering "
                       "only rewrites that were run and work")
    f.add_argument("paths", nargs="+", metavar="PATH")
    f.add_argument("--write", action="store_true",
                   help="apply the fixes to the deck files (only code inside fences changes)")
    f.add_argument("--update-output", action="store_true",
                   help="also replace the ```out block of a block whose output now differs "
                        "because of the fixes with its new real output")
    f.add_argument("--verified-only", action="store_true",
                   help="offer (and write) only fixes after which the block runs, not partial "
                        "ones after which it stops only on its context")
    f.add_argument("-q", "--quiet", action="store_true", help="no summary")
    add_run_options(f)
    f.set_defaults(func=fix)
    w = sub.add_parser("render", help="write decks as plain Markdown with their verified "
                       "outputs (for a site built by another engine)")
    w.add_argument("paths", nargs="+", metavar="PATH")
    w.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    w.add_argument("--no-execute", action="store_true",
                   help="render the decks as written, without running anything")
    w.add_argument("--show-all", action="store_true",
                   help="show failing blocks with their status instead of withholding them")
    w.add_argument("-q", "--quiet", action="store_true")
    add_run_options(w)
    w.set_defaults(func=render)
    n = sub.add_parser("new", help="create a course: a chapter page with a deck, a coding "
                       "exercise and a choice per language, mkdocs.yml, [tool.slideproof] and "
                       "a CI workflow")
    n.add_argument("folder", metavar="DIR")
    n.add_argument("--lang", default="en", metavar="LANGS",
                   help="languages, comma-separated (default en), e.g. en,pt")
    n.add_argument("--name", help="the site's name (default: the folder's name)")
    n.set_defaults(func=new_course)
    i = sub.add_parser("init", help="write mkdocs.yml for a course laid out as chapters/LANG/, "
                       "exercises/LANG/ and static/ (the spaCy course's layout), moving no file")
    i.add_argument("folder", metavar="DIR", nargs="?", default=".")
    i.add_argument("--name", help="the site's name (default: the folder's name)")
    i.set_defaults(func=init_course)
    x = sub.add_parser("export", help="verify the course like 'mkdocs build' and write a site "
                       "source that builds without slideproof (Zensical, plain MkDocs)")
    x.add_argument("-f", "--config-file", default="mkdocs.yml", metavar="FILE",
                   help="the course's MkDocs configuration (default mkdocs.yml)")
    x.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="output folder (replaced if an earlier export wrote it)")
    x.add_argument("--json", metavar="FILE", help="write the JSON report to FILE")
    x.add_argument("-q", "--quiet", action="store_true", help="no progress bar or tables")
    add_ci_outputs(x)
    x.set_defaults(func=export_site)
    r = sub.add_parser("report", help="work with JSON reports")
    rsub = r.add_subparsers(dest="report_command", required=True)
    m = rsub.add_parser("merge", help="join the --json reports of shards into one report")
    m.add_argument("reports", nargs="+", metavar="REPORT")
    m.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="write the merged JSON report to FILE")
    m.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    add_ci_outputs(m)
    add_policy_options(m)
    m.set_defaults(func=merge)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as err:
        say(make_console(stderr=True), f"slideproof: {err}", style="red")
        return 2
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
