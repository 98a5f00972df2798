"""The messages between the pool (``run``), the warm worker (``sandboxed.worker``) and a deck's
session (``sandboxed.session``): JSON lines, typed here once so the three sides agree on their
fields.

- pool → worker, on the worker's stdin: a ``WorkerConfig`` line, then ``RunRequest`` lines;
- a deck → worker, on the deck's own result pipe: ``DeckEvent`` lines (``DECK_EVENTS``);
- worker → pool, on the worker's stdout: ``Ready``, ``DeckStart``, ``DeckLine`` (a deck's
  line, passed on as the bytes the deck wrote and tagged with the deck of its pipe, never
  with an id the deck wrote), ``ProtocolBreach`` and ``DeckDone``; the model holder speaks
  the same to the worker, and ``HolderReady`` to the worker alone.

A deck's events are untrusted: the pool validates each one against these types (``channel``
derives its validator from them) and against the plan before anything reads it. Nothing here
runs code. The TypedDicts come from ``typing_extensions`` because the validator builds on
pydantic, which needs them on Python 3.11.
"""

from __future__ import annotations

from typing import Literal, NotRequired

from typing_extensions import TypedDict

DECK_EVENTS = ("start", "block", "setup-failed")  # what a deck may write on its channel
HARD_KILL_GRACE = 2.0  # seconds past the soft timeout before the group is killed
TRACEBACK_LIMIT = 8000  # characters of a traceback kept (its end, where the error is)
WARNINGS_LIMIT = 100  # warnings recorded per block
# Bytes one event may take on a deck's channel, for a block whose output and displayed value
# may each hold ``output`` characters: at most 6 bytes a character (a control character
# written as \\u001b), plus the message, traceback and warnings. The worker ends a deck that
# sends more, so no deck can fill the runner's or the parent's memory through its channel.
EVENT_OVERHEAD = 1 << 20


def event_bytes_limit(output: int) -> int:
    return 6 * (3 * output + TRACEBACK_LIMIT) + EVENT_OVERHEAD


# -- the plan: what a deck's session runs (also what the cache key is made of) -------------
class Limits(TypedDict):
    output: int  # characters per block (output, displayed value and error message each)
    memory: int  # bytes of address space
    cpu: int  # CPU seconds
    file_size: int
    processes: int
    open_files: int
    tmp: NotRequired[int]  # bytes of the deck's temp folder; added by the worker


class SetupSource(TypedDict):
    name: str  # shown in tracebacks
    code: str
    first_line: int


class BlockPlan(TypedDict):
    index: int
    line: int  # the fence's deck line
    first_line: int  # the deck line of the code's first line
    code: str
    skip: str | None  # the reason, "" for none given; None: the block runs
    isolated: bool
    timeout: float | None
    requires: list[str]
    setup: bool
    # The file the code is from, when not the plan's ``path`` (an exercise's test): what it
    # is compiled with, so its tracebacks and lines name that file.
    file: NotRequired[str]


class Plan(TypedDict):
    path: str
    setup: list[SetupSource]
    blocks: list[BlockPlan]
    models: dict[str, str]  # alias → target
    timeout: float
    limits: Limits
    # The working folder of the session (an exercise's course root, shown read-only), when
    # not the deck's own temp folder.
    cwd: NotRequired[str]
    # Files the code opens → their sha256: in the cache key only (the session ignores them).
    inputs: NotRequired[dict[str, str]]


# -- pool → worker -------------------------------------------------------------------------
class Walls(TypedDict):
    """What each deck's process is shut in, besides the runner's sandbox."""

    readable: list[str]  # what a deck may read (and run): the view, without its hidden parts
    hidden: list[str]  # inside ``readable`` and never readable: .git, the cache folder
    landlock: bool  # apply Landlock where the kernel has it


class WorkerConfig(TypedDict, total=False):
    preimport: list[str]
    handouts: list[str]  # what the check's decks are handed (``handout_keys``)
    tmp_root: str
    # Bytes a deck's temp folder holds: the size of the tmpfs of its own namespaces; where
    # decks run in the runner's walls, of the sandbox's own /tmp when it is a tmpfs of that
    # size (``sandbox_tmpfs``, bubblewrap), else none
    tmp_quota: int
    sandbox_tmpfs: bool
    parallel: int  # decks at once: >1 only where each deck gets namespaces of its own
    wipe: list[str]  # folders emptied after each deck: the sandbox's own writable places
    walls: Walls


class RunRequest(TypedDict):
    op: Literal["run"]
    id: str
    plan: Plan
    # What the deck is handed (``handout_keys``): built once, before the deck, by the process
    # that forks it
    handouts: list[str]
    # Run before the decks queued without it: a deck the caller waits on to go on (a trial
    # of the search for fixes, whose next round waits on it)
    first: NotRequired[bool]


