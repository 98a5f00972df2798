"""The warm worker: imports spaCy once, then forks each deck into walls of its own.

Started by ``run.Runner`` as ``python -m slideproof.sandboxed.worker`` inside the runner's
sandbox. It imports spaCy at once, before it reads anything, so that the import overlaps
the parent's own work (reading and planning the decks); then it reads its ``WorkerConfig``
line and says ``ready``. What decks are handed is built once: the models they load in the
model holder (``holder``) while the decks that need none run, where decks run side by side;
the blank pipelines and language classes they make (a twentieth of a second each) by the
worker itself before it says ``ready``; else all of it between two decks (``schedule_here``).

It speaks JSON lines (``protocol``): requests on stdin, events on its original stdout. A
deck's events are passed on as the bytes the deck wrote, each announced by a ``deck-line``
header naming the deck of the pipe it came from. The worker keeps each running block's
deadline and kills the deck when a block overruns it; it ends a deck that sends more than
its channel allows, has too many processes or holds too much memory across them; it reports
how each deck's process ended.

Decks run side by side when each gets namespaces of its own (``walls``); otherwise one at a
time, with the sandbox's writable folders emptied between two decks.
"""

from __future__ import annotations

import gc
import json
import os
import re
import selectors
import shutil
import signal
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from typing import BinaryIO

from .. import protocol
from ..errors import Errors
from ..protocol import (
    DECK_EVENTS,
    HARD_KILL_GRACE,
    DeckDone,
    RunRequest,
    WorkerConfig,
    WorkerEvent,
    event_bytes_limit,
)
from . import walls
from .deck_process import fork_deck
from .holder import Holder
from .session import human_size


class Child:
    """A deck being run: its first process (its init, its relay or the deck's own), result
    pipe and state."""

    def __init__(self, deck_id: str, pid: int, fd: int, tmp: str, request: RunRequest,
                 status_fd: int | None = None):
        self.deck_id, self.pid, self.fd, self.tmp = deck_id, pid, fd, tmp
        self.status_fd = status_fd  # where its init writes how the deck ended
        self.exit_fd = _exit_watch(pid)
        self.buffer = b""
        self.running: int | None = None  # index of the block started and not finished
        self.deadline: float | None = None
        self.hard_timeout: int | None = None
        self.eof = False
        self.eof_at = 0.0
        plan = request["plan"]
        limits = plan.get("limits") or {}
        self.limits = {k: int(limits[k]) for k in ("processes", "memory")
                       if isinstance(limits.get(k), int) and limits[k] > 0}
        # What the deck may send: a start and a result per block and setup source.
        self.line_limit = event_bytes_limit(int(limits.get("output") or 0))
        self.lines_left = 2 * (len(plan.get("blocks") or []) + len(plan.get("setup") or [])) + 1
        self.flooded = ""  # why the worker killed all its processes
        self.breach = ""  # why the worker stopped reading its channel
        self.inherited = 0  # anonymous memory each process shares with the worker
        self.started = time.perf_counter()


