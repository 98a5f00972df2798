"""The messages of a real run have the fields ``protocol`` types, and no others: the pool,
the worker and the session agree on one description of what they send each other."""

from __future__ import annotations

import hashlib
from typing import NotRequired, get_origin, get_type_hints

from slideproof import protocol
from slideproof.chapter import load_chapter
from slideproof.deck import read_deck
from slideproof.exercise import exercises_of
from slideproof.options import Options
from slideproof.run import Pool, plan_for

from conftest import write_course, write_deck

DECK = '''
    # Every kind of event

    ```python
    import warnings
    print("one")
    warnings.warn("old", DeprecationWarning)
    len("abc")
    ```

    ```python
    undefined_name
    ```

    ```python {skip="not here"}
    print("never")
    ```

    ```python {requires=xx_no_such_model}
    print("never")
    ```
    '''


def fields(kind) -> set[str]:
    return set(get_type_hints(kind))


def required(kind) -> set[str]:
    """The fields of a TypedDict that are not NotRequired."""
    return {name for name, hint in get_type_hints(kind, include_extras=True).items()
            if get_origin(hint) is not NotRequired}


def test_a_plan_has_the_typed_fields(tmp_path):
    deck = write_deck(tmp_path, "a.md", DECK, front="type: slides\nsetup: |\n  x = 1\n")
    plan = plan_for(read_deck(deck), Options())
    assert set(plan) == required(protocol.Plan)
    assert set(plan["limits"]) == fields(protocol.Limits) - {"tmp"}
    assert [set(s) for s in plan["setup"]] == [fields(protocol.SetupSource)]
    assert len(plan["blocks"]) == 4
    assert all(set(b) == required(protocol.BlockPlan) for b in plan["blocks"])


def test_an_exercise_plan_has_every_typed_field(tmp_path):
    """A coding exercise's run: a working folder, the data files its code names, and a test
    block compiled with the test's own file."""
    write_course(tmp_path)
    chapter = load_chapter(tmp_path / "chapters" / "en" / "chapter1.md")
    exercises, _ = exercises_of(chapter, str)
    data = next(ex for ex in exercises if ex.id == "01_05")
    plan = data.runs()[0].run_plan(Options())
    assert set(plan) == fields(protocol.Plan)
    assert plan["cwd"] == str(tmp_path) and plan["path"] == data.solution.file
    words = tmp_path / "exercises" / "en" / "words.json"
    assert plan["inputs"] == {"exercises/en/words.json":
                              hashlib.sha256(words.read_bytes()).hexdigest()}
    solution, test = plan["blocks"]
    assert set(solution) == required(protocol.BlockPlan)
    assert set(test) == fields(protocol.BlockPlan) and test["file"] == data.test.file
    assert solution["first_line"] == test["first_line"] == 1


def test_the_events_of_a_real_run_have_the_typed_fields(tmp_path):
    good = write_deck(tmp_path, "good.md", DECK)
    broken = write_deck(tmp_path, "broken.md", "```python\nprint(1)\n```\n",
                        front="type: slides\nsetup: |\n  1 / 0\n")
    plans = {"good": plan_for(read_deck(good), Options()),
             "broken": plan_for(read_deck(broken), Options())}
    kinds = {"start": protocol.StartEvent, "block": protocol.BlockEvent,
             "setup-failed": protocol.SetupFailed}
    with Pool(Options(jobs=2)) as pool:
        results = pool.run(plans)
        info = pool.info
    assert set(info) - {"sandbox"} == fields(protocol.Ready)
    seen = set()
    for deck_id, result in results.items():
        assert set(result["done"]) <= fields(protocol.DeckDone), deck_id
        assert "exit_code" in result["done"] or "signal" in result["done"]
        for event in result["events"]:
            seen.add(event["event"])
            assert set(event) <= fields(kinds[event["event"]]), event
            for warning in event.get("warnings") or []:
                assert set(warning) == fields(protocol.WarningRecord)
            if event.get("error"):
                assert set(event["error"]) <= fields(protocol.ErrorRecord)
    assert seen == set(protocol.DECK_EVENTS)
    blocks = [e for e in results["good"]["events"] if e["event"] == "block"]
    assert [e.get("skipped") for e in blocks] == [None, None, True, None]
    assert blocks[3]["missing_models"] == ["xx_no_such_model"]
    assert blocks[0]["warnings"] and blocks[1]["error"]["type"] == "NameError"
