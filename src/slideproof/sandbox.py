"""The strongest sandbox this machine allows, for the warm worker and every deck it forks.

The whole worker runs inside it, so each forked deck inherits it for free:
- ``bwrap`` (bubblewrap): a user namespace mapping the deck to an unprivileged uid, every
  capability dropped (also when the check runs as root), no network, a minimal read-only
  view of the file system (``View``) whose only writable place is a fresh, size-limited
  temp folder, its own PID namespace in which the worker is init (nothing survives it, and
  no deck can signal or open it), a new session;
- ``unshare``: no network, its own PID namespace and /proc; the file system as is;
- ``none``: the limits that always apply (temp working directory, reduced environment,
  resource limits, output cap, capability drop, process-group kill) and nothing more.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

from .errors import coded

KINDS = ("bwrap", "unshare", "none")

# Variables a deck may see; everything else (tokens, CI secrets…) is dropped.
ENV_ALLOW = (
    "PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TERM",
    "PYTHONPATH", "PYTHONHASHSEED", "VIRTUAL_ENV", "PYTHONIOENCODING",
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
    "MKL_NUM_THREADS", "SPACY_WARNING_IGNORE",
)


def _works(argv: list[str]) -> bool:
    try:
        return subprocess.run([*argv, "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


SANDBOX_UID = 65534  # "nobody": what a deck runs as where a user namespace can map it
TMP_INSIDE = "/tmp"  # the run's temp folder as the sandbox sees it (a fresh tmpfs)
# The few files of /etc that Python, its C libraries and spaCy read; not shadow, not ssh.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
             "nsswitch.conf", "passwd", "group", "hosts", "alternatives", "mime.types",
             "os-release", "locale.alias", "locale.conf", "default/locale")
# The only places a deck can write to, fresh for each runner; emptied after each deck, so
# that nothing one deck leaves there is found by the next deck of the same runner.
WRITABLE = (TMP_INSIDE, "/dev/shm")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@functools.cache
def _bwrap_user_flags() -> tuple[str, ...]:
    """A user namespace that maps the deck to an unprivileged uid where bubblewrap can make
    one; otherwise (a setuid bubblewrap without user namespaces) only the capability drop."""
    probe = ["bwrap", "--ro-bind", "/", "/", "--unshare-user", "--uid", str(SANDBOX_UID),
             "--gid", str(SANDBOX_UID), "--cap-drop", "ALL"]
    if _works([*probe, "--disable-userns"]):  # no nested namespace to regain privileges in
        return ("--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                "--cap-drop", "ALL", "--disable-userns")
    if _works(probe):
        return ("--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                "--cap-drop", "ALL")
    return ("--cap-drop", "ALL")


@functools.cache
def available() -> tuple[str, ...]:
    kinds = []
    if shutil.which("bwrap") and _works(_bwrap_prefix(View())):
        kinds.append("bwrap")
    if shutil.which("unshare") and _works(_unshare_prefix()):
        kinds.append("unshare")
    kinds.append("none")
    return tuple(kinds)


def choose(wanted: str = "auto") -> str:
    kinds = available()
    if wanted == "auto":
        return kinds[0]
    if wanted not in kinds:
        raise ValueError(coded("SP015", wanted=wanted, available=", ".join(kinds)))
    return wanted


class View:
    """What a bubblewrap sandbox shows of the host: read-only system folders, the Python
    installation, the worker's import path, model folders and the course's own files;
    no ``.git`` anywhere in them; a fresh, size-limited temp folder as the only writable
    place."""

    def __init__(self, code: list[str] = (), course: list[str] = (), tmp_size: int = 0):
        # Never the temp folder itself nor a folder above it (an import path entry "/tmp"):
        # shown read-only, it would cover the fresh one decks write to.
        self.code = [p for p in _existing(code) if not _inside(TMP_INSIDE, p)]
        self.course = [p for p in _existing(course) if not _inside(TMP_INSIDE, p)]
        self.tmp_size = tmp_size

    def covers(self, paths: list[str]) -> bool:
        shown = self.code + self.course
        return all(any(_inside(p, s) for s in shown) for p in _existing(paths))

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
        shown = _outermost(self.code + self.course)
        for folder in shown:
            args += ["--ro-bind", folder, folder]
        for folder in shown:
            deep = any(_inside(folder, c) for c in self.course)
            for git in _git_entries(folder, deep):
                if os.path.isdir(git):
                    args += ["--tmpfs", git, "--remount-ro", git]
                else:
                    args += ["--ro-bind", os.devnull, git]
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


def _bwrap_prefix(view: View) -> list[str]:
    size = ["--size", str(view.tmp_size)] if view.tmp_size else []
    return ["bwrap", *_bwrap_user_flags(), *view.args(), "--dev", "/dev", "--proc", "/proc",
            *size, "--tmpfs", WRITABLE[1],
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--as-pid-1", "--die-with-parent", "--new-session",
            "--chdir", TMP_INSIDE]


def _unshare_prefix() -> list[str]:
    # Its own PID namespace and /proc: the check's own process is not visible (nor its
    # descriptors) from a deck; --kill-child: nothing survives the runner.
    return ["unshare", "--net", "--pid", "--kill-child", "--mount-proc", "--map-root-user",
            "--"]


def inner_tmp(kind: str, tmp_root: str) -> str:
    """Where the run's temp folder is, seen from inside the sandbox."""
    return TMP_INSIDE if kind == "bwrap" else tmp_root


def command(kind: str, argv: list[str], view: View) -> list[str]:
    if kind == "bwrap":
        return _bwrap_prefix(view) + argv
    if kind == "unshare":
        return _unshare_prefix() + argv
    return argv


def environment(tmp_root: str, extra_allow: tuple[str, ...] = ()) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ENV_ALLOW or k in extra_allow}
    env.update(HOME=tmp_root, TMPDIR=tmp_root, PYTHONDONTWRITEBYTECODE="1",
               PYTHONUNBUFFERED="1")
    env.setdefault("PATH", os.defpath)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core per deck; decks run in parallel
    env.setdefault("OMP_NUM_THREADS", "1")
    return env