# -- a deck → worker (and on, tagged with ``id``, to the pool) ----------------------------
class MissingPackage(TypedDict):
    package: str
    install: str


class MissingModel(TypedDict):
    model: str
    install: str


class ErrorRecord(TypedDict, total=False):
    type: str
    bases: list[str]
    module: str
    message: str
    code: str | None  # spaCy's [E…] code
    line: int | None  # deck line
    traceback: str
    name: str | None  # NameError's name
    missing: MissingPackage | MissingModel  # not installed here, and its install command
    timed_out: bool
    output_limit: bool


class WarningRecord(TypedDict):
    category: str
    message: str
    code: str | None
    deprecation: bool
    line: int | None
    filename: str | None


class Ran(TypedDict):
    """What running one piece of code (a block, or a setup source) recorded: the body of
    its result event."""

    output: str
    display: str | None
    warnings: list[WarningRecord]
    error: ErrorRecord | None
    seconds: float


class StartEvent(TypedDict):
    event: Literal["start"]
    index: int  # -1: a setup source
    timeout: float


class BlockEvent(TypedDict):
    event: Literal["block"]
    index: int
    output: NotRequired[str]
    display: NotRequired[str | None]
    warnings: NotRequired[list[WarningRecord]]
    error: NotRequired[ErrorRecord | None]
    seconds: NotRequired[float]
    skipped: NotRequired[bool]
    missing_models: NotRequired[list[str]]


class SetupFailed(TypedDict):
    event: Literal["setup-failed"]
    source: str  # the setup source's name
    error: ErrorRecord
    output: NotRequired[str]
    display: NotRequired[str | None]
    warnings: NotRequired[list[WarningRecord]]
    seconds: NotRequired[float]


DeckEvent = StartEvent | BlockEvent | SetupFailed


# -- worker → pool -------------------------------------------------------------------------
class Ready(TypedDict):
    event: Literal["ready"]
    pid: int
    python: str
    spacy: str
    thinc: str
    walls: str  # "deck": each deck in namespaces of its own; "runner": one deck at a time
    why: str  # why not "deck", when not
    landlock: int  # the kernel's Landlock ABI, 0 without
    seccomp: bool


class DeckStart(TypedDict):
    event: Literal["deck-start"]
    id: str


class DeckLine(TypedDict):
    """Announces ``bytes`` bytes (and a newline) that follow on the stream, as the deck wrote
    them: the worker passes a deck's line on without reading it for the pool."""

    event: Literal["deck-line"]
    id: str
    bytes: int


class ProtocolBreach(TypedDict):
    event: Literal["protocol"]
    id: str
    problem: str


class DeckDone(TypedDict, total=False):
    """How a deck's process ended. The worker sends ``seconds``, ``running``,
    ``hard_timeout`` and ``signal`` or ``exit_code``; the pool makes its own when it stops
    waiting: ``protocol`` (the deck broke the protocol), ``worker_died`` or ``watchdog``."""

    event: Literal["deck-done"]
    id: str
    seconds: float | None
    running: int | None  # the block started and not finished
    hard_timeout: int | None  # the block the worker killed the deck for
    signal: str
    exit_code: int
    protocol: str
    worker_died: str
    watchdog: str
    left_files: bool  # the worker could not empty its temp folders: it is replaced
    flooded: str  # why the worker killed all the deck's processes (too many, too big)


class HolderReady(TypedDict):
    """The model holder → the worker (never passed on): it has loaded the models the
    worker's config names (``WorkerConfig.handouts``)."""

    event: Literal["holder-ready"]


WorkerEvent = Ready | DeckStart | DeckLine | ProtocolBreach | DeckDone | HolderReady


MODEL_HANDOUT = "model:"  # a model's key: loaded by the model holder, the rest by the worker


def handout_keys(loads: list[str], blanks: list[str], classes: list[str]) -> list[str]:
    """What a deck is handed, built once by the process that forks it: ``model:TARGET`` for
    each model it loads (``model:TARGET#2``… for the further copies ``loads`` names),
    ``blank:LANG`` for each blank pipeline it makes (``spacy.blank("en")``), ``class:LANG``
    for each language class it makes without arguments (``English()``)."""
    keys = []
    for index, target in enumerate(loads):
        copy = loads[:index].count(target) + 1
        keys.append(f"{MODEL_HANDOUT}{target}" + (f"#{copy}" if copy > 1 else ""))
    return keys + [f"blank:{lang}" for lang in blanks] + [f"class:{lang}" for lang in classes]


class DeckRun(TypedDict):
    """What running one deck gave: its validated events, and how its process ended. What
    the pool returns, the judge reads and the cache keeps."""

    events: list[DeckEvent]
    done: DeckDone
