"""The walls around each deck's process, inside the runner's sandbox.

The runner's sandbox (bubblewrap, ``unshare`` or none; built by the trusted side) holds the
warm worker. Every deck forked from it gets walls of its own, so that decks running side by
side in one runner cannot see, signal, trace or read each other, and nothing of a deck is left
for the next one:

- namespaces of its own, where the runner may make them (it has CAP_SYS_ADMIN in its user
  namespace: bubblewrap started as root, ``unshare --map-root-user``, or no sandbox as root):
  PID (the deck sees none of the runner's or the other decks' processes, and they all die with
  it), mount (a fresh, size-limited tmpfs as /tmp and /dev/shm, gone with the deck), IPC
  (SysV and POSIX message queues die with it), network and UTS;
- a Landlock domain, where the kernel has Landlock: reading only the view (minus .git and the
  cache), writing only its own temp folder; with ABI >= 4 no TCP bind or connect; with
  ABI >= 6 no signal and no abstract UNIX socket outside the domain (ptrace and /proc/PID/fd
  of processes outside it are refused by every ABI);
- a seccomp filter, where libseccomp is installed: no memfd and no SysV shared memory or
  message queues, memory that no resource limit would count;
- no capability, no_new_privs, and the resource limits (``deck_process``).
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import signal
import stat

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
DECK_NAMESPACES = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT = 0x1, 0x2, 0x4, 0x20
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 0x40000

DECK_TMP = "/tmp"  # in a deck's own mount namespace: a fresh tmpfs, its only writable place
SHM = "/dev/shm"
# Files a deck may read besides the view (its own /proc entry is added in the deck's process).
PROC_FILES = ("/proc/cpuinfo", "/proc/meminfo", "/proc/stat")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def prctl(option: int, value: int) -> None:
    try:
        _libc.prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


# -- namespaces -----------------------------------------------------------------------------
def namespaces_possible() -> tuple[bool, str]:
    """Can this process give each deck namespaces of its own? Tried in a throwaway child."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _check(_libc.unshare(DECK_NAMESPACES), "unshare")
        except OSError as err:
            code = err.errno or 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return True, ""
    number = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 0
    return False, (f"the runner cannot make namespaces for each deck "
                   f"({os.strerror(number) if number else 'unknown reason'})")


SYS_CLONE3 = 435  # the same number on every architecture (added after the tables merged)


class _CloneArgs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "flags", "pidfd", "child_tid", "parent_tid", "exit_signal", "stack", "stack_size",
        "tls", "set_tid", "set_tid_size", "cgroup")]


_libc_with_gil = ctypes.PyDLL(None, use_errno=True)  # a fork must not let the GIL go
_libc_with_gil.syscall.restype = ctypes.c_long


def fork_into_deck_namespaces() -> int | None:
    """``os.fork()`` with the child made PID 1 of namespaces of its own (``DECK_NAMESPACES``)
    at once, so that a deck needs no relay to enter them: one fork and one exit of the
    worker fewer. Python's own bookkeeping of a fork is done as ``os.fork`` does it; the C
    library's fork handlers are not run, which is safe only in a process with one thread.
    None where it cannot be done (another thread, no clone3, a filter refusing it): the
    caller forks a relay that calls ``enter_deck_namespaces`` instead."""
    try:
        if len(os.listdir("/proc/self/task")) != 1:
            return None
    except OSError:
        return None
    args = _CloneArgs(flags=DECK_NAMESPACES, exit_signal=signal.SIGCHLD)
    ctypes.pythonapi.PyOS_BeforeFork()
    pid = _libc_with_gil.syscall(SYS_CLONE3, ctypes.byref(args), ctypes.sizeof(args))
    if pid == 0:
        ctypes.pythonapi.PyOS_AfterFork_Child()
        return 0
    ctypes.pythonapi.PyOS_AfterFork_Parent()
    return pid if pid > 0 else None


def enter_deck_namespaces(tmp_bytes: int, shown: list[str], hidden: list[str]) -> str:
    """Move the calling process (the deck's relay) into namespaces of its own; its next child
    is PID 1 there. Then ``make_deck_mounts``."""
    _check(_libc.unshare(DECK_NAMESPACES), "unshare")
    return make_deck_mounts(tmp_bytes, shown, hidden)


def make_deck_mounts(tmp_bytes: int, shown: list[str], hidden: list[str]) -> str:
    """In the deck's own mount namespace: a fresh tmpfs of ``tmp_bytes`` becomes /tmp, and
    /dev/shm a folder in it, so the deck's files share one quota and vanish with it; the
    folders of ``shown`` that were under /tmp (a course checked out there) are shown again
    on it, read-only and with ``hidden`` covered (the deck may write anywhere in /tmp but in
    them). Returns the deck's temp folder."""
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate")
    kept = []
    for path in shown:  # opened in the new namespace, before the tmpfs covers them
        if path.startswith(DECK_TMP + "/"):
            try:
                kept.append((path, os.open(path, os.O_PATH | os.O_CLOEXEC)))
            except OSError:
                continue
    options = f"mode=0700,uid={os.getuid()},gid={os.getgid()}"
    if tmp_bytes:
        options += f",size={tmp_bytes}"
    _check(_libc.mount(b"tmpfs", DECK_TMP.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                       options.encode()), "mount tmpfs")
    for path, fd in kept:
        _bind(f"/proc/self/fd/{fd}", path, read_only=True)
        os.close(fd)
        for inside in hidden:
            if inside.startswith(path.rstrip("/") + "/") and os.path.lexists(inside):
                _cover(inside)
    shm = os.path.join(DECK_TMP, ".shm")
    os.mkdir(shm, 0o700)
    if os.path.isdir(SHM):
        _check(_libc.mount(shm.encode(), SHM.encode(), None, MS_BIND, None), "mount /dev/shm")
    home = os.path.join(DECK_TMP, "deck")
    os.mkdir(home, 0o700)
    return home


