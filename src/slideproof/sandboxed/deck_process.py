"""A deck's process, forked from the warm worker: shut in, then handed to its session.

With namespaces of its own a deck is two processes: the *init*, forked by the worker
straight into the deck's namespaces (``walls.fork_into_deck_namespaces``) as PID 1 of its
PID namespace, which reaps what the deck leaves behind (all of it dies with the init) and
tells the worker how the deck ended; the *deck* itself. Where that fork cannot be done, a
*relay* forked by the worker enters the namespaces (``walls.enter_deck_namespaces``), forks
the init and ends the way the deck ended. Without namespaces (``runner`` walls) the worker
forks the deck directly and runs one deck at a time.

Before any example runs, the deck's process puts itself in its own process group, asks to
be killed with its parent, moves into its temp folder (also ``HOME`` and ``TMPDIR``), keeps
no descriptor but stdio (to its output log) and its result pipe, applies the resource limits,
drops every privilege and enters its Landlock domain and seccomp filter.
"""

from __future__ import annotations

import os
import resource
import signal
import struct
import sys
import tempfile
import traceback
from typing import NoReturn, cast

from ..protocol import Limits, RunRequest, Walls
from . import walls
from .session import install_handouts, run_session, send_json

EXIT_SETUP_FAILED = 70  # the deck's process could not be set up (a traceback on stderr)


def fork_deck(request: RunRequest, result_fd: int, tmp_root: str, tmp_quota: int,
              deck_walls: Walls | None, own_namespaces: bool, handouts: dict,
              abi: int, seccomp: bool, shm_writable: bool) -> tuple[int, str, int | None]:
    """Fork the deck's first process (its init, its relay, or the deck's own); return (pid,
    the temp folder the worker removes when the deck ends, '' if it vanishes with the deck's
    namespaces, the pipe the init writes the deck's wait status on, when the worker's child
    is the init)."""
    if own_namespaces:
        status_read, status_write = os.pipe()
        init = walls.fork_into_deck_namespaces()
        if init == 0:
            _first_init(request, result_fd, status_write, tmp_quota, deck_walls, handouts,
                        abi, seccomp)
        os.close(status_write)
        if init is not None:
            return init, "", status_read
        os.close(status_read)
    tmp = "" if own_namespaces else tempfile.mkdtemp(prefix="deck-", dir=tmp_root)
    pid = os.fork()
    if pid:
        return pid, tmp, None
    code = EXIT_SETUP_FAILED
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the worker's shutdown handler
        if own_namespaces:
            _relay(request, result_fd, tmp_quota, deck_walls, handouts, abi, seccomp)
        else:  # the sandbox's own /dev/shm, emptied between decks, where it has one
            enter_deck(request, tmp, result_fd, deck_walls, handouts, abi, seccomp,
                       tmp_quota, extra_writable=[walls.SHM] if shm_writable else [])
            code = 0
    except BaseException:
        traceback.print_exc(file=sys.__stderr__)
    os._exit(code)


def _first_init(request: RunRequest, result_fd: int, status_fd: int, tmp_quota: int,
                deck_walls: Walls | None, handouts: dict, abi: int, seccomp: bool) -> NoReturn:
    """The init, forked into the deck's namespaces: its mounts, then ``_init``."""
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the worker's shutdown handler
        walls.prctl(walls.PR_SET_PDEATHSIG, signal.SIGKILL)
        _keep_only(result_fd, status_fd)
        home = walls.make_deck_mounts(tmp_quota, deck_walls["readable"] if deck_walls else [],
                                      deck_walls["hidden"] if deck_walls else [])
        _init(request, result_fd, status_fd, home, deck_walls, handouts, abi, seccomp,
              tmp_quota)
    except BaseException:
        traceback.print_exc(file=sys.__stderr__)
    os._exit(EXIT_SETUP_FAILED)


def _relay(request: RunRequest, result_fd: int, tmp_quota: int, deck_walls: Walls | None,
           handouts: dict, abi: int, seccomp: bool) -> None:
    """The relay: enter the deck's namespaces, start its init, and end the way the deck
    ended (its exit status, or the signal that killed it), for the worker to report."""
    walls.prctl(walls.PR_SET_PDEATHSIG, signal.SIGKILL)
    _keep_only(result_fd)
    home = walls.enter_deck_namespaces(tmp_quota, deck_walls["readable"] if deck_walls else [],
                                       deck_walls["hidden"] if deck_walls else [])
    status_read, status_write = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(status_read)
        _init(request, result_fd, status_write, home, deck_walls, handouts, abi, seccomp,
              tmp_quota)
    os.close(status_write)
    os.close(result_fd)
    _, init_status = os.waitpid(init, 0)
    data = os.read(status_read, 4)
    status = struct.unpack("i", data)[0] if len(data) == 4 else init_status
    _end_like(status)


