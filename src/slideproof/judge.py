"""Raw per-block events → statuses, with messages a person can act on.

Nothing here runs code: it reads what the worker recorded and decides each block's
``Status``, comparing ```out blocks after normalising them. ``Policy`` says what a status
means for a check: what fails it, what the site publishes and shows.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from .deck import Block, Deck
from .errors import Errors, Needs
from .protocol import BlockEvent, BlockPlan, DeckDone, DeckRun, Plan, SetupFailed


class Kind(StrEnum):
    """What a status means for the check and for the published site."""

    OK = "ok"  # the example does what its slide says: published
    INFO = "info"  # not judged (skipped by the author): shown with a note, never a problem
    SOFT = "soft"  # a problem that fails the check, and is withheld, only if the policy says
    HARD = "hard"  # always fails the check and is withheld


class Status(StrEnum):
    """A python block's verdict, with its kind, and whether its code ran to that verdict.

    The values are what the JSON report, the CLI and the pytest plugin say, and the page's
    CSS classes (``sp-status--<value>`` in theme/assets/slideproof/slides.css). Being
    ``str``, a status compares equal to its value, which is how reports read back.
    The order is the report summary's. Only a status that ran has an output of its own:
    an unverified or skipped block has only the one its author wrote.
    """

    PASSED = "passed", Kind.OK, True
    OUTPUT_DIFFERS = "output-differs", Kind.SOFT, True
    DEPRECATED = "deprecated", Kind.SOFT, True
    FAILED = "failed", Kind.HARD, True
    TIMED_OUT = "timed-out", Kind.HARD, False
    CRASHED = "crashed", Kind.HARD, False
    BLOCKED = "blocked", Kind.HARD, False
    UNVERIFIED = "unverified", Kind.SOFT, False
    SKIPPED = "skipped", Kind.INFO, False
    EXPECTED_ERROR = "expected-error", Kind.OK, True

    kind: Kind
    ran: bool

    def __new__(cls, value: str, kind: Kind, ran: bool) -> Status:
        member = str.__new__(cls, value)
        member._value_ = value
        member.kind = kind
        member.ran = ran
        return member

    @property
    def problem(self) -> bool:
        """Worth the author's time: reported as a failure, or as a warning when it passes."""
        return self.kind in (Kind.SOFT, Kind.HARD)

    @classmethod
    def of(cls, value: str) -> Status | None:
        """The status a report names, or None for one this version does not know (a report
        written by a newer slideproof)."""
        return cls._value2member_map_.get(value)  # type: ignore[return-value]


# Short names for the judging code below and for fix.py.
PASSED, OUTPUT_DIFFERS, DEPRECATED = Status.PASSED, Status.OUTPUT_DIFFERS, Status.DEPRECATED
FAILED, TIMED_OUT, CRASHED = Status.FAILED, Status.TIMED_OUT, Status.CRASHED
BLOCKED, UNVERIFIED, SKIPPED = Status.BLOCKED, Status.UNVERIFIED, Status.SKIPPED
EXPECTED_ERROR = Status.EXPECTED_ERROR


def summary(statuses: Iterable[str]) -> dict[str, int]:
    """How many blocks have each status: every status in order, zeros included, then any
    status this version does not know, as a newer report may have."""
    counts: dict[str, int] = dict.fromkeys(Status, 0)
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def problem_code(error: Mapping[str, Any] | None,
                 warnings: Iterable[Mapping[str, Any]] = ()) -> str:
    """The spaCy code of a block's problem: its exception's, else its first coded
    warning's ('' if neither has one)."""
    return (error or {}).get("code") or next(
        (w["code"] for w in warnings if w.get("code")), "") or ""


SIGNALS = {  # the signal that ended a deck's process → what that means
    "SIGSEGV": Errors.SP050, "SIGABRT": Errors.SP051, "SIGKILL": Errors.SP052,
    "SIGXCPU": Errors.SP053, "SIGXFSZ": Errors.SP054, "SIGBUS": Errors.SP055,
    "SIGFPE": Errors.SP056,
}


