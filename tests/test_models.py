"""Model aliases and warm models: a pipeline loaded once in the worker, private to each deck."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from slideproof.run import constructed_languages

from conftest import run_cli, write_deck


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory):
    """A small real pipeline on disk (no download): a blank English nlp with a rule-based
    entity ruler, as a course would ship or train it."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "GADGET", "pattern": "iPhone"}])
    nlp.meta["name"] = "tiny_test"
    nlp.meta["version"] = "0.0.1"
    path = tmp_path_factory.mktemp("models") / "tiny"
    nlp.to_disk(path)
    return path


def test_alias_loads_the_target_and_decks_do_not_share_state(tmp_path, tiny_pipeline, verify):
    first = write_deck(tmp_path, "a.md", '''
        # Adds a pipe

        ```python
        import spacy
        nlp = spacy.load("en_core_web_sm")
        nlp.add_pipe("sentencizer")
        from spacy.tokens import Doc
        Doc.set_extension("leak", default="from deck a")
        [(e.text, e.label_) for e in nlp("I love my iPhone").ents], nlp.pipe_names
        ```

        ```out
        ([('iPhone', 'GADGET')], ['entity_ruler', 'sentencizer'])
        ```
        ''')
    second = write_deck(tmp_path, "b.md", '''
        # Sees a fresh model

        ```python
        import spacy
        from spacy.tokens import Doc
        nlp = spacy.load("en_core_web_sm")
        nlp.pipe_names, Doc.has_extension("leak")
        ```

        ```out
        (['entity_ruler'], False)
        ```
        ''')
    results = verify(first, second, jobs=1, models={"en_core_web_sm": str(tiny_pipeline)})
    assert [[r.status for r in d.blocks] for d in results] == [["passed"], ["passed"]]


def test_requires_a_missing_model_is_unverified(tmp_path, verify):
    deck = write_deck(tmp_path, "r.md", '''
        # Needs a model

        ```python {requires=xx_no_such_model}
        import spacy
        nlp = spacy.load("xx_no_such_model")
        ```

        ```python
        print("the deck goes on")
        ```
        ''')
    [result] = verify(deck)
    assert [r.status for r in result.blocks] == ["unverified", "passed"]
    assert "xx_no_such_model" in result.blocks[0].message


def test_cli_model_option_and_report_environment(tmp_path, tiny_pipeline):
    deck = write_deck(tmp_path / "d", "m.md", '''
        # Alias on the command line

        ```python
        import spacy
        spacy.load("en_core_web_md").pipe_names
        ```

        ```out
        ['entity_ruler']
        ```
        ''')
    report = tmp_path / "r.json"
    done = run_cli("check", str(deck), "--model", f"en_core_web_md={tiny_pipeline}",
                   "--no-cache", "--json", str(report), "-q")
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    assert data["decks"][0]["blocks"][0]["status"] == "passed"
    model = data["environment"]["models"]["en_core_web_md"]
    assert model["target"] == str(tiny_pipeline) and "0.0.1" in model["version"]
    bad = run_cli("check", str(deck), "--model", "no-equals-sign")
    assert bad.returncode == 2 and "NAME=TARGET" in bad.stderr


def _sleeping_deck(folder, name: str, model: str | None):
    """A deck that takes half a second, loading ``model`` first (if any)."""
    load = f'import spacy\nnlp = spacy.load("{model}")\n' if model else ""
    return write_deck(folder, name, f"# {name}\n\n```python\n{load}import time\n"
                      "time.sleep(0.5)\n```\n")


