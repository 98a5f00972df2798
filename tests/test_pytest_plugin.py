"""The pytest plugin: decks as test files, python blocks as items.

Every test runs pytest in a subprocess (pytester), as a course maintainer would, with the
plugin loaded from its ``pytest11`` entry point.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import SEED, SEED_SHIFT, corpus_or_skip, run_cli, seed_copy, write_deck

pytest_plugins = ["pytester"]

SUMMARY = re.compile(r"^(PASSED|FAILED|SKIPPED|ERROR) (\S+?)(?: - (.*))?$", re.M)


SKIP = re.compile(r"^SKIPPED \[\d+\] (\S+?):(\d+): (.*)$", re.M)


def _summary(result) -> list[tuple[str, str, str]]:
    """(outcome, node id, reason) from pytest's ``-rA`` short summary; a skip is reported
    at its block's deck line, ``deck.md:24``, which is item ``deck.md::L24``."""
    text = result.stdout.str()
    summary = text[text.rfind("short test summary info"):]
    rows = [(word.lower(), node, reason) for word, node, reason in SUMMARY.findall(summary)
            if word != "SKIPPED"]
    rows += [("skipped", f"{path}::L{line}", reason) for path, line, reason
             in SKIP.findall(summary)]
    return rows


def outcomes(result) -> dict[str, str]:
    return {node: outcome for outcome, node, _ in _summary(result)}


def reasons(result) -> dict[str, str]:
    return {node: reason for _, node, reason in _summary(result)}


def run(pytester, *args):
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", *args, timeout=600)


def test_seed_deck_one_pass_two_failures_at_their_lines(pytester):
    seed_copy(pytester.path / "seed.md")
    original = (corpus_or_skip() / SEED).read_text("utf-8").split("\n")
    assert [i for i, line in enumerate(original, 1) if line.startswith("```python")] == \
        [72, 79, 140]
    result = run(pytester, "--slideproof", "--slideproof-no-cache", "seed.md")
    first, loop, pipeline = (f"seed.md::L{n + SEED_SHIFT}" for n in (72, 79, 140))
    assert outcomes(result) == {first: "passed", loop: "failed", pipeline: "failed"}
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    # The loop breaks on spaCy 3 at nlp.update (E989), or earlier where minibatch() needs a
    # size; the item shows the block with that line marked.
    assert re.search(r"^> *\d+ +nlp\.add_pipe\(ner\)$", out, re.M)
    assert re.search(r"^> *\d+ +(for batch in spacy\.util\.minibatch\(TRAINING_DATA\):|"
                     r"nlp\.update\(texts, annotations\))$", out, re.M)
    assert "E989" in reasons(result)[loop] or "minibatch" in reasons(result)[loop]
    assert "E966" in reasons(result)[pipeline]
    assert "spaCy error code: E966" in out
    marked = int(re.search(r"^> *(\d+) +nlp\.add_pipe\(ner\)$", out, re.M).group(1))
    assert pytester.path.joinpath("seed.md").read_text("utf-8").split("\n")[marked - 1] \
        == "nlp.add_pipe(ner)"


def test_seed_deck_same_outcomes_with_xdist_and_decks_stay_whole(pytester):
    seed_copy(pytester.path / "a.md")
    seed_copy(pytester.path / "b.md")
    serial = run(pytester, "--slideproof", "--slideproof-no-cache", "-n", "0", ".")
    parallel = run(pytester, "--slideproof", "--slideproof-no-cache", "-n", "2", "-v", ".")
    assert outcomes(serial) == outcomes(parallel)
    assert len(outcomes(serial)) == 6
    serial.assert_outcomes(passed=2, failed=4)
    parallel.assert_outcomes(passed=2, failed=4)
    # --dist loadfile (set by the plugin): every item of a deck ran on the same worker.
    workers: dict[str, set[str]] = {}
    for worker, node in re.findall(r"^\[(gw\d+)\] \[[ \d]+%\] \w+ (\S+\.md)::L\d+",
                                   parallel.stdout.str(), re.M):
        workers.setdefault(node, set()).add(worker)
    assert set(workers) == {"a.md", "b.md"}
    assert all(len(w) == 1 for w in workers.values())


def test_without_the_option_nothing_changes(pytester):
    write_deck(pytester.path, "docs/deck.md", """
        # A deck

        ```python
        raise ValueError("would fail if collected")
        ```
        """)
    pytester.makepyfile(test_plain="def test_ok():\n    assert True\n")
    result = run(pytester, ".")
    result.assert_outcomes(passed=1)
    assert "deck.md" not in result.stdout.str()
    result = run(pytester, "docs")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_ini_option_and_which_files_are_decks(pytester):
    write_deck(pytester.path, "docs/deck.md", """
        # A deck

        ```python
        x = 1 + 1
        ```

        ```python
        x
        ```
        """)
    write_deck(pytester.path, "docs/notes.md", "# Not a deck\n\n```python\nraise SystemExit\n```\n",
         front="title: notes\n")
    pytester.path.joinpath("docs/README.md").write_text("```python\n1/0\n```\n", "utf-8")
    pytester.makeini("[pytest]\nslideproof = true\n")
    result = run(pytester, "--slideproof-no-cache", "docs")
    assert outcomes(result) == {"docs/deck.md::L7": "passed", "docs/deck.md::L11": "passed"}


