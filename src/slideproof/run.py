"""Decks → raw per-block results, through warm, sandboxed workers.

``plan_for`` turns a Deck into what the worker needs (code, deck lines, attributes,
limits); a ``Runner`` starts ``slideproof.sandboxed.worker`` once in its own sandbox, keeps
it alive (across ``mkdocs serve`` rebuilds too) and streams each deck's events back, each
checked by its ``channel.DeckChannel``; the ``Pool`` runs decks side by side: all in one
runner where each deck gets namespaces of its own, else a runner per job, one deck at a time
in each. This process never runs an example and never imports spaCy.
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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from . import sandbox
from .deck import Deck
from .errors import DeckError, Errors, shorten
from .options import Options
from .protocol import (
    HARD_KILL_GRACE,
    BlockPlan,
    DeckDone,
    DeckRun,
    Plan,
    RunRequest,
    SetupSource,
    WorkerConfig,
    handout_keys,
)

if TYPE_CHECKING:  # pydantic, which checks the events, loads only when decks run
    from .channel import DeckChannel


def _front_matter_line(deck: Deck, key: str) -> int:
    """Deck line where ``key:`` is written in the front matter (for setup code lines)."""
    try:
        text = Path(deck.file).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return 2
    for number, line in enumerate(text.splitlines()[:deck.body_line], start=1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return number
    return 2


PACKAGE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def deck_model_aliases(deck: Deck, options: Options) -> dict[str, str]:
    """The deck's own model aliases: an installed package name, or a path (relative to the
    deck) inside the course: its own folder or the site's data. Only the site configures the
    sandbox: anything else is an error for this deck (SP013), never a wider view."""
    aliases = deck.meta.get("models") or {}
    folder = Path(deck.file).parent
    roots = [folder.resolve(), *(Path(p).resolve() for p in options.data)]
    checked = {}
    for name, target in aliases.items():
        if PACKAGE_NAME.fullmatch(target) and ".." not in target:
            checked[str(name)] = target
            continue
        path = (folder / target).resolve()
        if not any(path == root or root in path.parents for root in roots):
            raise DeckError(deck.path, _front_matter_line(deck, "models"), Errors.SP013.format(
                name=shorten(name, 60), target=shorten(target, 120),
                roots=", ".join(str(r) for r in roots[:3])))
        checked[str(name)] = str(path)
    return checked


def plan_for(deck: Deck, options: Options) -> Plan:
    """Everything the worker needs to run ``deck``; also what the cache key is made of."""
    setup: list[SetupSource] = []
    prelude = options.prelude_for(deck.language)
    if prelude and prelude[1].strip():
        setup.append({"name": prelude[0], "code": prelude[1], "first_line": 1})
    if deck.setup_code.strip():
        first = _front_matter_line(deck, "setup")
        # 'setup: |' puts the code on the lines after the key.
        setup.append({"name": f"{deck.file} (front matter setup)", "code": deck.setup_code,
                      "first_line": first + 1})
    models = dict(options.models)
    models.update(deck_model_aliases(deck, options))
    deck_requires = list(deck.meta.get("requires") or [])
    blocks: list[BlockPlan] = []
    for index, block in enumerate(deck.python_blocks):
        skip = block.attrs.get("skip")
        blocks.append({
            "index": index, "line": block.line, "first_line": block.first_code_line,
            "code": block.code,
            "skip": (skip if isinstance(skip, str) else "") if skip else None,
            "isolated": bool(block.attrs.get("isolated")),
            # (both checked when the deck was read: seconds, and a list of names)
            "timeout": cast(float | None, block.attrs.get("timeout") or deck.meta.get("timeout")),
            "requires": deck_requires + cast(list[str], block.attrs.get("requires") or []),
            "setup": bool(block.attrs.get("setup")),
        })
    # Examples are compiled with their deck's file, by its absolute path, as the sandbox
    # shows it: they run in a temporary folder, and inspect (spaCy's component registry uses
    # it) reads their source from the file.
    return {"path": deck.file, "setup": setup, "blocks": blocks, "models": models,
            "timeout": float(deck.meta.get("timeout") or options.timeout),
            "limits": options.limits()}


_LANG_USE = re.compile(r"""spacy\.blank\(\s*['"]([a-z]{2,3})['"]|spacy\.lang\.([a-z]{2,3})\b""")
_SPACY_IMPORT = re.compile(r"^\s*(?:from|import)\s+(spacy(?:\.[a-z_]+)+)", re.MULTILINE)


def blank_languages(plan: Plan) -> list[str]:
    """Languages whose blank pipeline the deck builds (``spacy.blank("en")``): the warm
    worker builds each once and hands it to the first deck that asks."""
    found: set[str] = set()
    for source in plan["setup"] + plan["blocks"]:
        found.update(m for m, _ in _LANG_USE.findall(source["code"]) if m)
    return sorted(found)


# ``from spacy.lang.en import English`` (or several names, or ``as E``), on one line or in
# parentheses
_LANG_IMPORT = re.compile(r"^[ \t]*from\s+spacy\.lang\.([a-z]{2,3})\s+import\s+(\([^)]*\)|[^\n#]*)",
                          re.MULTILINE)


def constructed_languages(plan: Plan) -> list[str]:
    """Languages whose class the deck makes without arguments (``English()``, the class
    imported from ``spacy.lang.en``): the warm worker makes each once and hands it to the
    deck's first such call, as it does with blank pipelines."""
    code = "\n".join(source["code"] for source in plan["setup"] + plan["blocks"])
    found = set()
    for lang, names in _LANG_IMPORT.findall(code):
        if any(re.search(rf"\b{name}\(\s*\)", code) for name in re.findall(r"\w+", names)):
            found.add(lang)
    return sorted(found)


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


class Intake:
    """Plans added to a run while it runs (the search for fixes tries a deck's rewrites as
    soon as that deck is done, beside the decks still running). They are added from the
    callbacks a run calls, on any runner's thread; the run takes them as its decks end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[str, Plan] = {}

    def add(self, deck_id: str, plan: Plan) -> None:
        with self._lock:
            self._plans[deck_id] = plan

    def take(self) -> dict[str, Plan]:
        with self._lock:
            taken, self._plans = self._plans, {}
        return taken


def deck_deadline(plan: Plan, options: Options) -> float:
    """Wall-clock seconds the parent lets a deck run before it stops waiting for the runner:
    every setup source and block at its timeout, the runner's own kill grace per block, and
    a grace for forking and start-up, capped."""
    timeouts = [float(plan["timeout"])] * len(plan["setup"]) + [
        float(b.get("timeout") or plan["timeout"]) for b in plan["blocks"]
        if b.get("skip") is None]
    total = sum(t + HARD_KILL_GRACE for t in timeouts) + options.deadline_grace
    return min(total, options.deadline_cap)


STARTUP_TIMEOUT = 600.0  # importing spaCy and loading the models to preload


@dataclass
class Message:
    """A message of the worker's own (ready, deck-start, deck-done, protocol)."""

    body: dict


@dataclass
class DeckLine:
    """A line a deck wrote on its result channel, as it wrote it."""

    deck_id: str
    data: bytes


class Deadline:
    """The deadline passed before the worker said anything."""


class Ended:
    """The worker ended (its output closed)."""


Received = Message | DeckLine | Deadline | Ended
WORKER = [sys.executable, "-P", "-m", "slideproof.sandboxed.worker"]


class Runner:
    """One warm worker (spaCy imported once) in its own sandbox, forking each deck into
    walls of its own: ``parallel`` decks at once where each gets namespaces of its own, one
    at a time otherwise (``info["walls"]``).

    The parent is the watchdog: each deck gets a wall-clock deadline (``deck_deadline``);
    past it the runner's whole process group is killed — whatever state a deck put it in
    (stopped, frozen) — the deck is reported, and the others go on in a fresh runner."""

    def __init__(self, options: Options, choice: sandbox.Choice, parallel: int = 1):
        self.options = options
        self.choice = choice
        self.parallel = parallel
        self.proc: subprocess.Popen | None = None
        self.info: dict = {}
        self.tmp_root = ""
        self.view: sandbox.View | None = None
        self._log: IO[bytes] | None = None
        self._buffer = b""
        self._lock = threading.Lock()
        self.stopped = False  # closed for good: no worker starts again
        self.soiled = False  # a deck left files the worker could not remove

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _view(self, course: list[str]) -> sandbox.View:
        """What the sandbox shows: the Python installation and import path of the worker,
        the site's model folders, the decks' own folders and the configured data; not the
        cache folder, nor any .git."""
        here = str(Path(__file__).resolve().parent.parent)
        python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  os.path.dirname(os.path.realpath(sys.executable)), here]
        # Not the working folder that ``python -m`` puts first (a checkout's root, its .env…):
        # the worker runs with -P and never imports from there.
        cwd = os.path.realpath(os.getcwd())
        python += [p for p in sys.path if p and os.path.isabs(p) and os.path.realpath(p) != cwd]
        python += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        # Only the site's model paths: a deck's own aliases point inside the course (plan_for).
        python += [m for m in self.options.models.values() if os.path.isabs(m)]
        return sandbox.View(code=python, course=[*self.options.data, *course],
                            tmp_size=self.options.tmp_limit, hidden=list(self.options.hidden))

    def launch(self, course: list[str]) -> None:
        """Start the worker, showing ``course`` (folders): it imports spaCy at once and waits
        for its config, which ``start`` sends once the decks are known."""
        if self.stopped:
            raise WorkerDied("the run was stopped")
        if self.alive:
            self.close()
        self.soiled = False
        self.info = {}
        self.tmp_root = tempfile.mkdtemp(prefix="slideproof-run-")
        self._log = tempfile.TemporaryFile(prefix="slideproof-worker-")
        self._buffer = b""
        self.view = self._view(course)
        inner = sandbox.inner_tmp(self.choice.kind, self.tmp_root)
        argv, bwrap_args = sandbox.command(self.choice, WORKER, self.view)
        env = sandbox.environment(inner, self.options.env_allow)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH")] if p)
        pass_fds: tuple[int, ...] = ()
        args_file = None
        if bwrap_args:  # bubblewrap reads its arguments from a file: no length limit
            args_file = tempfile.TemporaryFile()
            args_file.write(b"\0".join(a.encode() for a in bwrap_args) + b"\0")
            args_file.seek(0)
            pass_fds = (args_file.fileno(),)
            argv = [a.replace("{fd}", str(args_file.fileno())) for a in argv]
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._log, env=env, cwd=self.tmp_root,
                                         start_new_session=True, pass_fds=pass_fds)
        finally:
            if args_file:
                args_file.close()

    def start(self, plans: dict[str, Plan]) -> dict:
        """A ready worker for ``plans``: the one running if it shows their folders, else a
        fresh one; what it preloads is made for every deck in ``plans``."""
        if self.stopped:
            raise WorkerDied("the run was stopped")
        folders = [os.path.dirname(os.path.abspath(p["path"])) for p in plans.values()]
        folders += [p["cwd"] for p in plans.values() if p.get("cwd")]
        if self.alive and not self.soiled and self.view is not None and self.view.covers(
                folders):
            if self.info:
                return self.info
        else:
            self.launch(folders)
        assert self.view is not None
        inner = sandbox.inner_tmp(self.choice.kind, self.tmp_root)
        config: WorkerConfig = {
            "tmp_root": inner,
            "preimport": modules_used(plans), "handouts": self.handouts(plans),
            "tmp_quota": self.options.tmp_limit, "sandbox_tmpfs": self.choice.kind == "bwrap",
            "wipe": list(sandbox.WRITABLE) if self.choice.kind == "bwrap" else [],
            "parallel": self.parallel,
            "walls": {"readable": self.view.readable(), "hidden": self.view.hidden,
                      "landlock": True}}
        self._send(config)
        from . import channel  # pydantic: imported only when decks run

        channel.prepare()  # while the worker warms up: its decks' events need it first thing
        ready = self._receive(time.monotonic() + STARTUP_TIMEOUT)
        if not isinstance(ready, Message) or ready.body.get("event") != "ready":
            self.close()
            raise WorkerDied(Errors.SP070.format(log=self._log_tail()))
        self.info = {**ready.body, "sandbox": self.choice.kind}
        return self.info

    def handouts(self, plans: dict[str, Plan]) -> list[str]:
        """What the worker builds once and hands to the decks of ``plans`` (the models while
        the decks that need none run)."""
        return sorted({key for plan in plans.values() for key in self.handed(plan)})

    def handed(self, plan: Plan) -> list[str]:
        """What the deck of ``plan`` is handed (``handout_keys``)."""
        return handout_keys(self.options.preloads(plan), blank_languages(plan),
                            constructed_languages(plan))

    def _send(self, message: Mapping[str, object]) -> None:
        self._send_all([message])

    def _send_all(self, messages: Sequence[Mapping[str, object]]) -> None:
        """One write for every message: each write gives the GIL away, and a busy thread of
        the parent (the search for fixes) may keep it for milliseconds each time."""
        assert self.proc and self.proc.stdin
        try:
            self.proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError) as err:  # the worker is gone
            raise WorkerDied(self._log_tail()) from err

    def _fill(self, size: int, deadline: float) -> bool:
        """Read until the buffer holds ``size`` bytes (False at ``deadline`` or the end)."""
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        while len(self._buffer) < size:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return False
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                continue
            data = os.read(fd, 1 << 20)
            if not data:
                raise WorkerDied(self._log_tail())
            self._buffer += data
        return True

    def _receive(self, deadline: float) -> Received:
        """The worker's next message or deck line."""
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return Deadline()
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                continue
            data = os.read(fd, 1 << 20)
            if not data:
                return Ended()
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except ValueError:
            raise WorkerDied(Errors.SP071) from None
        if not isinstance(message, dict):
            raise WorkerDied(Errors.SP072)
        if message.get("event") != "deck-line":
            return Message(message)
        size = message.get("bytes")
        if not isinstance(size, int) or size < 0 or not isinstance(message.get("id"), str):
            raise WorkerDied(Errors.SP072)
        # The deck's bytes follow; the worker already ended any deck that sent too many.
        if not self._fill(size + 1, time.monotonic() + STARTUP_TIMEOUT):
            raise WorkerDied(Errors.SP072)
        data, self._buffer = self._buffer[:size], self._buffer[size + 1:]
        return DeckLine(message["id"], data)

    def _log_tail(self) -> str:
        if not self._log:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:].strip() or "no message"

    def run(self, plans: dict[str, Plan],
            on_event: Callable[[str, dict], None] | None = None,
            among: dict[str, Plan] | None = None,
            intake: Intake | None = None) -> dict[str, DeckRun]:
        """Run every plan (id → plan), and those added to ``intake`` meanwhile; return
        id → {"events": [...], "done": {...}}. ``among``: every deck of the check, for what
        a (re)started worker shows and loads."""
        with self._lock:
            results: dict[str, DeckRun] = {}
            waiting: dict[str, Plan] = {}
            self._admit(plans, waiting, results)
            restarts = 0
            while waiting:
                started: dict[str, float] = {}  # deck → its deadline, once it was forked
                running: dict[str, int | None] = {}
                from .channel import DeckChannel

                channels = {deck_id: DeckChannel(plan) for deck_id, plan in waiting.items()}
                try:
                    self.start({**(among or {}), **waiting})
                    self._send_all(self._requests(waiting))
                    while waiting:
                        soonest = min(started.values(), default=time.monotonic() + 3600)
                        received = self._receive(soonest)
                        if isinstance(received, Deadline):
                            self._overran(started, running, results, waiting, on_event)
                            restarts += 1
                            break
                        if isinstance(received, Ended):
                            raise WorkerDied(self._log_tail())
                        self._take(received, waiting, started, running, channels, results,
                                   on_event)
                        added = self._admit(intake.take() if intake else {}, waiting, results)
                        if added:  # a deck waits on them (a search for fixes' next round)
                            channels.update((d, DeckChannel(p)) for d, p in added.items())
                            self._send_all(self._requests(added, first=True))
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
                self._admit(intake.take() if intake else {}, waiting, results)
            return results

    @staticmethod
    def _admit(plans: dict[str, Plan], waiting: dict[str, Plan],
               results: dict[str, DeckRun]) -> dict[str, Plan]:
        """Count ``plans`` in: each waits, and has a result even if the worker never gets to
        it (one that says nothing of it)."""
        for deck_id, plan in plans.items():
            results[deck_id] = {"events": [], "done": {"event": "deck-done"}}
            waiting[deck_id] = plan
        return plans

    def _requests(self, plans: dict[str, Plan], first: bool = False) -> list[RunRequest]:
        return [{"op": "run", "id": deck_id, "plan": plan, "handouts": self.handed(plan),
                 "first": first}
                for deck_id, plan in plans.items()]

    def _take(self, received: Message | DeckLine, waiting: dict, started: dict, running: dict,
              channels: dict[str, DeckChannel], results: dict[str, DeckRun],
              on_event) -> None:
        """One message of the worker: a deck's line is checked by its channel before it
        counts; a deck that broke its channel is reported as such when it ends."""
        if isinstance(received, DeckLine):
            deck_id = received.deck_id
            if deck_id not in waiting:
                return
            event = channels[deck_id].take(received.data)
            if event is None:
                return
            if event["event"] == "start":
                running[deck_id] = event["index"]
            results[deck_id]["events"].append(event)
            if on_event:
                on_event(deck_id, event)
            return
        body = received.body
        if not isinstance(body.get("id"), str) or body["id"] not in waiting:
            return
        deck_id = str(body["id"])
        kind = body.get("event")
        if kind == "deck-start":
            started[deck_id] = time.monotonic() + deck_deadline(waiting[deck_id], self.options)
        elif kind == "protocol":
            channels[deck_id].problem = channels[deck_id].problem or str(body.get("problem"))
        elif kind == "deck-done":
            from .channel import worker_done

            done = worker_done(body)
            self.soiled = self.soiled or bool(done.get("left_files"))
            problem = channels[deck_id].problem
            if problem:
                done = {"event": "deck-done", "protocol": problem[:300],
                        "running": running.get(deck_id), "seconds": done.get("seconds")}
            results[deck_id]["done"] = done
            del waiting[deck_id]
            started.pop(deck_id, None)
            if on_event:
                on_event(deck_id, done)

    def _overran(self, started: dict[str, float], running: dict[str, int | None],
                 results: dict[str, DeckRun], waiting: dict, on_event=None) -> None:
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
                    "watchdog": Errors.SP073.format(seconds=seconds)},
                    results, waiting, on_event)

    @staticmethod
    def _finish(deck_id: str, done: DeckDone, results: dict[str, DeckRun], waiting: dict,
                on_event) -> None:
        results[deck_id]["done"] = done
        del waiting[deck_id]
        if on_event:
            on_event(deck_id, done)

    def close(self) -> None:
        proc, self.proc = self.proc, None
        self.info = {}
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
                if stream:
                    stream.close()
            except OSError:
                pass
        if self._log:
            self._log.close()
        shutil.rmtree(self.tmp_root, ignore_errors=True)