class Worker:
    def __init__(self, config: WorkerConfig, out: BinaryIO):
        self.config = config
        self.out = out
        self.queue: list[RunRequest] = []
        self.children: dict[int, Child] = {}
        self.selector = selectors.DefaultSelector()
        self.handouts: dict[str, dict] = {"models": {}, "blank": {}, "class": {}}
        self.tried: set[str] = set()  # handouts built (or that failed to): handout_keys
        self.tmp_root = config.get("tmp_root") or tempfile.mkdtemp(prefix="slideproof-")
        self.stdin_open = True
        self.inbuf = b""
        self.own_namespaces = False
        self.parallel = 1
        self.tmp_quota = 0  # none where a deck's temp folder is on the host's disk
        self.abi = 0
        self.seccomp = False
        self.holder: Holder | None = None  # the models' process, once a deck needs one
        self.is_holder = False
        self.mounts = _mount_points()
        self.above_mounts = {os.path.dirname(m) for m in self.mounts}
        for path in list(self.above_mounts):
            while path not in ("/", ""):
                self.above_mounts.add(path)
                path = os.path.dirname(path)

    def emit(self, message: WorkerEvent) -> None:
        self.out.write(json.dumps(message).encode() + b"\n")
        self.out.flush()

    def emit_raw(self, frame: bytes) -> None:
        self.out.write(frame)
        self.out.flush()

    def emit_line(self, child: Child, line: bytes) -> None:
        header = {"event": "deck-line", "id": child.deck_id, "bytes": len(line)}
        self.out.write(json.dumps(header).encode() + b"\n" + line + b"\n")
        self.out.flush()

    # -- start-up -----------------------------------------------------------------------
    def warm_up(self) -> None:
        import spacy  # imported before the config was read (main); here for its names
        import thinc

        self.abi = walls.landlock_abi()
        self.seccomp = walls.seccomp_available()
        self.own_namespaces, why = walls.namespaces_possible()
        if self.own_namespaces:
            self.parallel = max(1, int(self.config.get("parallel") or 1))
        if self.own_namespaces or self.config.get("sandbox_tmpfs"):
            self.tmp_quota = int(self.config.get("tmp_quota") or 0)
        deck_walls = self.config.get("walls")
        if deck_walls:  # what each deck's Landlock rules allow, found once
            deck_walls["readable"] = walls.readable_roots(deck_walls["readable"],
                                                          deck_walls["hidden"])
        # The holder first: the models it loads are what the longest decks wait for.
        wanted = list(self.config.get("handouts") or [])
        models = _models(wanted)
        if self.delegates and models:
            self.start_holder(models)
        self.preimport()
        if self.delegates:  # the rest here: the decks forked from this process use them
            self.build_handouts([key for key in wanted if key not in models])
        # Everything made so far lives as long as the worker: the garbage collector of a
        # forked deck leaves it alone, so its pages stay shared instead of being copied.
        # (Frozen without a collection first: one over spaCy's objects takes a twentieth of
        # a second and finds a few hundred of them, which are then never written to again.)
        gc.freeze()
        self.emit({"event": "ready", "pid": os.getpid(), "python": sys.version.split()[0],
                   "spacy": spacy.__version__, "thinc": thinc.__version__,
                   "walls": "deck" if self.own_namespaces else "runner",
                   "why": "" if self.own_namespaces else why,
                   "landlock": self.abi, "seccomp": self.seccomp})

    def preimport(self) -> None:
        """Import the modules the decks import (a language class, spacy.matcher…): every
        deck forked later shares them."""
        import importlib

        for module in self.config.get("preimport") or []:
            try:
                importlib.import_module(module)
            except Exception:
                pass  # the deck that needs it will say why

    # -- the loop -------------------------------------------------------------------------
    def serve(self) -> None:
        self.selector.register(0, selectors.EVENT_READ, "stdin")
        self.take_requests()
        while self.stdin_open or self.queue or self.children or (
                self.holder and self.holder.handed):
            self.schedule()
            timeout = self.next_timeout()
            for key, _ in self.selector.select(timeout):
                if key.data == "stdin":
                    self.read_requests(key.fd)
                elif key.data == "holder":
                    self.read_holder()
                elif key.data == "exit":
                    continue  # a deck's process ended: reaped below
                else:
                    self.read_child(key.data)
            if self.holder:
                self.holder.send()
            self.check_deadlines()
            self.check_processes()
            self.reap()
        if self.holder:
            self.holder.end()

    @property
    def delegates(self) -> bool:
        """Decks that load models go to the holder: where decks run side by side (a deck
        alone in the runner's sandbox would share it with the holder's decks)."""
        return self.own_namespaces and not self.is_holder

    def schedule(self) -> None:
        if self.delegates:
            self.schedule_with_holder()
        else:
            self.schedule_here()

    def schedule_with_holder(self) -> None:
        """Fill the free slots: the decks asked to run first, then those that are handed
        models (the longest), handed to the holder, but one at a time while it loads them;
        the others forked here (what they are handed made here first, if it is not yet).
        While the holder loads the check's models, it takes a slot of its own (never the
        last): the decks that wait for it are the longest, so that load is on the check's
        critical path and must not share a core with decks that can wait. (A load for one
        deck holds that deck's slot.)"""
        while self.queue:
            first_build = self.holder is not None and not self.holder.ready
            busy = len(self.children) + (len(self.holder.handed) if self.holder else 0)
            if busy >= max(1, self.parallel - first_build):
                return
            loading = self.holder is not None and self.holder.building
            startable = [r for r in self.queue if not (loading and _models(r["handouts"]))]
            request = (next((r for r in startable if r.get("first")), None)
                       or next((r for r in startable if _models(r["handouts"])), None)
                       or next(iter(startable), None))
            if request is None:
                return
            self.queue.remove(request)
            if _models(request["handouts"]):
                self.hand_over(request)
            else:
                self.build_handouts(request["handouts"])
                self.start(request)

    def hand_over(self, request: RunRequest) -> None:
        if self.holder is None:  # none yet, or the last one crashed: builds on demand
            self.start_holder([])
        assert self.holder is not None
        self.holder.hand(request, _models(request["handouts"]))

    def start_holder(self, keys: list[str]) -> None:
        """Fork the holder: this worker as it is (spaCy and the decks' modules imported), with
        none of its decks, reading requests on a pipe and writing messages on another. It
        builds ``keys`` first, then says so (``holder-ready``, for the worker alone)."""
        requests_read, requests_write = os.pipe()
        messages_read, messages_write = os.pipe()
        pid = os.fork()
        if pid:
            os.close(requests_read)
            os.close(messages_write)
            self.holder = Holder(pid, requests_write, messages_read, keys)
            self.selector.register(messages_read, selectors.EVENT_READ, "holder")
            return
        try:
            os.close(requests_write)
            os.close(messages_read)
            self.become_holder(requests_read, messages_write)
            self.preimport()  # (frozen with what it builds)
            self.build_handouts(keys)
            self.emit({"event": "holder-ready"})
            self.serve()
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        os._exit(code)

    def become_holder(self, requests: int, messages: int) -> None:
        walls.prctl(walls.PR_SET_PDEATHSIG, signal.SIGKILL)
        self.out.close()  # the pool's channel is the worker's alone
        self.out = os.fdopen(messages, "wb")
        os.dup2(requests, 0)
        os.close(requests)
        for child in self.children.values():
            if not child.eof:
                os.close(child.fd)
            for fd in (child.exit_fd, child.status_fd):
                if fd is not None:
                    os.close(fd)
        self.selector.close()
        self.selector = selectors.DefaultSelector()
        self.children, self.queue, self.inbuf = {}, [], b""
        self.stdin_open, self.is_holder = True, True

    def read_holder(self) -> None:
        holder = self.holder
        assert holder is not None
        if holder.read(self.emit_raw):
            return
        # The holder ends only when told to: a model's load crashed it. The decks it held are
        # reported; the next deck that loads a model gets a fresh holder.
        self.selector.unregister(holder.messages)
        why = holder.gone()
        self.holder = None
        for deck_id in holder.handed:
            self.emit({"event": "deck-done", "id": deck_id, "worker_died": why})

    def schedule_here(self) -> None:
        """Start the queued decks there is room for, those whose handouts are built first;
        build what the others need while the decks started run (a model's load, half a
        second, then hides behind decks that need none), or at once if nothing runs."""
        while self.queue and len(self.children) < self.parallel:
            ready = next((r for r in self.queue if self.has_handouts(r)), None)
            if ready is None:
                if self.children:
                    break
                self.build_handouts(self.queue[0]["handouts"])
                continue
            self.queue.remove(ready)
            self.start(ready)
        waiting = next((r for r in self.queue if not self.has_handouts(r)), None)
        if waiting is not None and self.children:
            self.build_handouts(waiting["handouts"])

    def has_handouts(self, request: RunRequest) -> bool:
        return all(key in self.tried for key in request["handouts"])

    def build_handouts(self, keys: list[str]) -> None:
        """Load the models and make the blank pipelines and language classes of ``keys``
        (``handout_keys``; each once; one that fails is not handed out, and the deck that
        makes it says why)."""
        import spacy
        from spacy import util

        new = [key for key in keys if key not in self.tried]
        for key in new:
            self.tried.add(key)
            kind, _, name = key.partition(":")
            name = name.partition("#")[0]  # (a further copy of a model)
            try:  # a language's tokenizer exceptions cost a deck a twentieth of a second
                made = (spacy.load(name) if kind == "model" else spacy.blank(name)
                        if kind == "blank" else util.get_lang_class(name)())
            except Exception:
                continue
            if kind == "model":  # the copies, in the order the deck's loads get them
                self.handouts["models"].setdefault(name, []).append(made)
            else:
                self.handouts[kind][name] = made
        if new:
            gc.freeze()  # as what warm_up made: shared with every deck forked later

    def next_timeout(self) -> float:
        if self.holder and self.holder.unsent:
            return 0.005  # a request waits for room in the holder's pipe
        now = time.monotonic()
        if any(c.eof and c.exit_fd is None and now - c.eof_at < 1.0
               for c in self.children.values()):
            return 0.005  # its result pipe closed: the process is exiting, reap it soon
        deadlines = [c.deadline - now for c in self.children.values() if c.deadline]
        soonest = min(deadlines, default=0.5)
        if self.children:
            soonest = min(soonest, 0.05)  # a fork bomb doubles fast: look often
        return max(0.01, min(0.5, soonest))

    def read_requests(self, fd: int) -> None:
        data = os.read(fd, 1 << 20)
        if not data:
            self.stdin_open = False
            self.selector.unregister(fd)
            return
        self.inbuf += data
        self.take_requests()

    def take_requests(self) -> None:
        while b"\n" in self.inbuf and self.stdin_open:
            line, self.inbuf = self.inbuf.split(b"\n", 1)
            request = json.loads(line)
            if request.get("op") == "run" and request.get("first"):
                behind = sum(1 for queued in self.queue if queued.get("first"))
                self.queue.insert(behind, request)
            elif request.get("op") == "run":
                self.queue.append(request)

    def start(self, request: RunRequest) -> None:
        read_fd, write_fd = os.pipe()
        pid, tmp, status_fd = fork_deck(request, write_fd, self.tmp_root, self.tmp_quota,
                                        self.config.get("walls"), self.own_namespaces,
                                        self.handouts, self.abi, self.seccomp,
                                        shm_writable=bool(self.config.get("wipe")))
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        child = Child(request["id"], pid, read_fd, tmp, request, status_fd)
        child.inherited = _anonymous_memory(os.getpid())
        self.children[pid] = child
        self.selector.register(read_fd, selectors.EVENT_READ, child)
        if child.exit_fd is not None:
            self.selector.register(child.exit_fd, selectors.EVENT_READ, "exit")
        self.emit({"event": "deck-start", "id": request["id"]})  # the pool's restart logic

    def read_child(self, child: Child) -> None:
        self.receive(child)
        self.take_events(child)

    def receive(self, child: Child, to_end: bool = False) -> None:
        """Add what the deck wrote on its result pipe to its buffer: one read when the
        selector says the pipe is readable; every byte left once the process has ended.
        At the end of the pipe, or once the deck broke its channel's limits, the channel is
        closed."""
        while not child.eof:
            try:
                data = os.read(child.fd, 1 << 20)
            except BlockingIOError:
                return
            except OSError:
                if to_end:
                    return
                raise
            if not data:
                self.close_channel(child)
                return
            child.buffer += data
            if len(child.buffer) > child.line_limit and b"\n" not in child.buffer:
                self.stop_deck(child, f"a line of more than {child.line_limit} bytes")
                return
            if not to_end:
                return

    def close_channel(self, child: Child) -> None:
        if not child.eof:
            child.eof, child.eof_at = True, time.monotonic()
            self.selector.unregister(child.fd)
            os.close(child.fd)

    def stop_deck(self, child: Child, problem: str) -> None:
        """The deck sent more than its channel allows: what it sent is not read any further,
        the parent is told why and the deck is ended."""
        child.breach = problem
        child.buffer = b""
        self.emit({"event": "protocol", "id": child.deck_id,
                   "problem": f"it sent {problem} on its result channel"})
        self.close_channel(child)
        kill_group(child.pid)

    def take_events(self, child: Child, torn: bool = False) -> None:
        """Pass on every complete line the deck has sent, tagged with the deck of this
        channel, and track its running block and deadline (the parent checks the lines)."""
        while b"\n" in child.buffer and not child.breach:
            line, child.buffer = child.buffer.split(b"\n", 1)
            if not line.strip():
                continue
            if torn and not child.buffer:
                break  # the last, unfinished line of a dying child: its exit status tells
            if len(line) > child.line_limit:
                self.stop_deck(child, f"a line of more than {child.line_limit} bytes")
                return
            child.lines_left -= 1
            if child.lines_left < 0:
                self.stop_deck(child, "more lines than its blocks have events")
                return
            self.track(child, line)
            self.emit_line(child, line)

    @staticmethod
    def track(child: Child, line: bytes) -> None:
        try:
            event = json.loads(line)
        except ValueError:
            return
        if not isinstance(event, dict) or event.get("event") not in DECK_EVENTS:
            return
        if event.get("event") == "start":
            try:
                timeout = float(event["timeout"])
                child.running = int(event["index"])
            except (KeyError, TypeError, ValueError, OverflowError):
                timeout = 0.0
            if not 0 <= timeout < 1e6:
                timeout = 0.0
            child.deadline = time.monotonic() + timeout + HARD_KILL_GRACE
        if event.get("event") == "block":
            child.running, child.deadline = None, None

    def check_deadlines(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            if child.deadline and now > child.deadline and child.hard_timeout is None:
                child.hard_timeout = child.running
                kill_group(child.pid)

    def check_processes(self) -> None:
        """End a deck whose processes, together, are too many or hold too much memory: the
        per-process limits do not add up (256 processes of 4 GiB each), and the kernel does
        not apply the process rlimit to a uid mapped onto root. A deck's processes are its
        process's descendants (with namespaces of its own, orphans go to its init), or, one
        deck at a time as the init of the sandbox, every process but the worker."""
        if not self.children or not (self.own_namespaces or os.getpid() == 1):
            return
        children_of: Callable[[int], list[int] | None] = _listed_children
        if self.own_namespaces and not CHILDREN_LISTED:
            children_of = _process_tree().get
        for child in self.children.values():
            if child.flooded:
                continue
            if self.own_namespaces:
                pids = _descendants(children_of, child.pid)
                extra = 1 if child.status_fd is not None else 2  # the init (and relay)
            else:
                pids = [p for p in _all_pids() if p != os.getpid()]
                extra = 0
            processes, memory = child.limits.get("processes"), child.limits.get("memory")
            if processes and len(pids) - extra > processes:
                child.flooded = Errors.SP058.format(limit=processes)
            elif memory and len(pids) - extra > 1 and sum(
                    max(0, _anonymous_memory(pid) - child.inherited) for pid in pids
            ) > MEMORY_TOGETHER * memory:
                child.flooded = Errors.SP059.format(limit=human_size(MEMORY_TOGETHER * memory))
            if child.flooded:
                if self.own_namespaces:
                    kill_group(child.pid)  # its init (or relay): the namespace goes with it
                    continue
                for _ in range(1000):  # processes forked while the signals go out
                    try:
                        os.kill(-1, signal.SIGKILL)  # all but init: all the deck's
                    except ProcessLookupError:
                        break

    def reap(self) -> None:
        for pid, child in list(self.children.items()):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if not done:
                continue
            if child.exit_fd is not None:
                self.selector.unregister(child.exit_fd)
                os.close(child.exit_fd)
            if child.status_fd is not None:  # the init's wait status of the deck, if it got one
                data = os.read(child.status_fd, 4)
                os.close(child.status_fd)
                if len(data) == 4:
                    status = struct.unpack("i", data)[0]
            if not child.eof:  # drain what the child wrote before it ended
                self.receive(child, to_end=True)
                torn = bool(child.buffer) and not child.buffer.endswith(b"\n")
                if torn:
                    child.buffer += b"\n"  # the last line may have no newline
                self.take_events(child, torn=torn)
                self.close_channel(child)
            kill_group(pid)
            clean = True
            if not self.own_namespaces:  # with its own namespaces, nothing of it is left
                self.kill_orphans()
                clean = self.wipe() if len(self.children) == 1 else True
            if child.tmp:
                shutil.rmtree(child.tmp, ignore_errors=True)
            del self.children[pid]
            exit_info: DeckDone = {"event": "deck-done", "id": child.deck_id,
                         "seconds": round(time.perf_counter() - child.started, 4),
                         "running": child.running, "hard_timeout": child.hard_timeout}
            if not clean:
                exit_info["left_files"] = True
            if child.flooded:
                exit_info["flooded"] = child.flooded
            if os.WIFSIGNALED(status):
                exit_info["signal"] = signal.Signals(os.WTERMSIG(status)).name
            else:
                exit_info["exit_code"] = os.WEXITSTATUS(status)
            self.emit(exit_info)

    def kill_orphans(self) -> None:
        """Processes a deck left behind and that were re-parented to us (we are their
        subreaper), e.g. a daemon that called setsid: end them with the deck."""
        me = os.getpid()
        active = set(self.children)
        # Repeat: killing an orphan re-parents *its* children to us (a double fork caught
        # half-way), and they must go too.
        for _ in range(100):
            killed = 0
            for pid, ppid in _parents().items():
                if ppid == me and pid not in active:
                    try:
                        os.kill(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                        killed += 1
                    except (ProcessLookupError, ChildProcessError):
                        pass
            if not killed:
                break

    def wipe(self, folders: list[str] | None = None) -> bool:
        """Empty the sandbox's writable folders between decks (their owner is the uid the
        decks run as, so nothing a deck made there is out of reach, whatever its mode), but
        for the folders the sandbox mounted there (a course folder shown under /tmp) and
        the path down to them, which are emptied of everything else. False if something
        is left: the runner is then replaced before the next deck."""
        clean = True
        if folders is None:
            folders = self.config.get("wipe") or []
        for folder in folders:
            for entry in _entries(folder):
                if entry.path in self.mounts:
                    continue
                if entry.path in self.above_mounts:
                    clean = self.wipe([entry.path]) and clean
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        os.chmod(entry.path, 0o700)
                        shutil.rmtree(entry.path, onerror=_open_then_retry)
                    else:
                        os.unlink(entry.path)
                except (OSError, RecursionError):
                    pass
                clean = clean and not os.path.lexists(entry.path)
        return clean

    def shutdown(self, *_args) -> None:
        if self.holder:
            kill_group(self.holder.pid)
        for pid in list(self.children):
            kill_group(pid)
        self.kill_orphans()
        shutil.rmtree(self.tmp_root, ignore_errors=True)
        os._exit(0)


def _models(keys: list[str]) -> list[str]:
    """The models among handouts: the holder loads them (the worker makes the rest)."""
    return [key for key in keys if key.startswith(protocol.MODEL_HANDOUT)]


def _exit_watch(pid: int) -> int | None:
    """A descriptor that becomes readable when the process ``pid`` ends (a pidfd): the loop
    wakes then to reap it, the deck's slot free at once. None where the kernel has none
    (before Linux 5.3): the loop then looks again every few milliseconds."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _all_pids() -> list[int]:
    """The processes this one can see in /proc (zombies included)."""
    try:
        return [int(e) for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []


def _parents() -> dict[int, int]:
    """pid → parent pid, for every process in /proc (stat is readable without ptrace
    rights, also for processes that are not dumpable)."""
    parents = {}
    for pid in _all_pids():
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[pid] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    return parents


def _process_tree() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        tree.setdefault(ppid, []).append(pid)
    return tree


def _listed_children(pid: int) -> list[int]:
    """The children of ``pid``, from each of its threads' list (/proc/PID/task/TID/children,
    zombies included): a deck's processes are then read once each, where a scan of /proc
    reads every process the runner sees (under ``none``, the machine's) at every look."""
    children: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return children  # it has ended
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children") as f:
                children += [int(p) for p in f.read().split()]
        except (OSError, ValueError):
            continue
    return children


# Whether the kernel lists each thread's children (CONFIG_PROC_CHILDREN): else the worker
# builds the process tree from every process's parent.
CHILDREN_LISTED = os.path.exists(f"/proc/self/task/{os.getpid()}/children")


def _descendants(children_of: Callable[[int], list[int] | None], root: int) -> list[int]:
    found, todo, seen = [], [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:  # (a pid ended and reused between two reads)
            continue
        seen.add(pid)
        found.append(pid)
        todo += children_of(pid) or []
    return found


PAGE = os.sysconf("SC_PAGE_SIZE")
# A deck's processes together may hold this many times the per-process memory limit. They
# are counted without what they inherit from the worker, but a page the deck's process
# shares with the processes it forked (a model it loaded before nlp.pipe(n_process=4)) is
# counted once per process: the margin keeps such a deck running, and still stops a deck
# that spreads its memory over many processes well before it starves the machine.
MEMORY_TOGETHER = 2


def _anonymous_memory(pid: int) -> int:
    """Bytes of anonymous memory resident in a process (statm: resident minus file-backed),
    readable without ptrace rights, unlike the kernel's proportional figures."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            fields = f.read().split()
        return (int(fields[1]) - int(fields[2])) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _mount_points() -> set[str]:
    """Where something is mounted in this process's view (/proc/self/mountinfo)."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return set()
    # The fifth field, with spaces, tabs, newlines and backslashes escaped in octal.
    return {re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), line.split()[4])
            for line in lines if len(line.split()) > 4}


def _entries(folder: str) -> list[os.DirEntry]:
    try:
        return list(os.scandir(folder))
    except OSError:
        return []


def _open_then_retry(_function, path: str, _error) -> None:
    """rmtree's answer to what a deck made unreadable or read-only: open up the folder it is
    in (and itself, if a folder), then remove it again. Only a folder recurses, one level
    deeper each time; any other failure goes up to ``wipe``."""
    os.chmod(os.path.dirname(path), 0o700)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o700)
        shutil.rmtree(path, onerror=_open_then_retry)
    else:
        os.unlink(path)


def kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def main() -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints from imports must not corrupt the protocol
    # Not dumpable: no deck (same uid, no capability) can open this runner's descriptors
    # through /proc/<pid>/fd, nor ptrace it; forked decks inherit it, so neither can a deck
    # open another deck's.
    walls.prctl(walls.PR_SET_DUMPABLE, 0)
    walls.prctl(walls.PR_SET_PDEATHSIG, signal.SIGKILL)
    walls.prctl(walls.PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # before the config: nothing to end
    # The slow part first, while the parent is still reading the decks: it sends the config
    # once it knows what they need.
    import spacy  # noqa: F401
    import thinc  # noqa: F401
    if walls.seccomp_available():
        import pyseccomp  # noqa: F401  (each deck loads its filter with it)
    if walls.landlock_abi():
        import landlockpy  # noqa: F401
    first = b""
    while b"\n" not in first:  # read the config line unbuffered: the rest is for serve()
        data = os.read(0, 1 << 16)
        if not data:
            os._exit(0)
        first += data
    line, _, rest = first.partition(b"\n")
    worker = Worker(json.loads(line or b"{}"), out)
    worker.inbuf = rest
    signal.signal(signal.SIGTERM, worker.shutdown)
    worker.warm_up()
    worker.serve()
    shutil.rmtree(worker.tmp_root, ignore_errors=True)


if __name__ == "__main__":
    main()
