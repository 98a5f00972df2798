"""The verification engine against real spaCy: statuses, deck lines, sessions."""

from __future__ import annotations

import json

from conftest import SEED, line_of, run_cli, seed_copy, write_deck


def test_seed_deck_with_setup_reports_the_spacy2_breaks(tmp_path, verify):
    deck = seed_copy(tmp_path / "seed.md")
    [result] = verify(deck)
    first, loop, pipeline = result.blocks
    assert first.status == "passed"
    assert loop.status == "failed" and pipeline.status == "failed"
    # The spaCy-2 loop breaks on spaCy 3 either at nlp.update (E989) or, on releases where
    # minibatch() needs a size, at the minibatch call; the report points at that line.
    if loop.error["code"] == "E989":
        assert loop.error["line"] == line_of(deck, "nlp.update(texts, annotations)")
    else:
        assert "minibatch" in loop.error["message"]
        assert loop.error["line"] == line_of(deck, "spacy.util.minibatch(TRAINING_DATA)")
    assert pipeline.error["code"] == "E966"
    assert pipeline.error["line"] == line_of(deck, "nlp.add_pipe(ner)")


def test_seed_deck_without_setup_names_the_missing_context(corpus, verify):
    [result] = verify(corpus / SEED)
    first, loop, pipeline = result.blocks
    assert first.status == "passed"
    assert loop.status == "failed" and loop.error["type"] == "NameError"
    assert "'random'" in loop.message and "setup" in loop.message
    assert pipeline.status in ("failed", "blocked") and pipeline.error["type"] == "NameError"


def test_corpus_introduction_passes_and_matches_every_out_block(corpus, verify):
    path = corpus / "spacy-course/en/slides/chapter1_01_introduction-to-spacy.md"
    [result] = verify(path)
    assert [r.status for r in result.blocks] == ["passed"] * len(result.blocks)
    assert sum(1 for r in result.blocks if r.block.expected) >= 3


def test_statuses_of_a_mixed_deck(tmp_path, verify):
    deck = write_deck(tmp_path, "mixed.md", '''
        # Mixed

        ```python
        import spacy
        nlp = spacy.blank("en")
        nlp.add_pipe("ner").add_label("X")
        nlp.begin_training()
        ```

        ```python
        spacy.explain("GPE")
        ```

        ```out
        'Countries, cities, states'
        ```

        ```python
        spacy.load("xx_no_such_model")
        ```

        ```python
        print("4 tokens")
        ```

        ```out
        5 tokens
        ```

        ```python {raises=ValueError}
        nlp.add_pipe(object())
        ```

        ```python {skip="needs a GPU"}
        raise SystemError("never run")
        ```

        ```python
        broken = undefined_name
        ```

        ```python
        print(broken)
        ```

        Notes: the notes.
        ''')
    [result] = verify(deck)
    statuses = [r.status for r in result.blocks]
    assert statuses == ["deprecated", "passed", "unverified", "output-differs",
                        "expected-error", "skipped", "failed", "blocked"]
    deprecated, _, unverified, differs, expected, skipped, failed, blocked = result.blocks
    assert any(w["code"] == "W089" for w in deprecated.warnings)
    assert unverified.error["code"] == "E050"
    assert "-5 tokens" in differs.diff and "+4 tokens" in differs.diff
    assert expected.error["code"] == "E966"
    assert skipped.message == "needs a GPU"
    assert blocked.blocked_by == failed.block.line


def test_a_deck_is_one_session_and_isolated_blocks_are_not(tmp_path, verify):
    deck = write_deck(tmp_path, "session.md", '''
        # Session

        ```python
        counter = 41
        ```

        ```python {isolated}
        print("counter" in globals())
        ```

        ```out
        False
        ```

        ```python
        counter + 1
        ```

        ```out
        42
        ```
        ''', front="type: slides\nsetup: |\n  base = 1\n")
    [result] = verify(deck)
    assert [r.status for r in result.blocks] == ["passed"] * 3


def test_faults_end_the_deck_not_the_build(tmp_path, verify):
    hang = write_deck(tmp_path, "hang.md", '''
        # Hang

        ```python {timeout=2}
        while True:
            pass
        ```

        ```python
        import sys
        sys.exit(1)
        ```

        ```python
        raise KeyboardInterrupt
        ```

        ```python
        print("after")
        ```

        ```python
        import os
        os._exit(3)
        ```

        ```python
        print("never")
        ```
        ''')
    later = write_deck(tmp_path, "later.md", '''
        # Later

        ```python
        print("ok")
        ```
        ''')
    hang_result, later_result = verify(hang, later)
    assert [r.status for r in hang_result.blocks] == [
        "timed-out", "failed", "failed", "passed", "crashed", "blocked"]
    assert "sys.exit" in hang_result.blocks[1].message
    assert "KeyboardInterrupt" in hang_result.blocks[2].message
    assert "status 3" in hang_result.blocks[4].message
    assert [r.status for r in later_result.blocks] == ["passed"]