# The kernel keeps pid_max for each PID namespace since 6.14, at least 301 (its reserved
# pids). Before, the same write set the machine's own limit: never attempted there.
PER_NAMESPACE_PID_MAX = (6, 14)
LOWEST_PID_MAX = 301


def cap_processes(limit: int) -> bool:
    """In the deck's PID namespace (called by its init), let the kernel refuse a fork past
    about ``limit`` processes: a fork bomb then stops there, and the runner's count ends it
    at once. False where the kernel cannot do it for one namespace."""
    release = tuple(int(n) for n in re.findall(r"\d+", os.uname().release)[:2])
    if release < PER_NAMESPACE_PID_MAX:
        return False
    try:
        with open("/proc/sys/kernel/pid_max", "w") as f:
            f.write(f"{max(LOWEST_PID_MAX, limit + 8)}\n")
    except OSError:
        return False
    return True


def _bind(source: str, target: str, read_only: bool) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    # MS_REC: what the sandbox mounted inside it (a .git hidden by a tmpfs) comes along
    _check(_libc.mount(source.encode(), target.encode(), None, MS_BIND | MS_REC, None),
           f"mount --bind {target}")
    if read_only:
        _check(_libc.mount(None, target.encode(), None,
                           MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None),
               f"mount -o remount,ro {target}")


def _cover(path: str) -> None:
    """Hide ``path`` (a .git, the cache folder) under an empty, read-only mount."""
    if os.path.isdir(path) and not os.path.islink(path):
        _check(_libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
                           b"size=4k,mode=0"), f"hide {path}")
    else:
        _check(_libc.mount(os.devnull.encode(), path.encode(), None, MS_BIND, None),
               f"hide {path}")


# -- Landlock -------------------------------------------------------------------------------
def landlock_abi() -> int:
    try:
        import landlockpy
    except ImportError:
        return 0
    return landlockpy.abi_version()


def readable_roots(roots: list[str], hidden: list[str]) -> list[str]:
    """The folders and files to allow so that everything under ``roots`` is readable except
    ``hidden`` (Landlock only allows: a hidden path inside an allowed folder is left out by
    allowing each of its siblings instead, down to it)."""
    kept: list[str] = []
    for root in roots:
        inside = [h for h in hidden if h == root or h.startswith(root.rstrip("/") + "/")]
        if not inside:
            kept.append(root)
            continue
        if root in inside:
            continue
        try:
            entries = [entry.path for entry in os.scandir(root)]
        except OSError:
            continue
        kept += readable_roots(entries, inside)
    return kept


def restrict_files(readable: list[str], writable: list[str], abi: int) -> None:
    """Enter a Landlock domain: read and run only ``readable``, write only ``writable``; no TCP
    (ABI >= 4); no signal or abstract socket outside the domain (ABI >= 6)."""
    from landlockpy import AccessFS, AccessNet, Ruleset, Scope, fs_for_abi, net_for_abi

    handled = fs_for_abi(abi) & ~AccessFS.IOCTL_DEV  # devices are chosen one by one below
    file_rights = (AccessFS.READ_FILE | AccessFS.WRITE_FILE | AccessFS.EXECUTE
                   | AccessFS.TRUNCATE)
    read = AccessFS.READ_FILE | AccessFS.READ_DIR | AccessFS.EXECUTE
    with Ruleset(handled_fs=handled,
                 handled_net=net_for_abi(abi) & (AccessNet.BIND_TCP | AccessNet.CONNECT_TCP),
                 scoped=Scope.SIGNAL | Scope.ABSTRACT_UNIX_SOCKET) as rules:
        for rights, paths in ((read, readable), (read | AccessFS.WRITE_FILE, DEVICES),
                              (handled, writable)):
            for path in paths:
                try:
                    is_dir = stat.S_ISDIR(os.stat(path).st_mode)
                    rules.allow_path(path, rights if is_dir else rights & file_rights)
                except OSError as err:
                    if err.errno not in (errno.ENOENT, errno.EACCES, errno.ENOTDIR,
                                         errno.ELOOP):
                        raise
        rules.restrict()


# -- seccomp --------------------------------------------------------------------------------
# Memory no resource limit sees: a memfd is not address space until mapped, and SysV shared
# memory and message queues outlive the process that made them.
FORBIDDEN_CALLS = ("memfd_create", "memfd_secret", "shmget", "msgget")


def seccomp_available() -> bool:
    try:
        import pyseccomp  # noqa: F401  (loads libseccomp)
    except (ImportError, OSError):
        return False
    return True


def forbid_unaccounted_memory() -> None:
    import pyseccomp

    rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for call in FORBIDDEN_CALLS:
        try:
            rules.add_rule(pyseccomp.ERRNO(errno.EPERM), call)
        except (OSError, RuntimeError, ValueError):
            pass  # a call this kernel or libseccomp does not know
    rules.load()


# -- privileges -----------------------------------------------------------------------------
class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_privileges() -> None:
    """No capability left, none to regain through exec (a deck under ``unshare`` or ``none``
    may be root in its namespace, or root outright): no mount, ptrace, raw socket, and no
    opening another process's descriptors through /proc."""
    for cap in range(64):  # the bounding set: exec of a setuid or file-capable binary
        prctl(PR_CAPBSET_DROP, cap)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    try:
        header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
        data = (_CapData * 2)()  # all zero: effective, permitted and inheritable
        _libc.capset(ctypes.byref(header), data)
    except (OSError, AttributeError):
        pass
