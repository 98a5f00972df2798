"""One deck's session, inside its process: run the blocks in order, notebook style.

Runs only inside the sandbox, once ``deck_process`` has shut the deck's process in:
``run_session`` records what happened per block (output, displayed value, warnings,
exception with its deck line) and sends it up the result pipe as JSON lines as soon as each
block ends, so a crash loses nothing that was already finished. Statuses are *not* decided
here: that is ``judge``'s job, on the trusted side.
"""

from __future__ import annotations

import ast
import errno
import functools
import io
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
import warnings
import weakref
from collections.abc import Callable
from typing import cast

from ..errors import Errors, shorten
from ..protocol import (
    TRACEBACK_LIMIT,
    WARNINGS_LIMIT,
    BlockEvent,
    DeckEvent,
    ErrorRecord,
    Limits,
    MissingModel,
    MissingPackage,
    Plan,
    Ran,
    SetupFailed,
    WarningRecord,
)

SPACY_CODE = re.compile(r"\[([EW]\d{3,4})\]")
CUT = "\n[… output cut at the limit …]"


class BlockTimeout(BaseException):
    """Raised in the child when a block runs past its timeout (a BaseException, so that an
    example's ``except Exception`` cannot swallow it)."""


class OutputLimit(BaseException):
    """Raised when a block prints more than the output cap."""


# Threads a block started and left running: what they print later belongs to no block.
LATE_THREADS: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


class CappedWriter(io.TextIOBase):
    """stdout/stderr for a block: writes through to the deck's output log — the same file
    ``os.write(1, …)`` and subprocesses write to, so the block's output keeps the order it
    was written in — up to ``cap`` characters, then stops the block."""

    def __init__(self, cap: int, fd: int):
        self.cap = cap
        self.fd = fd
        self.size = 0
        # Held from the check of who writes until the bytes are in the log, and by the block's
        # end: a thread the block leaves running may have been checked before the block ended
        # and be descheduled before its write (the GIL is let go around it); its bytes must not
        # land in a later block's output. Re-entrant: a signal handler may print mid-write.
        self.lock = threading.RLock()
        self.ended = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self.lock:
            if self.ended or threading.current_thread() in LATE_THREADS:
                return len(text)  # a thread of an earlier block: not this block's output
            room = self.cap - self.size
            data = text[:max(room, 0)].encode("utf-8", "replace")
            while data:
                data = data[os.write(self.fd, data):]
            self.size += len(text)
        if self.size > self.cap:
            raise OutputLimit(self.cap)
        return len(text)

    encoding = "utf-8"  # some libraries ask

    def isatty(self) -> bool:
        return False


class _Discarded(io.TextIOBase):
    """sys.stdout and sys.stderr between blocks: what is written there is no block's."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


BETWEEN_BLOCKS = _Discarded()


def _deck_line(tb, path: str) -> int | None:
    """The deepest traceback frame that is deck code (compiled with the deck's path)."""
    line = None
    for frame in traceback.extract_tb(tb):
        if frame.filename == path:
            line = frame.lineno
    return line


def _example_frames(tb, path: str):
    """The traceback from the example's first frame on: the frames above it are
    slideproof's own runner, which means nothing to the author. A block that never ran
    (a SyntaxError while compiling) keeps none."""
    while tb is not None and tb.tb_frame.f_code.co_filename != path:
        tb = tb.tb_next
    return tb


def _compile(code: str, path: str, first_line: int):
    """Compile a block so its line numbers are deck lines; split off a last bare expression."""
    tree = ast.parse(code, filename=path, mode="exec")
    ast.increment_lineno(tree, first_line - 1)
    last = None
    tail = tree.body[-1] if tree.body else None
    if isinstance(tail, ast.Expr):
        tree.body.pop()
        last = ast.Expression(tail.value)
    body = compile(tree, path, "exec")
    return body, (compile(last, path, "eval") if last is not None else None)


def _warning_record(w: warnings.WarningMessage) -> WarningRecord | None:
    message = str(w.message)[:TRACEBACK_LIMIT]
    code = SPACY_CODE.search(message)
    deprecation = issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning,
                                          FutureWarning))
    if not (deprecation or code):
        return None
    return {"category": w.category.__name__, "message": message,
            "code": code.group(1) if code else None, "deprecation": deprecation,
            "line": w.lineno if w.filename and isinstance(w.lineno, int) else None,
            "filename": w.filename if isinstance(w.filename, str) else None}


