"""The strongest sandbox this machine allows, for the warm worker and every deck it forks.

The whole worker runs inside it, so each forked deck inherits it for free:
- ``bwrap`` (bubblewrap): no network, the file system read-only except the run's temp
  folder, its own PID namespace (nothing survives the worker), a new session;
- ``unshare``: no network (a fresh network namespace), file system as is;
- ``none``: the limits that always apply (temp working directory, reduced environment,
  resource limits, output cap, process-group kill) and nothing more.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile

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


@functools.cache
def available() -> tuple[str, ...]:
    kinds = []
    if shutil.which("bwrap") and _works(_bwrap_prefix(tempfile.gettempdir())):
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
        raise ValueError(f"sandbox '{wanted}' is not available here (available: "
                         f"{', '.join(kinds)}); install bubblewrap or use sandbox: auto")
    return wanted


def _bwrap_prefix(tmp_root: str) -> list[str]:
    return ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/dev/shm", "--bind", tmp_root, tmp_root,
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", "--chdir", tmp_root]


def _unshare_prefix() -> list[str]:
    return ["unshare", "--net", "--map-root-user", "--"]


def command(kind: str, argv: list[str], tmp_root: str) -> list[str]:
    if kind == "bwrap":
        return _bwrap_prefix(tmp_root) + argv
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