def test_decks_that_load_no_model_run_beside_those_that_do_and_never_more_than_jobs(
        tmp_path, tiny_pipeline):
    """The models load in a process of their own, beside the worker that forks the decks
    needing none; --jobs bounds the decks running in both together."""
    from slideproof.cache import Cache
    from slideproof.deck import read_deck
    from slideproof.options import Options
    from slideproof.verify import Verifier

    with_model = [str(_sleeping_deck(tmp_path, f"m{i}.md", "en_core_web_sm")) for i in range(3)]
    without = [str(_sleeping_deck(tmp_path, f"p{i}.md", None)) for i in range(3)]
    running: set[str] = set()  # deck paths
    together: list[set[str]] = []

    def on_event(path: str, event: dict) -> None:  # a deck runs from its first event on
        if event.get("event") == "deck-done":
            running.discard(path)
        elif path not in running:
            running.add(path)
            together.append(set(running))

    verifier = Verifier(Options(jobs=2, models={"en_core_web_sm": str(tiny_pipeline)}),
                        Cache(tmp_path / "cache", enabled=False))
    try:
        results = verifier.verify([read_deck(p) for p in with_model + without],
                                  on_event=on_event)
    finally:
        verifier.close()
    assert [[b.status for b in r.blocks] for r in results] == [["passed"]] * 6
    assert together and max(len(s) for s in together) <= 2
    assert any(s & set(with_model) and s & set(without) for s in together)


def _model_package(site: Path, monkeypatch, name: str, init: str) -> str:
    """An installed model package ``name`` whose ``__init__.py`` is ``init``."""
    package = site / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(init)
    info = site / f"{name}-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(site), os.environ.get("PYTHONPATH")) if p))
    monkeypatch.syspath_prepend(str(site))
    return name


@pytest.fixture
def crashing_model(tmp_path, monkeypatch):
    """An installed model package whose load kills the process loading it."""
    return _model_package(tmp_path / "site", monkeypatch, "crashing_model",
                          "import os, signal\n\n\ndef load(**overrides):\n"
                          "    os.kill(os.getpid(), signal.SIGKILL)\n")


@pytest.fixture
def recording_model(tmp_path, monkeypatch):
    """An installed model package whose pipelines say which process loaded them."""
    return _model_package(tmp_path / "site", monkeypatch, "recording_model",
                          "import os\nimport spacy\n\n\ndef load(**overrides):\n"
                          "    nlp = spacy.blank('en')\n    nlp.meta['loaded_by'] = os.getpid()\n"
                          "    return nlp\n")


def test_each_load_of_a_model_gets_a_pipeline_of_its_own_loaded_before_the_deck(
        tmp_path, recording_model, verify):
    """A deck that loads a model twice is handed two copies, loaded before it was forked;
    a third load, more than the copies made, loads it in the deck."""
    deck = write_deck(tmp_path, "twice.md", '''
        # Three loads

        ```python
        import os
        import spacy
        first = spacy.load("en_core_web_sm")
        second = spacy.load("en_core_web_sm")
        first.add_pipe("sentencizer")
        third = spacy.load("en_core_web_sm")
        [nlp.meta["loaded_by"] == os.getpid() for nlp in (first, second, third)], \\
            second.pipe_names, first is not second
        ```

        ```out
        ([False, False, True], [], True)
        ```
        ''')
    once = write_deck(tmp_path, "once.md", '''
        # One load

        ```python
        import os
        import spacy
        spacy.load("en_core_web_sm").meta["loaded_by"] == os.getpid()
        ```

        ```out
        False
        ```
        ''')
    results = verify(deck, once, models={"en_core_web_sm": recording_model})
    assert [[(b.status, b.message) for b in r.blocks] for r in results] == [
        [("passed", "")], [("passed", "")]]


@pytest.mark.parametrize(("blocks", "languages"), [
    (["from spacy.lang.en import English", "nlp = English()"], ["en"]),
    (["from spacy.lang.pt import (\n    Portuguese,\n)\nnlp = Portuguese( )"], ["pt"]),
    (["from spacy.lang.de import German as G  # the class\nnlp = G()"], ["de"]),
    (["from spacy.lang.en import English\nnlp = English(vocab=vocab)"], []),
    (["from spacy.lang.en import English", "import spacy\nnlp = spacy.blank('en')"], []),
    (["from spacy.lang.en.stop_words import STOP_WORDS\nEnglish()"], []),
])
def test_the_languages_a_deck_makes_without_arguments_are_found_across_its_blocks(
        blocks, languages):
    plan = {"setup": [], "blocks": [{"code": code} for code in blocks]}
    assert constructed_languages(plan) == languages  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["bwrap", "none"])