def human_size(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


# Import names whose pip package is called otherwise (the install command names the package).
PIP_NAMES = {"sklearn": "scikit-learn", "yaml": "PyYAML", "cv2": "opencv-python",
             "PIL": "Pillow", "bs4": "beautifulsoup4", "sudachipy": "sudachipy sudachidict_core",
             "spacy_transformers": "spacy-transformers", "spacy_pkuseg": "spacy-pkuseg",
             "MeCab": "mecab-python3", "natto": "natto-py"}
_PIP_INSTALL = re.compile(r"pip install [^`'\n]+?(?=[`'\n]|$| or )")
_NO_MODEL = re.compile(r"Can't find model '([^']+)'")


def _missing(err: BaseException, message: str) -> MissingPackage | MissingModel | None:
    """What is not installed here, if that is why ``err`` was raised: a package (an
    ImportError caused by a ModuleNotFoundError for a package that cannot be found, such
    as spaCy's own 'Japanese support requires SudachiPy') or a model (spaCy's E050). A
    missing submodule of an installed package is a bug in the example, not this."""
    if isinstance(err, ImportError):
        found, seen = None, 0
        todo: list[BaseException | None] = [err]
        while todo and seen < 8 and found is None:
            e = todo.pop(0)
            seen += 1
            if isinstance(e, ModuleNotFoundError) and e.name:
                found = e.name
            elif e is not None:
                todo += [e.__cause__, e.__context__]
        if not found:
            return None
        top = found.split(".")[0]
        try:
            import importlib.util
            if importlib.util.find_spec(top) is not None:
                return None
        except (ImportError, ValueError):
            pass
        command = _PIP_INSTALL.search(message)
        install = command.group(0).strip() if command else \
            f"pip install {PIP_NAMES.get(top, top)}"
        return {"package": top, "install": install}
    model = _NO_MODEL.search(message) if "E050" in message else None
    if model:
        name = model.group(1)
        install = (f"python -m spacy download {name}" if "/" not in name and os.sep not in name
                   else f"save a pipeline to {name} (nlp.to_disk)")
        return {"model": name, "install": install}
    return None


def _text(err: BaseException) -> str:
    """``str(err)``, or a note when the exception's own ``__str__`` fails."""
    try:
        return str(err)
    except BaseException:
        return f"<{type(err).__name__} whose message cannot be shown>"


def _error_record(err: BaseException, path: str, block_line: int,
                  limits: Limits | None = None) -> ErrorRecord:
    limits = limits or cast(Limits, {})
    message = _text(err)[:int(limits.get("output") or 1 << 20)]
    if isinstance(err, SystemExit):
        message = Errors.SP060.format(code=shorten(repr(err.code)))
    elif isinstance(err, KeyboardInterrupt):
        message = Errors.SP061
    elif isinstance(err, RecursionError):
        message = f"{message} ({Errors.SP062})"
    elif isinstance(err, MemoryError):
        limit = limits.get("memory")
        message = (Errors.SP064.format(limit=human_size(int(limit))) if limit else Errors.SP063) \
            + (f": {message}" if message else "")
    elif isinstance(err, OSError) and err.errno == errno.EFBIG and limits.get("file_size"):
        message = f"{message} ({Errors.SP065.format(limit=human_size(int(limits['file_size'])))})"
    elif isinstance(err, OSError) and err.errno == errno.ENOSPC and limits.get("tmp"):
        message = f"{message} ({Errors.SP066.format(limit=human_size(int(limits['tmp'])))})"
    line = _deck_line(err.__traceback__, path)
    if isinstance(err, SyntaxError) and err.filename == path:
        line = err.lineno
    code = SPACY_CODE.search(message)
    record: ErrorRecord = {
        "type": type(err).__name__,
        "bases": [c.__name__ for c in type(err).__mro__],
        "module": type(err).__module__,
        "message": message,
        "code": code.group(1) if code else None,
        "line": line if line is not None else block_line,
        "traceback": "".join(traceback.format_exception(
            type(err), err, _example_frames(err.__traceback__, path)))[-TRACEBACK_LIMIT:],
    }
    if isinstance(err, NameError):
        name = getattr(err, "name", None)
        record["name"] = name if isinstance(name, str) else None
    missing = _missing(err, message)
    if missing:
        record["missing"] = missing
    return record


def _requires_missing(names: list[str], aliases: dict[str, str]) -> list[str]:
    from spacy import util

    missing = []
    for name in names:
        target = aliases.get(name, name)
        if not (util.is_package(target) or os.path.exists(target)
                or util.is_package(target.replace("-", "_"))):
            missing.append(name)
    return missing


_alarm = {"armed": False, "fired": False}


def _on_alarm(signum, frame):
    # The timer repeats (see run_code): an example that swallows one BlockTimeout gets
    # another, and the block counts as timed out even if it then ends by itself.
    if _alarm["armed"]:
        _alarm["fired"] = True
        raise BlockTimeout()


def _restore_stdio(log_fd: int) -> None:
    """An example may close or redirect fds 1/2 or sys.__stdout__/__stderr__; put back the
    deck's log on both fds and working Python streams, so later blocks are still recorded."""
    try:
        want = os.fstat(log_fd)
    except OSError:
        return
    for fd in (1, 2):
        try:
            st = os.fstat(fd)
            same = (st.st_dev, st.st_ino) == (want.st_dev, want.st_ino)
        except OSError:
            same = False
        if not same:
            os.dup2(log_fd, fd)
    for name, fd in (("__stdout__", 1), ("__stderr__", 2)):
        stream = getattr(sys, name, None)
        if stream is None or getattr(stream, "closed", True):
            setattr(sys, name, open(fd, "w", encoding="utf-8", errors="replace",
                                    buffering=1, closefd=False))


def run_session(plan: Plan, send: Callable[[DeckEvent], None], fd_out: str) -> None:
    """Run ``plan`` (see ``run.plan_for``) and ``send`` one record per block."""
    path = plan["path"]
    cap = plan["limits"]["output"]
    limits = plan["limits"]
    signal.signal(signal.SIGALRM, _on_alarm)
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    fd_log = open(fd_out, "rb")
    log_fd = os.dup(1)  # the log (opened O_APPEND by the worker), kept to restore fds 1/2
    # Between blocks only a thread a block left running prints (the session prints
    # nothing); into the buffered sys.__stdout__ that would reach a later block's output.
    sys.stdout = sys.stderr = BETWEEN_BLOCKS
    # Every block's writer lives as long as the session: Python's print holds sys.stdout by a
    # borrowed reference while it writes, so a thread still printing into a block's writer
    # when the block ends would otherwise write through a freed object (a crash).
    writers: list[CappedWriter] = []

    def fd_output() -> str:
        """What the block wrote to fds 1/2 (C code, subprocesses), up to the cap; the log
        is then emptied so the file-size limit applies per block, not per deck."""
        data = fd_log.read(4 * cap + 4)  # up to 4 bytes a character
        try:
            os.ftruncate(log_fd, 0)
        except OSError:
            pass
        fd_log.seek(0)
        text = data.decode("utf-8", "replace")
        if len(text) > cap:
            text = text[:cap] + CUT
        return text

    def run_code(code: str, first_line: int, ns: dict, timeout: float,
                 block_line: int, path: str = path) -> Ran:
        fd_output()  # drop what a late thread wrote between blocks: it is no block's output
        out = CappedWriter(cap, log_fd)
        writers.append(out)
        threads_before = set(threading.enumerate())
        started = time.perf_counter()
        result: Ran = {"output": "", "display": None, "warnings": [], "error": None,
                       "seconds": 0.0}
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = out
        timed_out: ErrorRecord = {"type": "Timeout", "code": None, "line": block_line,
                                  "message": Errors.SP067.format(timeout=timeout),
                                  "timed_out": True}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _alarm.update(armed=True, fired=False)
            try:
                try:
                    signal.setitimer(signal.ITIMER_REAL, timeout, 0.5)
                    body, last = _compile(code, path, first_line)
                    exec(body, ns)
                    if last is not None:
                        value = eval(last, ns)
                        if value is not None:
                            result["display"] = repr(value)[:cap]
                except BlockTimeout:
                    result["error"] = timed_out
                except OutputLimit:
                    result["error"] = {"type": "OutputLimit",
                                       "message": Errors.SP068.format(cap=cap),
                                       "code": None, "line": block_line, "output_limit": True}
                except BaseException as err:  # the example's own failure, whatever it is
                    result["error"] = _error_record(err, path, block_line, limits)
                finally:
                    _alarm["armed"] = False
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except BlockTimeout:  # the alarm fired between the block's end and the disarm
                pass
            finally:
                _alarm["armed"] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                sys.stdout, sys.stderr = saved
        if _alarm["fired"] and not (result["error"] or {}).get("timed_out"):
            result["error"] = timed_out  # it caught the timeout and went on: still too long
        # The threads it left running are late from now on, before anything else is written.
        left = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
        with out.lock:  # after any write under way: nothing more goes through this writer
            out.ended = True
            LATE_THREADS.update(left)
        _restore_stdio(log_fd)
        for stream in (sys.__stdout__, sys.__stderr__):  # what it wrote to them directly
            try:
                if stream:
                    stream.flush()
            except (OSError, ValueError):
                pass
        sys.stdout = sys.stderr = BETWEEN_BLOCKS  # as run_session set them (see there)
        result["output"] = fd_output()
        if out.size > cap and not result["output"].endswith(CUT):
            result["output"] += CUT
        result["warnings"] = [r for r in map(_warning_record, caught) if r][:WARNINGS_LIMIT]
        if left:
            result["warnings"].append({
                "category": "RuntimeWarning", "code": None, "deprecation": False,
                "line": block_line, "filename": path,
                "message": Errors.SP069.format(name=left[0].name)})
        result["seconds"] = round(time.perf_counter() - started, 4)
        return result

    for source in plan["setup"]:
        send({"event": "start", "index": -1, "timeout": plan["timeout"]})
        result = run_code(source["code"], source["first_line"], namespace, plan["timeout"],
                          source["first_line"])
        if result["error"]:
            send(cast(SetupFailed, {"event": "setup-failed", "source": source["name"],
                                    **result}))
            return
    fresh = dict(namespace)  # what an {isolated} block starts from: setup and prelude only
    for block in plan["blocks"]:
        index = block["index"]
        if block.get("skip") is not None:
            send({"event": "block", "index": index, "skipped": True})
            continue
        missing = _requires_missing(block.get("requires") or [], plan["models"])
        if missing:
            send({"event": "block", "index": index, "missing_models": missing})
            continue
        timeout = block.get("timeout") or plan["timeout"]
        send({"event": "start", "index": index, "timeout": timeout})
        ns = dict(fresh) if block.get("isolated") else namespace
        result = run_code(block["code"], block["first_line"], ns, timeout, block["line"],
                          block.get("file") or path)
        send(cast(BlockEvent, {"event": "block", "index": index, **result}))
    fd_log.close()


def install_handouts(aliases: dict[str, str], handouts: dict) -> None:
    """Make ``spacy.load("en_core_web_sm")`` load the alias target, and hand out what the warm
    worker built before forking: the first plain loads of a preloaded model (one copy each,
    as many as were built), the first ``spacy.blank(lang)`` of a prepared language and its
    class's first ``English()`` get those (forked, so private to this deck) objects instead
    of building them again."""
    import spacy
    from spacy import util

    original_load, original_blank = util.load_model, spacy.blank
    models, blanks = handouts.get("models") or {}, handouts.get("blank") or {}
    handed_out: set[str] = set()

    def load_model(name, *args, **kwargs):
        key = str(name)
        target = aliases.get(key, key)
        # spacy.load passes its defaults on as keywords; only a plain load gets the warm copy
        plain = (not args and kwargs.get("vocab", True) is True
                 and not any(kwargs.get(k) for k in ("disable", "enable", "exclude", "config")))
        if models.get(target) and plain:
            return models[target].pop(0)
        return original_load(target, *args, **kwargs)

    def blank(name, *args, **kwargs):
        key = f"blank:{name}"
        if name in blanks and key not in handed_out and not args and not kwargs:
            handed_out.add(key)
            return blanks[name]
        return original_blank(name, *args, **kwargs)

    util.load_model = load_model
    spacy.load.__globals__["util"] = util  # spacy.load calls util.load_model at call time
    spacy.blank = blank
    for lang, made in (handouts.get("class") or {}).items():
        _hand_to_first_instance(util.get_lang_class(lang), made)


def _hand_to_first_instance(cls: type, made: object) -> None:
    """The first ``cls()`` (no arguments, not a subclass) takes over the state of ``made``,
    an instance built the same way before the fork; then ``cls`` is as it was. Only
    ``__init__`` is wrapped: an instance unpickled or copied, which never calls it, is never
    handed ``made``. (A language's instance holds no reference to itself: taking over its
    attributes makes the same object.)"""
    own = cls.__dict__.get("__init__")  # None: it inherits Language.__init__
    original = cls.__init__  # type: ignore[misc]
    left = [made]

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        if type(self) is cls and not args and not kwargs and left:
            vars(self).update(vars(left.pop()))
            if own is None:
                del cls.__init__
            else:
                cls.__init__ = own
            return
        original(self, *args, **kwargs)

    cls.__init__ = __init__  # type: ignore[misc]


def send_json(fd: int) -> Callable[[DeckEvent], None]:
    stream = os.fdopen(fd, "w", buffering=1, encoding="utf-8", errors="replace")

    def send(message: DeckEvent) -> None:
        # ensure_ascii=False: a lone surrogate an example printed reaches the stream as
        # itself and is replaced there (errors="replace"), so no later reader or writer of
        # the report chokes on it; escaped as \udxxx it would survive into the JSON report.
        stream.write(json.dumps(message, ensure_ascii=False) + "\n")
        stream.flush()

    return send
