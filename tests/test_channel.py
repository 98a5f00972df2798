"""The parent's validator of a deck's events, fed arbitrary input: whatever a deck writes on
its channel, the validator answers (never raises), and what it lets through the judge and the
JSON report take without raising, as JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slideproof.channel import DeckChannel
from slideproof.deck import parse_deck
from slideproof.judge import judge_deck
from slideproof.options import Options
from slideproof.report import deck_json
from slideproof.run import plan_for

DECK = parse_deck("---\ntype: slides\n---\n\n# One\n\n```python\nx = 1\n```\n\n"
                  "```python\nprint(x)\n```\n\n```out\n1\n```\n", "deck.md")
PLAN = plan_for(DECK, Options())

text = st.text(alphabet=st.characters(codec=None), max_size=20)  # lone surrogates included
scalars = st.none() | st.booleans() | st.integers() | st.floats() | text
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=2)
                           | st.dictionaries(text, inner, max_size=2), max_leaves=6)
FIELDS = ["event", "index", "timeout", "output", "display", "warnings", "error", "seconds",
          "skipped", "missing_models", "source", "type", "message", "code", "line", "bases",
          "traceback", "name", "missing", "category", "deprecation", "filename", "package",
          "model", "install", "timed_out", "output_limit"]


def nested(depth: int):
    """Dicts with the protocol's own field names (and sometimes its event names), holding
    anything: closer to a forgery than random keys."""
    values = json_values if depth == 0 else (json_values | nested(depth - 1)
                                             | st.lists(nested(depth - 1), max_size=2))
    keys = st.sampled_from(FIELDS)
    event = st.sampled_from(["start", "block", "setup-failed", "deck-done"]) | text
    return st.fixed_dictionaries({"event": event}, optional={k: values for k in FIELDS
                                                             if k != "event"}) \
        if depth == 2 else st.dictionaries(keys, values, max_size=6)


def line(value) -> bytes:
    return json.dumps(value).encode()  # non-finite numbers and lone surrogates as JSON writes


def judged(events: list[dict]) -> None:
    """The judge and the report take what the channel accepted, and the report is JSON."""
    result = judge_deck(DECK, PLAN, {"events": events, "done": {"event": "deck-done",
                                                                "exit_code": 0}})
    json.dumps(deck_json(result), allow_nan=False).encode("utf-8")


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=nested(2), second=nested(2) | json_values)
def test_any_event_is_answered_and_what_passes_is_judged(first, second):
    channel = DeckChannel(PLAN)
    accepted = []
    for value in ({"event": "start", "index": 0, "timeout": 60.0}, first, second):
        event = channel.take(line(value))
        if event is not None:
            accepted.append(event)
        else:
            assert channel.problem  # refused, with a reason
    judged(accepted)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=200))
def test_any_bytes_are_answered(raw):
    channel = DeckChannel(PLAN)
    assert channel.take(raw) is None or channel.problem == ""


def test_a_deck_that_breaks_the_protocol_is_heard_no_more():
    channel = DeckChannel(PLAN)
    assert channel.take(line({"event": "start", "index": 0, "timeout": 60.0})) is not None
    assert channel.take(b'{"event": "block", "index": 0, "seconds": -1}') is None
    assert channel.problem == "a result for block 0 with a negative time"
    # a well-formed result after that does not count
    assert channel.take(line({"event": "block", "index": 0, "output": ""})) is None


def test_text_longer_than_the_output_limit_is_refused():
    plan = plan_for(DECK, Options(output_limit=100))
    channel = DeckChannel(plan)
    channel.take(line({"event": "start", "index": 0, "timeout": 60.0}))
    assert channel.take(line({"event": "block", "index": 0, "output": "x" * 1000})) is None
    assert channel.problem == "the field 'output' is longer than the output limit"