def test_check_cli_json_contract_and_exit_code(tmp_path):
    good = write_deck(tmp_path / "decks", "good.md", '''
        # Good

        ```python
        print("hi")
        ```

        ```out
        hi
        ```
        ''')
    report = tmp_path / "report.json"
    done = run_cli("check", str(good.parent), "--json", str(report), "--no-cache", "-q")
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    assert set(data["environment"]) >= {"python", "spacy", "models"}
    [deck] = data["decks"]
    assert set(deck) >= {"path", "cached", "seconds", "blocks"}
    [block] = deck["blocks"]
    assert block["line"] == 7 and block["status"] == "passed"
    assert block["output"] == "hi\n" and block["expected"] == "hi" and block["error"] is None
    write_deck(tmp_path / "decks", "bad.md", '''
        # Bad

        ```python
        x = 1 / 0
        ```
        ''')
    done = run_cli("check", str(good.parent), "--json", str(report), "--no-cache")
    assert done.returncode == 1
    assert "bad.md:8" in done.stderr and "ZeroDivisionError" in done.stderr
    error = next(b for d in json.loads(report.read_text())["decks"] for b in d["blocks"]
                 if b["error"])["error"]
    assert error == {"type": "ZeroDivisionError", "message": "division by zero",
                     "code": None, "line": 8}


def test_an_example_finds_its_own_source_when_the_deck_is_named_relatively(tmp_path):
    """Examples run in a temporary folder; their code is compiled with the deck's file, so
    inspect (which spaCy's component registry uses when a name is registered again) must
    find it whether the deck was named by an absolute or a relative path."""
    write_deck(tmp_path / "decks", "source.md", '''
        # Source

        ```python
        import inspect

        def shout(text):
            return text.upper()

        print(inspect.getsource(shout).splitlines()[0])
        ```

        ```out
        def shout(text):
        ```
        ''')
    done = run_cli("check", "decks/source.md", "--no-cache", "-j", "1", "--json", "r.json",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [block] = json.loads((tmp_path / "r.json").read_text())["decks"][0]["blocks"]
    assert block["status"] == "passed" and block["output"] == "def shout(text):\n"
    assert json.loads((tmp_path / "r.json").read_text())["decks"][0]["path"] == \
        "decks/source.md"  # reported as it was named


def test_background_runs_a_deck_once_and_hands_its_result_over_once(tmp_path):
    """What mkdocs serve's first build does: a deck the cache cannot answer for runs on a
    thread (asked for again meanwhile, it is not started twice); the caller is told when it
    is done and then gets its result, judged against the deck as it is then; a caller that
    waits gets it directly and is not told."""
    import threading

    from slideproof.cache import Cache
    from slideproof.deck import read_deck
    from slideproof.options import Options
    from slideproof.verify import Background, Verifier

    deck = write_deck(tmp_path, "deck.md", "```python\nprint(41 + 1)\n```\n")
    told = []
    done = threading.Event()
    verifier = Verifier(Options(jobs=1), Cache(tmp_path / "cache", enabled=False))
    background = Background(verifier, lambda: (told.append(1), done.set()))
    try:
        assert background.results([read_deck(deck)]) == [None]
        assert background.results([read_deck(deck)]) == [None]
        assert done.wait(300)
        # notes above the block move it: the result follows the deck as it is now
        deck.write_text(deck.read_text().replace("```python", "Some notes.\n\n```python"))
        [result] = background.results([read_deck(deck)])
        assert result.blocks[0].output == "42\n" and result.blocks[0].block.line == 7
        assert background.ran == 1 and not result.cached
        # handed over once: without a cache, the next call runs the deck again, and waits
        [again] = background.results([read_deck(deck)], wait=300)
        assert again.blocks[0].output == "42\n" and background.ran == 1
        background.join()
        assert told == [1]
    finally:
        verifier.close()


def test_a_thread_left_running_prints_into_no_later_block(tmp_path, verify):
    """A thread the first block leaves running prints every millisecond, also while the
    session is between two blocks and while a block ends; every later block's output is its
    own alone, and the deck runs to its end (a thread still printing into the writer of a
    block that ended must not crash the deck). The races are rare: four decks, four tries."""
    blocks = "".join(f"\n```python\nprint('block {n}')\n```\n" for n in range(2, 40))
    decks = [write_deck(tmp_path, f"chatter{i}.md", (
        "# A thread that goes on\n\n```python\nimport threading, time\n\n\n"
        "def chatter():\n    for _ in range(3000):\n        print('from the thread')\n"
        "        time.sleep(0.001)\n\n\n"
        "threading.Thread(target=chatter, daemon=True).start()\n```\n" + blocks))
        for i in range(4)]
    for result in verify(*decks):
        first, *later = result.blocks
        assert first.warnings  # SP069: a thread started here is still running
        assert [(r.status, r.output) for r in later] == [
            ("passed", f"block {n}\n") for n in range(2, 40)]
