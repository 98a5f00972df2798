"""Decks → raw per-block results, through a pool of warm, sandboxed workers.

``plan_for`` turns a Deck into what the worker needs (code, deck lines, attributes,
limits); a ``Runner`` starts ``slideproof.worker`` once in its own sandbox, keeps it alive
(across ``mkdocs serve`` rebuilds too) and streams each deck's events back; the ``Pool``
runs decks side by side in as many runners as it has jobs, one deck at a time in each, so
that no deck ever shares a sandbox with another deck still running. This process never
runs an example and never imports spaCy.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .cache import models_loaded
from .deck import Deck
from .errors import coded
from .protocol import (
    DECK_EVENTS,
    HARD_KILL_GRACE,
    BlockPlan,
    DeckDone,
    Limits,
    Plan,
    SetupSource,
    WorkerConfig,
)

GiB = 1 << 30


@dataclass
class Options:
    """What a run may do. The CLI flags and the MkDocs plugin options map onto these."""

    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    timeout: float = 60.0
    output_limit: int = 1_000_000  # characters per block
    memory_limit: int = 4 * GiB  # address space of a deck's process
    cpu_limit: int = 600  # CPU seconds of a deck's process
    file_size_limit: int = 256 * (1 << 20)
    process_limit: int = 256
    open_files_limit: int = 1024
    models: dict[str, str] = field(default_factory=dict)
    preload: list[str] | None = None  # None: every alias target
    # language ('*': every language) → (name shown in tracebacks, code)
    prelude: dict[str, tuple[str, str]] = field(default_factory=dict)
    sandbox: str = "auto"
    env_allow: tuple[str, ...] = ()
    data: tuple[str, ...] = ()  # course files examples may open, besides the decks' folders
    tmp_limit: int = 512 * (1 << 20)  # bytes in the run's temp folder (bubblewrap: a tmpfs)
    deadline_grace: float = 15.0  # seconds a deck gets past the sum of its blocks' timeouts
    deadline_cap: float = 4 * 3600.0  # the longest any one deck may run, whatever it says

    def prelude_for(self, lang: str | None) -> tuple[str, str] | None:
        """The deck's language's prelude, else the one for every language."""
        return self.prelude.get(lang or "") or self.prelude.get("*")

    def limits(self) -> Limits:
        return {"output": self.output_limit, "memory": self.memory_limit,
                "cpu": self.cpu_limit, "file_size": self.file_size_limit,
                "processes": self.process_limit, "open_files": self.open_files_limit}

    def worker_config(self, plans: dict[str, Plan]) -> WorkerConfig:
        """By default the worker preloads the alias targets the decks at hand load: a model
        no deck uses would only cost start-up time and memory."""
        preload = self.preload
        if preload is None:
            preload = sorted({plan["models"][name] for plan in plans.values()
                              for name in models_loaded(plan) if name in plan["models"]})
        return {"preload": preload}


def _front_matter_line(deck: Deck, key: str) -> int:
    """Deck line where ``key:`` is written in the front matter (for setup code lines)."""
    try:
        text = Path(deck.path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return 2
    for number, line in enumerate(text.splitlines()[:deck.body_line], start=1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return number
    return 2


def plan_for(deck: Deck, options: Options) -> Plan:
    """Everything the worker needs to run ``deck``; also what the cache key is made of."""
    setup: list[SetupSource] = []
    prelude = options.prelude_for(deck.language)
    if prelude and prelude[1].strip():
        setup.append({"name": prelude[0], "code": prelude[1], "first_line": 1})
    if deck.setup_code.strip():
        first = _front_matter_line(deck, "setup")
        # 'setup: |' puts the code on the lines after the key.
        setup.append({"name": f"{deck.path} (front matter setup)", "code": deck.setup_code,
                      "first_line": first + 1})
    models = dict(options.models)
    models.update(deck.meta.get("models") or {})
    deck_requires = list(deck.meta.get("requires") or [])
    blocks: list[BlockPlan] = []
    for index, block in enumerate(deck.python_blocks):
        skip = block.attrs.get("skip")
        blocks.append({
            "index": index, "line": block.line, "first_line": block.first_code_line,
            "code": block.code,
            "skip": (skip if isinstance(skip, str) else "") if skip else None,
            "isolated": bool(block.attrs.get("isolated")),
            "timeout": block.attrs.get("timeout") or deck.meta.get("timeout"),
            "requires": deck_requires + list(block.attrs.get("requires") or []),
            "setup": bool(block.attrs.get("setup")),
        })
    return {"path": deck.path, "setup": setup, "blocks": blocks, "models": models,
            "timeout": float(deck.meta.get("timeout") or options.timeout),
            "limits": options.limits()}


_LANG_USE = re.compile(r"""spacy\.blank\(\s*['"]([a-z]{2,3})['"]|spacy\.lang\.([a-z]{2,3})\b""")
_SPACY_IMPORT = re.compile(r"^\s*(?:from|import)\s+(spacy(?:\.[a-z_]+)+)", re.MULTILINE)


def modules_used(plans: dict[str, Plan]) -> list[str]:
    """spaCy modules the decks import (language classes above all): the warm worker imports
    them once, before forking, instead of every deck importing them again."""
    found: set[str] = set()
    for plan in plans.values():
        for source in plan["setup"] + plan["blocks"]:
            for blank, lang in _LANG_USE.findall(source["code"]):
                found.add(f"spacy.lang.{blank or lang}")
            found.update(_SPACY_IMPORT.findall(source["code"]))
    return sorted(found)


class WorkerDied(RuntimeError):
    pass


def deck_deadline(plan: Plan, options: Options) -> float:
    """Wall-clock seconds the parent lets a deck run before it stops waiting for the runner:
    every setup source and block at its timeout, the runner's own kill grace per block, and
    a grace for forking and start-up, capped."""
    timeouts = [float(plan["timeout"])] * len(plan["setup"]) + [
        float(b.get("timeout") or plan["timeout"]) for b in plan["blocks"]
        if b.get("skip") is None]
    total = sum(t + HARD_KILL_GRACE for t in timeouts) + options.deadline_grace
    return min(total, options.deadline_cap)


class Protocol:
    """What a deck may say, in what order: checked for every event of its channel, so a deck
    that writes anything else is reported as having broken the protocol (and nothing it
    wrote after that counts)."""

    def __init__(self, plan: Plan):
        self.order = [b["index"] for b in plan["blocks"]]
        self.setups = len(plan["setup"])
        self.setups_started = 0
        self.pos = 0  # position in ``order`` of the next block to report
        self.current: int | None = None  # index of the source started and not reported
        self.ended = False

    def check(self, event: dict) -> str | None:
        """None if ``event`` may come now; otherwise what is wrong with it."""
        kind = event.get("event")
        if kind not in DECK_EVENTS:
            return f"unknown event {_short(kind)}"
        if self.ended:
            return f"a '{kind}' event after the setup failed"
        if kind == "setup-failed":  # names its source, not a block
            if self.current != -1:
                return "a setup failure with no setup running"
            self.ended = True
            return _block_shape(event)
        index = event.get("index")
        if isinstance(index, bool) or not isinstance(index, int):
            return f"a '{kind}' event without a block index"
        expected = self.order[self.pos] if self.pos < len(self.order) else None
        if kind == "start":
            if not _number(event.get("timeout")):
                return "a 'start' event without a timeout"
            if index == -1:
                if self.pos or self.setups_started >= self.setups or self.current not in (
                        None, -1):
                    return "a setup started out of order"
                self.setups_started += 1
            elif index != expected or self.setups_started < self.setups or \
                    self.current not in (None, -1):
                return f"block {index} started out of order (expected {expected})"
            self.current = index
            return None
        if index != expected:
            what = "a duplicate" if index in self.order[:self.pos] else (
                "an unknown block" if index not in self.order else "out of order")
            after = (f"expected {expected}" if expected is not None
                     else "every block was reported")
            return f"a result for block {index}: {what} ({after})"
        plain = event.get("skipped") or event.get("missing_models")
        if self.setups_started < self.setups or (self.current != index and not plain):
            return f"a result for block {index}, which was never started"
        self.pos += 1
        self.current = None
        return _block_shape(event)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        0 <= value < float("inf")


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _block_shape(event: dict) -> str | None:
    """The fields the judge reads have the types it expects."""
    kinds = {"output": str, "display": (str, type(None)), "error": (dict, type(None)),
             "warnings": list, "seconds": (int, float), "source": str,
             "missing_models": list}
    for key, kind in kinds.items():
        if key in event and not isinstance(event[key], kind):
            return f"the field '{key}' has the wrong type"
    error = event.get("error")
    if error is not None:
        for key in ("type", "message"):
            if not isinstance(error.get(key, ""), str):
                return f"the error's '{key}' is not text"
        if not isinstance(error.get("line"), (int, type(None))) or not isinstance(
                error.get("bases", []), list):
            return "the error has fields of the wrong type"
    if not all(isinstance(w, dict) and isinstance(w.get("message", ""), str)
               for w in event.get("warnings") or []):
        return "a warning has the wrong shape"
    if not all(isinstance(m, str) for m in event.get("missing_models") or []):
        return "the missing models are not names"
    return None


STARTUP_TIMEOUT = 600.0  # importing spaCy and loading the models to preload


class Runner:
    """One warm worker (spaCy imported once) in its own sandbox, forking a child per deck.

    The parent is the watchdog: each deck gets a wall-clock deadline (``deck_deadline``);
    past it the runner's whole process group is killed — whatever state a deck put it in
    (stopped, frozen) — the deck is reported, and the others go on in a fresh runner."""

    def __init__(self, options: Options):
        self.options = options
        self.proc: subprocess.Popen | None = None
        self.info: dict = {}
        self.sandbox = sandbox.choose(options.sandbox)
        self.tmp_root = ""
        self.view: sandbox.View | None = None
        self._log = None
        self._buffer = b""
        self._lock = threading.Lock()
        self.stopped = False  # closed for good: no worker starts again
        self.soiled = False  # a deck left files the worker could not remove

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _view(self, plans: dict[str, Plan]) -> sandbox.View:
        """What the sandbox shows: the Python installation and import path of the worker,
        model folders given as aliases, the decks' own folders and the configured data."""
        here = str(Path(__file__).resolve().parent.parent)
        python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  os.path.dirname(os.path.realpath(sys.executable)), here]
        # Not the working folder that ``python -m`` puts first (a checkout's root, its .env…):
        # the worker runs with -P and never imports from there.
        cwd = os.path.realpath(os.getcwd())
        python += [p for p in sys.path if p and os.path.isabs(p) and os.path.realpath(p) != cwd]
        python += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        models = set(self.options.models.values())
        for plan in plans.values():
            models.update(plan["models"].values())
        python += [os.path.abspath(m) for m in models if os.sep in m or m.startswith(".")]
        course = list(self.options.data) + [os.path.dirname(os.path.abspath(plan["path"]))
                                            for plan in plans.values()]
        return sandbox.View(code=python, course=course, tmp_size=self.options.tmp_limit)

    def start(self, plans: dict[str, Plan] | None = None) -> dict:
        """Start the worker (unless one is running that shows the decks' folders); what it
        shows and preloads is made for every deck in ``plans``."""
        plans = plans or {}
        if self.stopped:
            raise WorkerDied("the run was stopped")
        if self.alive and not self.soiled and self.view is not None and self.view.covers(
                [os.path.dirname(os.path.abspath(p["path"])) for p in plans.values()]):
            return self.info
        if self.alive:  # decks from a folder the running sandbox does not show, or leftovers
            self.close()
        self.soiled = False
        self.tmp_root = tempfile.mkdtemp(prefix="slideproof-run-")
        self._log = tempfile.TemporaryFile(prefix="slideproof-worker-")
        self._buffer = b""
        self.view = self._view(plans)
        inner = sandbox.inner_tmp(self.sandbox, self.tmp_root)
        # -P: the working folder (writable by every deck) is not on the import path
        argv = sandbox.command(self.sandbox, [sys.executable, "-P", "-m", "slideproof.worker"],
                               self.view)
        env = sandbox.environment(inner, self.options.env_allow)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH")] if p)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, env=env, cwd=self.tmp_root,
                                     start_new_session=True)
        config = {**self.options.worker_config(plans), "tmp_root": inner,
                  "preimport": modules_used(plans),
                  "tmp_quota": self.options.tmp_limit if self.sandbox == "bwrap" else 0,
                  "wipe": list(sandbox.WRITABLE) if self.sandbox == "bwrap" else []}
        self._send(config)
        ready = self._receive(time.monotonic() + STARTUP_TIMEOUT)
        if not isinstance(ready, dict) or ready.get("event") != "ready":
            self.close()
            raise WorkerDied(coded("SP070", log=self._log_tail()))
        self.info = {**ready, "sandbox": self.sandbox}
        return self.info

    def _send(self, message: dict) -> None:
        assert self.proc and self.proc.stdin
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError) as err:  # the worker is gone
            raise WorkerDied(self._log_tail()) from err

    def _receive(self, deadline: float) -> dict | bool | None:
        """The worker's next message; None when it has ended; False at ``deadline``."""
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return False
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                continue
            data = os.read(fd, 1 << 20)
            if not data:
                return None
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except ValueError:
            raise WorkerDied(coded("SP071")) from None
        if not isinstance(message, dict):
            raise WorkerDied(coded("SP072"))
        return message

    def _log_tail(self) -> str:
        if not self._log:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:].strip() or "no message"

    def run(self, plans: dict[str, Plan],
            on_event: Callable[[str, dict], None] | None = None,
            among: dict[str, Plan] | None = None) -> dict[str, dict]:
        """Run every plan (id → plan); return id → {"events": [...], "done": {...}}.
        ``among``: every deck of the check, for what a (re)started worker shows and loads."""
        with self._lock:
            results = {deck_id: {"events": [], "done": None} for deck_id in plans}
            waiting = dict(plans)
            restarts = 0
            while waiting:
                started: dict[str, float] = {}  # deck → its deadline, once it was forked
                running: dict[str, int | None] = {}
                protocols = {deck_id: Protocol(plan) for deck_id, plan in waiting.items()}
                broken: dict[str, str] = {}
                try:
                    self.start({**(among or {}), **waiting})
                    for deck_id, plan in waiting.items():
                        self._send({"op": "run", "id": deck_id, "plan": plan})
                    while waiting:
                        soonest = min(started.values(), default=time.monotonic() + 3600)
                        event = self._receive(soonest)
                        if event is False:
                            self._overran(started, running, results, waiting, on_event)
                            restarts += 1
                            break
                        if event is None:
                            raise WorkerDied(self._log_tail())
                        deck_id = event.get("id")
                        if not isinstance(deck_id, str) or deck_id not in waiting:
                            continue
                        kind = event.get("event")
                        if kind == "deck-start":
                            started[deck_id] = time.monotonic() + deck_deadline(
                                waiting[deck_id], self.options)
                            continue
                        if kind == "deck-done":
                            self.soiled = self.soiled or bool(event.get("left_files"))
                            if deck_id in broken:
                                event = {"event": "deck-done", "protocol": broken[deck_id],
                                         "running": running.get(deck_id),
                                         "seconds": event.get("seconds")}
                            results[deck_id]["done"] = event
                            del waiting[deck_id]
                            started.pop(deck_id, None)
                        else:
                            if deck_id in broken:
                                continue
                            problem = (event.get("problem") if kind == "protocol"
                                       else protocols[deck_id].check(event))
                            if problem:
                                broken[deck_id] = str(problem)[:300]
                                continue
                            if kind == "start":
                                running[deck_id] = event["index"]
                            results[deck_id]["events"].append(event)
                        if on_event:
                            on_event(deck_id, event)
                except WorkerDied as err:
                    if self.stopped:
                        raise
                    # A deck can kill the worker (os.kill(os.getppid(), …)): the decks that
                    # were running are reported; the others run again in a fresh worker.
                    self.close()
                    restarts += 1
                    tail = str(err).strip()
                    why = "it ended while this deck ran" + (
                        f": {tail[-500:]}" if tail and tail != "no message" else "")
                    for deck_id in list(waiting):
                        if deck_id in started or restarts > 3:
                            self._finish(deck_id, {"event": "deck-done", "worker_died": why},
                                         results, waiting, on_event)
                except BaseException:
                    self.close()  # Ctrl-C: no deck, no grandchild survives us
                    raise
                for deck_id in list(waiting):  # a fresh runner starts them again, cleanly
                    results[deck_id]["events"] = []
                    if on_event:
                        on_event(deck_id, {"event": "restart"})
            return results

    def _overran(self, started: dict[str, float], running: dict[str, int | None],
                 results: dict, waiting: dict, on_event=None) -> None:
        """A deck is past its deadline and the runner did not end it (stopped, frozen, or
        busy beyond reason): kill the runner's process group, report the deck(s) past their
        deadline; the decks still queued or running run again in a fresh runner."""
        self.close()
        now = time.monotonic()
        for deck_id, deadline in started.items():
            if deadline <= now and deck_id in waiting:
                seconds = deck_deadline(waiting[deck_id], self.options)
                self._finish(deck_id, {
                    "event": "deck-done", "running": running.get(deck_id),
                    "watchdog": coded("SP073", seconds=seconds)},
                    results, waiting, on_event)

    @staticmethod
    def _finish(deck_id: str, done: DeckDone, results: dict, waiting: dict,
                on_event) -> None:
        results[deck_id]["done"] = done
        del waiting[deck_id]
        if on_event:
            on_event(deck_id, done)

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGCONT)  # a stopped runner cannot handle TERM
                os.killpg(proc.pid, signal.SIGTERM)  # the worker kills its decks first
                proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired, PermissionError):
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self._log:
            self._log.close()
        shutil.rmtree(self.tmp_root, ignore_errors=True)