@dataclass
class Policy:
    """What each status means for this check: what fails it, what the site publishes, what
    it shows. Hard statuses always fail; soft ones fail when their setting says so.

    The methods take a Status or its value (a report read back); an unknown value fails
    nothing and is neither published nor shown.
    """

    fail_on_output_differs: bool = True
    fail_on_deprecated: bool = False
    fail_on_unverified: bool = False

    def fails(self, status: str) -> bool:
        """Fails the check; its block is withheld from the site."""
        known = Status.of(status)
        if known is None:
            return False
        if known.kind is Kind.SOFT:
            return {OUTPUT_DIFFERS: self.fail_on_output_differs,
                    DEPRECATED: self.fail_on_deprecated,
                    UNVERIFIED: self.fail_on_unverified}[known]
        return known.kind is Kind.HARD

    def publishes(self, status: str) -> bool:
        """The site shows the block's code with its verified output: only a block that ran
        has one (an unverified block's output is its author's, never a verified one)."""
        known = Status.of(status)
        return known is not None and known.ran and known.kind in (Kind.OK, Kind.SOFT) \
            and not self.fails(known)

    def shows(self, status: str) -> bool:
        """The block's code is on the deck page and in the notebook: published, or not run
        and let pass (skipped, with the author's reason; unverified, with what this
        machine lacks), under a "not run" label; any other block is withheld."""
        known = Status.of(status)
        return known is not None and (self.publishes(known) or (
            not known.ran and not self.fails(known)))

    def warns(self, status: str) -> bool:
        """A problem this policy lets pass: reported as a warning, not a failure."""
        known = Status.of(status)
        return known is not None and known.kind is Kind.SOFT and not self.fails(known)


