"""The warm worker: imports spaCy (and preloads models) once, then forks one child per deck,
one deck at a time.

Started by ``run.Runner`` as ``python -m slideproof.worker`` inside a sandbox of its own
(see ``sandbox``). It speaks JSON lines (``protocol``): requests on stdin, events on its
original stdout. Each deck's child gets its own process group, temp working directory,
resource limits and a result pipe (``session.enter_deck``); the worker enforces the
per-block deadline, kills the whole group when a deck ends or overruns, reaps orphans (it
is their subreaper), and empties the sandbox's writable folders before the next deck.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import sys
import tempfile
import time
import traceback
from typing import TextIO

from .errors import coded
from .protocol import DECK_EVENTS, HARD_KILL_GRACE, RunRequest, WorkerConfig, WorkerEvent
from .session import (
    PR_SET_CHILD_SUBREAPER,
    PR_SET_DUMPABLE,
    PR_SET_PDEATHSIG,
    enter_deck,
    human_size,
    prctl,
)


class Child:
    def __init__(self, deck_id: str, pid: int, fd: int, tmp: str):
        self.deck_id, self.pid, self.fd, self.tmp = deck_id, pid, fd, tmp
        self.buffer = b""
        self.running: int | None = None  # index of the block started and not finished
        self.deadline: float | None = None
        self.hard_timeout: int | None = None
        self.eof = False
        self.eof_at = 0.0
        self.limits: dict = {}  # the deck's limits (processes, memory), for all its processes
        self.flooded = ""  # why the worker killed all its processes
        self.inherited = 0  # anonymous memory the deck's process shares with the worker
        self.started = time.perf_counter()


class Worker:
    def __init__(self, config: WorkerConfig, out: TextIO):
        self.config = config
        self.out = out
        self.queue: list[RunRequest] = []
        self.children: dict[int, Child] = {}
        self.selector = selectors.DefaultSelector()
        self.preloaded: dict = {}
        self.tmp_root = config.get("tmp_root") or tempfile.mkdtemp(prefix="slideproof-")
        self.stdin_open = True
        self.inbuf = b""
        self.mounts = _mount_points()
        self.above_mounts = {os.path.dirname(m) for m in self.mounts}
        for path in list(self.above_mounts):
            while path not in ("/", ""):
                self.above_mounts.add(path)
                path = os.path.dirname(path)

    def emit(self, message: WorkerEvent) -> None:
        self.out.write(json.dumps(message) + "\n")
        self.out.flush()

    # -- start-up -----------------------------------------------------------------------
    def warm_up(self) -> None:
        import importlib

        import spacy  # the one import every deck shares
        import thinc

        for module in self.config.get("preimport") or []:
            try:  # a language class, spacy.matcher…: shared by every deck forked later
                importlib.import_module(module)
            except Exception:
                pass  # the deck that needs it will say why

        models = {}
        for target in self.config.get("preload") or []:
            try:
                nlp = spacy.load(target)
                self.preloaded[target] = nlp
                models[target] = {"name": f"{nlp.meta.get('lang')}_{nlp.meta.get('name')}",
                                  "version": nlp.meta.get("version"), "loaded": True}
            except Exception as err:  # reported, not fatal: decks needing it are unverified
                models[target] = {"loaded": False, "error": f"{type(err).__name__}: {err}"}
        self.emit({"event": "ready", "pid": os.getpid(), "python": sys.version.split()[0],
                   "spacy": spacy.__version__, "thinc": thinc.__version__,
                   "models": models})

    # -- the loop -------------------------------------------------------------------------
    def serve(self) -> None:
        self.selector.register(0, selectors.EVENT_READ, "stdin")
        self.take_requests()
        while self.stdin_open or self.queue or self.children:
            while self.queue and not self.children:  # one deck at a time in a sandbox
                self.start(self.queue.pop(0))
            timeout = self.next_timeout()
            for key, _ in self.selector.select(timeout):
                if key.data == "stdin":
                    self.read_requests(key.fd)
                else:
                    self.read_child(key.data)
            self.check_deadlines()
            self.check_processes()
            self.reap()
        self.emit({"event": "bye"})

    def next_timeout(self) -> float:
        now = time.monotonic()
        if any(c.eof and now - c.eof_at < 1.0 for c in self.children.values()):
            return 0.005  # its result pipe closed: the process is exiting, reap it soon
        deadlines = [c.deadline - now for c in self.children.values() if c.deadline]
        soonest = min(deadlines, default=0.5)
        if self.children and self.counts_processes:
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
            if request.get("op") == "run":
                self.queue.append(request)
            elif request.get("op") == "exit":
                self.stdin_open = False
                self.selector.unregister(0)

    def start(self, request: RunRequest) -> None:
        tmp = tempfile.mkdtemp(prefix="deck-", dir=self.tmp_root)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the deck's process
            code = 0
            try:
                os.close(read_fd)
                self.selector.close()
                enter_deck(request, tmp, write_fd, self.preloaded,
                           self.config.get("tmp_quota") or 0)
            except BaseException:
                traceback.print_exc(file=sys.__stderr__)
                code = 70
            os._exit(code)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        child = Child(request["id"], pid, read_fd, tmp)
        child.inherited = _anonymous_memory(os.getpid())
        limits = request["plan"].get("limits") or {}
        child.limits = {k: int(limits[k]) for k in ("processes", "memory")
                        if isinstance(limits.get(k), int) and limits[k] > 0}
        self.children[pid] = child
        self.selector.register(read_fd, selectors.EVENT_READ, child)
        self.emit({"event": "deck-start", "id": request["id"]})  # the pool's restart logic

    def read_child(self, child: Child) -> None:
        self.receive(child)
        self.take_events(child)

    def receive(self, child: Child, to_end: bool = False) -> None:
        """Add what the deck wrote on its result pipe to its buffer: one read when the
        selector says the pipe is readable; every byte left once the process has ended.
        At the end of the pipe the channel is closed."""
        while True:
            try:
                data = os.read(child.fd, 1 << 20)
            except BlockingIOError:
                return
            except OSError:
                if to_end:
                    return
                raise
            if not data:
                child.eof, child.eof_at = True, time.monotonic()
                self.selector.unregister(child.fd)
                os.close(child.fd)
                return
            child.buffer += data
            if not to_end:
                return

    def take_events(self, child: Child, torn: bool = False) -> None:
        """Handle every complete line the deck has sent: track the running block and its
        deadline, pass them on to the parent, tagged with the deck of this channel."""
        while b"\n" in child.buffer:
            line, child.buffer = child.buffer.split(b"\n", 1)
            if not line.strip():
                continue
            if torn and not child.buffer:
                break  # the last, unfinished line of a dying child: its exit status tells
            try:
                event = json.loads(line)
            except ValueError:
                event = None
            if not isinstance(event, dict) or event.get("event") not in DECK_EVENTS:
                # The id is the channel's, never one written in the message: a deck that
                # writes anything else has broken the protocol, and the parent says so.
                self.emit({"event": "protocol", "id": child.deck_id,
                           "problem": "a line that is not one of its events"})
                continue
            if event.get("event") == "start":
                try:
                    timeout = float(event["timeout"])
                    child.running = int(event["index"])
                except (KeyError, TypeError, ValueError, OverflowError):
                    timeout = 0.0
                child.deadline = time.monotonic() + min(timeout, 1e6) + HARD_KILL_GRACE
            if event.get("event") == "block":
                child.running, child.deadline = None, None
            event["id"] = child.deck_id
            self.emit(event)

    def check_deadlines(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            if child.deadline and now > child.deadline and child.hard_timeout is None:
                child.hard_timeout = child.running
                kill_group(child.pid)

    @property
    def counts_processes(self) -> bool:
        """As the init of its sandbox's PID namespace, the worker sees every process a deck
        has in /proc, and can end them all (kill -1 spares init). The process rlimit alone
        is not enough: the kernel does not apply it to a uid mapped onto root."""
        return os.getpid() == 1

    def check_processes(self) -> None:
        """End a deck whose processes, together, are too many or hold too much memory: the
        per-process limits do not add up (256 processes of 4 GiB each)."""
        if not self.counts_processes:
            return
        for child in self.children.values():
            if child.flooded:
                continue
            pids = _pids()
            processes, memory = child.limits.get("processes"), child.limits.get("memory")
            if processes and len(pids) > processes:
                child.flooded = coded("SP058", limit=processes)
            elif memory and len(pids) > 1 and sum(
                    max(0, _anonymous_memory(pid) - child.inherited) for pid in pids
            ) > MEMORY_TOGETHER * memory:
                child.flooded = coded("SP059", limit=human_size(MEMORY_TOGETHER * memory))
            if child.flooded:
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
            if not child.eof:  # drain what the child wrote before it ended
                self.receive(child, to_end=True)
                torn = bool(child.buffer) and not child.buffer.endswith(b"\n")
                if torn:
                    child.buffer += b"\n"  # the last line may have no newline
                self.take_events(child, torn=torn)
                if not child.eof:
                    child.eof = True
                    self.selector.unregister(child.fd)
                    os.close(child.fd)
            kill_group(pid)
            self.kill_orphans()
            shutil.rmtree(child.tmp, ignore_errors=True)
            del self.children[pid]
            clean = self.wipe() if not self.children else True
            exit_info = {"event": "deck-done", "id": child.deck_id,
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
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                pid, ppid = int(entry), int(fields[1])
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
        for pid in list(self.children):
            kill_group(pid)
        self.kill_orphans()
        shutil.rmtree(self.tmp_root, ignore_errors=True)
        os._exit(0)


def _pids() -> list[int]:
    """The processes of this PID namespace (zombies included) but this one, its init."""
    try:
        return [int(e) for e in os.listdir("/proc") if e.isdigit() and int(e) != os.getpid()]
    except OSError:
        return []


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
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # stray prints from imports must not corrupt the protocol
    # Not dumpable: no deck (same uid, no capability) can open this runner's descriptors
    # through /proc/<pid>/fd, nor ptrace it; forked decks inherit it, so neither can a deck
    # open another deck's.
    prctl(PR_SET_DUMPABLE, 0)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    first = b""
    while b"\n" not in first:  # read the config line unbuffered: the rest is for serve()
        data = os.read(0, 1 << 16)
        if not data:
            break
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