class Pool:
    """Decks side by side, each alone in its runner: as many runners as jobs (never more
    than there are decks), each taking the next deck when it is done with one. The runners
    stay warm between runs (``mkdocs serve``)."""

    def __init__(self, options: Options):
        self.options = options
        sandbox.choose(options.sandbox)  # a sandbox asked for and missing: an error now
        # A runner and the one thread that starts and reads its worker, for as long as the
        # runner lives: bubblewrap's --die-with-parent ends the worker when the thread that
        # started it ends, not only the process.
        self.runners: list[tuple[Runner, ThreadPoolExecutor]] = []
        self._events = threading.Lock()  # callers' callbacks are called one at a time
        self._stopped = threading.Event()

    @property
    def info(self) -> dict:
        return next((r.info for r, _ in self.runners if r.info), {})

    @property
    def pids(self) -> list[int]:
        return [r.proc.pid for r, _ in self.runners if r.proc is not None and r.alive]

    def run(self, plans: dict[str, Plan],
            on_event: Callable[[str, dict], None] | None = None) -> dict[str, dict]:
        """Run every plan (id → plan); return id → {"events": [...], "done": {...}}."""
        queue = list(plans)
        taking = threading.Lock()
        stopped = self._stopped  # close() sets it; the next run gets a fresh one
        results: dict[str, dict] = {}

        def forward(deck_id: str, event: dict) -> None:
            with self._events:
                if on_event and not stopped.is_set():
                    on_event(deck_id, event)

        def serve(runner: Runner) -> None:
            while not stopped.is_set():
                with taking:
                    if not queue:
                        return
                    deck_id = queue.pop(0)
                results.update(runner.run({deck_id: plans[deck_id]}, forward, plans))

        while len(self.runners) < min(max(1, self.options.jobs), len(plans)):
            thread = ThreadPoolExecutor(1, f"slideproof-runner-{len(self.runners)}")
            self.runners.append((Runner(self.options), thread))
        try:
            serving = [thread.submit(serve, runner)
                       for runner, thread in self.runners[:len(plans)]]
            pending = set(serving)
            while pending:  # short waits: Ctrl-C reaches this thread
                _, pending = futures_wait(pending, timeout=0.2)
            for future in serving:
                future.result()  # a runner's own failure is raised here
        except BaseException:
            self.close()  # Ctrl-C: no deck, no grandchild survives us
            raise
        return results

    def close(self) -> None:
        self._stopped.set()
        for runner, thread in self.runners:
            runner.stopped = True
            runner.close()
            thread.shutdown(wait=False, cancel_futures=True)
        self.runners = []
        self._stopped = threading.Event()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