@dataclass
class BlockResult:
    block: Block
    status: Status
    message: str = ""
    output: str = ""
    display: str | None = None
    error: Mapping[str, Any] | None = None  # the event's ErrorRecord, or the judge's own
    warnings: Sequence[Mapping[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    diff: str = ""
    blocked_by: int | None = None
    fix: dict | None = None  # a verified rewrite (see fix.fix_json), when one was looked for
    # what this machine lacks for an unverified block: {"model" or "package": name,
    # "install": command}, also for a block unverified through an earlier one
    lacks: dict[str, str] | None = None

    @property
    def where(self) -> int:
        """The deck line to point at: where the exception was raised, else the fence."""
        return (self.error or {}).get("line") or self.block.line

    @property
    def shown_output(self) -> str:
        """What a notebook would show: printed text, then the last expression's value."""
        parts = [self.output.rstrip("\n")] if self.output.strip() else []
        if self.display is not None:
            parts.append(self.display)
        return "\n".join(parts)


@dataclass
class DeckResult:
    deck: Deck
    blocks: list[BlockResult]
    seconds: float = 0.0
    cached: bool = False
    error: str | None = None  # the deck as a whole failed (e.g. its setup code)

    def failures(self, policy: Policy) -> list[BlockResult]:
        return [r for r in self.blocks if policy.fails(r.status)]


# -- output comparison ------------------------------------------------------------------
_ADDRESS = re.compile(r"at 0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")
_TOKEN = re.compile(r"(\.\.\.|…|at 0x[0-9a-fA-F]+|-?\d+\.\d+(?:[eE][-+]?\d+)?)")


def normalise(text: str) -> str:
    """Trailing whitespace, blank lines and runs of spaces don't count; nor do addresses."""
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.replace("\r", "").split("\n")]
    return _ADDRESS.sub("at 0x…", "\n".join(line for line in lines if line))


def output_matches(expected: str, actual: str) -> bool:
    want, got = normalise(expected), normalise(actual)
    if want == got:
        return True
    pattern, places = [], []
    for piece in _TOKEN.split(want):
        if piece in ("...", "…"):
            pattern.append(r".*?")
        elif piece.startswith("at 0x"):
            pattern.append(r"at 0x…")
        elif _FLOAT.fullmatch(piece):
            decimals = len(piece.split(".")[1].split("e")[0].split("E")[0])
            places.append((float(piece), decimals, "e" in piece.lower()))
            pattern.append(r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
        else:
            pattern.append(re.escape(piece))
    match = re.fullmatch("".join(pattern), got, flags=re.DOTALL)
    if not match:
        return False
    for (value, decimals, scientific), text in zip(places, match.groups()):
        actual_value = float(text)
        if scientific:
            if abs(actual_value - value) > abs(value) * 10 ** -decimals:
                return False
        elif round(actual_value, decimals) != round(value, decimals) and \
                abs(actual_value - value) > 10 ** -decimals:
            return False
    return True


def output_diff(expected: str, actual: str, line: int) -> str:
    return "\n".join(difflib.unified_diff(
        normalise(expected).split("\n"), normalise(actual).split("\n"),
        fromfile=f"expected (```out at line {line})", tofile="actual", lineterm="", n=2))


# -- names a block defines, to tell 'blocked' from 'failed' --------------------------------
def defined_names(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


# spaCy errors that say the pipeline lacks something a trained one has (a component, the
# annotation a component sets, the model itself): the deck's context, not its code.
CONTEXT_CODES = {"E001", "E029", "E030", "E050", "E155"}


def needed_context(r: BlockResult, defined: set[str]) -> str | None:
    """What a block that stopped only on its context still needs (words that follow "the
    block still needs"), or None if it stopped on something else: a model or package this
    machine lacks; a name that no block of the deck (``defined``: the names its blocks and
    setup define), setup or prelude defines; a component or annotation the pipeline lacks
    (spaCy's E155, E001…); a pipeline of its own, where an earlier slide added the same
    component to the shared one (E007)."""
    error = r.error or {}
    if r.status is UNVERIFIED:
        if r.lacks:
            return lack_words(r.lacks)
        return Needs.UNRUN_DEFINITIONS.format(line=r.blocked_by) if r.blocked_by else None
    if r.status is not FAILED:
        return None
    if error.get("type") in ("NameError", "UnboundLocalError") and error.get("name") and \
            error["name"] not in defined:
        return Needs.UNDEFINED_NAME.format(name=error["name"])
    if error.get("code") in CONTEXT_CODES:
        first = re.split(r"(?<=\.)\s", (error.get("message") or "").strip(), maxsplit=1)[0]
        return Needs.PIPELINE_PART.format(error=first)
    taken = re.search(r"\[E007\] '([^']+)' already exists", error.get("message") or "")
    if taken and len(re.findall(r"\.add_pipe\(", r.block.code)) <= 1:
        # the block adds the component once: an earlier slide's block added it to the same
        # pipeline, where this slide assumes a fresh one
        return Needs.OWN_PIPELINE.format(name=taken[1])
    return None


def lack_words(missing: Mapping[str, Any]) -> str:
    """'the model 'x' (python -m spacy download x)', for a block's ``lacks``."""
    kind = "model" if missing.get("model") else "package"
    return f"the {kind} '{missing.get(kind)}' (`{missing.get('install')}`)"


def used_names(code: str) -> set[str]:
    """The names a block reads."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Load)}


# Known spaCy 2 → 3 breaks whose messages do not say what to write instead.
HINTS = [
    (re.compile(r"add\(\) takes exactly 2 positional arguments"), Errors.SP040),
    (re.compile(r"minibatch\(\) missing 1 required positional argument: 'size'"),
     Errors.SP041),
    (re.compile(r"has no attribute 'begin_training'"), Errors.SP042),
    (re.compile(r"\[E090\]"), Errors.SP222.format()),
]


def hint(message: str) -> str:
    """What to write instead, for a known break (empty if none is known)."""
    return next((text for pattern, text in HINTS if pattern.search(message)), "")


def _hint(message: str) -> str:
    found = hint(message)
    return f" — {found}" if found else ""


def lacking_words(missing: Mapping[str, Any]) -> str:
    """What is missing and the command that installs it."""
    if missing.get("model"):
        return Errors.SP211.format(model=missing["model"], install=missing["install"])
    return Errors.SP210.format(package=missing["package"], install=missing["install"])



def _error_message(error: Mapping[str, Any]) -> str:
    code = f" [{error['code']}]" if error.get("code") and f"[{error['code']}]" not in \
        error.get("message", "") else ""
    return f"{error.get('type', 'Error')}{code}: {error.get('message', '')}".strip()


def judge_deck(deck: Deck, plan: Plan, raw: DeckRun) -> DeckResult:
    """``raw`` is what ``run.Pool.run`` returned for this deck (events and deck-done)."""
    blocks = deck.python_blocks
    events: dict[int, BlockEvent] = {}
    setup_failed: SetupFailed | None = None
    for event in raw["events"]:
        if event["event"] == "block":
            events[event["index"]] = event
        elif event["event"] == "setup-failed":
            setup_failed = event
    done: DeckDone = raw.get("done") or {"event": "deck-done"}
    results: list[BlockResult] = []
    broken: dict[str, int] = {}  # name → line of the failed block that would define it
    lacking: dict[int, dict | None] = {}  # line of an unverified block → what it lacks
    ended_at: int | None = None  # the session ended (timeout/crash) at this deck line
    first_failure: int | None = None  # line of the first block that did not run through
    deck_error = unverified = None
    if setup_failed:
        err = setup_failed["error"]
        if err.get("missing"):  # the environment lacks a package or model: not a bug
            unverified = Errors.SP212.format(source=setup_failed["source"],
                               why=lacking_words(err["missing"]))
        else:
            deck_error = Errors.SP020.format(source=setup_failed["source"], line=err.get("line"),
                               error=_error_message(err))
    for spec, block in zip(plan["blocks"], blocks):
        index = spec["index"]
        found = events.get(index)
        if unverified and setup_failed:
            results.append(BlockResult(block, UNVERIFIED, unverified, error=dict(
                setup_failed["error"], line=None),
                lacks=cast(dict[str, str], setup_failed["error"].get("missing"))))
            continue
        if setup_failed:  # a bug in the code every block stands on fails them all
            results.append(BlockResult(block, FAILED, Errors.SP021.format(why=deck_error)))
            continue
        if found is None:
            results.append(_unfinished(block, index, done, ended_at))
            if ended_at is None:
                ended_at = block.line
            continue
        results.append(_judge_block(block, spec, found, broken, first_failure, lacking))
        if results[-1].status == UNVERIFIED:
            lacking[block.line] = results[-1].lacks
        if results[-1].status.kind is Kind.HARD or results[-1].status is UNVERIFIED:
            first_failure = first_failure or block.line
            for name in defined_names(block.code):
                broken.setdefault(name, block.line)
    if done.get("protocol") and len(events) == len(results):
        # every block reported, then the deck wrote something else: still a broken deck
        deck_error = deck_error or Errors.SP022.format(problem=done["protocol"])
    return DeckResult(deck, results, seconds=float(done.get("seconds") or 0.0),
                      error=deck_error)


def _unfinished(block: Block, index: int, done: DeckDone, ended_at: int | None) -> BlockResult:
    """A block with no result: the deck's process ended while running it, or before it."""
    if ended_at is not None:
        return BlockResult(block, BLOCKED, Errors.SP023.format(line=ended_at), blocked_by=ended_at)
    if done.get("worker_died"):
        return BlockResult(block, CRASHED, Errors.SP025.format(why=done["worker_died"]))
    if done.get("protocol"):
        why = Errors.SP022.format(problem=done["protocol"])
        return BlockResult(block, CRASHED, why, error={
            "type": "Crash", "message": why, "code": None, "line": block.line})
    if done.get("watchdog"):
        return BlockResult(block, TIMED_OUT, done["watchdog"], error={
            "type": "Timeout", "message": done["watchdog"], "code": None,
            "line": block.line})
    if done.get("running") == index or done.get("hard_timeout") == index:
        if isinstance(done.get("flooded"), str):
            why = done["flooded"]
            return BlockResult(block, CRASHED, why, error={
                "type": "Crash", "message": why, "code": None, "line": block.line})
        if done.get("hard_timeout") == index:
            return BlockResult(block, TIMED_OUT, Errors.SP026,
                               error={"type": "Timeout", "message": "killed after timeout",
                                      "code": None, "line": block.line})
        if "signal" in done:
            why = SIGNALS[done["signal"]] if done["signal"] in SIGNALS \
                else Errors.SP057.format(signal=done["signal"])
        else:
            why = Errors.SP027.format(status=done.get("exit_code"))
        return BlockResult(block, CRASHED, why, error={
            "type": "Crash", "message": why, "code": None, "line": block.line})
    return BlockResult(block, BLOCKED, Errors.SP024)


def _judge_block(block: Block, spec: BlockPlan, event: BlockEvent, broken: dict[str, int],
                 first_failure: int | None = None,
                 lacking: dict[int, dict | None] | None = None) -> BlockResult:
    lacking = lacking or {}
    result = BlockResult(block, PASSED, output=event.get("output") or "",
                         display=event.get("display"), error=event.get("error"),
                         warnings=event.get("warnings") or [],
                         seconds=float(event.get("seconds") or 0.0))
    if event.get("skipped"):
        reason = spec.get("skip") or Errors.SP028
        result.status, result.message = SKIPPED, reason
        return result
    if event.get("missing_models"):
        result.status = UNVERIFIED
        first = event["missing_models"][0]
        result.message = Errors.SP029.format(names=", ".join(event["missing_models"]), model=first)
        result.lacks = {"model": first, "install": f"python -m spacy download {first}"}
        return result
    expected_raise = block.attrs.get("raises")
    if result.error:
        _judge_error(result, result.error, expected_raise, broken, lacking)
        return result
    if expected_raise:
        result.status = FAILED
        result.message = Errors.SP035.format(expected=expected_raise)
        result.error = {"type": "NotRaised", "message": result.message, "code": None,
                        "line": block.line}
        return result
    if block.expected is not None and not output_matches(block.expected.code,
                                                         result.shown_output):
        result.status = OUTPUT_DIFFERS
        result.diff = output_diff(block.expected.code, result.shown_output, block.expected.line)
        result.message = Errors.SP037.format(line=block.expected.line, first=first_failure) \
            if first_failure else Errors.SP036.format(line=block.expected.line)
        return result
    deprecations = [w for w in result.warnings if w.get("deprecation")]
    if deprecations:
        w = deprecations[0]
        result.status = DEPRECATED
        result.message = f"{w['category']}" + (f" [{w['code']}]" if w.get("code") and
                                                f"[{w['code']}]" not in w["message"] else "") \
            + f": {w['message']}"
    return result


def _judge_error(result: BlockResult, error: Mapping[str, Any], expected_raise: object,
                 broken: dict[str, int], lacking: dict[int, dict | None]) -> None:
    """The status of a block that raised: timed out, raised as declared, missing a model
    or package, blocked by an earlier block (or unverified through it), or failed."""
    kind = error.get("type", "")
    if error.get("timed_out"):
        result.status, result.message = TIMED_OUT, error["message"]
    elif expected_raise and _names(str(expected_raise)) & set(error.get("bases") or [kind]):
        result.status = EXPECTED_ERROR
        result.message = Errors.SP030.format(error=_error_message(error))
    elif error.get("missing"):
        result.status = UNVERIFIED
        result.message = f"{_error_message(error)} — {lacking_words(error['missing'])}"
        result.lacks = error["missing"]
    elif kind in ("NameError", "UnboundLocalError") and error.get("name") in broken:
        result.blocked_by = broken[error["name"]]
        # A name the environment kept from being defined: as unverified as its block.
        result.status = UNVERIFIED if result.blocked_by in lacking else BLOCKED
        unrun = Errors.SP032 if result.blocked_by in lacking else Errors.SP031
        result.message = unrun.format(name=error["name"], line=result.blocked_by)
        result.lacks = lacking.get(result.blocked_by)
    else:
        result.status = FAILED
        result.message = _error_message(error) + _hint(error.get("message", ""))
        if expected_raise:
            result.message = Errors.SP033.format(expected=expected_raise, got=result.message)
        elif kind == "NameError" and error.get("name"):
            result.message += " — " + Errors.SP034.format(name=error["name"])


def _names(declared: str) -> set[str]:
    """``raises=ValueError`` or ``raises=builtins.ValueError`` or ``raises="A,B"``."""
    return {part.strip().rsplit(".", 1)[-1] for part in declared.split(",") if part.strip()}