def _init(request: RunRequest, result_fd: int, status_fd: int, home: str,
          deck_walls: Walls | None, handouts: dict, abi: int, seccomp: bool,
          tmp_quota: int) -> None:
    """PID 1 of the deck's namespace: fork the deck, reap every process, and when the deck's
    own process ends write its wait status (for the worker, or the relay). Leaving kills
    what is left."""
    walls.prctl(walls.PR_SET_PDEATHSIG, signal.SIGKILL)
    walls.cap_processes(request["plan"]["limits"]["processes"])
    deck = os.fork()
    if deck == 0:
        os.close(status_fd)
        try:
            # The whole of /tmp is the deck's own here (a tmpfs of its namespace).
            enter_deck(request, home, result_fd, deck_walls, handouts, abi, seccomp,
                       tmp_quota, extra_writable=[walls.DECK_TMP, walls.SHM])
            os._exit(0)
        except BaseException:
            traceback.print_exc(file=sys.__stderr__)
            os._exit(EXIT_SETUP_FAILED)
    os.close(result_fd)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        except InterruptedError:
            continue
        if pid == deck:
            os.write(status_fd, struct.pack("i", status))
            os._exit(0)


def _keep_only(*kept: int) -> None:
    """Close what the worker had open (its channels, the other decks' pipes) but stdio and
    ``kept``: the relay and the init hold nothing of the runner's."""
    low = 3
    for fd in sorted(kept):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 16)


def _end_like(status: int) -> None:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [number])
        os.kill(os.getpid(), number)
        os._exit(128 + number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else EXIT_SETUP_FAILED)


def user_processes() -> int:
    """How many processes this user runs now: RLIMIT_NPROC counts them all, so the deck's
    process limit is headroom on top of them, not a machine-wide total."""
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                count += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                continue
    return count


def apply_limits(limits: Limits, process_base: int = 0) -> None:
    """Resource limits of the deck's process (documented in docs/project/guarantees.md)."""
    pairs = {
        "memory": resource.RLIMIT_AS,
        "cpu": resource.RLIMIT_CPU,
        "file_size": resource.RLIMIT_FSIZE,
        "processes": resource.RLIMIT_NPROC,
        "open_files": resource.RLIMIT_NOFILE,
    }
    for name, which in pairs.items():
        value = cast(int, limits.get(name))  # (a Limits key, looked up by name)
        if not value:
            continue
        _soft, hard = resource.getrlimit(which)
        value = int(value) + (process_base if which == resource.RLIMIT_NPROC else 0)
        # CPU: SIGXCPU at the limit (a clear "CPU-time limit" crash), SIGKILL 5 s later.
        top = value + 5 if which == resource.RLIMIT_CPU else value
        if hard != resource.RLIM_INFINITY:
            value, top = min(value, hard), min(top, hard)
        try:
            resource.setrlimit(which, (value, top))
        except (ValueError, OSError):
            pass
    # POSIX message queues hold kernel memory no other limit counts: none for a deck.
    for which in (resource.RLIMIT_MSGQUEUE, resource.RLIMIT_CORE):
        try:
            resource.setrlimit(which, (0, 0))
        except (ValueError, OSError):
            pass


def enter_deck(request: RunRequest, tmp: str, result_fd: int, deck_walls: Walls | None,
               handouts: dict, abi: int, seccomp: bool, tmp_quota: int,
               extra_writable: list[str]) -> None:
    """The deck's process, before its session: its own process group, killed with its
    parent, in its own temp folder, with only stdio (to the output log) and its result pipe
    open, under its resource limits, without privileges, inside its walls; then the session
    runs."""
    os.setpgid(0, 0)
    walls.prctl(walls.PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.chdir(tmp)
    os.environ["HOME"] = tmp
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = tmp
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    log = os.path.join(tmp, ".slideproof-output")
    # O_APPEND: the session empties the log after each block, and writes must then
    # start again at offset 0 (not leave a sparse file growing to the size limit).
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    for fd_ in (devnull, fd):
        os.close(fd_)
    os.closerange(3, result_fd)  # the deck sees stdio and its result pipe, nothing else
    os.closerange(result_fd + 1, 1 << 16)
    plan = request["plan"]
    apply_limits(plan["limits"], user_processes())
    walls.drop_privileges()
    if deck_walls and deck_walls["landlock"] and abi:
        readable = deck_walls["readable"]  # the view without its hidden parts (the worker's)
        # Its own /proc entry, not the other processes' (/proc shows the runner's PID
        # namespace: the deck's own pid there is not os.getpid()).
        own = os.path.realpath("/proc/self")
        walls.restrict_files([*readable, *walls.PROC_FILES, own], [tmp, *extra_writable], abi)
    if seccomp:
        walls.forbid_unaccounted_memory()
    plan["limits"] = {**plan["limits"], "tmp": tmp_quota}
    if plan.get("cwd"):  # an exercise runs in its course folder (read-only, inside the view)
        os.chdir(plan["cwd"])
    install_handouts(plan["models"], handouts)
    run_session(plan, send_json(result_fd), log)