def test_a_language_made_without_arguments_is_handed_its_first_instance_built_before_the_deck(
        tmp_path, verify, kind):
    """``English()`` and ``spacy.blank("en")`` get, the first time, an instance the warm
    process made before forking the deck (its objects are frozen there: the collector of the
    deck does not list them); a second call, a subclass and a copy are made in the deck."""
    deck = write_deck(tmp_path, "classes.md", '''
        # Languages

        ```python
        import copy
        import gc

        import spacy
        from spacy.lang.en import English


        def made_here(nlp):
            return any(o is nlp._config for o in gc.get_objects())
        ```

        ```python
        first, second = English(), English()
        class Mine(English):
            pass
        mine, blank, copied = Mine(), spacy.blank("en"), copy.deepcopy(first)
        [made_here(nlp) for nlp in (first, second, mine, blank, copied)], \\
            first.vocab is not second.vocab, "__init__" in vars(English), \\
            [t.text for t in first("Don't stop!")] == [t.text for t in second("Don't stop!")]
        ```

        ```out
        ([False, True, True, False, True], True, False, True)
        ```
        ''')
    untouched = write_deck(tmp_path, "untouched.md", '''
        # Imported, never made

        ```python
        import copy
        import pickle

        import spacy
        from spacy.lang.en import English
        nlp = spacy.blank("en", config={"nlp": {"batch_size": 7}})
        restored = pickle.loads(pickle.dumps(copy.deepcopy(nlp)))
        restored.batch_size, type(restored).__name__, English() is not restored
        ```

        ```out
        (7, 'English', True)
        ```
        ''')
    results = verify(deck, untouched, sandbox=kind)
    assert [[(b.status, b.message) for b in r.blocks] for r in results] == [
        [("passed", ""), ("passed", "")], [("passed", "")]]


def test_a_model_whose_load_crashes_ends_only_the_decks_that_load_it(
        tmp_path, tiny_pipeline, crashing_model, verify):
    crash = write_deck(tmp_path, "crash.md", '''
        # Loads the model that crashes

        ```python
        import spacy
        nlp = spacy.load("en_core_web_lg")
        ```
        ''')
    tiny = _sleeping_deck(tmp_path, "tiny.md", "en_core_web_sm")
    plain = [_sleeping_deck(tmp_path, f"p{i}.md", None) for i in range(3)]
    results = verify(crash, tiny, *plain, models={"en_core_web_lg": crashing_model,
                                                  "en_core_web_sm": str(tiny_pipeline)})
    [crashed] = results[0].blocks
    assert crashed.status == "crashed"
    assert "the process that loads the decks' models ended (signal SIGKILL)" in crashed.message
    assert [[b.status for b in r.blocks] for r in results[1:]] == [["passed"]] * 4


def test_a_deck_larger_than_a_pipe_is_handed_to_the_holder_whole(tmp_path, tiny_pipeline,
                                                                   verify):
    """Its plan is written to the holder's pipe in parts, as the pipe has room."""
    words = " ".join(f"word{i}" for i in range(40_000))  # a plan of about 400 KiB
    deck = write_deck(tmp_path, "big.md", f'''
        # A long text

        ```python
        import spacy
        nlp = spacy.load("en_core_web_sm")
        text = "{words}"
        len(nlp.make_doc(text))
        ```

        ```out
        40000
        ```
        ''')
    [result] = verify(deck, models={"en_core_web_sm": str(tiny_pipeline)})
    assert [b.status for b in result.blocks] == ["passed"]
