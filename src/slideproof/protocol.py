"""The messages between the pool (``run``), the warm worker (``worker``) and a deck's session
(``session``): JSON lines, typed here once so the three sides agree on their fields.

- pool → worker, on the worker's stdin: a ``WorkerConfig`` line, then ``RunRequest`` and
  ``ExitRequest`` lines;
- a deck → worker, on the deck's own result pipe: ``DeckEvent`` lines (``DECK_EVENTS``);
  the worker tags each with the deck's id (the pipe's, never one the deck wrote) and passes
  it on;
- worker → pool, on the worker's stdout: ``Ready``, ``DeckStart``, the decks' events,
  ``ProtocolBreach``, ``DeckDone`` and ``Bye``.

A deck's events are untrusted: ``run.Protocol`` checks each one against these shapes and
the plan before anything reads it. Nothing here runs code.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

DECK_EVENTS = ("start", "block", "setup-failed")  # what a deck may write on its channel
HARD_KILL_GRACE = 2.0  # seconds past the soft timeout before the group is killed


# -- the plan: what a deck's session runs (also what the cache key is made of) -------------
class Limits(TypedDict):
    output: int  # characters per block
    memory: int  # bytes of address space
    cpu: int  # CPU seconds
    file_size: int
    processes: int
    open_files: int
    tmp: NotRequired[int]  # bytes of the run's temp folder; added by the worker


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


class Plan(TypedDict):
    path: str
    setup: list[SetupSource]
    blocks: list[BlockPlan]
    models: dict[str, str]  # alias → target
    timeout: float
    limits: Limits


# -- pool → worker -------------------------------------------------------------------------
class WorkerConfig(TypedDict, total=False):
    preload: list[str]
    preimport: list[str]
    tmp_root: str
    tmp_quota: int
    wipe: list[str]  # folders emptied after each deck: the sandbox's own writable places


class RunRequest(TypedDict):
    op: Literal["run"]
    id: str
    plan: Plan


class ExitRequest(TypedDict):
    op: Literal["exit"]


# -- a deck → worker (and on, tagged with ``id``, to the pool) ----------------------------
class ErrorRecord(TypedDict, total=False):
    type: str
    bases: list[str]
    module: str
    message: str
    code: str | None  # spaCy's [E…] code
    line: int  # deck line
    traceback: str
    name: str | None  # NameError's name
    missing: dict[str, str]  # a package or model not installed here, and its install command
    timed_out: bool
    output_limit: bool


class WarningRecord(TypedDict):
    category: str
    message: str
    code: str | None
    deprecation: bool
    line: int | None
    filename: str | None


class StartEvent(TypedDict):
    event: Literal["start"]
    index: int  # -1: a setup source
    timeout: float
    id: NotRequired[str]


class _Ran(TypedDict, total=False):
    """What running one piece of code (a block, or a setup source) recorded."""

    output: str
    display: str | None
    warnings: list[WarningRecord]
    error: ErrorRecord | None
    seconds: float
    id: str


class BlockEvent(_Ran, total=False):
    event: Literal["block"]
    index: int
    skipped: bool
    missing_models: list[str]


class SetupFailed(_Ran, total=False):
    event: Literal["setup-failed"]
    source: str  # the setup source's name


DeckEvent = StartEvent | BlockEvent | SetupFailed


# -- worker → pool -------------------------------------------------------------------------
class ModelInfo(TypedDict, total=False):
    loaded: bool
    name: str
    version: str
    error: str


class Ready(TypedDict):
    event: Literal["ready"]
    pid: int
    python: str
    spacy: str
    thinc: str
    models: dict[str, ModelInfo]


class DeckStart(TypedDict):
    event: Literal["deck-start"]
    id: str


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


class Bye(TypedDict):
    event: Literal["bye"]


WorkerEvent = Ready | DeckStart | DeckEvent | ProtocolBreach | DeckDone | Bye