class Pool:
    """Decks side by side. Where each deck gets namespaces of its own, one warm runner forks
    them all, ``jobs`` at a time (one spaCy import, one model load per check); otherwise as
    many runners as jobs (never more than there are decks), each taking the next deck when
    it is done with one. The runners stay warm between runs (``mkdocs serve``)."""

    def __init__(self, options: Options):
        self.options = options
        self.choice = sandbox.choose(options.sandbox)  # missing, or refused: an error now
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

    def _runner(self, number: int) -> tuple[Runner, ThreadPoolExecutor]:
        while len(self.runners) <= number:
            thread = ThreadPoolExecutor(1, f"slideproof-runner-{len(self.runners)}")
            parallel = max(1, self.options.jobs) if not self.runners else 1
            self.runners.append((Runner(self.options, self.choice, parallel), thread))
        return self.runners[number]

    def launch(self, course: list[str]) -> None:
        """Start the first runner now, showing ``course``: spaCy's import then overlaps the
        caller's own work (reading and planning the decks) instead of following it."""
        runner, thread = self._runner(0)
        if not runner.alive:
            thread.submit(runner.launch, course)

    def run(self, plans: dict[str, Plan],
            on_event: Callable[[str, dict], None] | None = None,
            intake: Intake | None = None) -> dict[str, DeckRun]:
        """Run every plan (id → plan), and those ``on_event`` adds to ``intake`` as it
        hears of decks; return id → its events and how it ended."""
        stopped = self._stopped  # close() sets it; the next run gets a fresh one
        results: dict[str, DeckRun] = {}

        def forward(deck_id: str, event: dict) -> None:
            with self._events:
                if on_event and not stopped.is_set():
                    on_event(deck_id, event)

        try:
            first, thread = self._runner(0)
            info = self._wait(thread.submit(first.start, plans))
            if info.get("walls") == "deck" or self.options.jobs <= 1 or (
                    len(plans) == 1 and intake is None):
                results.update(self._wait(thread.submit(first.run, plans, forward, plans,
                                                        intake)))
            else:
                results.update(self._one_deck_per_runner(plans, forward, stopped, intake))
        except BaseException:
            self.close()  # Ctrl-C: no deck, no grandchild survives us
            raise
        return results

    @staticmethod
    def _wait(future):
        """The future's result, waiting in short steps so that Ctrl-C reaches this thread."""
        pending = {future}
        while pending:
            _, pending = futures_wait(pending, timeout=0.2)
        return future.result()

    def _one_deck_per_runner(self, plans: dict[str, Plan], forward, stopped: threading.Event,
                             intake: Intake | None) -> dict[str, DeckRun]:
        """Where decks cannot get namespaces of their own: a runner per job, one deck at a
        time in each, so that no deck ever shares a sandbox with another deck running. A
        runner with nothing queued waits while others run: their decks may add more."""
        plans = dict(plans)
        queue = list(plans)
        added: list[str] = []  # run first: a deck waits on them (the search for fixes)
        taking = threading.Condition()
        busy = 0
        results: dict[str, DeckRun] = {}

        def take_added() -> None:
            more = intake.take() if intake else {}
            plans.update(more)
            added.extend(more)

        def serve(runner: Runner) -> None:
            nonlocal busy
            while not stopped.is_set():
                with taking:
                    while not (added or queue) and busy and not stopped.is_set():
                        taking.wait(0.2)
                    if not (added or queue):
                        return
                    deck_id = (added or queue).pop(0)
                    among = dict(plans)  # (another runner's thread may add to ``plans``)
                    busy += 1
                try:
                    results.update(runner.run({deck_id: among[deck_id]}, forward, among))
                finally:
                    with taking:
                        busy -= 1
                        take_added()
                        taking.notify_all()

        count = min(max(1, self.options.jobs), len(plans))
        serving = [thread.submit(serve, runner)
                   for runner, thread in (self._runner(n) for n in range(count))]
        pending = set(serving)
        while pending:  # short waits: Ctrl-C reaches this thread
            _, pending = futures_wait(pending, timeout=0.2)
        for future in serving:
            future.result()  # a runner's own failure is raised here
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