STATUSES = """
    # Every status

    ```python
    import warnings
    x = 1
    ```

    ```python
    print("hello")
    ```

    ```out
    goodbye
    ```

    ```python
    warnings.warn("this API goes away", DeprecationWarning)
    ```

    ```python {skip="needs a GPU"}
    import cupy
    ```

    ```python
    import spacy
    nlp = spacy.load("xx_surely_not_installed_sm")
    ```

    ```python {raises=ValueError}
    int("nope")
    ```

    ```python
    y = 1
    z = 1 / 0
    ```

    ```python
    print(z)
    ```
    """


def test_every_status_maps_to_a_pytest_outcome(pytester):
    write_deck(pytester.path, "statuses.md", STATUSES)
    result = run(pytester, "--slideproof", "--slideproof-no-cache", "statuses.md")
    got = outcomes(result)
    why = reasons(result)
    assert got == {
        "statuses.md::L7": "passed",
        "statuses.md::L12": "failed",  # output-differs
        "statuses.md::L20": "passed",  # deprecated: a warning
        "statuses.md::L24": "skipped",
        "statuses.md::L28": "skipped",  # unverified
        "statuses.md::L33": "passed",  # expected-error
        "statuses.md::L37": "failed",
        "statuses.md::L42": "failed",  # blocked by line 37
    }
    out = result.stdout.str()
    assert "-goodbye" in out and "+hello" in out  # the diff
    assert why["statuses.md::L24"] == "skipped by the author: needs a GPU"
    assert why["statuses.md::L28"].startswith("unverified: ")
    assert "xx_surely_not_installed_sm" in why["statuses.md::L28"]
    assert "ZeroDivisionError" in why["statuses.md::L37"]
    assert re.search(r"^> *39 +z = 1 / 0$", out, re.M)
    assert why["statuses.md::L42"].startswith("blocked: ")
    assert "'z' is not defined because the block at line 37 failed" in out
    # the warnings summary, at the line that warned
    assert "statuses.md:21: DeckWarning: deprecated: DeprecationWarning: this API goes away" \
        in out


def test_policy_options(pytester):
    write_deck(pytester.path, "statuses.md", STATUSES)
    result = run(pytester, "--slideproof", "--slideproof-no-cache",
                 "--slideproof-allow-output-differs", "--slideproof-fail-on-deprecated",
                 "--slideproof-fail-on-unverified", "statuses.md")
    got = outcomes(result)
    assert got["statuses.md::L12"] == "passed"  # output-differs, allowed: a warning
    assert got["statuses.md::L20"] == "failed"  # deprecated
    assert got["statuses.md::L28"] == "failed"  # unverified
    assert "output-differs" in result.stdout.str() and "DeckWarning" in result.stdout.str()


def test_an_invalid_deck_is_one_failing_item_and_others_still_run(pytester):
    write_deck(pytester.path, "bad.md", "# Bad\n\n```python {colour=red}\nx = 1\n```\n")
    write_deck(pytester.path, "good.md", "# Good\n\n```python\nx = 1\n```\n")
    result = run(pytester, "--slideproof", "--slideproof-no-cache", ".")
    assert outcomes(result) == {"bad.md::L7": "failed", "good.md::L7": "passed"}
    assert "invalid deck" in result.stdout.str() and "colour" in result.stdout.str()


def test_a_deck_is_one_session_and_runs_once_for_all_its_items(pytester):
    write_deck(pytester.path, "session.md", """
        # Session

        ```python
        import itertools
        counter = itertools.count()
        next(counter)
        ```

        ```python
        assert next(counter) == 1
        ```
        """)
    result = run(pytester, "--slideproof", "--slideproof-no-cache", "-k", "L13",
                 "session.md")
    assert outcomes(result) == {"session.md::L13": "passed"}


def test_pytest_and_the_cli_share_the_cache(pytester):
    write_deck(pytester.path, "cached.md", "# Cached\n\n```python\nx = 2\n```\n")
    cache = pytester.path / "shared-cache"
    run(pytester, "--slideproof", "--slideproof-cache-dir", str(cache),
        "cached.md").assert_outcomes(passed=1)
    report = pytester.path / "report.json"
    run_cli("check", "cached.md", "-q", "--cache-dir", str(cache), "--json", str(report),
            cwd=pytester.path, check=True)
    data = json.loads(report.read_text("utf-8"))
    assert data["decks"][0]["cached"] is True and data["ok"]


def test_bad_plugin_options_are_usage_errors(pytester):
    write_deck(pytester.path, "d.md", "# D\n\n```python\nx = 1\n```\n")
    result = run(pytester, "--slideproof", "--slideproof-model", "nonsense", "d.md")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "NAME=TARGET" in result.stderr.str()


def test_a_block_unverified_through_an_earlier_one_is_skipped_naming_what_is_missing(pytester):
    write_deck(pytester.path, "through.md", """
        # Through

        ```python
        import slideproof_absent_pkg
        ```

        ```python
        print(slideproof_absent_pkg.VERSION)
        ```
        """)
    result = run(pytester, "--slideproof", "--slideproof-no-cache", "through.md")
    assert set(outcomes(result).values()) == {"skipped"}
    why = reasons(result)["through.md::L11"]
    assert why.startswith("unverified: [SP032] 'slideproof_absent_pkg' is not defined")
    assert "the package 'slideproof_absent_pkg' (`pip install slideproof_absent_pkg`)" in why
