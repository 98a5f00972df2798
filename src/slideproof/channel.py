"""What a deck may say on its result channel, checked before anything reads it.

A deck's events are untrusted input: each line is validated against the types in
``protocol`` (a pydantic validator made from those TypedDicts, strict: no coercion, no
unknown field, finite numbers, valid JSON text with no lone surrogate), then against the
deck's limits (text no longer than the output limit) and its plan (a block it has, in order,
started before its result). The first line that fails makes the deck *crashed*, with the
reason; nothing it wrote after that counts, and nothing is cached (``DeckChannel.problem``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from . import protocol
from .protocol import TRACEBACK_LIMIT, WARNINGS_LIMIT, DeckEvent, Plan

# Strict: a string is not a number, 1 is not True; unknown fields are refused; numbers must be
# finite (JSON has no Infinity, and the reports must stay JSON).
STRICT = {"strict": True, "extra": "forbid", "allow_inf_nan": False}
_TYPED = (protocol.StartEvent, protocol.BlockEvent, protocol.SetupFailed,
          protocol.ErrorRecord, protocol.WarningRecord, protocol.MissingPackage,
          protocol.MissingModel, protocol.DeckDone)
for _kind in _TYPED:
    setattr(_kind, "__pydantic_config__", STRICT)  # noqa: B010  (what pydantic.with_config does)


@cache
def _validator() -> TypeAdapter[Any]:
    return TypeAdapter(Annotated[DeckEvent, Field(discriminator="event")])


@cache
def _done_validator() -> TypeAdapter[Any]:
    return TypeAdapter(protocol.DeckDone)


def prepare() -> None:
    """Make the validators now (about a tenth of a second): the runner calls this while its
    worker warms up, so that the first decks' events find them made."""
    _validator()
    _done_validator()


def worker_done(message: dict) -> protocol.DeckDone:
    """The worker's report of how a deck's process ended, as typed; a report that is not
    counts as the runner failing (the worker runs where the decks run)."""
    try:
        return _done_validator().validate_python(message)
    except ValidationError:
        return {"event": "deck-done", "worker_died": "it reported the deck's end in an "
                "unexpected form"}


def parse_event(line: bytes) -> tuple[DeckEvent | None, str]:
    """The event on ``line`` and '' if it has the protocol's shape; else None and why not."""
    try:
        return _validator().validate_json(line), ""
    except ValidationError as err:
        return None, _why(err.errors(include_url=False, include_input=False)[0])


def _why(error: Mapping[str, Any]) -> str:
    """A validation error in the protocol's words: which event, which field, what is wrong."""
    # (a union's member appears in the location by its class name: not a field)
    loc = [str(part) for part in error.get("loc", ()) if not str(part)[:1].isupper()]
    kind = error.get("type", "")
    if kind == "json_invalid":
        return "a line that is not JSON"
    if not loc:
        return "a line that is not an event"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return "a line that is not one of its events"
    event, field = loc[0], ".".join(loc[1:])
    what = {"extra_forbidden": f"an unknown field '{field}'",
            "missing": f"no field '{field}'"}.get(
        kind, f"the field '{field}' is wrong: {str(error.get('msg', 'invalid')).lower()}")
    return f"a '{event}' event with {what}"[:300]


def _too_long(event: DeckEvent, cap: int) -> str:
    """A text field longer than a session ever writes (the output limit, the traceback
    limit): a deck that writes more is not one the session wrote for."""
    fields: Mapping[str, Any] = event  # any of the three kinds: read by name
    limits: dict[str, int] = {"output": cap + 64, "display": cap, "source": 4096}
    for name, limit in limits.items():
        value = fields.get(name)
        if isinstance(value, str) and len(value) > limit:
            return f"the field '{name}' is longer than the output limit"
    error = fields.get("error") or {}
    if len(error.get("message") or "") > cap + 4096 or \
            len(error.get("traceback") or "") > TRACEBACK_LIMIT:
        return "the error is longer than the output limit"
    warnings = fields.get("warnings") or []
    if len(warnings) > WARNINGS_LIMIT + 1 or any(
            len(w["message"]) > TRACEBACK_LIMIT for w in warnings):
        return "it has more warnings than a block records"
    return ""


class DeckChannel:
    """The events of one deck, in the order its plan allows: checked one by one, so a deck
    that writes anything else is reported as having broken the protocol."""

    def __init__(self, plan: Plan):
        self.cap = int(plan["limits"]["output"])
        self.order = [b["index"] for b in plan["blocks"]]
        self.setups = len(plan["setup"])
        self.setups_started = 0
        self.pos = 0  # position in ``order`` of the next block to report
        self.current: int | None = None  # index of the source started and not reported
        self.ended = False
        self.problem = ""  # why the deck broke the protocol; set once, then nothing counts

    def take(self, line: bytes) -> DeckEvent | None:
        """The event on ``line`` if it may come now; None once the deck broke the protocol
        (``problem`` says how)."""
        if self.problem:
            return None
        event, problem = parse_event(line)
        if event is not None:
            problem = _too_long(event, self.cap) or self._in_order(event)
        if problem:
            self.problem = problem
            return None
        return event

    def _in_order(self, event: DeckEvent) -> str:
        kind = event["event"]
        if self.ended:
            return f"a '{kind}' event after the setup failed"
        if event["event"] == "setup-failed":  # names its source, not a block
            if self.current != -1:
                return "a setup failure with no setup running"
            self.ended = True
            return ""
        index = event["index"]
        expected = self.order[self.pos] if self.pos < len(self.order) else None
        if event["event"] == "start":
            if not event["timeout"] >= 0:
                return "a 'start' event with a negative timeout"
            if index == -1:
                if self.pos or self.setups_started >= self.setups or self.current not in (
                        None, -1):
                    return "a setup started out of order"
                self.setups_started += 1
            elif index != expected or self.setups_started < self.setups or \
                    self.current not in (None, -1):
                return f"block {index} started out of order (expected {expected})"
            self.current = index
            return ""
        if index != expected:
            what = "a duplicate" if index in self.order[:self.pos] else (
                "an unknown block" if index not in self.order else "out of order")
            after = (f"expected {expected}" if expected is not None
                     else "every block was reported")
            return f"a result for block {index}: {what} ({after})"
        plain = event.get("skipped") or event.get("missing_models")
        if self.setups_started < self.setups or (self.current != index and not plain):
            return f"a result for block {index}, which was never started"
        if event.get("seconds", 0.0) < 0:
            return f"a result for block {index} with a negative time"
        self.pos += 1
        self.current = None
        return ""

